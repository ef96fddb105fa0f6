"""The one markdown renderer: CommonMark + GFM -> HTML -> nh3 allow-list.

Everything a person typed goes through `render_markdown` (blocks) or
`render_inline` (one-line titles) before it reaches a page, the admin preview
(markdownx is pointed here in settings), the live notes or a feed. Nothing else in
Callbook turns markdown into HTML.

The dialect is the one communities write for GitHub and the importer parses:
markdown-it-py's CommonMark with the GFM extensions from mdit-py-plugins (tables,
strikethrough, task lists, footnotes, alerts) and GFM's autolinks of bare
addresses. Those and GitHub references (`org/repo#123`, `#123` against a series'
default repository, full issue and pull-request URLs, `@handle`) become links in
the parsed token stream, so they are never looked for inside code or inside an
existing link; the HTML they produce goes through the same nh3 allow-list as
everything else, last.

Rendering is linear in the input (markdown-it-py has no backtracking parser), and
every field that is rendered has a bounded length (MARKDOWN_MAX_CHARS); a text past
RENDER_MAX_CHARS (only possible for data written around the validators) is shown
as escaped plain text instead of being parsed.
"""

import functools
import hashlib
import re
import threading
from html import unescape

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.gfm import gfm_plugin

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
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "section",
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
# What a title may hold: one line of text, links, code and emphasis.
INLINE_TAGS = {
    "a",
    "abbr",
    "b",
    "br",
    "code",
    "del",
    "em",
    "i",
    "ins",
    "kbd",
    "mark",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "ol": {"start"},
    "input": {"checked"},
}
# A task list's box, whatever the text wrote: a checkbox nobody can tick, named
# for screen readers (there is no <label>).
FORCED_ATTRIBUTES = {
    "input": {"type": "checkbox", "disabled": "", "aria-label": "task"},
}
# An <input> as nh3 writes it. nh3 adds the forced attributes in a random order
# (a Rust HashMap, seeded per call), so the same text gave different bytes from
# one render to the next. nh3 escapes every '"' inside an attribute value and
# every '<' in text, so this only ever matches a real tag.
_INPUT_TAG_RE = re.compile(r'<input((?: [a-z-]+="[^"]*")*)>')
_ATTRIBUTE_RE = re.compile(r' ([a-z-]+)="[^"]*"')
# No javascript:, data:, vbscript: or any other scheme that can run code.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# The version of what render_markdown and render_inline produce. HTML is stored
# beside each markdown field (meetings.models.RenderedMarkdown) under a key made
# from this number and the texts it was rendered from: raise it whenever a change
# here alters the output, and every stored HTML is rendered again when next read.
RENDERER_VERSION = 2

# Model and form validators bound every rendered field to this (see
# meetings.models.validate_markdown_length); proposals have a tighter form limit.
MARKDOWN_MAX_CHARS = 100_000
# A defence in depth for text that never went through a validator (raw SQL, an old
# row): longer than this, it is shown escaped, unparsed.
RENDER_MAX_CHARS = 2 * MARKDOWN_MAX_CHARS

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
# Issue numbers fit the database's positive integer.
_NUMBER = r"[1-9][0-9]{0,8}"
# A full issue or pull-request URL, optionally pointing at a comment: shown as
# owner/repo#123, as GitHub does.
ISSUE_URL_RE = re.compile(
    rf"https?://(?:www\.)?github\.com/(?P<owner>{_OWNER})/(?P<repo>{_REPO})"
    rf"/(?:issues|pull)/(?P<number>{_NUMBER})(?:#[A-Za-z0-9_-]+)?"
)
# One scan finds everything plain text turns into a link. Every alternative starts
# with a literal or a look-behind that fails inside a run, so the scan is linear.
LINKABLE_RE = re.compile(
    # GFM autolinks: a bare web address up to white space or "<" (trimmed below).
    r"(?<![\w@/.:-])(?P<web>(?:https?://|www\.)[^\s<]+)"
    # ... and a bare e-mail address.
    r"|(?<![\w.+@/:-])(?P<email>[A-Za-z0-9._+-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)"
    # org/repo#123, not inside a path or a longer word.
    rf"|(?<![\w/.#@-])(?P<owner>{_OWNER})/(?P<repo>{_REPO})#(?P<number>{_NUMBER})"
    r"(?![0-9A-Za-z_])"
    # #123 against the default repository.
    rf"|(?<![\w/&#-])#(?P<short_number>{_NUMBER})(?![0-9A-Za-z_])"
    # @handle, not an e-mail address.
    r"|(?<![\w.@/`-])@(?P<handle>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})(?![A-Za-z0-9-])"
)
_DOMAIN_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_TRAILING_PUNCTUATION = "?!.,:*_~'\""
# What a rendered issue or pull-request link looks like, whatever wrote it.
ISSUE_HREF_RE = re.compile(
    rf'href="https?://(?:www\.)?github\.com/(?P<owner>{_OWNER})/(?P<repo>{_REPO})'
    rf"/(?:issues|pull)/(?P<number>{_NUMBER})(?![0-9])"
)
GITHUB_REPO_RE = re.compile(rf"^(?P<owner>{_OWNER})/(?P<repo>{_REPO})$")
# Raw HTML that opens or closes a link, typed inline: no reference inside it.
_HTML_A_OPEN_RE = re.compile(r"^<a[\s>]", re.IGNORECASE)
_HTML_A_CLOSE_RE = re.compile(r"^</a\s*>", re.IGNORECASE)
# C0 controls and DEL, except tab, newline and carriage return: XML 1.0 cannot
# carry them and no one means to type them.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(text: str) -> str:
    """`text` without the control characters that XML and HTML cannot carry."""
    return CONTROL_CHARS_RE.sub("", text or "")


