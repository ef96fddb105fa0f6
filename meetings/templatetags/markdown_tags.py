from django import template

from meetings.markdown import highlight_snippet, render_markdown

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
