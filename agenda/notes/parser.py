"""Read markdown meeting notes into calls, sections and lines, without a database.

The reader works on markdown-it's block tokens (with their line maps), not on
line regexes: a "# Title" inside a code fence is code, a list item's nested notes
end where markdown says they end, and "1. - Ann" is a list in a list.

One file holds one call (older notes) or many (archives, newest first). A call
starts at a level-1 or level-2 heading holding a date, or, when there is none, at
the start of the file with the date on a line of its own or in the file name. A
title-and-links block ("# Falco Community Call" + links) between two calls belongs
to the call after it; anything else between calls (notices, separators) belongs to
the call before it. Inside a call, headings and bold labels ("**MC:**",
"### Who joined") open sections; what a section does not understand is kept
verbatim for the meeting's free notes.

Nothing here decides who a name refers to: the importer does that with the people
it knows (see notes.importer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from markdown_it import MarkdownIt

from agenda.notes.format import (
    BOLD_LABEL_RE,
    CANCELLED_MARK,
    DEFAULT_VOCABULARY,
    MD_LINK_RE,
    MONTHS,
    NOTES_BEGIN,
    NOTES_END,
    PLAIN_LABEL_RE,
    REF_LINK_RE,
    Vocabulary,
    classify_link,
    find_dates,
    first_date,
    is_date_only,
    is_placeholder_url,
    remove_dates,
    split_label,
    strip_markers,
)

# Only block structure is read (inline text is taken as written), so markdown-it's
# inline pass is switched off: it halves the time to read a file.
_MD = (
    MarkdownIt("commonmark", {"maxNesting": 40})
    .enable("table")
    .disable(["inline", "text_join"], ignoreInvalid=True)
)

MAX_FILE_CHARS = 5_000_000


class NotesImportError(Exception):
    """A notes file cannot be imported; says why and where."""

    def __init__(self, message: str, *, line: int = 0, file: str = ""):
        self.message = message
        self.line = line
        self.file = file
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        super().__init__(f"{where}{message}")


@dataclass
class ParseWarning:
    """Something the reader noticed and could not settle, at a source line."""

    kind: str
    line: int
    message: str


@dataclass
class Entry:
    """A piece of text from the notes and the (1-based) line it starts on."""

    text: str
    line: int


@dataclass
class ParsedLink:
    kind: str  # info | video | recording
    url: str
    line: int


@dataclass
class ParsedItem:
    """An agenda item as written: its first line, the rest of that paragraph and
    the notes under it (markdown, dedented)."""

    head: str
    line: int
    description: str = ""
    discussion: str = ""
    # 1-6 when the item is a section of its own ("### [wg-meta]"), 0 for a line.
    heading_level: int = 0


@dataclass
class HeadingRead:
    """How the reader classified one heading or label, for the dry-run report."""

    line: int
    level: int  # 0 for a bold label
    text: str
    role: str  # a role, "title", "date", "topic", "in <role>", "notes"
    profile: str = ""


@dataclass
class ParsedAction:
    head: str
    line: int
    checked: bool = False
    details: str = ""


@dataclass
class ParsedCall:
    """One call's notes, split into what each section says."""

    start: int  # 0-based, inclusive
    end: int  # 0-based, exclusive
    date: dt.date
    date_line: int
    date_source: str  # heading | front matter | line | filename
    title: str = ""
    title_line: int = 0
    links: list[ParsedLink] = field(default_factory=list)
    mc: list[Entry] = field(default_factory=list)
    attendees: list[Entry] = field(default_factory=list)
    highlights: str = ""
    agenda: list[ParsedItem] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    next_mc: list[Entry] = field(default_factory=list)
    next_release: Entry | None = None
    notes: list[Entry] = field(default_factory=list)
    cancelled: bool = False
    warnings: list[ParseWarning] = field(default_factory=list)
    source: list[tuple[int, str]] = field(default_factory=list)
    content_hash: str = ""
    # The call's text exactly as the file has it (line endings included), and the
    # front matter block ("---" ... "---") when the call starts the file.
    source_text: str = ""
    front_matter: str = ""
    headings: list[HeadingRead] = field(default_factory=list)
    topic_mode: bool = False

    @property
    def first_line(self) -> int:
        return self.start + 1

    @property
    def last_line(self) -> int:
        return self.end


@dataclass
class ParsedFile:
    name: str
    lines: list[str]
    calls: list[ParsedCall]
    warnings: list[ParseWarning] = field(default_factory=list)
    front_matter: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)


@dataclass
class FrontMatter:
    """A YAML (`---`) or TOML (`+++`) block opening the file."""

    end: int  # 0-based line after the closing fence
    fields: dict[str, str]
    text: str

    @property
    def date(self) -> dt.date | None:
        for key in ("date", "title"):
            match = first_date(self.fields.get(key, ""))
            if match:
                return match.date
        return None

    @property
    def title(self) -> str:
        title = self.fields.get("title", "")
        return "" if is_date_only(title) else title


_FM_FIELD_RE = re.compile(r"^([A-Za-z_][\w-]{0,40})\s*[:=]\s?(.*)$")


