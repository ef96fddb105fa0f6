from django import template

from meetings.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render untrusted markdown through the one sanitizing renderer."""
    return render_markdown(text or "")