def _trim_autolink(url: str) -> str:
    """A bare address without what GFM leaves outside it: trailing punctuation,
    an unbalanced ")" and a trailing entity reference. Linear in the address."""
    end = len(url)
    unbalanced = url.count(")") - url.count("(")
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCTUATION:
            end -= 1
        elif last == ")" and unbalanced > 0:
            end -= 1
            unbalanced -= 1
        elif last == ";":
            start = end - 1
            while start and url[start - 1].isascii() and url[start - 1].isalnum():
                start -= 1
            if start == end - 1 or not start or url[start - 1] != "&":
                break
            end = start - 1
        else:
            break
    return url[:end]


def _linkable(match: re.Match, default_repo: str) -> tuple[int, str, str] | None:
    """(end, href, label) of one linkable match, or None when it is no link."""
    if match.group("web"):
        url = _trim_autolink(match.group("web"))
        host = url.split("://", 1)[1] if "://" in url else url
        domain = _DOMAIN_RE.match(host)
        if not domain or (url.startswith("www.") and "." not in domain.group(0)[4:]):
            return None
        end = match.start() + len(url)
        issue = ISSUE_URL_RE.fullmatch(url)
        if issue:
            owner, repo, number = issue.group("owner", "repo", "number")
            return end, url, f"{owner}/{repo}#{number}"
        href = url if "://" in url else f"http://{url}"
        return end, href, url
    if match.group("email"):
        email = match.group("email")
        if email[-1] in "-_":
            return None
        return match.end(), f"mailto:{email}", email
    if match.group("owner"):
        owner, repo, number = match.group("owner", "repo", "number")
        href = f"https://github.com/{owner}/{repo}/issues/{number}"
        return match.end(), href, match.group(0)
    if match.group("short_number"):
        if not default_repo:
            return None
        href = f"https://github.com/{default_repo}/issues/{match.group('short_number')}"
        return match.end(), href, match.group(0)
    return match.end(), f"https://github.com/{match.group('handle')}", match.group(0)


def _link_text(text: str, default_repo: str, level: int) -> list[Token]:
    """`text` as text and link tokens: one link per address or GitHub reference."""
    tokens: list[Token] = []
    position = 0
    for match in LINKABLE_RE.finditer(text):
        if match.start() < position:
            continue
        link = _linkable(match, default_repo)
        if link is None:
            continue
        end, href, label = link
        if match.start() > position:
            tokens.append(_text_token(text[position : match.start()], level))
        opening = Token("link_open", "a", 1, level=level)
        opening.attrs = {"href": href}
        tokens += [opening, _text_token(label, level + 1)]
        tokens.append(Token("link_close", "a", -1, level=level))
        position = end
    if not tokens:
        return []
    if position < len(text):
        tokens.append(_text_token(text[position:], level))
    return tokens


