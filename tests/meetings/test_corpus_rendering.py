"""Issue 11's done-when: imported calls read as the community wrote them.

For every file of the shared corpora (../shared/corpus, never copied here; skipped
when absent), the file is imported, each call's page is rendered, and compared
with a reference rendering of the same source lines by markdown-it-py's CommonMark
plus mdit-py-plugins' GFM (its own autolink scanner, not ours):

- list nesting: for list items found in both, by their text, a step in depth
  between neighbouring items of the source is the same step on the page (a list
  nested by two spaces must not show flat);
- links: every web or mail link of the source is a link on the page;
- no markdown syntax left in the visible text: no more "](", "**" or "][" outside
  code than the reference rendering shows (a source may write them literally).

The mismatch count is printed and must be 0.
"""

import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from markdown_it import MarkdownIt
from mdit_py_plugins.gfm import gfm_plugin

from agenda.notes.importer import import_notes, sources_from_paths
from meetings.models import Meeting

SHARED = Path(settings.BASE_DIR) / ".." / "shared" / "corpus"
CORPORA = {
    "falco-community": SHARED / "falco-community" / "meeting-notes",
    "rust-compiler-team": SHARED / "rust-compiler-team" / "content" / "minutes",
}
LITERALS = ("](", "**", "][")

pytestmark = pytest.mark.django_db


def reference_renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).use(gfm_plugin)


class Outline(HTMLParser):
    """List items (own text, depth), link targets and visible text outside code."""

    SKIP = {"script", "style", "code", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[list] = []  # [text, depth, list group]
        self.group = 0
        self.open_items: list[int] = []
        self.lists = 0
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("ul", "ol"):
            self.group += self.lists == 0
            self.lists += 1
        elif tag == "li":
            self.items.append(["", self.lists, self.group])
            self.open_items.append(len(self.items) - 1)
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href:
                self.hrefs.append(href)
        elif tag in self.SKIP:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in ("ul", "ol"):
            self.lists -= 1
        elif tag == "li" and self.open_items:
            self.open_items.pop()
        elif tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if self.open_items:
            index = self.open_items[-1]
            if self.items[index][1] == self.lists:  # not inside a nested list
                self.items[index][0] += data
        if not self.skipping:
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(self.text)


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    for item in parsed.items:
        item[0] = " ".join(item[0].split()).lower()
    return parsed


# A person's profile, as the notes write it (typos included: "https:/github.com/x",
# "gihub.com/x"): the importer makes these people, shown with their own links.
PROFILE_RE = re.compile(
    r"^https?:/*(?:www\.)?g[a-z]*\.c?om(?:/[A-Za-z0-9-]*)?/?$|^https?:/*$",
    re.IGNORECASE,
)


def external(hrefs: list[str]) -> list[str]:
    return [
        h.rstrip("/").lower()
        for h in hrefs
        if re.match(r"^(https?|mailto):", h) and not PROFILE_RE.match(h)
    ]


def article(html: str) -> str:
    start = html.index('<article class="meeting">')
    return html[start : html.index("</article>", start)]


def nesting_mismatches(reference: Outline, page: Outline) -> list[str]:
    """Neighbouring items of one source list whose step in depth differs on the
    page. The page may place separate lists (attendees, an agenda item's notes) at
    different depths; it must never show one list flat."""
    occurrences: dict[str, list[int]] = {}
    for index, (text, _depth, _group) in enumerate(page.items):
        occurrences.setdefault(text, []).append(index)
    seen: dict[str, int] = {}
    matched: list[tuple[int, int, int] | None] = []
    for text, depth, group in reference.items:
        n = seen.get(text, 0)
        seen[text] = n + 1
        places = occurrences.get(text, [])
        if text and n < len(places):
            matched.append((depth, page.items[places[n]][1], group))
        else:
            matched.append(None)
    problems = []
    pairs = zip(matched, matched[1:], reference.items[1:], strict=False)
    for before, after, item in pairs:
        if not (before and after) or before[2] != after[2]:
            continue
        if after[0] - before[0] != after[1] - before[1]:
            problems.append(f"depth step at {item[0][:60]!r}: {before} -> {after}")
    return problems


def compare(source: str, page_html: str) -> list[str]:
    reference = outline(reference_renderer().render(source))
    page = outline(article(page_html))
    problems = nesting_mismatches(reference, page)
    page_links = set(external(page.hrefs))
    for href in external(reference.hrefs):
        if href not in page_links:
            problems.append(f"link lost: {href}")
    for literal in LITERALS:
        on_page = page.visible_text.count(literal)
        in_reference = reference.visible_text.count(literal)
        if on_page > in_reference:
            problems.append(f"{literal!r} shown {on_page} times, source {in_reference}")
    return problems


@pytest.mark.parametrize("corpus", CORPORA)
def test_imported_calls_render_as_markdown_it_does(client, corpus, settings):
    folder = CORPORA[corpus]
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not at {folder}")
    settings.PAGE_CACHE = False
    sources = sources_from_paths([folder])
    texts = {name: data.decode("utf-8-sig") for name, data in sources}
    started = time.perf_counter()
    with transaction.atomic():
        report = import_notes(sources=sources, series_slug=corpus)
        failed = [f.file for f in report.files if f.failed]
        meetings = list(
            Meeting.objects.exclude(source_file="").select_related("series")
        )
        mismatches: dict[str, list[str]] = {}
        for meeting in meetings:
            lines = texts[meeting.source_file].splitlines()
            first, _sep, last = meeting.source_lines.partition("-")
            source = "\n".join(lines[int(first) - 1 : int(last or first)])
            response = client.get(meeting.get_absolute_url())
            assert response.status_code == 200, meeting
            problems = compare(source, response.content.decode())
            if problems and os.environ.get("CORPUS_DUMP"):
                dump = Path(os.environ["CORPUS_DUMP"]) / f"{meeting.date_key}.html"
                dump.write_text(article(response.content.decode()))
            if problems:
                mismatches[f"{meeting.source_file} {meeting.date_key}"] = problems
        transaction.set_rollback(True)
    count = sum(len(p) for p in mismatches.values())
    print(
        f"\n{corpus}: files={len(sources)} import-failures={len(failed)} "
        f"calls={len(meetings)} mismatches={count} "
        f"seconds={time.perf_counter() - started:.1f}"
    )
    shown = None if os.environ.get("CORPUS_VERBOSE") else 15
    for call, problems in list(mismatches.items())[:shown]:
        print(f"  {call}: {problems[:shown]}")
    assert meetings
    assert count == 0


def test_the_comparison_catches_flat_lists_lost_links_and_raw_syntax():
    source = "- a\n  - nested\n- [link](https://x.org/a) and **b**"
    flat = (
        '<article class="meeting"><ul><li>a</li><li>nested</li>'
        "<li>[link](https://x.org/a) and **b**</li></ul></article>"
    )
    problems = compare(source, flat)
    assert any(p.startswith("depth step at 'nested'") for p in problems)
    assert "link lost: https://x.org/a" in problems
    assert "'](' shown 1 times, source 0" in problems
    assert "'**' shown 2 times, source 0" in problems
    good = reference_renderer().render(source)
    assert compare(source, f'<article class="meeting">{good}</article>') == []