def front_matter(lines: list[str]) -> FrontMatter | None:
    """The front matter at the top of `lines`, when there is one."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return None
    fence = lines[0].strip()
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() == fence:
            break
    else:
        return None
    body = lines[1:end]
    fields: dict[str, str] = {}
    for line in body:
        match = _FM_FIELD_RE.match(line)
        if match and not line.startswith((" ", "\t")):
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            fields.setdefault(match.group(1).lower(), value)
    if body and not fields:
        return None  # "---" then prose then "---": a rule, not front matter
    return FrontMatter(end + 1, fields, "\n".join(lines[: end + 1]))


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def decode_notes(data: bytes, *, name: str = "") -> str:
    """UTF-8 text (BOM or UTF-16 with BOM accepted), or a clear error with the line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotesImportError(
                f"not valid UTF-16 text ({exc.reason})", line=1, file=name
            ) from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise NotesImportError(
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded "
                "(save the file as UTF-8)",
                line=line,
                file=name,
            ) from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise NotesImportError(
            "binary content (a NUL character) is not markdown", line=line, file=name
        )
    return text


# ---------------------------------------------------------------------------
# Blocks from markdown-it tokens
# ---------------------------------------------------------------------------


@dataclass
class Node:
    type: str
    start: int
    end: int
    content: str = ""
    level: int = 0
    markup: str = ""
    children: list[Node] = field(default_factory=list)


_CONTAINERS = {
    "bullet_list",
    "ordered_list",
    "list_item",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "paragraph",
    "heading",
}


def build_tree(text: str, env: dict | None = None) -> list[Node]:
    """Top-level blocks of `text` with their children and 0-based line ranges."""
    root = Node("root", 0, 0)
    stack = [root]
    for token in _MD.parse(text, {} if env is None else env):
        if token.type.endswith("_open"):
            kind = token.type[:-5]
            start, end = token.map or (stack[-1].start, stack[-1].end)
            node = Node(
                kind,
                start,
                end,
                level=int(token.tag[1]) if kind == "heading" else 0,
                markup=token.markup,
            )
            stack[-1].children.append(node)
            stack.append(node)
        elif token.type.endswith("_close"):
            if len(stack) > 1:
                stack.pop()
        elif token.type == "inline":
            if stack[-1].type in ("paragraph", "heading"):
                stack[-1].content = token.content
        else:
            start, end = token.map or (stack[-1].start, stack[-1].end)
            node = Node(token.type, start, end, content=token.content)
            stack[-1].children.append(node)
    return root.children


def _is_list(node: Node) -> bool:
    return node.type in ("bullet_list", "ordered_list")


# ---------------------------------------------------------------------------
# Helpers on raw lines
# ---------------------------------------------------------------------------

_MARKER_RE = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])(\s*)")
_CHECKBOX_RE = re.compile(r"^\[(?P<mark>[ xX])\]\s+")
SPEAKER_RE = re.compile(
    r"^(?:\*\*|__)[^*_\n]{1,40}?(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)"
)


