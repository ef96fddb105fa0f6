import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from meetings.models import Meeting, MeetingSeries
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
)

UTC = dt.UTC


@pytest.mark.django_db
def test_meeting_date_follows_the_series_time_zone():
    series = MeetingSeriesFactory(time_zone="America/Los_Angeles")
    meeting = MeetingFactory(
        series=series, start=dt.datetime(2020, 9, 17, 2, 0, tzinfo=UTC)
    )
    assert meeting.date == dt.date(2020, 9, 16)
    assert meeting.date_key == "2020-09-16"


@pytest.mark.django_db
def test_one_call_per_series_and_date_unless_ordinal_differs():
    series = MeetingSeriesFactory()
    start = dt.datetime(2023, 8, 2, 16, tzinfo=UTC)
    MeetingFactory(series=series, start=start)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(series=series, start=start + dt.timedelta(hours=2))
    second = MeetingFactory(series=series, start=start, ordinal=2)
    assert second.date_key == "2023-08-02-2"
    assert second.get_absolute_url() == f"/calls/{series.slug}/2023-08-02-2/"


@pytest.mark.django_db
def test_duplicate_date_is_a_friendly_validation_error():
    series = MeetingSeriesFactory()
    start = dt.datetime(2023, 8, 2, 16, tzinfo=UTC)
    MeetingFactory(series=series, start=start)
    duplicate = Meeting(series=series, start=start)
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "already has a call on this date" in str(excinfo.value)


@pytest.mark.django_db
def test_ordinal_and_length_must_be_positive():
    series = MeetingSeriesFactory()
    start = dt.datetime(2023, 8, 2, 16, tzinfo=UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(series=series, start=start, ordinal=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(series=series, start=start, length_minutes=0)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("2020-09-16", (dt.date(2020, 9, 16), 1)),
        ("2020-09-16-2", (dt.date(2020, 9, 16), 2)),
    ],
)
def test_parse_date_key(key, expected):
    assert Meeting.parse_date_key(key) == expected


@pytest.mark.parametrize("key", ["2020-13-01", "2020-09-16-1", "2020-09-16-x", "nope"])
def test_parse_date_key_refuses_bad_keys(key):
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
        Meeting.parse_date_key(key)


@pytest.mark.django_db
def test_on_date_key_with_a_bad_key_finds_nothing():
    MeetingFactory()
    assert not Meeting.objects.on_date_key("2020-02-31").exists()


def test_series_recurrence_in_its_time_zone():
    series = MeetingSeries(
        weekday=MeetingSeries.Weekday.WEDNESDAY,
        start_time=dt.time(17, 0),
        time_zone="Europe/Rome",
        interval_weeks=2,
    )
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    monday = dt.datetime(2024, 3, 25, 9, 0, tzinfo=rome)
    nxt = series.next_start_after(monday)
    assert nxt == dt.datetime(2024, 3, 27, 17, 0, tzinfo=rome)
    # Exactly at the start time, the next one is a week later.
    assert series.next_start_after(nxt) == dt.datetime(2024, 4, 3, 17, 0, tzinfo=rome)
    following = series.start_following(nxt)
    assert following == dt.datetime(2024, 4, 10, 17, 0, tzinfo=rome)
    # Across the daylight-saving change the local time stays 17:00.
    assert following.utcoffset() == dt.timedelta(hours=2)


@pytest.mark.django_db
def test_series_time_zone_is_validated():
    series = MeetingSeries(slug="x", title="X", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as excinfo:
        series.full_clean()
    assert "not a known time zone" in str(excinfo.value)


@pytest.mark.django_db
def test_series_interval_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingSeries.objects.create(slug="x", title="X", interval_weeks=0)


@pytest.mark.django_db
def test_with_counts_does_not_multiply_rows():
    meeting = MeetingFactory()
    for _ in range(3):
        AttendanceFactory(meeting=meeting)
    for _ in range(2):
        AgendaItemFactory(meeting=meeting)
    MeetingFactory()
    counted = Meeting.objects.with_counts().get(pk=meeting.pk)
    assert (counted.attendee_count, counted.agenda_item_count) == (3, 2)
    assert Meeting.objects.with_counts().count() == 2


@pytest.mark.django_db
def test_next_per_series_picks_the_soonest_scheduled_call():
    series = MeetingSeriesFactory()
    now = dt.datetime(2024, 1, 1, tzinfo=UTC)
    soon = MeetingFactory(
        series=series, start=now + dt.timedelta(days=2), status="scheduled"
    )
    MeetingFactory(series=series, start=now + dt.timedelta(days=9), status="scheduled")
    MeetingFactory(series=series, start=now - dt.timedelta(days=5), status="finalized")
    other = MeetingFactory(start=now + dt.timedelta(days=4), status="scheduled")
    assert list(Meeting.objects.next_per_series(now).order_by("start")) == [soon, other]


@pytest.mark.django_db
def test_str_and_urls():
    series = MeetingSeriesFactory(slug="community", title="Example Call")
    meeting = MeetingFactory(
        series=series, start=dt.datetime(2024, 5, 1, 16, tzinfo=UTC)
    )
    assert str(series) == "Example Call"
    assert series.get_absolute_url() == "/calls/community/"
    assert str(meeting) == "Example Call — 2024-05-01"
    assert meeting.get_absolute_url() == "/calls/community/2024-05-01/"
    team = ReleaseTeamFactory(version="1.2.0", meeting=meeting)
    assert str(team) == "Release team 1.2.0"
    assert team.get_absolute_url() == "/releases/#release-1.2.0"
    ref = GitHubReferenceFactory(
        meeting=meeting, owner="example", repo="widget", number=7
    )
    assert str(ref) == "example/widget#7"
    assert ref.get_absolute_url() == "/refs/example/widget/7/"


@pytest.mark.django_db
def test_release_versions_are_unique_case_insensitively():
    ReleaseTeamFactory(version="1.0.0-RC1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseTeamFactory(version="1.0.0-rc1")


@pytest.mark.django_db
def test_meeting_edits_are_kept_in_history():
    meeting = MeetingFactory(highlights="first")
    meeting.highlights = "second"
    meeting.save()
    assert [h.highlights for h in meeting.history.all()] == ["second", "first"]


@pytest.mark.django_db
def test_search_text_follows_the_notes_and_the_agenda():
    from agenda.models import AgendaItem

    meeting = MeetingFactory(title="Kickoff", highlights="Shipped widgets")
    assert "Kickoff" not in meeting.search_document  # the title is indexed apart
    assert "Shipped widgets" in meeting.search_document
    item = AgendaItemFactory(meeting=meeting, title="Plugin API")
    meeting.refresh_from_db()
    assert "Plugin API" in meeting.search_document

    # Moving the item to another call moves its words too.
    other = MeetingFactory(series=meeting.series)
    item.meeting = other
    item.save()
    meeting.refresh_from_db()
    other.refresh_from_db()
    assert "Plugin API" not in meeting.search_document
    assert "Plugin API" in other.search_document

    item.delete()
    other.refresh_from_db()
    assert "Plugin API" not in other.search_document

    # Bulk writes bypass save(); the queryset method catches up.
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                series=meeting.series,
                title="Bulk topic",
                status=AgendaItem.Status.DISCUSSED,
            )
        ]
    )
    meeting.refresh_from_db()
    assert "Bulk topic" not in meeting.search_document
    assert Meeting.objects.filter(pk=meeting.pk).refresh_search_documents() == 1
    meeting.refresh_from_db()
    assert "Bulk topic" in meeting.search_document
    assert list(Meeting.objects.search("bulk topic")) == [meeting]
