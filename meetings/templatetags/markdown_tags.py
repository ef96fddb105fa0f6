from django import template

from meetings.markdown import (
    highlight_snippet,
    markdown_to_text,
    render_inline,
    render_markdown,
)

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text, default_repo=""):
    """Render untrusted markdown through the one sanitizing renderer.

    `{{ text|markdown:meeting.series.github_repo }}` links a bare "#123" to that
    repository.
    """
    return render_markdown(text or "", default_repo or "")


@register.filter
def snippet(text, query=""):
    """A search result's snippet, escaped, with the matched words marked."""
    return highlight_snippet(text or "", (query or "").split())


@register.filter(name="markdown_inline")
def markdown_inline_filter(text, default_repo=""):
    """Render a one-line title's inline markdown (links, code, emphasis), safely."""
    return render_inline(text or "", default_repo or "")


@register.filter(name="markdown_text")
def markdown_text_filter(text, default_repo=""):
    """The plain visible text of rendered markdown, for an attribute (autoescaped)."""
    return markdown_to_text(text or "", default_repo or "")


@register.filter(name="markdown_inline_text")
def markdown_inline_text_filter(text, default_repo=""):
    """A title's visible text without its markup: for a title inside a link."""
    return markdown_to_text(text or "", default_repo or "", inline=True)