def _trim(lines: list[str], start: int, end: int) -> tuple[int, int]:
    end = min(end, len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    while start < end and not lines[start].strip():
        start += 1
    return start, end


def dedent(raw: list[str], offset: int | None = None) -> str:
    """Lines without `offset` leading spaces (fewer if absent), then common indent."""
    if offset:
        raw = [_strip_spaces(line, offset) for line in raw]
    indents = [len(line) - len(line.lstrip(" ")) for line in raw if line.strip()]
    common = min(indents) if indents else 0
    out = [line[common:] if line.strip() else "" for line in raw]
    return "\n".join(line.rstrip("\n") for line in out).strip("\n")


def _strip_spaces(line: str, count: int) -> str:
    stripped = 0
    while stripped < count and stripped < len(line) and line[stripped] == " ":
        stripped += 1
    return line[stripped:]


def _content_col(line: str) -> int:
    match = _MARKER_RE.match(line)
    if not match:
        return len(line) - len(line.lstrip(" "))
    spaces = len(match.group(3))
    marker_end = len(match.group(1)) + len(match.group(2))
    return marker_end + (1 if spaces > 4 or spaces == 0 else spaces)


def _head_paragraph(item: Node) -> Node | None:
    """The first paragraph or heading of a list item, looking into "1. - x" nests."""
    node = item
    for _ in range(8):
        if not node.children:
            return None
        first = node.children[0]
        if first.type in ("paragraph", "heading"):
            return first
        if _is_list(first) and first.children:
            node = first.children[0]
            continue
        return None
    return None


def _is_link_line(line: str) -> bool:
    """A line made of labelled links only ("[More Information](...) - [Zoom](...)")."""
    text = line.strip()
    if not text.startswith("["):
        return False
    links = list(MD_LINK_RE.finditer(text))
    if not links or links[0].start() != 0:
        return False
    return all(classify_link(link.group("label")) for link in links)


def _links_in(text: str, line: int) -> list[ParsedLink]:
    out = []
    for link in MD_LINK_RE.finditer(text):
        kind = classify_link(link.group("label"))
        url = link.group("url").strip().strip("<>")
        if kind in ("info", "video", "recording") and not is_placeholder_url(url):
            out.append(ParsedLink(kind, url, line))
    return out


_BARE_URL_RE = re.compile(r"https?://[^\s<>()\[\]]+")


def _first_url(text: str) -> str:
    link = MD_LINK_RE.search(text)
    if link and not is_placeholder_url(link.group("url")):
        return link.group("url").strip().strip("<>")
    bare = _BARE_URL_RE.search(text)
    if bare and not is_placeholder_url(bare.group(0)):
        return bare.group(0).rstrip(".,;")
    return ""


# Cancelled calls: "Cancelled (no topic)", "This community call is cancelled",
# "No topic, skipping the meeting", "## 2025-09-10 No community call!". Sentences
# about another call ("next week", "will be canceled", votes, questions, "the
# traits WG meeting cancelled this week") are not.
_CANCEL_RES = [
    re.compile(
        r"^(?:the\s+|this\s+)?(?:community\s+)?(?:call\s+|meeting\s+)?"
        r"(?:is\s+|was\s+|has\s+been\s+)?cancel+ed\b",
        re.I,
    ),
    re.compile(r"\bskipping\s+(?:the|this)\s+(?:call|meeting)\b", re.I),
    re.compile(r"^no\s+(?:community\s+)?(?:call|meeting)\b", re.I),
]
# "<subject> call is cancelled": the subject must be this call.
_SUBJECT_CANCEL_RE = re.compile(
    r"^(?P<subject>[^\n]{0,80}?)\b(?:call|meeting)\s+(?:is\s+|was\s+|has\s+been\s+)?"
    r"cancel+ed\b",
    re.I,
)
_THIS_CALL_WORDS = {"the", "this", "today", "todays", "our", "community", "s"}
_NOT_THIS_CALL_RE = re.compile(r"\bnext\b|\bwill\b|\bvote\b|\bif\b|\bshould\b|\?", re.I)


def says_cancelled(text: str, *, title: str = "") -> bool:
    """True when `text` says this call (titled `title`) does not take place."""
    text = re.sub(r"[*_~`]+", "", strip_markers(text)).strip()
    text = remove_dates(text) if first_date(text) else text
    if not text or _NOT_THIS_CALL_RE.search(text):
        return False
    if any(pattern.search(text) for pattern in _CANCEL_RES):
        return True
    match = _SUBJECT_CANCEL_RE.search(text)
    if match is None:
        return False
    # The subject is what follows the last clause break ("No topic, call
    # cancelled"); it may name the day ("Nov 13th community call").
    subject = re.split(r"[,;:.!()]", match.group("subject"))[-1].casefold()
    words = set(re.findall(r"[^\W_]+", subject))
    words = {w for w in words if w not in MONTHS and not re.fullmatch(r"\d+\w{0,2}", w)}
    allowed = _THIS_CALL_WORDS | set(re.findall(r"[^\W_]+", title.casefold()))
    return words <= allowed


def content_hash(lines: list[str]) -> str:
    """SHA-256 of a call's text, blind to indentation and blank lines."""
    normal = "\n".join(
        re.sub(r"\s+", " ", line).strip() for line in lines if line.strip()
    )
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------

_FILENAME_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")


def filename_date(name: str) -> dt.date | None:
    match = _FILENAME_DATE_RE.search(PurePath(name).name)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


# Separators around a title ("Call - 2020-09-16 -", "Sync | notes"). Trimmed by
# str.strip, not a regex: "(?:\s*[-:]\s*)+$" backtracks exponentially on a
# long run of "- - - ... x".
_TITLE_SEPARATORS = " \t\n\r\f\v-\u2013\u2014:|,"
_TRAILING_WORD_RE = re.compile(r"\b(?:meeting|notes|minutes)$", re.I)


def clean_title(text: str) -> str:
    """A call's title from a heading: without dates, "Meeting", separators."""
    text = remove_dates(re.sub(r"[*_`]+", "", text)).rstrip(_TITLE_SEPARATORS)
    while True:  # "Office hours - Meeting notes": trailing words, one at a time
        word = _TRAILING_WORD_RE.search(text[-8:])
        if word is None:
            break
        text = text[: len(text) - len(text[-8:]) + word.start()]
        text = text.rstrip(_TITLE_SEPARATORS)
    return text.strip()[:200]


def raw_title(text: str) -> str:
    """A heading's text without its date, as written otherwise."""
    text = remove_dates(text).strip(_TITLE_SEPARATORS)
    return re.sub(r"\s+", " ", text).strip()[:200]


def normalize_reference(label: str) -> str:
    """A reference label as markdown compares them: case and spacing folded."""
    return re.sub(r"\s+", " ", label.strip()).casefold()


def resolve_references(line: str, references: dict[str, str]) -> str:
    """`line` with its reference-style links written inline, as `[text](url)`."""
    if "[" not in line or not references:
        return line

    def inline(match: re.Match) -> str:
        bang, text, ref = match.group(1), match.group(2), match.group(3)
        if ref is None and text.strip() in ("", "x", "X"):
            return match.group(0)  # a task checkbox
        url = references.get(normalize_reference(ref or text))
        if url is None:
            return match.group(0)
        if re.search(r"[\s()<>]", url):
            url = f"<{url}>"
        return f"{bang}[{text}]({url})"

    return REF_LINK_RE.sub(inline, line)


def parse_notes(
    text: str, *, name: str = "", vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> ParsedFile:
    """Split a notes file into calls. Raises NotesImportError when it holds none."""
    if len(text) > MAX_FILE_CHARS:
        raise NotesImportError(
            f"file too large ({len(text)} characters, at most {MAX_FILE_CHARS})",
            line=1,
            file=name,
        )
    raw_text = text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline ending the last line starts no line of its own
    if not text.strip():
        raise NotesImportError("empty file: no call found", line=1, file=name)

    # Free notes exported by Callbook sit between markers and are taken verbatim:
    # blank them out for the markdown reader so nothing inside counts as structure.
    # Front matter is metadata, not markdown: blanked too.
    opaque: list[tuple[int, int]] = []
    masked = list(lines)
    front = front_matter(lines)
    if front is not None:
        for blank in range(front.end):
            masked[blank] = ""
    index = front.end if front is not None else 0
    while index < len(lines):
        if lines[index].strip() == NOTES_BEGIN:
            end = index + 1
            while end < len(lines) and lines[end].strip() != NOTES_END:
                end += 1
            opaque.append((index, min(end + 1, len(lines))))
            for blank in range(index, min(end + 1, len(lines))):
                masked[blank] = ""
            index = end + 1
        else:
            index += 1
    env: dict = {}
    blocks = build_tree("\n".join(masked), env)
    references = {
        normalize_reference(label): ref["href"]
        for label, ref in env.get("references", {}).items()
    }
    read_lines = lines
    if references:
        # Reference-style links ("[@ann][ann]" ... "[ann]: https://github.com/ann")
        # are written inline, so every field reads (and renders) on its own.
        code = {
            number
            for block in blocks
            for node in _walk(block)
            if node.type in ("fence", "code_block")
            for number in range(node.start, node.end)
        }
        read_lines = [
            line if number in code else resolve_references(line, references)
            for number, line in enumerate(lines)
        ]
        masked = [
            "" if blanked == "" else read_lines[number]
            for number, blanked in enumerate(masked)
        ]
        blocks = build_tree("\n".join(masked))
    reader = _FileReader(
        name, read_lines, blocks, opaque, vocabulary=vocabulary, front=front
    )
    reader.source_lines = lines
    reader.raw_text = raw_text
    parsed = reader.read()
    parsed.references = references
    parsed.front_matter = dict(front.fields) if front is not None else {}
    return parsed


class _FileReader:
    def __init__(
        self,
        name: str,
        lines: list[str],
        blocks: list[Node],
        opaque,
        *,
        vocabulary: Vocabulary = DEFAULT_VOCABULARY,
        front: FrontMatter | None = None,
    ):
        self.name = name
        self.lines = lines
        self.source_lines = lines  # as written (reference links not resolved)
        self.raw_text = "\n".join(lines) + "\n"
        self.blocks = blocks
        self.opaque = opaque
        self.vocabulary = vocabulary
        self.front = front
        self.warnings: list[ParseWarning] = []

    def read(self) -> ParsedFile:
        anchors = self._anchors()
        spans = self._spans(anchors)
        calls: list[ParsedCall] = []
        title = ""
        offsets = self._raw_offsets()
        for start_block, end_block, anchor in spans:
            call = _CallReader(self, start_block, end_block, anchor, title).read()
            if call.title:
                title = call.title
            if offsets is not None:
                call.source_text = self.raw_text[
                    offsets[call.start] : offsets[call.end]
                ]
            calls.append(call)
        if self.front is not None and calls:
            calls[0].front_matter = self.front.text
        if len(calls) == 1:
            self._settle_date(calls[0])
            self._check_filename_date(calls[0])
        return ParsedFile(self.name, self.lines, calls, self.warnings)

    def _raw_offsets(self) -> list[int] | None:
        """Where each line starts in the text as given (CRLF kept), or None when
        the text's line breaks cannot be mapped (a lone CR)."""
        raw = self.raw_text
        if "\r" in raw.replace("\r\n", ""):
            return None
        offsets = [0]
        for line in raw.split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        offsets[-1] = len(raw)  # the last line has no newline after it
        if len(offsets) < len(self.lines) + 1:
            return None
        offsets = offsets[: len(self.lines)] + [len(raw)]
        return offsets

    def _settle_date(self, call: ParsedCall) -> None:
        """Front matter and file name agreeing outvote a heading ("# 2017-10-17"
        in the notes of 2019-10-17)."""
        named = filename_date(self.name)
        front = self.front.date if self.front is not None else None
        if named is None or front is None or named != front or call.date == named:
            return
        call.warnings.append(
            ParseWarning(
                "date_conflict",
                call.date_line,
                f"the heading says {call.date.isoformat()} but the front matter and "
                f"the file name say {named.isoformat()}; {named.isoformat()} is used",
            )
        )
        call.date = named
        call.date_source = "front matter"

    # -- where calls are -------------------------------------------------------

    def _anchors(self) -> list[tuple[int, dt.date, str]]:
        """(block index, date, source) of each call's date."""
        found = []
        for index, block in enumerate(self.blocks):
            if block.type == "heading" and block.level <= 2:
                match = first_date(block.content)
                if match:
                    found.append((index, match.date))
        # "# 2020 archive 2020-08-12" above "## 2020-08-12": a dated title, not
        # a call of its own, when only paragraphs stand between the two.
        kept = []
        for position, (index, day) in enumerate(found):
            nxt = found[position + 1] if position + 1 < len(found) else None
            if (
                nxt
                and self.blocks[index].level == 1
                and self.blocks[nxt[0]].level == 2
                and all(
                    self.blocks[between].type in ("paragraph", "hr")
                    for between in range(index + 1, nxt[0])
                )
            ):
                continue
            kept.append((index, day, "heading"))
        # A file named for one day holds that day's notes: a heading dated
        # otherwise inside it ("# 2021-06-01 Triage Log" in the agenda of
        # 2021-06-03) is a section, not another call.
        named = find_dates(PurePath(self.name).name)
        if len(named) == 1 and kept and kept[0][1] == named[0].date:
            kept = [anchor for anchor in kept if anchor[1] == named[0].date]
        if kept:
            return kept
        if self.front is not None and self.front.date is not None:
            return [(-1, self.front.date, "front matter")]
        for index, block in enumerate(self.blocks[:8]):
            if block.type == "paragraph" and is_date_only(block.content):
                match = first_date(block.content)
                return [(index, match.date, "line")]
        day = filename_date(self.name)
        if day is not None:
            return [(-1, day, "filename")]
        raise NotesImportError(
            "no call found: no date in a # or ## heading, on a line of its own or "
            "in the file name",
            line=1,
            file=self.name,
        )

    def _spans(self, anchors):
        """(first block, end block, anchor) per call; title blocks go forward."""
        starts = []
        anchor_indexes = {a[0] for a in anchors}
        for position, anchor in enumerate(anchors):
            index = anchor[0]
            if position == 0 or index < 0:
                starts.append(0)
                continue
            previous = anchors[position - 1][0]
            start = index
            for between in range(index - 1, previous, -1):
                block = self.blocks[between]
                if (
                    block.type == "heading"
                    and block.level == 1
                    and between not in anchor_indexes
                ):
                    start = between
                    break
            else:
                back = index - 1
                while back > previous and self.blocks[back].type == "hr":
                    back -= 1
                block = self.blocks[back] if back > previous else None
                if (
                    block is not None
                    and block.type == "paragraph"
                    and all(
                        _is_link_line(line)
                        for line in block.content.split("\n")
                        if line.strip()
                    )
                ):
                    start = back
            starts.append(start)
        spans = []
        for position, anchor in enumerate(anchors):
            end = (
                starts[position + 1]
                if position + 1 < len(anchors)
                else len(self.blocks)
            )
            spans.append((starts[position], end, anchor))
        return spans

    def _check_filename_date(self, call: ParsedCall) -> None:
        day = filename_date(self.name)
        if (
            day is None
            or call.date_source in ("filename", "front matter")
            or day == call.date
        ):
            return
        call.warnings.append(
            ParseWarning(
                "date_conflict",
                call.date_line,
                f"the notes say {call.date.isoformat()} but the file name says "
                f"{day.isoformat()}; the date in the notes is used",
            )
        )


class _CallReader:
    """Reads the blocks of one call into a ParsedCall."""

    def __init__(self, file: _FileReader, first: int, end: int, anchor, title: str):
        self.file = file
        self.lines = file.lines
        self.blocks = file.blocks[first:end]
        self.anchor_index = anchor[0] - first if anchor[0] >= 0 else -1
        start_line = 0 if first == 0 else self.blocks[0].start
        end_line = file.blocks[end].start if end < len(file.blocks) else len(self.lines)
        anchor_block = file.blocks[anchor[0]] if anchor[0] >= 0 else None
        self.call = ParsedCall(
            start=start_line,
            end=end_line,
            date=anchor[1],
            date_line=(anchor_block.start + 1) if anchor_block else 1,
            date_source=anchor[2],
            title=title,
        )
        self.own_title = False
        self.vocab = file.vocabulary
        # Before the date ("pre"): title and links; after it, sections.
        self.section = "call" if self.anchor_index == 0 else "pre"
        # The level of the heading that opened the section (0: a label or none):
        # deeper headings that name no role stay in it.
        self.section_level = 0
        # Notes without an agenda section are organised by topic: each heading
        # that names no role is an agenda item ("## Backport nominations",
        # "### [wg-meta]").
        self.call.topic_mode = not self._has_agenda_section()
        # Agenda state: the item that later blocks attach to.
        self.item: ParsedItem | None = None
        self.para_item = False
        self.pending_next_mc = False
        self.highlight_parts: list[tuple[int, str]] = []
        # 0-based lines of topic sections: what they say is about their topic.
        self.topic_lines: set[int] = set()

    # -- entry point -----------------------------------------------------------

    def _has_agenda_section(self) -> bool:
        for block in self.blocks:
            if block.type == "heading":
                text = block.content
            elif block.type == "paragraph":
                text = block.content.split("\n", 1)[0]
                bold = BOLD_LABEL_RE.match(text) or PLAIN_LABEL_RE.match(text)
                if bold:
                    text = bold.group("label")
                elif len(text) > 40:
                    continue
            else:
                continue
            if self.vocab.classify(text)[0] == "agenda":
                return True
        return False

    def _record(self, block: Node, role: str, profile: str = "") -> None:
        text = block.content.split("\n", 1)[0].strip()
        self.call.headings.append(
            HeadingRead(block.start + 1, block.level, text[:120], role, profile)
        )

    def read(self) -> ParsedCall:
        call = self.call
        for position, block in enumerate(self.blocks):
            if position == self.anchor_index:
                self._anchor(block)
                continue
            self._block(block)
        self._opaque_notes()
        front = self.file.front
        if not call.title and call.start == 0 and front is not None and front.title:
            call.title = re.sub(r"\s+", " ", front.title).strip()[:200]
            call.title_line = 2
        call.highlights = self._join_parts(self.highlight_parts)
        source = self.file.source_lines
        call.source = [
            (number + 1, source[number])
            for number in range(call.start, call.end)
            if source[number].strip()
        ]
        call.content_hash = content_hash(source[call.start : call.end])
        call.cancelled = self._cancelled()
        return call

    def _join_parts(self, parts: list[tuple[int, str]]) -> str:
        return "\n\n".join(text for _line, text in sorted(parts))

    def _raw(self, start: int, end: int) -> list[str]:
        start, end = _trim(self.lines, start, end)
        return self.lines[start:end]

    def _note(self, start: int, end: int) -> None:
        """Lines kept verbatim for the free notes (indentation included: four
        spaces make code in markdown)."""
        start, end = _trim(self.lines, start, end)
        if start >= end:
            return
        text = "\n".join(self.lines[start:end])
        if text.strip():
            self.call.notes.append(Entry(text, start + 1))

    def _note_block(self, block: Node) -> None:
        if block.type == "hr":
            return
        self._note(block.start, block.end)

    def _opaque_notes(self) -> None:
        for start, end in self.file.opaque:
            if self.call.start <= start < self.call.end:
                inner_end = end - 1 if self.lines[end - 1].strip() == NOTES_END else end
                raw = self.lines[start + 1 : inner_end]
                text = "\n".join(raw).strip("\n")
                if text.strip():
                    self.call.notes.append(Entry(text, start + 2))

    def _cancelled(self) -> bool:
        """Said of this call: in its date heading or title, or a line of its own
        at the top level or in its first list ("Cancelled (no topic)"), not in
        a topic's notes about another meeting."""
        in_code = set()
        for block in self.blocks:
            for node in _walk(block):
                if node.type in ("fence", "code_block", "html_block"):
                    in_code.update(range(node.start, node.end))
        for start, end in self.file.opaque:
            in_code.update(range(start, end))
        for number in range(self.call.start, self.call.end):
            if number in in_code or number in self.topic_lines:
                continue
            if says_cancelled(self.lines[number], title=self.call.title):
                return True
        return False

    # -- blocks ----------------------------------------------------------------

    def _anchor(self, block: Node) -> None:
        self.section = "call"
        self._record(block, "date")
        rest = raw_title(block.content)
        if block.level == 1 and rest:
            self._set_title(block.content, block.start)
        elif rest:
            # "## 2025-09-10 No community call!": the words stay, verbatim.
            self._note(block.start, block.end)

    def _set_title(self, text: str, start: int) -> None:
        self.call.title = raw_title(text)
        self.call.title_line = start + 1
        self.own_title = True

    def _block(self, block: Node) -> None:
        if block.type == "hr":
            return
        if block.type == "heading":
            self._heading(block)
            return
        if block.type == "paragraph":
            kind, value = self._label(block.content.split("\n", 1)[0])
            if kind:
                self._labelled_paragraph(block, kind, value)
                return
        handler = getattr(self, f"_in_{self.section}")
        handler(block)

    # Sections where "Label: value" in plain text opens a section; inside the
    # agenda or free text only bold labels and headings do ("Notes:" above a list
    # of agenda items is a label of the list, not the start of free notes).
    _PLAIN_LABELS_IN = {"pre", "call", "closing", "mc", "attendees", "next_mc", "links"}

    def _label(self, text: str) -> tuple[str | None, str]:
        classify = self._role
        bold = BOLD_LABEL_RE.match(text)
        if bold:
            kind = classify(bold.group("label"))
            if kind:
                return kind, text[bold.end() :].strip()
        if self.section not in self._PLAIN_LABELS_IN:
            return None, text
        kind = classify(text)
        if kind:
            return kind, ""
        plain = PLAIN_LABEL_RE.match(text)
        if plain:
            kind = classify(plain.group("label"))
            if kind:
                return kind, text[plain.end() :].strip()
        return None, text

    def _role(self, text: str) -> str | None:
        kind = self.vocab.classify(text)[0]
        return None if kind in ("topic", "ignore") else kind

    # Role sections that keep the sub-headings naming no role ("### Core" in
    # an attendee list); the agenda turns them into items.
    _KEEPS_SUBHEADINGS = {
        "attendees",
        "absent",
        "notes",
        "decisions",
        "links",
        "mc",
        "next_mc",
        "actions",
        "highlights",
        "closing",
        "agenda",
        "agenda_topic",
        "unknown",
    }

    def _heading(self, block: Node) -> None:
        kind, profile = self.vocab.classify(block.content)
        if kind == "ignore":
            self._record(block, "notes", profile)
            self.section, self.section_level = "unknown", block.level
            self._note_block(block)
            return
        if kind and kind != "topic":
            self._record(block, kind, profile)
            self._switch(kind, block.level)
            if kind in ("absent", "decisions"):
                self._note_block(block)  # the heading says what the list is
            return
        if (
            kind is None
            and self.section == "pre"
            and block.level <= 2
            and not self.own_title
        ):
            self._record(block, "title")
            self._set_title(block.content, block.start)
            return
        deeper = self.section_level and block.level > self.section_level
        if kind is None and deeper and self.section in self._KEEPS_SUBHEADINGS:
            inside = "agenda" if self.section == "agenda_topic" else self.section
            if inside == "agenda":
                self._record(block, "topic", "in agenda")
                self._topic_item(block, "agenda_topic")
                return
            self._record(block, f"in {inside}")
            if inside == "highlights":
                self._in_highlights(block)
            else:
                self._note_block(block)
            return
        if kind == "topic" or self.call.topic_mode:
            self._record(block, "topic", profile)
            self._topic_item(block, "topic")
            self.section_level = 0
            return
        # A heading nobody reads: it and what follows are free notes.
        self._record(block, "notes")
        self.section = "unknown"
        self.section_level = 0
        self._note_block(block)

    def _topic_item(self, block: Node, section: str) -> None:
        """A section of its own about one topic: an agenda item with its notes."""
        item = ParsedItem(block.content.strip(), block.start + 1)
        item.heading_level = block.level
        self.call.agenda.append(item)
        self.item = item
        self.para_item = False
        self.section = section
        self.topic_lines.update(range(block.start, block.end))

    def _in_topic(self, block: Node) -> None:
        self.topic_lines.update(range(block.start, block.end))
        self._attach(block)

    def _in_agenda_topic(self, block: Node) -> None:
        self._in_topic(block)

    def _in_recording(self, block: Node) -> None:
        """Under a recording heading: the first link is the recording."""
        if block.type == "paragraph" or _is_list(block):
            text = "\n".join(self._raw(block.start, block.end))
            url = _first_url(text)
            if url and not any(link.kind == "recording" for link in self.call.links):
                self.call.links.append(ParsedLink("recording", url, block.start + 1))
                rest = MD_LINK_RE.sub("", text) if MD_LINK_RE.search(text) else ""
                if not re.sub(r"[\s\-*+:|]+", "", rest) or len(text) < 300:
                    return
        self._note_block(block)

    def _in_absent(self, block: Node) -> None:
        self._note_block(block)

    def _in_decisions(self, block: Node) -> None:
        self._note_block(block)

    def _switch(self, kind: str, level: int = 0) -> None:
        self.section_level = level
        if kind == "recording" and level:
            self.section = "recording"  # "## Audio" then the link
            return
        if kind in ("next_mc", "next_release", "recording"):
            self.section = "closing"
            if kind == "next_mc":
                self.pending_next_mc = True
            return
        self.section = kind
        self.item = None
        self.para_item = False

    def _labelled_paragraph(self, block: Node, kind: str, value: str) -> None:
        lines = block.content.split("\n")
        self._record(block, kind, self.vocab.classify(lines[0])[1] or "label")
        if kind in ("absent", "decisions"):
            self._switch(kind)
            self._note_block(block)
            return
        if kind in ("next_mc", "next_release", "recording"):
            for offset, line in enumerate(lines):
                self._closing_line(line, block.start + offset + 1, None)
            return
        self._switch(kind)
        line = block.start + 1
        if value:
            self._value(kind, value, line)
        rest = lines[1:]
        if rest:
            for offset, text in enumerate(rest, start=2):
                self._value(kind, text, block.start + offset)

    def _value(self, kind: str, text: str, line: int) -> None:
        """A value written on a label's line ("**MC:** Ann") or right under it."""
        call = self.call
        if kind == "mc":
            call.mc.append(Entry(text, line))
        elif kind == "attendees":
            for part in re.split(r"\s*[,;]\s*", text):
                if part.strip():
                    call.attendees.append(Entry(part.strip(), line))
        elif kind == "highlights":
            self.highlight_parts.append((line, text))
        elif kind == "agenda":
            self.call.agenda.append(ParsedItem(text, line))
            self.item = self.call.agenda[-1]
        elif kind == "links" and _links_in(text, line):
            call.links.extend(_links_in(text, line))
        else:
            call.notes.append(Entry(text, line))

    # -- sections --------------------------------------------------------------

    def _paragraph_lines(self, block: Node):
        for offset, text in enumerate(block.content.split("\n")):
            yield text, block.start + offset + 1

    def _in_pre(self, block: Node) -> None:
        self._in_call(block)

    def _in_call(self, block: Node) -> None:
        if block.type == "paragraph" and block.content.strip() == CANCELLED_MARK:
            return  # the exporter's mark; the status says it
        if block.type == "paragraph":
            texts = [t for t in block.content.split("\n") if t.strip()]
            if texts and all(_is_link_line(t) for t in texts):
                for text, line in self._paragraph_lines(block):
                    self.call.links.extend(_links_in(text, line))
                return
        self._note_block(block)

    def _in_unknown(self, block: Node) -> None:
        self._note_block(block)

    def _in_notes(self, block: Node) -> None:
        self._note_block(block)

    def _in_links(self, block: Node) -> None:
        entries = self._entries(block)
        if entries is None:
            self._note_block(block)
            return
        for text, line in entries:
            kind, value = split_label(text)
            label = re.match(
                r"^(?:\*\*|__)?\s*([^*_:]{1,40}?)\s*(?:\*\*|__)?\s*:", text
            )
            link_kind = classify_link(label.group(1)) if label else None
            if kind == "recording":
                link_kind = "recording"
            links = _links_in(text, line)
            if links:
                self.call.links.extend(links)
            elif link_kind in ("info", "video", "recording") and _first_url(
                value or text
            ):
                self.call.links.append(
                    ParsedLink(link_kind, _first_url(value or text), line)
                )
            else:
                self.call.notes.append(Entry(text, line))

    def _entries(self, block: Node):
        """(text, line) of each top-level list item or paragraph line."""
        if block.type == "paragraph":
            return list(self._paragraph_lines(block))
        if _is_list(block):
            out = []
            for item in block.children:
                head = _head_paragraph(item)
                if head is None:
                    continue
                text = head.content
                out.append((text, head.start + 1))
            return out
        return None

    def _in_mc(self, block: Node) -> None:
        self._collect_entries(block, self.call.mc)

    def _in_next_mc(self, block: Node) -> None:
        self._collect_entries(block, self.call.next_mc)

    def _collect_entries(self, block: Node, into: list[Entry]) -> None:
        """One entry a line or list item; anything else stays in the notes."""
        entries = self._entries(block)
        if entries is None:
            self._note_block(block)
            return
        into.extend(Entry(text, line) for text, line in entries)

    def _in_attendees(self, block: Node) -> None:
        if block.type == "paragraph":
            for text, line in self._paragraph_lines(block):
                if text.strip():
                    self.call.attendees.append(Entry(text, line))
            return
        if not _is_list(block):
            self._note_block(block)
            return
        for item in block.children:
            head = _head_paragraph(item)
            if head is None:
                self._note(item.start, item.end)
                continue
            self.call.attendees.append(Entry(head.content, head.start + 1))

    def _in_highlights(self, block: Node) -> None:
        raw = self._raw(block.start, block.end)
        if raw:
            self.highlight_parts.append((block.start + 1, "\n".join(raw)))

    def _in_closing(self, block: Node) -> None:
        if block.type == "paragraph":
            for text, line in self._paragraph_lines(block):
                self._closing_line(text, line, None)
            return
        if not _is_list(block):
            self._note_block(block)
            return
        for item in block.children:
            head = _head_paragraph(item)
            if head is None:
                self._note(item.start, item.end)
                continue
            nested = self._nested(item, head)
            self._closing_line(head.content, head.start + 1, nested, item)

    def _nested(self, item: Node, head: Node) -> str:
        """The markdown under a list item's first paragraph, dedented."""
        children = [child for child in item.children if child is not head]
        if not children or head not in item.children:
            return ""
        start = children[0].start
        raw = self._raw(start, item.end)
        if not raw:
            return ""
        col = _content_col(self.lines[item.start])
        return dedent(raw, col)

    def _closing_line(
        self, text: str, line: int, nested: str | None, item=None
    ) -> None:
        kind, value = split_label(text)
        call = self.call
        if kind == "next_mc":
            if value:
                call.next_mc.append(Entry(value, line))
                self.pending_next_mc = False
            elif nested:
                for nested_line in nested.split("\n"):
                    if nested_line.strip():
                        call.next_mc.append(Entry(strip_markers(nested_line), line + 1))
                self.pending_next_mc = False
            else:
                self.pending_next_mc = True
            return
        if kind == "next_release":
            value_lines = [value] if value else []
            if nested:
                value_lines.append(nested)
            if value_lines:
                call.next_release = Entry("\n".join(value_lines), line)
            self.pending_next_mc = False
            return
        if kind == "recording":
            links = [
                ParsedLink("recording", link.url, line)
                for link in _links_in(value, line)
            ]
            url = _first_url(value)
            if not links and url:
                links = [ParsedLink("recording", url, line)]
            call.links.extend(links)
            return
        if self.pending_next_mc and text.strip():
            call.next_mc.append(Entry(text, line))
            self.pending_next_mc = False
            return
        if item is not None:
            self._note(item.start, item.end)
        else:
            call.notes.append(Entry(text, line))

    def _in_actions(self, block: Node) -> None:
        if not _is_list(block):
            self._note_block(block)
            return
        for item in block.children:
            self._action_item(item)

    def _action_item(self, item: Node) -> None:
        head = _head_paragraph(item)
        if head is None or not _CHECKBOX_RE.match(head.content):
            self._note(item.start, item.end)
            return
        checkbox = _CHECKBOX_RE.match(head.content)
        text = head.content[checkbox.end() :]
        details = []
        nested_actions = []
        for child in item.children:
            if child is head:
                continue
            if _is_list(child) and any(
                (h := _head_paragraph(sub)) is not None
                and _CHECKBOX_RE.match(h.content)
                for sub in child.children
            ):
                nested_actions.append(child)
                continue
            raw = self._raw(child.start, child.end)
            if raw:
                details.append(dedent(raw, _content_col(self.lines[item.start])))
        self.call.actions.append(
            ParsedAction(
                head=text,
                line=head.start + 1,
                checked=checkbox.group("mark") in "xX",
                details="\n\n".join(details),
            )
        )
        for child in nested_actions:
            for sub in child.children:
                self._action_item(sub)

    def _in_agenda(self, block: Node) -> None:
        call = self.call
        if _is_list(block) and not self.para_item:
            for item in block.children:
                self._agenda_list_item(item)
            return
        if block.type == "paragraph":
            lines = block.content.split("\n")
            if all(
                re.match(r"^\[[^\]]+\](?!\()", text) for text in lines if text.strip()
            ):
                # "[ann] first item\n[bo] second item": one item a line.
                for text, line in self._paragraph_lines(block):
                    if text.strip():
                        call.agenda.append(ParsedItem(text, line))
                self.item = call.agenda[-1] if call.agenda else None
                self.para_item = False
                return
            if SPEAKER_RE.match(lines[0]) and self.item is not None:
                self._attach(block)
                return
            if (
                len(lines) == 1
                and lines[0].rstrip().endswith(":")
                and len(lines[0].split()) <= 4
            ):
                # "Notes:" above a list of items: a label, not an item.
                self._note_block(block)
                self.item = None
                self.para_item = False
                return
            call.agenda.append(
                ParsedItem(lines[0], block.start + 1, description="\n".join(lines[1:]))
            )
            self.item = call.agenda[-1]
            self.para_item = True
            return
        if self.item is not None:
            self._attach(block)
        else:
            self._note_block(block)

    def _attach(self, block: Node) -> None:
        raw = self._raw(block.start, block.end)
        if not raw:
            return
        text = dedent(raw)
        item = self.item
        item.discussion = f"{item.discussion}\n\n{text}" if item.discussion else text

    def _agenda_list_item(self, item: Node) -> None:
        head = _head_paragraph(item)
        call = self.call
        if head is None or head not in item.children:
            # "- - foo", "- ```code```": no first line of text; keep it all as notes.
            raw = self._raw(item.start, item.end)
            if not raw:
                return
            col = _content_col(raw[0])
            raw = [" " * col + raw[0][col:], *raw[1:]]
            call.agenda.append(
                ParsedItem("", item.start + 1, discussion=dedent(raw, col))
            )
            self.item = call.agenda[-1]
            return
        lines = head.content.split("\n")
        parsed = ParsedItem(
            lines[0],
            head.start + 1,
            description="\n".join(lines[1:]),
            discussion=self._nested(item, head),
        )
        call.agenda.append(parsed)
        self.item = parsed


def _walk(node: Node):
    yield node
    for child in node.children:
        yield from _walk(child)
