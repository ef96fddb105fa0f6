"""Each chart's numbers against the database on the large synthetic community and on
the imported Falco corpus (skipped without ../shared/corpus, as the corpus tests are).
"""

import io
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from agenda.notes.importer import import_notes, sources_from_paths
from meetings.models import Meeting, MeetingSeries
from people.models import Attendee
from tests import chart_checks

CORPUS = (
    Path(settings.BASE_DIR)
    / ".."
    / "shared"
    / "corpus"
    / "falco-community"
    / "meeting-notes"
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", params=["fake-2000", "falco-corpus"])
def community(request, django_db_setup, django_db_blocker):
    """The large synthetic community (2,000 calls), or the real Falco archive."""
    if request.param == "falco-corpus" and not CORPUS.is_dir():
        pytest.skip(f"the shared notes corpus is not at {CORPUS}")
    with django_db_blocker.unblock(), transaction.atomic():
        if request.param == "fake-2000":
            # Few agenda items keep it quick; the minutes chart needs only some.
            call_command(
                "generate_fake_community",
                meetings=2000,
                items_per_meeting=2,
                actions_per_meeting=0,
                stdout=io.StringIO(),
            )
        else:
            import_notes(
                sources=sources_from_paths([CORPUS]), series_slug="falco-community"
            )
        if connection.vendor == "postgresql":
            # Rows written inside this transaction have no planner statistics
            # yet; without them PostgreSQL picks nested loops that take minutes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        yield request.param
        transaction.set_rollback(True)


def test_series_charts_match_the_database(community):
    today = timezone.localdate()
    checked = 0
    for series in MeetingSeries.objects.all():
        if Meeting.objects.finalized().filter(series=series).exists():
            charts = chart_checks.check_series(series, today=today)
            assert not charts["attendance"].chart.is_empty
            checked += 1
    assert checked >= 1


def test_person_charts_match_the_database(community):
    today = timezone.localdate()
    # The longest histories, and a few people with little.
    people = list(
        Attendee.objects.annotate(n=Count("attendances")).order_by("-n", "pk")[:3]
    ) + list(Attendee.objects.annotate(n=Count("attendances")).order_by("n", "pk")[:3])
    for person in people:
        chart_checks.check_person(person, today=today)


def test_release_and_reference_charts_match_the_database(community):
    assert not chart_checks.check_releases().is_empty
    assert not chart_checks.check_references().chart.is_empty
    # Every reference shows in exactly one year of the page.
    assert chart_checks.check_reference_windows() > 1


def test_charts_render_fast(community):
    """Drawing a chart (SVG and table, no query) stays far under 5 ms."""
    from meetings import charts

    series = MeetingSeries.objects.annotate(n=Count("meetings")).order_by("-n")[0]
    calls = charts.series_calls(series)
    buckets = charts.attendance_buckets(calls, charts.joined_by_call(series))
    started = time.perf_counter()
    for _ in range(10):
        charts.attendance_chart(calls, *buckets).chart.table_html()
        charts.mc_rota(series, calls).table_html()
    per_chart_ms = (time.perf_counter() - started) * 1000 / 20
    # Generous for a busy CI machine; tests/bench/chart_timings.py measures.
    assert per_chart_ms < 25
