"""The shape of a call's notes, shared by the markdown importer and exporter.

Three things live here so that reading and writing notes cannot drift apart:

- the vocabulary communities use for sections, labels and links ("Who joined",
  "Attendees", "**MC Next Call**:", "[Zoom Link](...)") and the date forms found in
  headings ("2020-09-16", "2023-8-2", "2020-Jan-28", "4th Sept 2019");
- `CallData`, a plain description of one call that the exporter renders and the
  importer builds, with the canonical lines for people and links;
- the lossless check: every non-blank source line, reduced to its content (words,
  numbers and URLs, without list markers, markup, section labels or template
  placeholders), must be found in the export of the meeting it went to.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from people.parsing import GITHUB_URL_RE

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_SUFFIX = r"(?:st|nd|rd|th)?"
DATE_PATTERNS = [
    # 2020-09-16, unpadded 2023-8-2, 2020/09/16
    ("ymd", re.compile(r"(?<![\d-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")),
    # 2020-Jan-28
    ("ybd", re.compile(rf"(?<!\d)(\d{{4}})-({_MONTH})\.?-(\d{{1,2}})(?!\d)", re.I)),
    # 4th Sept 2019, 6 June 2019, 30th of Oct, 2019
    (
        "dby",
        re.compile(
            rf"(?<![\w])(\d{{1,2}}){_DAY_SUFFIX}\s+(?:of\s+)?({_MONTH})\b\.?,?\s+(\d{{4}})(?!\d)",
            re.I,
        ),
    ),
    # January 15, 2025 / Dec 1st, 2020
    (
        "bdy",
        re.compile(
            rf"(?<![\w])({_MONTH})\b\.?\s+(\d{{1,2}}){_DAY_SUFFIX},?\s+(\d{{4}})(?!\d)",
            re.I,
        ),
    ),
]
WEEKDAY_RE = re.compile(
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?,?", re.I
)


@dataclass(frozen=True)
class DateMatch:
    """A calendar date found in a line of text, and where."""

    date: dt.date
    start: int
    end: int


def _make_date(kind: str, groups: tuple[str, ...]) -> dt.date | None:
    try:
        if kind == "ymd":
            year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
        elif kind == "ybd":
            year, month, day = (
                int(groups[0]),
                MONTHS[groups[1].lower()],
                int(groups[2]),
            )
        elif kind == "dby":
            day, month, year = (
                int(groups[0]),
                MONTHS[groups[1].lower()],
                int(groups[2]),
            )
        else:
            month, day, year = (
                MONTHS[groups[0].lower()],
                int(groups[1]),
                int(groups[2]),
            )
        if not 1900 <= year <= 2200:
            return None
        return dt.date(year, month, day)
    except (KeyError, ValueError):
        return None


def find_dates(text: str) -> list[DateMatch]:
    """Every full date (with a year) in `text`, left to right, never overlapping."""
    found: list[DateMatch] = []
    for kind, pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            day = _make_date(kind, match.groups())
            if day is None:
                continue
            if any(m.start < match.end() and match.start() < m.end for m in found):
                continue
            found.append(DateMatch(day, match.start(), match.end()))
    return sorted(found, key=lambda m: m.start)


def first_date(text: str) -> DateMatch | None:
    dates = find_dates(text)
    return dates[0] if dates else None


def is_date_only(text: str) -> bool:
    """True for a line that is nothing but a date ("30th Oct 2019", "Wed 2020-1-8")."""
    match = first_date(text)
    if match is None:
        return False
    rest = text[: match.start] + text[match.end :]
    rest = WEEKDAY_RE.sub(" ", rest)
    return not re.sub(r"[\s*_#:,.()\-–—]+", "", rest)


def remove_dates(text: str) -> str:
    for match in reversed(find_dates(text)):
        text = text[: match.start] + " " + text[match.end :]
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------
# Vocabulary: sections, labels, links, placeholders
# ---------------------------------------------------------------------------

# Each role a section can play, in the words of one community's template: a
# *profile*. Falco's template is one profile; "minutes" holds the words of
# committee and working-group minutes. A heading is classified by every profile
# (a community may mix them), then by a community's own mapping (`--profile`).
ROLES = (
    "mc",
    "attendees",
    "absent",
    "highlights",
    "agenda",
    "decisions",
    "actions",
    "closing",
    "next_mc",
    "next_release",
    "recording",
    "links",
    "notes",
)
PROFILES: dict[str, dict[str, set[str]]] = {
    "falco": {
        "mc": {
            "mc",
            "master of ceremonies",
            "host",
            "facilitator",
            "moderator",
            "emcee",
        },
        "attendees": {
            "who joined",
            "attendees",
            "attendance",
            "present",
            "participants",
            "people present",
            "who is here",
            "who's here",
            "joined",
            "roll call",
        },
        "highlights": {
            "this week highlights",
            "this week's highlights",
            "this weeks highlights",
            "weekly highlights",
            "highlights",
            "latest news",
            "news",
            "announcements",
        },
        "agenda": {
            "agenda",
            "proposals",
            "proposals/issues",
            "proposals / issues",
            "proposals/discussions",
            "proposals / discussions",
            "topics",
            "discussion topics",
        },
        "actions": {
            "action items",
            "action item",
            "actions",
            "action",
            "todo",
            "todos",
            "to do",
            "to-do",
        },
        "closing": {"closing", "wrap up", "wrap-up", "closing notes"},
        "next_mc": {
            "mc next call",
            "next mc",
            "next week mc",
            "mc next week",
            "next call mc",
            "mc for next call",
            "mc for the next call",
        },
        "next_release": {"next release"},
        "recording": {"recording", "recordings", "video recording"},
        "links": {"links", "useful links", "meeting links"},
        "notes": {"notes", "free notes", "other notes", "meeting notes", "minutes"},
    },
    "minutes": {
        "mc": {"chair", "chairperson", "chaired by", "host", "convener"},
        "attendees": {
            "in attendance",
            "members present",
            "attending",
            "attendees present",
            "present members",
            "participants present",
        },
        "absent": {
            "absent",
            "apologies",
            "regrets",
            "not present",
            "absentees",
            "unable to attend",
            "apologies for absence",
            "excused",
            "absent members",
            "members absent",
        },
        "agenda": {"agenda items", "items for discussion", "discussion items"},
        "decisions": {
            "decisions",
            "decision",
            "resolutions",
            "decisions made",
            "outcomes",
            "resolved",
            "agreed",
        },
        "actions": {
            "next steps",
            "follow-ups",
            "follow ups",
            "follow-up",
            "action points",
            "actions arising",
            "tasks",
        },
        "next_mc": {"next chair", "chair next meeting", "next facilitator"},
        "recording": {
            "video",
            "audio",
            "youtube",
            "youtube feed",
            "video feed",
            "livestream",
            "live stream",
            "audio recording",
            "replay",
            "watch",
        },
        "links": {"resources", "references", "meeting links and resources"},
        "notes": {"minutes of the meeting", "discussion notes", "meeting minutes"},
    },
}
# Kept for readers of the old name: every profile's words, merged.
SECTION_WORDS: dict[str, set[str]] = {
    role: set().union(*(profile.get(role, set()) for profile in PROFILES.values()))
    for role in ROLES
}
# A role word followed by one of these starts a longer label of that role:
# "Notes from the meeting", "Action items for next week".
_ROLE_TAIL_RE = re.compile(r"^(?:from|for|of|and|on|in|at|to)\b", re.I)


@dataclass(frozen=True)
class Vocabulary:
    """The heading words of every profile, plus a community's own mapping."""

    custom: tuple[tuple[str, str], ...] = ()

    def classify(self, text: str) -> tuple[str | None, str]:
        """(role, profile) of a heading or label's text; (None, "") if unknown."""
        return _classify(_normalize_label(text), self.custom)


