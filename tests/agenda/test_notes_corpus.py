"""The whole shared corpus of real meeting notes: imported once for this module.

The files are test data read from ../shared/corpus (never copied here); without
that folder these tests are skipped.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from agenda.models import ActionItem, AgendaItem
from agenda.notes.check import lossless_failures, round_trip
from agenda.notes.importer import import_notes, sources_from_paths
from meetings.models import Meeting, MeetingSeries
from people.models import Attendee

CORPUS = (
    Path(settings.BASE_DIR)
    / ".."
    / "shared"
    / "corpus"
    / "falco-community"
    / "meeting-notes"
)
SERIES = "falco-community"

pytestmark = [
    pytest.mark.skipif(
        not CORPUS.is_dir(), reason=f"the shared notes corpus is not at {CORPUS}"
    ),
    pytest.mark.django_db,
]


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    sources = sources_from_paths([CORPUS])
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.perf_counter()
        report = import_notes(sources=sources, series_slug=SERIES, split_series=True)
        print(
            f"corpus import: {time.perf_counter() - started:.2f} s "
            f"({report.cpu_seconds:.2f} s CPU)"
        )
        yield report, sources
        transaction.set_rollback(True)


def test_every_file_imports(corpus):
    report, sources = corpus
    assert len(report.files) == len(sources) > 0
    assert [f.file for f in report.files if f.failed] == []
    assert all(f.calls_found >= 1 for f in report.files)
    assert report.total_new == Meeting.objects.count()
    assert report.total_new + report.total_updated + report.total_duplicate == (
        report.total_calls
    )
    # Well under the 5 s budget on an idle machine; generous here for busy CI.
    # CPU time: on a shared machine the wall clock mostly measures the others.
    assert report.cpu_seconds < 15


def test_nothing_is_lost(corpus):
    report, sources = corpus
    result = lossless_failures(report, sources)
    non_blank = sum(
        1
        for _name, data in sources
        for line in data.decode("utf-8-sig").splitlines()
        if line.strip()
    )
    assert result.lines_checked == non_blank
    assert result.missing == []


def test_export_then_import_reproduces_every_field(corpus):
    diffs, after = round_trip(default_series=SERIES, limit=10)
    assert diffs == []
    assert len(after["meetings"]) == Meeting.objects.count()


def test_the_archives_overlap_and_are_deduplicated(corpus):
    report, _sources = corpus
    assert report.total_duplicate > 0
    outcomes = {
        (f.file.rsplit("/", 1)[-1], c.date_key): c.outcome
        for f in report.files
        for c in f.calls
    }
    # The same call in two release archives, the second one edited.
    assert outcomes[("release-0.32.1.md", "2022-06-01")] == "updated"
    assert outcomes[("release-0.32.0.md", "2022-01-26")] == "duplicate"
    # Two different calls under one date heading are both kept.
    community = MeetingSeries.objects.get(slug=SERIES)
    assert community.meetings.filter(date="2020-10-21").count() == 2


def test_other_recurring_calls_have_their_own_series(corpus):
    titles = set(MeetingSeries.objects.values_list("title", flat=True))
    assert {"Falco Community Call", "Falco Office hours"} <= titles
    office_hours = MeetingSeries.objects.get(title="Falco Office hours")
    assert office_hours.meetings.filter(date__year=2019).count() >= 10
    assert not office_hours.meetings.filter(date__year__gte=2021).exists()


def test_people_are_not_duplicated_by_spelling(corpus):
    for handle in ("kris-nova", "ldegio", "leogr", "danpopsd"):
        assert Attendee.objects.handle_is(handle).count() == 1
    assert not Attendee.objects.filter(display_name="Kris Nova", github_handle="")
    assert AgendaItem.objects.filter(presenters__isnull=False).exists()
    assert ActionItem.objects.filter(status="suggested").exists()


def test_importing_the_corpus_again_changes_nothing(corpus):
    _report, sources = corpus
    counts = (
        Meeting.objects.count(),
        Attendee.objects.count(),
        Meeting.history.count(),
    )
    again = import_notes(sources=sources, series_slug=SERIES, split_series=True)
    assert (again.total_new, again.total_updated, again.failures) == (0, 0, 0)
    assert again.total_duplicate == again.total_calls
    assert (
        Meeting.objects.count(),
        Attendee.objects.count(),
        Meeting.history.count(),
    ) == counts