def _text_token(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


def autolink_rule(state: StateCore) -> None:
    """Link bare addresses and GitHub references in plain text, never in code or
    inside a link (a markdown link, an <autolink> or a raw <a>)."""
    default_repo = state.env.get("default_repo", "")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link = max(0, in_link - 1)
            elif token.type == "html_inline":
                if _HTML_A_OPEN_RE.match(token.content):
                    in_link += 1
                elif _HTML_A_CLOSE_RE.match(token.content):
                    in_link = max(0, in_link - 1)
            elif token.type == "text" and not in_link:
                linked = _link_text(token.content, default_repo, token.level)
                if linked:
                    children += linked
                    continue
            children.append(token)
        block.children = children


def _parser(html: bool = True) -> MarkdownIt:
    """A CommonMark + GFM parser with GitHub references, one per thread.

    `html=False` (titles) shows typed HTML as text instead of passing it on.
    """
    key = "html" if html else "text"
    parser = _parsers.__dict__.get(key)
    if parser is None:
        parser = MarkdownIt("commonmark", {"html": html})
        # GFM's tables, strikethrough, task lists, alerts and footnotes from the
        # plugin; its autolink scanner is swapped for autolink_rule, whose look-back
        # over the pending text made a long run of "http:" quadratic.
        parser.use(gfm_plugin)
        for rule in ("gfm_autolink_www", "gfm_autolink_protocol", "gfm_autolink_email"):
            parser.inline.ruler.disable(rule)
        # Before text_join: a backslash escape or an entity ("\\#12", "&#35;12")
        # is still its own token then, and keeps what it escapes from linking.
        parser.core.ruler.before("text_join", "autolinks", autolink_rule)
        # Every link stays a link, whatever its scheme: nh3 drops a dangerous
        # href afterwards, so "[x](javascript:...)" shows "x", not its source.
        parser.validateLink = lambda url: True
        setattr(_parsers, key, parser)
    return parser


_parsers = threading.local()


def _attributes_in_order(match: re.Match) -> str:
    """The same <input> with its attributes sorted by name: only their order
    changes, never what they are."""
    attributes = sorted(
        _ATTRIBUTE_RE.finditer(match.group(1)), key=lambda found: found.group(1)
    )
    return "<input" + "".join(found.group(0) for found in attributes) + ">"


def sanitize_html(html: str, tags: set[str] = ALLOWED_TAGS) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes, in an order
    that is the same on every render (stored HTML, ETags)."""
    clean = nh3.clean(
        html,
        tags=tags,
        attributes={
            tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag in tags
        },
        set_tag_attribute_values={
            tag: values for tag, values in FORCED_ATTRIBUTES.items() if tag in tags
        },
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    if "<input" not in clean:
        return clean
    return _INPUT_TAG_RE.sub(_attributes_in_order, clean)


def _valid_default_repo(default_repo: str) -> str:
    return default_repo if GITHUB_REPO_RE.match(default_repo or "") else ""


def render_markdown(
    text: str, default_repo: str = "", definitions: str = ""
) -> SafeString:
    """Render untrusted markdown to HTML that is safe to put in a page.

    `default_repo` ("owner/name") is what a bare "#123" refers to; without it a bare
    number stays text. `definitions` are link reference definitions
    ("[name]: https://...") that the text may use without holding them: a call's
    notes are stored in several fields, and a file defines its links once, at the end.
    """
    if not text:
        return mark_safe("")
    if len(text) > RENDER_MAX_CHARS:
        return mark_safe(f"<pre>{escape(text)}</pre>")
    if len(text) > MEMO_MAX_CHARS:
        return mark_safe(_render(text, default_repo, definitions))
    return mark_safe(_render_memo(text, default_repo, definitions))


def render_inline(
    text: str, default_repo: str = "", definitions: str = ""
) -> SafeString:
    """Render one line of untrusted markdown (a title): links, code, emphasis.

    No block is parsed ("1. Intro" stays text, not a list), and only inline tags
    survive the sanitizer.
    """
    if not text:
        return mark_safe("")
    if len(text) > MEMO_MAX_CHARS:
        return escape(text)
    return mark_safe(_render_inline_memo(text, default_repo, definitions))


def render_key(default_repo: str, definitions: str, *texts: str) -> str:
    """What stored HTML was rendered from: the renderer's version and a digest of
    the texts and their context. Stored HTML whose key differs is stale."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (default_repo, definitions, *texts):
        digest.update((part or "").encode())
        # A separator no text holds (control characters are refused), so moving
        # text from one field to the next changes the key.
        digest.update(b"\x00")
    return f"{RENDERER_VERSION}:{digest.hexdigest()}"


def html_to_text(html: str) -> str:
    """The visible text of HTML the renderer produced, whitespace collapsed."""
    plain = nh3.clean(str(html), tags=set(), strip_comments=True)
    return " ".join(unescape(plain).split())


def markdown_to_text(text: str, default_repo: str = "", inline: bool = False) -> str:
    """The visible text of rendered markdown, whitespace collapsed: for an
    attribute (<meta>) or inside a link. The caller escapes it (autoescape)."""
    html = (render_inline if inline else render_markdown)(text, default_repo)
    plain = nh3.clean(str(html), tags=set(), strip_comments=True)
    # nh3 leaves entities escaped; the caller escapes again for its attribute.
    return " ".join(unescape(plain).split())


# Rendering is a pure function of (text, default_repo), and a page renders the same
# notes again and again: remember recent results (per process; nothing another app
# server would need). Long texts are rendered every time to bound the memory.
MEMO_MAX_CHARS = 20_000
MEMO_ENTRIES = 2048


def _env(default_repo: str, definitions: str) -> dict:
    env: dict = {"default_repo": _valid_default_repo(default_repo)}
    if definitions:
        # A copy: the parser adds the text's own definitions to this dict.
        env["references"] = dict(_references(definitions))
    return env


@functools.lru_cache(maxsize=256)
def _references(definitions: str) -> dict:
    """Link reference definitions, parsed once, as markdown-it keeps them."""
    env: dict = {}
    _parser().parse(definitions[:RENDER_MAX_CHARS], env)
    return env.get("references", {})


def _render(text: str, default_repo: str, definitions: str = "") -> str:
    return sanitize_html(_parser().render(text, _env(default_repo, definitions)))


def _render_inline(text: str, default_repo: str, definitions: str = "") -> str:
    line = " ".join(text.split())
    html = _parser(html=False).renderInline(line, _env(default_repo, definitions))
    return sanitize_html(html, INLINE_TAGS)


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _render_memo(text: str, default_repo: str, definitions: str = "") -> str:
    return _render(text, default_repo, definitions)


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _render_inline_memo(text: str, default_repo: str, definitions: str = "") -> str:
    return _render_inline(text, default_repo, definitions)


# "[name]: destination" on a line of its own (not a footnote "[^1]:").
LINK_DEFINITION_RE = re.compile(
    r"^ {0,3}\[(?!\^)[^\]\n]{1,999}\]:[ \t]*\S[^\n]*$", re.M
)


def link_definitions(*texts: str) -> str:
    """Every link reference definition line in `texts`, one a line."""
    return "\n".join(
        match.group(0).strip()
        for text in texts
        if text and "]:" in text
        for match in LINK_DEFINITION_RE.finditer(text)
    )


def github_references(text: str, default_repo: str = "") -> set[tuple[str, str, int]]:
    """The (owner, repo, number) of every issue or PR the rendered text links to.

    Read from the parsed tokens (links, and raw HTML that the page would show), not
    from rendered HTML: the importer asks this of every call it stores.
    """
    if not text or len(text) > RENDER_MAX_CHARS:
        return set()
    env = {"default_repo": _valid_default_repo(default_repo)}
    found = []
    for block in _parser().parse(text, env):
        if block.type == "html_block":
            found.append(block.content)
        for token in block.children or ():
            if token.type == "link_open":
                found.append(f'href="{token.attrGet("href")}"')
            elif token.type == "html_inline":
                found.append(token.content)
    return {
        (m.group("owner"), m.group("repo"), int(m.group("number")))
        for m in ISSUE_HREF_RE.finditer("\n".join(found))
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
    return mark_safe(
        "".join(
            f"<mark>{escape(part)}</mark>" if index % 2 else escape(part)
            for index, part in enumerate(parts)
        )
    )