DEFAULT_VOCABULARY = Vocabulary()


def load_profile(text: str) -> Vocabulary:
    """A community's mapping, one `heading text: role` (or `=`) a line.

    JSON (`{"heading": "role"}`) is read too. Unknown roles are refused with
    their line, so a typo is not silently ignored.
    """
    import json

    pairs: list[tuple[str, str]] = []
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"profile is not valid JSON: {exc}") from exc
        items = [(str(k), str(v), 0) for k, v in raw.items()]
    else:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.rpartition(":")
            if not sep:
                key, sep, value = line.rpartition("=")
            if not sep or not key.strip():
                raise ValueError(f"profile line {number}: expected 'heading: role'")
            items.append((key, value, number))
    for key, value, number in items:
        role = value.strip().lower().replace(" ", "_")
        if role not in (*ROLES, "topic", "ignore"):
            where = f"line {number}: " if number else ""
            raise ValueError(
                f"profile {where}unknown role {value.strip()!r} (one of: "
                f"{', '.join((*ROLES, 'topic', 'ignore'))})"
            )
        pairs.append((_normalize_label(key), role))
    return Vocabulary(tuple(pairs))


@lru_cache(maxsize=20_000)
def _classify(
    label: str, custom: tuple[tuple[str, str], ...]
) -> tuple[str | None, str]:
    if not label or len(label) > 80:
        return None, ""
    base = re.sub(r"\s*\([^()]*\)$", "", label).strip().strip(":").strip()
    for candidate in (label, base):
        for key, role in custom:
            if candidate == key:
                return role, "custom"
    for candidate in (label, base):
        for name, profile in PROFILES.items():
            for kind, words in profile.items():
                if candidate in words:
                    return kind, name
    if re.split(r"\s*/\s*", base)[0] == "agenda":
        return "agenda", "falco"
    # "Notes from the meeting", "Action items for next week": a role's words
    # then a preposition.
    for name, profile in PROFILES.items():
        for kind, words in profile.items():
            for word in words:
                if (
                    len(word) > 3
                    and base.startswith(word + " ")
                    and _ROLE_TAIL_RE.match(base[len(word) + 1 :])
                ):
                    return kind, name
    return None, ""


