"""Random and mutated notes: the reader never crashes except with its own clear
error, and no line of what it reads is lost."""

from pathlib import Path

import pytest
from django.conf import settings as settings_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenda.notes.exporter import render_call
from agenda.notes.format import missing_lines
from agenda.notes.importer import import_notes
from agenda.notes.parser import NotesImportError, decode_notes, parse_notes
from agenda.notes.people import PeopleIndex
from agenda.notes.plan import SeriesInfo, learn_people, plan_call

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = (
    Path(settings_module.BASE_DIR)
    / ".."
    / "shared"
    / "corpus"
    / "falco-community"
    / "meeting-notes"
)
RUST = (
    Path(settings_module.BASE_DIR) / ".." / "shared" / "corpus" / "rust-compiler-team"
)
# Our fixtures, and the real notes when the shared corpora are next to the project.
SAMPLES = [
    p.read_text("utf-8")
    for folder in (FIXTURES, CORPUS, RUST / "content")
    if folder.is_dir()
    for p in sorted(folder.rglob("*.md"))
]

LINES = [
    "# Widget Community Call",
    "## 2021-03-03",
    "## 2021-3-10",
    "# Office hours - Meeting 4th Sept 2019",
    "30th Oct 2019",
    "### MC",
    "**MC:** Ann Lee",
    "### Who joined",
    "**Present**",
    "- Ann Lee ([@annlee](https://github.com/annlee))",
    "- @bo-chen",
    "1. - Cy [cy](https://github.com/cy)",
    "- Dee (@dee), Acme",
    "- [Your Name](https://github.com/your-handle)",
    "### This week highlights",
    "### Agenda (Please add items)",
    "- [Ann/Bo] Release plan",
    "- [ ] a checkbox",
    "- Docs (Cy)",
    "- **Dee**: plugin questions",
    "    - nested note",
    "        - deeper",
    "```",
    "```bash",
    "# not a heading inside code",
    "> a quote",
    "| a | b |",
    "| - | - |",
    "| 1 | 2 |",
    "## Action items",
    "- [x] [Ann] done thing",
    "ACTION: Bo to write it",
    "TODO: something",
    "Ann to prepare slides",
    "### Closing",
    "- **MC Next Call**: Bo",
    "- **Next Release**: 1.2.0 on May 5th (Ann, Bo)",
    "- **Recording**: [Play](https://video.example.org/1)",
    "[More Information](https://example.org) - [Zoom](https://meet.example.org)",
    "[Recording](https://)",
    "## HOLIDAY BREAK!",
    "Cancelled (no topic)",
    "---",
    "<!-- callbook:notes -->",
    "<!-- /callbook:notes -->",
    "### Notes",
    # Layouts of other communities (issue 12).
    "---",
    "title: 2019.03.01",
    "type: docs",
    "+++",
    'title = "Widget Sync"',
    "# 2019.03.01",
    "[@ann][ann] proposed an agenda and [@bo] asked",
    "[ann]: https://github.com/ann",
    "[@bo]: https://github.com/bo",
    "[draft]: https://example.org/draft <title>",
    "## Working group sync",
    "### [wg-meta](https://example.org/wg/meta/)",
    "### [wg-docs]",
    "#### Improvements",
    "- [@ann] Moved the pass [#1](https://github.com/example/widget/pull/1)",
    "## Apologies",
    "## Present",
    "### Members",
    "## Decisions",
    "The gadget meeting was cancelled this week.",
    "## Audio",
    "[YouTube feed](https://video.example.org/1)",
    "- **Video**: https://video.example.org/2",
    "",
    "",
]

odd_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"),
    max_size=60,
)
line = st.one_of(
    st.sampled_from(LINES),
    st.sampled_from(LINES).map(lambda text: "  " + text),
    odd_text,
    st.integers(1, 12).map(lambda depth: "    " * depth + "- deep"),
    st.integers(1, 4).map(lambda n: "- " + "x" * (5_000 * n)),
)
documents = st.lists(line, min_size=0, max_size=50).map("\n".join)


@st.composite
def mutated_samples(draw):
    lines = draw(st.sampled_from(SAMPLES)).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["cut", "move", "insert", "shift"]))
        if not lines:
            break
        where = draw(st.integers(0, len(lines) - 1))
        if action == "cut":
            del lines[where : where + draw(st.integers(1, 5))]
        elif action == "move":
            block = lines[where : where + draw(st.integers(1, 10))]
            del lines[where : where + len(block)]
            target = draw(st.integers(0, len(lines)))
            lines[target:target] = block
        elif action == "insert":
            lines.insert(where, draw(line))
        else:
            lines[where] = (
                draw(st.sampled_from(["", "  ", "    ", "\t"])) + lines[where]
            )
    return "\n".join(lines)


def check_lossless(text: str, name: str) -> None:
    try:
        parsed = parse_notes(text, name=name)
    except NotesImportError as error:
        problem = error
    else:
        problem = None
    if problem is not None:
        # The reader's own error, saying what and where.
        assert problem.message
        assert problem.line >= 1
        return
    index = PeopleIndex()
    learn_people(parsed.calls, index)
    seen = set()
    for call in parsed.calls:
        assert call.first_line <= call.last_line
        seen.update(range(call.first_line, call.last_line + 1))
        plan = plan_call(call, index=index, series=SeriesInfo("Widget Community Call"))
        assert missing_lines(call.source, render_call(plan.data)) == []
    # Every line of the file belongs to exactly one call.
    assert seen == set(range(1, len(parsed.lines) + 1))


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(documents, st.sampled_from(["2021-01-01.md", "notes.md"]))
def test_random_notes_never_crash_and_lose_nothing(text, name):
    check_lossless(text, name)


@SETTINGS
@given(mutated_samples())
def test_mutated_notes_never_crash_and_lose_nothing(text):
    check_lossless(text, "2021-01-01.md")


def test_an_indented_link_definition_loses_nothing():
    # Found by the mutation test on the Rust corpus: the export writes an
    # indented definition unindented, its label being layout either way.
    check_lossless(
        "### [wg-self-profile]\n"
        "    [#68530]: https://github.com/rust-lang/rust/pull/68530\n",
        "2021-01-01.md",
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_fail_clearly(data):
    try:
        text = decode_notes(data, name="x.md")
    except NotesImportError as error:
        problem, text = error, None
    else:
        problem = None
    if problem is not None:
        assert problem.line >= 1
        assert problem.file == "x.md"
    else:
        assert isinstance(text, str)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(documents, mutated_samples()), min_size=1, max_size=3))
def test_the_import_service_reports_instead_of_raising(texts):
    sources = [
        (f"{number}-2021-01-0{number + 1}.md", text.encode("utf-8"))
        for number, text in enumerate(texts)
    ]
    report = import_notes(sources=sources, series_slug="fuzz", dry_run=True)
    assert len(report.files) == len(sources)
    for file in report.files:
        if file.failed:
            assert file.error["message"]
            assert not file.error["message"].startswith(("KeyError", "IndexError"))
