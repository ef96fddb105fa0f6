"""The one markdown renderer: markdown -> HTML -> nh3 allow-list.

Everything a person typed goes through `render_markdown` before it reaches a page,
the admin preview (markdownx is pointed here in settings) or a feed. Nothing else in
Callbook turns markdown into HTML.

GitHub references (`org/repo#123`, `#123` against a series' default repository, full
issue and pull-request URLs, `@handle`) become links while the markdown is parsed, so
they are never looked for inside code or inside an existing link; the HTML they
produce goes through the same nh3 allow-list as everything else, last.
"""

import functools
import re
import threading
import xml.etree.ElementTree as etree

import markdown as markdown_lib
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
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

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
# Issue numbers fit the database's positive integer.
_NUMBER = r"[1-9][0-9]{0,8}"
GITHUB_REFERENCE_RE = (
    # A full issue or pull-request URL, optionally pointing at a comment.
    rf"(?P<url>https?://(?:www\.)?github\.com/(?P<url_owner>{_OWNER})/"
    rf"(?P<url_repo>{_REPO})/(?:issues|pull)/(?P<url_number>{_NUMBER})"
    r"(?:#[A-Za-z0-9_-]+)?)(?![0-9])"
    # org/repo#123, not inside a path or a longer word.
    rf"|(?<![\w/.#@-])(?P<owner>{_OWNER})/(?P<repo>{_REPO})#(?P<number>{_NUMBER})"
    r"(?![0-9A-Za-z_])"
    # #123 against the default repository.
    rf"|(?<![\w/&#-])#(?P<short_number>{_NUMBER})(?![0-9A-Za-z_])"
    # @handle, not an e-mail address.
    r"|(?<![\w.@/`-])@(?P<handle>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})(?![A-Za-z0-9-])"
)
# What a rendered issue or pull-request link looks like, whatever wrote it.
ISSUE_HREF_RE = re.compile(
    rf'href="https?://(?:www\.)?github\.com/(?P<owner>{_OWNER})/(?P<repo>{_REPO})'
    rf"/(?:issues|pull)/(?P<number>{_NUMBER})(?![0-9])"
)
GITHUB_REPO_RE = re.compile(rf"^(?P<owner>{_OWNER})/(?P<repo>{_REPO})$")


class GitHubReferenceProcessor(InlineProcessor):
    """Turn one GitHub reference in running text into a link."""

    # Never a link inside a link ([see #1](...)); code spans are atomic already.
    ANCESTOR_EXCLUDES = ("a",)

    def __init__(self, pattern: str, md, default_repo: str):
        super().__init__(pattern, md)
        self.default_repo = default_repo

    def handleMatch(self, m, data):  # Python-Markdown's API names it so
        if m.group("url"):
            href = m.group("url")
            text = (
                f"{m.group('url_owner')}/{m.group('url_repo')}#{m.group('url_number')}"
            )
        elif m.group("owner"):
            owner, repo, number = m.group("owner", "repo", "number")
            href = f"https://github.com/{owner}/{repo}/issues/{number}"
            text = m.group(0)
        elif m.group("short_number"):
            if not self.default_repo:
                return None, None, None
            number = m.group("short_number")
            href = f"https://github.com/{self.default_repo}/issues/{number}"
            text = m.group(0)
        else:
            href = f"https://github.com/{m.group('handle')}"
            text = m.group(0)
        link = etree.Element("a", {"href": href})
        link.text = text
        return link, m.start(0), m.end(0)


class GitHubReferenceExtension(Extension):
    def __init__(self, default_repo: str = ""):
        super().__init__()
        self.default_repo = default_repo

    def extendMarkdown(self, md):
        # Last of all inline patterns, so code, links and escapes are settled.
        md.inlinePatterns.register(
            GitHubReferenceProcessor(GITHUB_REFERENCE_RE, md, self.default_repo),
            "github_reference",
            5,
        )


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


def _valid_default_repo(default_repo: str) -> str:
    return default_repo if GITHUB_REPO_RE.match(default_repo or "") else ""


def render_markdown(text: str, default_repo: str = "") -> SafeString:
    """Render untrusted markdown to HTML that is safe to put in a page.

    `default_repo` ("owner/name") is what a bare "#123" refers to; without it a bare
    number stays text.
    """
    if not text:
        return mark_safe("")
    if len(text) > MEMO_MAX_CHARS:
        return mark_safe(_render(text, default_repo))  # sanitized by nh3
    return mark_safe(_render_memo(text, default_repo))  # sanitized by nh3


# Rendering is a pure function of (text, default_repo), and a page renders the same
# notes again and again: remember recent results (per process; nothing another app
# server would need). Long texts are rendered every time to bound the memory.
MEMO_MAX_CHARS = 20_000
MEMO_ENTRIES = 2048
_converters = threading.local()


def _converter(default_repo: str) -> markdown_lib.Markdown:
    """A Markdown instance per thread and default repository: building one (loading
    its extensions) cost a third of a render."""
    converters = _converters.__dict__.setdefault("by_repo", {})
    if default_repo not in converters:
        converters[default_repo] = markdown_lib.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, GitHubReferenceExtension(default_repo)]
        )
    return converters[default_repo]


def _render(text: str, default_repo: str) -> str:
    converter = _converter(_valid_default_repo(default_repo))
    converter.reset()
    return sanitize_html(converter.convert(text))


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _render_memo(text: str, default_repo: str) -> str:
    return _render(text, default_repo)


def github_references(text: str, default_repo: str = "") -> set[tuple[str, str, int]]:
    """The (owner, repo, number) of every issue or PR the rendered text links to."""
    html = render_markdown(text, default_repo)
    return {
        (m.group("owner"), m.group("repo"), int(m.group("number")))
        for m in ISSUE_HREF_RE.finditer(html)
    }


# Sentinels PostgreSQL's ts_headline puts around matches; control characters that
# typed text does not contain, so the snippet can be escaped as a whole first.
HEADLINE_START = "\x02"
HEADLINE_STOP = "\x03"


def highlight_snippet(snippet: str, terms: list[str] | None = None) -> SafeString:
    """Escape a plain-text search snippet and wrap its matches in <mark>.

    Matches are either marked by the database with the sentinels above, or (the
    SQLite fallback) found here case-insensitively from `terms`.
    """
    snippet = snippet or ""
    if HEADLINE_START in snippet:
        parts = re.split(f"{HEADLINE_START}(.*?){HEADLINE_STOP}", snippet)
        html = "".join(
            f"<mark>{escape(part)}</mark>" if index % 2 else escape(part)
            for index, part in enumerate(parts)
        )
        return mark_safe(html.replace(HEADLINE_START, "").replace(HEADLINE_STOP, ""))
    terms = [term for term in (terms or []) if term]
    if not terms:
        return escape(snippet)
    pattern = re.compile(
        "(" + "|".join(re.escape(term) for term in terms) + ")", re.IGNORECASE
    )
    parts = pattern.split(snippet)
    return mark_safe(  # every part escaped
        "".join(
            f"<mark>{escape(part)}</mark>" if index % 2 else escape(part)
            for index, part in enumerate(parts)
        )
    )