LINK_KINDS: dict[str, set[str]] = {
    "info": {
        "more information",
        "more info",
        "information",
        "info",
        "website",
        "homepage",
        "details",
        "community",
    },
    "video": {
        "zoom link",
        "zoom",
        "video call",
        "call link",
        "meeting link",
        "join",
        "join the call",
        "meet",
        "google meet",
        "jitsi",
        "video conference",
        "conference link",
        "dial in",
        "webex",
    },
    "recording": {
        "recording",
        "recordings",
        "video",
        "youtube",
        "play",
        "on youtube",
        "watch",
        "video recording",
        "replay",
        "audio",
        "audio recording",
        "youtube feed",
        "video feed",
        "livestream",
        "live stream",
        "podcast",
    },
    "other": {"minutes", "notes", "agenda", "slides", "hackmd", "document", "doc"},
}
LINK_LABELS = set().union(*LINK_KINDS.values())
LINK_RENDER_LABELS = {
    "info": "More Information",
    "video": "Video call",
    "recording": "Recording",
}

PLACEHOLDER_NAMES = {"your name", "name", "your-handle", "handle", "your handle"}
PLACEHOLDER_URLS = {
    "",
    "https://",
    "http://",
    "https:",
    "https://github.com",
    "https://github.com/",
    "#",
    "url",
    "link",
}

_EMPHASIS_RE = re.compile(r"[*_~`]+")


def _normalize_label(text: str) -> str:
    text = _EMPHASIS_RE.sub("", text)
    text = text.replace("\u2019", "'")
    text = re.sub(r"\s+", " ", text).strip().strip(":").strip().lower()
    return text


