import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from icalendar import Calendar

from tests.factories import AgendaItemFactory, MeetingFactory, MeetingSeriesFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def series():
    return MeetingSeriesFactory(
        slug="community",
        title="Widget Call",
        time_zone="Europe/Rome",
        video_url="https://meet.example.org/widget",
    )


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_calendar_has_upcoming_and_recent_calls_with_alarm_and_zone(client, series):
    coming = MeetingFactory(
        series=series,
        status="scheduled",
        start=NOW + dt.timedelta(days=3),
        title="Coming call",
        length_minutes=45,
    )
    MeetingFactory(series=series, start=NOW - dt.timedelta(days=20), title="Recent")
    MeetingFactory(series=series, start=NOW - dt.timedelta(days=400), title="Ancient")
    MeetingFactory(
        series=series,
        status="cancelled",
        start=NOW + dt.timedelta(days=10),
        title="Called off",
    )
    calendar, found = events(client.get("/calls.ics"))
    assert set(found) == {"Coming call", "Recent", "Called off"}
    event = found["Coming call"]
    assert str(event["uid"]) == f"callbook-meeting-{coming.pk}@testserver"
    assert event.decoded("dtstart") == coming.start
    assert event["dtstart"].params["TZID"] == "Europe/Rome"
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=45)
    assert str(event["location"]) == "https://meet.example.org/widget"
    assert "https://meet.example.org/widget" in str(event["description"])
    assert str(event["url"]) == f"http://testserver{coming.get_absolute_url()}"
    alarm = event.walk("VALARM")[0]
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=15)
    assert str(found["Called off"]["status"]) == "CANCELLED"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]


def test_uids_stay_the_same_when_a_call_moves(client, series):
    meeting = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=3)
    )
    _, before = events(client.get("/calls.ics"))
    meeting.start += dt.timedelta(days=1)
    meeting.save()
    _, after = events(client.get("/calls.ics"))
    assert [str(e["uid"]) for e in before.values()] == [
        str(e["uid"]) for e in after.values()
    ]


def test_series_calendar_has_only_that_series(client, series):
    MeetingFactory(
        series=series,
        status="scheduled",
        start=NOW + dt.timedelta(days=1),
        title="Mine",
    )
    MeetingFactory(status="scheduled", start=NOW + dt.timedelta(days=1), title="Other")
    calendar, found = events(client.get("/calls/community.ics"))
    assert set(found) == {"Mine"}
    assert str(calendar["x-wr-calname"]) == "Widget Call"
    assert client.get("/calls/unknown.ics").status_code == 404


def test_atom_feed_has_finalized_notes_as_sanitized_html(client, series):
    meeting = MeetingFactory(
        series=series,
        highlights="**big** news <script>alert(1)</script>",
        notes="[x](javascript:alert(1))",
    )
    AgendaItemFactory(meeting=meeting, title="Roadmap", discussion_notes="*agreed*")
    MeetingFactory(series=series, status="held", highlights="draft")
    response = client.get("/feeds/notes/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(f"{ATOM}title").text == f"Widget Call, {meeting.date_key}"
    assert entry.find(f"{ATOM}link").get("href").endswith(meeting.get_absolute_url())
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "<strong>big</strong>" in summary.text
    assert "<em>agreed</em>" in summary.text
    assert "<script" not in summary.text
    assert "javascript:" not in summary.text
