"""Adversarial notes cannot hang the importer (issue 17, finding 8).

Every regex the importer runs on uploaded text must be linear: a 71-character
heading "# Call - - - ... x" used to backtrack for hours. Here hypothesis builds
hostile documents (long heading runs, separator runs, nested brackets, emphasis
runs, mention chains) and each must be read, planned and checked for loss within
a time budget far above what a linear reader needs.
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenda.notes.exporter import render_call
from agenda.notes.format import content_segments, missing_lines
from agenda.notes.importer import import_notes
from agenda.notes.parser import (
    NotesImportError,
    clean_title,
    parse_notes,
    raw_title,
    says_cancelled,
)
from agenda.notes.people import PeopleIndex, Resolver
from agenda.notes.plan import SeriesInfo, learn_people, plan_call, split_presenters

# A linear pass over a few thousand characters takes milliseconds; a budget of
# seconds leaves room for a busy CI machine and still catches backtracking,
# which takes minutes to hours on these inputs.
BUDGET = 3.0

UNITS = [
    *("- ", " -", "-", " ", "[", "]", "(", ")", "**", "__", "*", "_", "`", "@"),
    *("#", ":", "|", ",", "x", "a ", "1", "2020-", "[@a](https://github.com/a)"),
    *(", and ", " to ", "call ", "meeting ", "cancelled ", "\\", "!", "<", ">"),
]
runs = st.builds(
    lambda unit, count, tail: unit * count + tail,
    st.sampled_from(UNITS),
    st.integers(20, 2_000),
    st.sampled_from(["", "x", " x", "!", ":", ")", "]", "\\"]),
)
mixed = st.lists(st.sampled_from(UNITS), min_size=20, max_size=400).map("".join)
hostile = st.one_of(runs, mixed)
PLACES = [
    "# Call {}\n\n## 2021-01-01\n",
    "# 2021-01-01 {}\n",
    "# 2021-01-01\n\n## {}\n\ntext\n",
    "# 2021-01-01\n\n### Agenda\n\n- {}\n",
    "# 2021-01-01\n\n### Who joined\n\n- {}\n",
    "# 2021-01-01\n\n### Action items\n\n- [ ] {}\n",
    "# 2021-01-01\n\n{}\n\n[a]: https://github.com/a\n",
    "---\ntitle: {}\n---\n# 2021-01-01\n",
    "# 2021-01-01\n\n**{}**: x\n",
]


def read_plan_check(text: str) -> float:
    started = time.perf_counter()
    try:
        parsed = parse_notes(text, name="2021-01-01.md")
    except NotesImportError:
        return time.perf_counter() - started
    index = PeopleIndex()
    learn_people(parsed.calls, index)
    for call in parsed.calls:
        plan = plan_call(call, index=index, series=SeriesInfo("Widget Call"))
        missing_lines(call.source, render_call(plan.data))
    return time.perf_counter() - started


def test_the_heading_that_used_to_hang_reads_at_once():
    heading = "# Call " + "- " * 32 + "x"
    assert len(heading) > 70
    started = time.perf_counter()
    assert raw_title(heading[2:]) == heading[2:]
    assert clean_title(heading[2:] + " - meeting notes -") == heading[2:]
    assert read_plan_check(heading + "\n\n## 2021-01-01\n") < BUDGET
    assert time.perf_counter() - started < BUDGET


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile, st.sampled_from(PLACES))
def test_hostile_text_anywhere_is_read_in_linear_time(text, place):
    assert read_plan_check(place.format(text)) < BUDGET


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_each_text_helper_is_linear(text):
    resolver_index = PeopleIndex()
    started = time.perf_counter()
    clean_title(text)
    raw_title(text)
    says_cancelled(text, title="Widget Call")
    content_segments(text)
    split_presenters(text, Resolver(resolver_index, []))
    assert time.perf_counter() - started < BUDGET


@pytest.mark.django_db
def test_an_upload_of_hostile_files_finishes_within_the_budget():
    files = [
        ("a.md", ("# Call " + "- " * 3_000 + "x\n\n## 2021-01-01\n").encode()),
        ("b.md", ("# 2021-01-01\n\n### Agenda\n\n- " + "**a " * 3_000).encode()),
        ("c.md", ("# 2021-01-01\n\n" + "[@a](https://github.com/a), " * 800).encode()),
        ("d.md", ("---\ntitle: " + "- " * 3_000 + "\n---\n# 2021-01-01\n").encode()),
    ]
    started = time.perf_counter()
    report = import_notes(sources=files, series_slug="s", dry_run=True)
    assert time.perf_counter() - started < 4 * BUDGET
    assert report.failures == 0