def classify_label(
    text: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> str | None:
    """The section kind a heading or bold label names, or None.

    Tolerates case, emphasis, a trailing colon and the template suffixes seen in
    real notes: "Agenda (Please add any items you would like to discuss here)",
    "Agenda / Open Discussion".
    """
    kind = vocabulary.classify(text)[0]
    return None if kind in ("topic", "ignore") else kind


def classify_link(label: str) -> str | None:
    label = _normalize_label(label)
    for kind, words in LINK_KINDS.items():
        if label in words:
            return kind
    return None


def is_placeholder_url(url: str) -> bool:
    url = url.strip().strip("<>").strip()
    if url.lower() in PLACEHOLDER_URLS:
        return True
    return bool(re.fullmatch(r"https?://(?:www\.)?github\.com/your-handle/?", url))


# Leading markers that carry no content: blockquotes, list markers (possibly
# nested on one line, "1. - Ann"), task checkboxes and ATX heading marks.
_LEAD_RE = re.compile(r"^\s*(?:>\s*|[-*+]\s+|\d{1,9}[.)]\s+|\[[ xX]\]\s+)+")
# Any indentation: content is compared blind to whitespace, so "    ## Links" (code)
# and "## Links" (a heading) reduce alike.
_HEADING_RE = re.compile(r"^\s*(#{1,6})(?:\s+|$)(.*?)(?:\s+#+\s*)?$")
BOLD_LABEL_RE = re.compile(
    r"^(?:\*\*|__)\s*(?P<label>[^*_\n]{1,60}?)\s*:?\s*(?:\*\*|__)\s*:?\s*"
)
PLAIN_LABEL_RE = re.compile(r"^(?P<label>[A-Za-z][\w' /-]{0,40}?)\s*:(?:\s+|$)")
# "[text][id]", "[text][]" and "[text]" (a shortcut): reference-style links. The
# bracketed parts are bounded and bracket-free, so matching is linear. A colon may
# follow a full reference ("based on [x][id]:"), never a shortcut ("[id]: url" is
# a definition).
REF_LINK_RE = re.compile(
    r"(?<!\\)(!?)\[([^\[\]\n]{1,300})\]"
    r"(?:\[([^\[\]\n]{0,300})\](?![(\[])|(?![(:\[]))"
)
# "[id]: https://..." defines a reference; the id is layout, the URL content.
# Any indent: a definition indented 4+ spaces after another one is a paragraph's
# continuation line, still a definition to markdown-it, and exported unindented.
REF_DEF_RE = re.compile(r"^[ \t]*\[([^\[\]\n]{1,300})\]:[ \t]*<?([^\s<>]+)>?")
MD_LINK_RE = re.compile(
    r"!?\[(?P<label>[^\[\]]*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\s*(?:\"[^\"]*\")?\)"
)


def strip_markers(line: str) -> str:
    """A line without indentation, list/quote/checkbox markers or heading marks."""
    text = _LEAD_RE.sub("", line)
    heading = _HEADING_RE.match(text)
    if heading:
        text = heading.group(2)
    return text.strip()


def split_label(text: str) -> tuple[str | None, str]:
    """("next_mc", "Ann") for "**MC Next Call**: Ann"; (None, text) otherwise."""
    bold = BOLD_LABEL_RE.match(text)
    if bold:
        kind = classify_label(bold.group("label"))
        if kind:
            return kind, text[bold.end() :].strip()
    plain = PLAIN_LABEL_RE.match(text)
    if plain:
        kind = classify_label(plain.group("label"))
        if kind:
            return kind, text[plain.end() :].strip()
    return None, text


# ---------------------------------------------------------------------------
# Content tokens and the lossless check
# ---------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+|[\U0001F000-\U0001FAFF\u2600-\u27BF]")
_URL_RE = re.compile(r"<?(?:https?:/*|www\.)[^\s<>()\[\]]+>?", re.I)


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lowercase and without accents, so "Nóva" and "Nova" compare equal."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def canonical_url(url: str) -> str:
    """GitHub profile links with typos ("https:github.com/x") become one form."""
    url = url.strip().strip("<>")
    match = GITHUB_URL_RE.fullmatch(url.rstrip("/")) or GITHUB_URL_RE.fullmatch(url)
    if match:
        return f"https://github.com/{match.group('handle')}"
    return url


def _words(text: str) -> list[str]:
    out: list[str] = []
    pieces = []
    pos = 0
    for match in find_dates(text):
        pieces.append((text[pos : match.start], False))
        day = match.date
        pieces.append((f"{day.year:04d} {day.month:02d} {day.day:02d}", True))
        pos = match.end
    pieces.append((text[pos:], False))
    for piece, _is_date in pieces:
        for url_or_text in re.split(r"(" + _URL_RE.pattern + r")", piece, flags=re.I):
            if not url_or_text:
                continue
            if _URL_RE.fullmatch(url_or_text):
                url_or_text = canonical_url(url_or_text)
            out.extend(_WORD_RE.findall(fold(url_or_text)))
    return out


@lru_cache(maxsize=200_000)
def content_segments(line: str) -> tuple[tuple[str, ...], ...]:
    """The content of one line as word sequences that must survive an export.

    Text runs, link labels, URLs and dates are separate segments, so a name and its
    link may be reordered ("[Ann](url)" vs "Ann ([@ann](url))") but the words of a
    run may not. Section labels, template placeholders and link labels such as
    "Zoom Link" are layout, not content.
    """
    definition = REF_DEF_RE.match(line)
    if definition:
        url = definition.group(2)
        return (tuple(_words(canonical_url(url))),) if _words(url) else ()
    text = strip_markers(line)
    if not text or classify_label(text):
        return ()
    if "]" in text:
        # A reference-style link's text is content like an inline link's.
        text = REF_LINK_RE.sub(lambda m: f"{m.group(1)}[{m.group(2)}]()", text)
    kind, rest = split_label(text)
    if kind:
        text = rest
        if not text:
            return ()
    else:
        key = BOLD_LABEL_RE.match(text) or PLAIN_LABEL_RE.match(text)
        if key and classify_link(key.group("label")):
            # "- **Zoom**: https://..." in a list of links: the key is layout.
            text = text[key.end() :]
    if _is_placeholder_line(text):
        return ()
    segments: list[tuple[str, ...]] = []
    pos = 0

    def add_text(chunk: str) -> None:
        # Dates are compared on their own, so "Meeting 6th June 2019" matches
        # a heading "# Meeting" followed by "## 2019-06-06".
        cursor = 0
        for match in find_dates(chunk):
            words = tuple(_words(chunk[cursor : match.start]))
            if words:
                segments.append(words)
            segments.append(tuple(_words(chunk[match.start : match.end])))
            cursor = match.end
        words = tuple(_words(chunk[cursor:]))
        if words:
            segments.append(words)

    for link in MD_LINK_RE.finditer(text):
        add_text(text[pos : link.start()])
        label, url = link.group("label"), link.group("url")
        if classify_link(label) is None:
            add_text(label)
        if url and not is_placeholder_url(url):
            words = tuple(_words(canonical_url(url)))
            if words:
                segments.append(words)
        pos = link.end()
    add_text(text[pos:])
    return tuple(segment for segment in segments if segment)


def _is_placeholder_line(text: str) -> bool:
    """Template residue: "[Your Name](https://github.com/your-handle)", "[Recording](https://)"."""
    links = list(MD_LINK_RE.finditer(text))
    outside = MD_LINK_RE.sub(" ", text)
    outside = re.sub(r"[\s()\[\]@,;:*_-]+", " ", outside).strip().lower()
    if links and all(is_placeholder_url(m.group("url")) for m in links):
        labels = {_normalize_label(m.group("label")).lstrip("@") for m in links}
        if outside in {"", *PLACEHOLDER_NAMES} and labels <= (
            PLACEHOLDER_NAMES | LINK_LABELS | {"github", ""}
        ):
            return True
    return False


def token_stream(text: str) -> str:
    """All content words of a text, space-separated and padded, for searching."""
    words: list[str] = []
    for line in text.splitlines():
        for segment in content_segments(line):
            words.extend(segment)
    return " " + " ".join(words) + " "


def line_is_found(line: str, stream: str) -> bool:
    return all(f" {' '.join(seg)} " in stream for seg in content_segments(line))


def missing_lines(
    lines: Iterable[tuple[int, str]], export_text: str
) -> list[tuple[int, str]]:
    """The (number, line) pairs whose content is not in `export_text`."""
    stream = token_stream(export_text)
    return [(number, line) for number, line in lines if not line_is_found(line, stream)]


def has_content(line: str) -> bool:
    return bool(content_segments(line))


# ---------------------------------------------------------------------------
# A call, as plain data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    """How a person is written in notes: a name and, when known, a GitHub handle.

    `written` is the line exactly as a "Who joined" list had it, when it says more
    than name and handle ("Kris Nova - Sysdig", "David Windsor ([dub](...))").
    """

    name: str
    handle: str = ""
    written: str = field(default="", compare=False)

    def canonical(self) -> str:
        """`Ann Lee ([@annlee](https://github.com/annlee))`, or just the name."""
        if self.handle:
            return f"{self.name} ([@{self.handle}](https://github.com/{self.handle}))"
        return self.name

    def line(self) -> str:
        return self.written or self.canonical()

    def key(self) -> str:
        return self.handle.lower() if self.handle else "name:" + fold(self.name)


@dataclass
class AgendaItemData:
    """One agenda item: its line on the agenda and the notes nested under it."""

    title: str
    presenter_names: str = ""
    presenters: list[PersonRef] = field(default_factory=list)
    description: str = ""
    discussion_notes: str = ""
    links: str = ""
    heading_level: int = 0  # a section of its own in the notes ("### [wg-meta]")


@dataclass
class ActionItemData:
    """Something to do, with who owns it and whether it is done."""

    description: str
    owner_names: str = ""
    owners: list[PersonRef] = field(default_factory=list)
    status: str = "open"
    agenda_index: int | None = None
    origin: str = "section"  # section | inline | sentence


@dataclass
class CallData:
    """Everything the notes of one call say, independent of the database."""

    date: dt.date
    title: str = ""
    cancelled: bool = False
    info_url: str = ""
    video_url: str = ""
    recording_url: str = ""
    mc: PersonRef | None = None
    attendees: list[PersonRef] = field(default_factory=list)
    highlights: str = ""
    agenda: list[AgendaItemData] = field(default_factory=list)
    actions: list[ActionItemData] = field(default_factory=list)
    next_mc: PersonRef | None = None
    next_release: str = ""
    notes: str = ""
    ordinal: int = 1
    front_matter: str = ""


NOTES_BEGIN = "<!-- callbook:notes -->"
NOTES_END = "<!-- /callbook:notes -->"
CANCELLED_MARK = "**Cancelled**"


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))


# ---------------------------------------------------------------------------
# A series' own way of writing notes
# ---------------------------------------------------------------------------

_BULLET_RE = re.compile(r"^( *)([-*+])[ \t]+\S")


@dataclass(frozen=True)
class NotesStyle:
    """How a series' notes are written: what edited and new calls export in.

    Learned from the series' imported files (the most common choice wins);
    Callbook's own layout where nothing was learned.
    """

    bullet: str = "-"
    indent: int = 2  # spaces before a nested list item's marker
    title_level: int = 1
    date_level: int = 2
    section_level: int = 3
    link_labels: tuple[tuple[str, str], ...] = ()

    def label(self, kind: str) -> str:
        return dict(self.link_labels).get(kind, LINK_RENDER_LABELS[kind])

    def heading(self, level: int, text: str) -> str:
        return f"{'#' * max(1, min(level, 6))} {text}".rstrip()

    def to_dict(self) -> dict:
        return {
            "bullet": self.bullet,
            "indent": self.indent,
            "title_level": self.title_level,
            "date_level": self.date_level,
            "section_level": self.section_level,
            "link_labels": dict(self.link_labels),
        }

    @classmethod
    def from_dict(cls, raw: dict | None) -> NotesStyle:
        raw = raw or {}
        default = cls()

        def level(name: str) -> int:
            value = raw.get(name, getattr(default, name))
            return value if isinstance(value, int) and 1 <= value <= 6 else 1

        labels = raw.get("link_labels") or {}
        bullet = raw.get("bullet", "-")
        indent = raw.get("indent", 2)
        style = cls(
            bullet=bullet if bullet in ("-", "*", "+") else "-",
            indent=indent if indent in (2, 3, 4) else 2,
            title_level=level("title_level"),
            date_level=level("date_level"),
            section_level=level("section_level"),
            link_labels=tuple(
                sorted(
                    (kind, str(label)[:60])
                    for kind, label in labels.items()
                    if kind in LINK_RENDER_LABELS and classify_link(str(label)) == kind
                )
            ),
        )
        # Sections sit under the date heading, which sits under the title.
        date_level = max(style.date_level, style.title_level)
        section_level = max(style.section_level, date_level + 1)
        return replace(style, date_level=date_level, section_level=section_level)


def learn_style(calls: Iterable) -> NotesStyle:
    """The most common bullet, indent, link labels and heading levels of `calls`
    (parsed calls: their `source` lines and `headings`)."""
    bullets: Counter = Counter()
    indents: Counter = Counter()
    labels: dict[str, Counter] = {}
    levels: dict[str, Counter] = {
        "title": Counter(),
        "date": Counter(),
        "section": Counter(),
    }
    for call in calls:
        for _number, line in call.source:
            bullet = _BULLET_RE.match(line)
            if bullet:
                bullets[bullet.group(2)] += 1
                if 2 <= len(bullet.group(1)) <= 4:
                    indents[len(bullet.group(1))] += 1
            if "](" in line:
                for link in MD_LINK_RE.finditer(line):
                    kind = classify_link(link.group("label"))
                    if kind in LINK_RENDER_LABELS:
                        label = re.sub(r"\s+", " ", link.group("label")).strip()
                        labels.setdefault(kind, Counter())[label] += 1
        for heading in call.headings:
            if not heading.level:
                continue
            if heading.role in ("title", "date"):
                levels[heading.role][heading.level] += 1
            elif heading.role in SECTION_WORDS:
                levels["section"][heading.level] += 1

    def top(counter: Counter, default):
        return counter.most_common(1)[0][0] if counter else default

    return NotesStyle.from_dict(
        {
            "bullet": top(bullets, "-"),
            "indent": top(indents, 2),
            "title_level": top(levels["title"], 1),
            "date_level": top(levels["date"], 2),
            "section_level": top(levels["section"], 3),
            "link_labels": {kind: top(c, "") for kind, c in labels.items()},
        }
    )
