"""The one markdown renderer: markdown -> HTML -> nh3 allow-list.

Everything a person typed goes through `render_markdown` before it reaches a page,
the admin preview (markdownx is pointed here in settings) or a feed. Nothing else in
Callbook turns markdown into HTML.
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "ol": {"start"},
}
# No javascript:, data:, vbscript: or any other scheme that can run code.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """Render untrusted markdown to HTML that is safe to put in a page."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty string
    html = markdown_lib.markdown(text, extensions=MARKDOWN_EXTENSIONS)
    return mark_safe(sanitize_html(html))  # noqa: S308 - sanitized just above
