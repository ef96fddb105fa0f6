"""Read people out of the lines communities write under "Who joined".

Shared by the MC's attendance paste box and the notes importer. The shapes seen in
real notes include `- Name ([@handle](https://github.com/handle))`, `Name (@handle)`,
`@handle`, `[Name](https://github.com/handle)`, misplaced brackets
(`Name([@handle])(https://github.com/handle)`) and typos in the URL
(`https:github.com/x`). When the displayed handle and the URL disagree, the URL wins;
the displayed one is kept as `shown_handle` so callers can learn it as a nickname.
Affiliations after the name ("Ann Lee - Acme", "Ann Lee, Acme") are not part of it.
"""

import re
from dataclasses import dataclass, field

from people.models import GITHUB_HANDLE_RE

# Lenient about the scheme and host (https:github.com, githib.com, www.) but only
# takes the first path segment, and never a repository page of an organisation
# whose path goes on (github.com/org/repo/...).
GITHUB_URL_RE = re.compile(
    r"(?:https?:)?/*(?:www\.)?g[a-z]{3,7}\.com/(?P<handle>[A-Za-z0-9-]{1,39})(?![A-Za-z0-9-])/?(?![\w/])",
    re.IGNORECASE,
)
AT_HANDLE_RE = re.compile(r"(?<![\w.@/])@(?P<handle>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))")
# A GitHub link without a user ("[ann](https://github.com)"): the link text is all
# there is to go on.
HOST_ONLY_LINK_RE = re.compile(
    r"\[@?(?P<handle>[A-Za-z0-9-]{1,39})\]\((?:https?:)?/*(?:www\.)?github\.com/?\)",
    re.IGNORECASE,
)
SHOWN_HANDLE_RE = re.compile(r"\[\s*[(@#]?(?P<handle>[A-Za-z0-9-]{1,39})\)?\s*\]")
NICKNAME_RE = re.compile(r"^\s*\((?P<nick>[a-z0-9][a-z0-9-]{1,38})\)")
AFFILIATION_RE = re.compile(r"\s+[-\u2013\u2014]\s+|\s*,\s+|\s*,$")
LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
PLACEHOLDER_NAMES = {"your name", "name", "your-handle", "handle", "your handle"}


@dataclass(frozen=True)
class ParsedAttendee:
    """A name and (when one could be read) GitHub handle from one line of notes."""

    name: str
    handle: str = ""
    # The handle shown in the link text when it differs from the URL's, and a
    # nickname in parentheses ("Spencer(nibz)"): hints, not identity.
    shown_handle: str = field(default="", compare=False)
    nickname: str = field(default="", compare=False)
    # True when the handle comes from a GitHub link, not a bare "@mention"
    # (which may be a Twitter or Slack name).
    handle_from_url: bool = field(default=False, compare=False)


def strip_list_marker(line: str) -> str:
    return LIST_MARKER_RE.sub("", line, count=1).strip()


def _valid(handle: str) -> str:
    handle = handle.strip().strip("@")
    return handle if GITHUB_HANDLE_RE.match(handle) else ""


def _clean_name(text: str) -> str:
    # Drop leftover markdown link syntax and brackets around the name.
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[\[\]()]", " ", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" -–—:,;*_`")


def parse_attendee_line(line: str) -> ParsedAttendee | None:
    """One person from one line, or None when the line names nobody usable."""
    text = strip_list_marker(line)
    if not text:
        return None
    url_match = GITHUB_URL_RE.search(text)
    at_match = AT_HANDLE_RE.search(text)
    handle = ""
    if url_match:
        handle = _valid(url_match.group("handle"))
    from_url = bool(handle)
    if not handle and at_match:
        handle = _valid(at_match.group("handle"))
    if not handle:
        host_only = HOST_ONLY_LINK_RE.search(text)
        if host_only:
            handle = _valid(host_only.group("handle"))

    # The name is what stands before the first bracket or @, else the link text.
    head = re.split(r"[(\[@]|https?:", text, maxsplit=1)[0]
    name = _clean_name(AFFILIATION_RE.split(head, maxsplit=1)[0])
    if not name:
        link_text = re.match(r"\[([^\]]+)\]", text)
        if link_text:
            name = _clean_name(link_text.group(1))
    if not name:
        name = handle
    if name.lower() in PLACEHOLDER_NAMES or handle.lower() in PLACEHOLDER_NAMES:
        return None
    if not name:
        return None
    shown = nickname = ""
    shown_match = SHOWN_HANDLE_RE.search(text)
    if shown_match and handle:
        candidate = _valid(shown_match.group("handle"))
        if candidate and candidate.lower() != handle.lower():
            # "[@ada](github.com/AdaQuill)" shows a wrong handle; "[dub](...)" a
            # nickname.
            if "@" in shown_match.group(0):
                shown = candidate
            else:
                nickname = candidate
    after_name = text[len(head) :] if head else ""
    nick_match = NICKNAME_RE.match(after_name)
    if nick_match and not handle:
        nickname = nick_match.group("nick")
    return ParsedAttendee(
        name=name,
        handle=handle,
        shown_handle=shown,
        nickname=nickname,
        handle_from_url=from_url,
    )


def parse_attendee_lines(
    text: str,
) -> tuple[list[ParsedAttendee], list[tuple[int, str]]]:
    """Every person in a pasted block, and the (line number, line) pairs not understood.

    A person listed twice (same handle, or same name without handle) is kept once.
    """
    people: list[ParsedAttendee] = []
    seen: set[str] = set()
    unreadable: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = parse_attendee_line(line)
        if parsed is None:
            unreadable.append((number, line))
            continue
        key = (parsed.handle or parsed.name).lower()
        if key not in seen:
            seen.add(key)
            people.append(parsed)
    return people, unreadable
