"""Indexes the uncached pages read by (issue 15): home's open action items read
their calls from an index alone, not the table of whole notes, a call's
attendance has one index led by the call, the unique (meeting, attendee) one,
and the page of one issue finds its references case-blind by index."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    ActionItemFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)

NOW = timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def uncached(settings):
    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries]


def scans_of(sql: str, table: str, *joined: str) -> list[dict]:
    """How PostgreSQL reads `table` for `sql`: one node per scan of it, as run."""
    plain = ("enable_seqscan", "enable_bitmapscan", "enable_nestloop")
    with connection.cursor() as cursor:
        # Indexes as a fresh build leaves them (not bloated by earlier tests'
        # rolled-back rows), pages all-visible as autovacuum leaves an archive
        # (VACUUM runs outside a transaction), statistics of the test's rows.
        cursor.execute(f"REINDEX TABLE {table}")
        cursor.execute(f"VACUUM ANALYZE {', '.join([table, *joined])}")
        # On a few rows, scanning the table, or looking each item's call up by
        # id, wins whatever the indexes; on the archive's thousands of calls
        # (whole notes in each row) and hundreds of open items it is the bulk
        # join the 2,000-call bench set shows, which these leave.
        for setting in plain:
            cursor.execute(f"SET {setting} = off")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        finally:
            for setting in plain:
                cursor.execute(f"RESET {setting}")
    plan = plan if isinstance(plan, list) else json.loads(plan)

    return nodes_reading(plan[0]["Plan"], table)


def nodes_reading(node: dict, table: str) -> list[dict]:
    own = [node] if node.get("Relation Name") == table else []
    return own + [
        n for child in node.get("Plans", []) for n in nodes_reading(child, table)
    ]


def attendance_indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "meetings_attendance")
    return {
        name: about["columns"]
        for name, about in found.items()
        if about["index"] or about["unique"]
    }


@pytest.mark.django_db
def test_attendance_has_one_index_led_by_the_call():
    indexes = attendance_indexes()
    led_by_call = [cols for cols in indexes.values() if cols[0] == "meeting_id"]
    assert led_by_call == [["meeting_id", "attendee_id"]], indexes
    assert indexes["meetings_attendance_person"] == ["attendee_id", "meeting_id"]


@pytest.mark.django_db(transaction=True)
def test_homes_open_action_items_read_calls_from_the_index_alone(client, uncached):
    if connection.vendor != "postgresql":
        pytest.skip("Reads PostgreSQL's query plan.")
    series = MeetingSeriesFactory()
    MeetingFactory(series=series, status="scheduled", start=NOW + dt.timedelta(days=1))
    for weeks in range(1, 11):
        past = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=weeks))
        ActionItemFactory.create_batch(3, meeting=past)
    (sql,) = [sql for sql in queries_of(client, "/") if '"open_in_series"' in sql]
    # The series is not joined: home holds it already, and its slug and
    # repository would be carried through the sort of every open item.
    assert "meetings_meetingseries" not in sql, sql
    scans = scans_of(sql, "meetings_meeting", "agenda_actionitem")
    assert [(s["Node Type"], s.get("Index Name")) for s in scans] == [
        ("Index Only Scan", "meetings_status_series_cover")
    ], sql
    # Not a page of the table itself (its rows hold whole notes), once VACUUM
    # could mark them all-visible: a transaction another test left open holds
    # them back, and then the index-only scan must check the table.
    if all_visible("meetings_meeting"):
        assert [s["Heap Fetches"] for s in scans] == [0]


def all_visible(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible >= relpages FROM pg_class WHERE relname = %s", [table]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_one_issues_page_finds_its_references_by_index_whatever_the_case(
    client, uncached
):
    if connection.vendor != "postgresql":
        pytest.skip("Reads PostgreSQL's query plan.")
    for number in range(1, 200):
        GitHubReferenceFactory(owner="Falcosecurity", repo="Falco", number=number)
    GitHubReferenceFactory(owner="other", repo="lib", number=7)
    (sql,) = [
        sql
        for sql in queries_of(client, "/refs/falcosecurity/FALCO/7/")
        if "meetings_githubreference" in sql and "COUNT" not in sql
    ]
    scans = scans_of(sql, "meetings_githubreference")
    assert [(s["Node Type"], s.get("Index Name")) for s in scans] == [
        ("Index Scan", "meetings_ref_lookup")
    ], sql
    # Sought by all three keys, not every reference read and filtered.
    assert scans[0]["Index Cond"].count("upper(") == 2, scans[0]["Index Cond"]
    assert scans[0].get("Rows Removed by Filter", 0) == 0
    assert scans[0]["Actual Rows"] == 1
