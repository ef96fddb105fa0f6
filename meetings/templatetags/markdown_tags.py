from django import template

from meetings.markdown import (
    highlight_snippet,
    html_to_text,
    markdown_to_text,
    render_inline,
    render_markdown,
)

register = template.Library()


def _context(arg) -> tuple[str, str]:
    """(default repository, link definitions) from a filter's argument: a meeting
    (its series' repository and the links its notes define) or a repository."""
    if hasattr(arg, "link_definitions"):
        return arg.series.github_repo, arg.link_definitions
    return arg or "", ""


@register.filter(name="markdown")
def markdown_filter(text, context=""):
    """Render untrusted markdown through the one sanitizing renderer.

    `{{ text|markdown:meeting }}` links a bare "#123" to the series' repository and
    resolves "[text][name]" from any of the call's fields; `markdown:"owner/repo"`
    takes just a repository.
    """
    return render_markdown(text or "", *_context(context))


@register.filter
def snippet(text, query=""):
    """A search result's snippet, escaped, with the matched words marked."""
    return highlight_snippet(text or "", (query or "").split())


@register.filter(name="markdown_inline")
def markdown_inline_filter(text, context=""):
    """Render a one-line title's inline markdown (links, code, emphasis), safely."""
    return render_inline(text or "", *_context(context))


@register.filter(name="markdown_text")
def markdown_text_filter(text, default_repo=""):
    """The plain visible text of rendered markdown, for an attribute (autoescaped)."""
    return markdown_to_text(text or "", default_repo or "")


@register.filter(name="markdown_inline_text")
def markdown_inline_text_filter(text, default_repo=""):
    """A title's visible text without its markup: for a title inside a link."""
    return markdown_to_text(text or "", default_repo or "", inline=True)


@register.filter(name="html_text")
def html_text_filter(html):
    """The plain visible text of stored, sanitized HTML, for an attribute."""
    return html_to_text(html or "")
