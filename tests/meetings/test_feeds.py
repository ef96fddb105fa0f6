import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone
from icalendar import Calendar

from people.models import Attendee
from tests.factories import (
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)

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


# What each entry held when a template rendered it from the markdown on every
# request: the feed now joins the stored HTML, and must read the same.
ENTRY_AS_RENDERED_FROM_MARKDOWN = (
    "{% load markdown_tags site_tags %}{% if meeting.highlights %}<h2>Highlights</h2>\n"
    "{{ meeting.highlights|markdown:meeting }}{% endif %}\n"
    "{% if meeting.agenda %}<h2>Agenda</h2>\n<ul>{% for item in meeting.agenda %}"
    "<li><strong>{{ item.title|markdown_inline:meeting }}</strong>"
    "{% if item.presenter_entries %} [{% presenters item %}]{% endif %}"
    "{{ item.discussion_notes|markdown:meeting }}</li>{% endfor %}</ul>{% endif %}\n"
    "{% if meeting.notes %}<h2>Notes</h2>\n{{ meeting.notes|markdown:meeting }}"
    "{% endif %}\n"
)


def rich_call(series, **fields):
    """A call with every kind of markdown the feed shows, links defined once for
    all its texts, presenters linked and as written, and HTML to sanitize."""
    meeting = MeetingFactory(
        series=series,
        highlights="**Big** news, see #12 and [the plan][plan] <img src=x onerror=y>",
        notes=(
            "- [x] done\n- [ ] open\n\n"
            "| a | b |\n|---|---|\n| `x` | ~~y~~ |\n\n"
            "Thanks @ada-q![^1]\n\n[^1]: A footnote.\n\n"
            "[plan]: https://example.org/plan\n"
            '<a href="javascript:alert(1)">bad</a> <script>alert(1)</script>'
        ),
        **fields,
    )
    ada = Attendee.objects.filter(github_handle="ada-q").first() or AttendeeFactory(
        display_name="Ada <Q> O'Neil", github_handle="ada-q"
    )
    bo = AttendeeFactory(display_name="Bo", github_handle="")
    first = AgendaItemFactory(
        meeting=meeting,
        title="Roadmap `v2` & [plan][plan]",
        presenter_names="Ada/Cy <b>",
        discussion_notes="*agreed*, see other/repo#3\n\n<details>x</details>",
    )
    first.presenters.add(ada, bo)
    AgendaItemFactory(meeting=meeting, title="Proposed", status="proposed")
    AgendaItemFactory(meeting=meeting, title="Declined", status="declined")
    return meeting


def entry_content(response):
    feed = ET.fromstring(response.content)
    return [entry.find(f"{ATOM}summary").text for entry in feed.findall(f"{ATOM}entry")]


def test_atom_entries_read_as_the_markdown_renders_them(client, series):
    from django.template import Context, Template

    from meetings.feeds import FEED_ITEMS
    from meetings.models import Meeting
    from meetings.views import agenda_prefetch

    rich_call(series)
    MeetingFactory(series=series, highlights="Short one.")
    # Twice: the first read stores the HTML it rendered, the second serves it.
    first = entry_content(client.get("/feeds/notes/"))
    assert entry_content(client.get("/feeds/notes/")) == first
    template = Template(ENTRY_AS_RENDERED_FROM_MARKDOWN)
    expected = [
        template.render(Context({"meeting": meeting}))
        for meeting in Meeting.objects.finalized()
        .select_related("series")
        .prefetch_related(agenda_prefetch())
        .order_by("-start", "-ordinal")[:FEED_ITEMS]
    ]
    assert first == expected
    (rich,) = [content for content in first if "Roadmap" in content]
    assert '<a href="/people/ada-q/">Ada &lt;Q&gt; O&#x27;Neil</a>, Bo' in rich
    assert "Cy &lt;b&gt;" in rich
    assert '<a href="https://example.org/plan"' in rich
    assert "example/widget/issues/12" in rich
    assert "<strong>Proposed</strong>" in rich
    assert "Declined" not in rich


def test_atom_feed_sanitizes_what_it_stores_and_renders_stale_html_again(
    client, series
):
    from agenda.models import AgendaItem
    from meetings.models import Meeting

    meeting = rich_call(series)
    client.get("/feeds/notes/")
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.html_key
    assert "<strong>Big</strong>" in stored.highlights_html
    # HTML left by an older renderer (or written around it) is never served.
    Meeting.objects.filter(pk=meeting.pk).update(
        notes_html="<script>stale()</script>", html_key="0:stale"
    )
    AgendaItem.objects.filter(meeting=meeting).update(
        discussion_notes_html="<script>stale()</script>", html_key="0:stale"
    )
    (content,) = entry_content(client.get("/feeds/notes/"))
    assert "stale()" not in content
    for unsafe in ("<script", "javascript:", "onerror"):
        assert unsafe not in content
    assert "<em>agreed</em>" in content
    assert '<a rel="nofollow noopener noreferrer">bad</a>' in content
    assert Meeting.objects.get(pk=meeting.pk).html_key != "0:stale"


def test_atom_feed_queries_do_not_grow_with_calls_agendas_or_presenters(
    client, series, settings, django_assert_num_queries
):
    from meetings.feeds import FEED_ITEMS

    settings.PAGE_CACHE = False
    rich_call(series)
    client.get("/feeds/notes/")  # stores the HTML it rendered
    with django_assert_num_queries(3):
        assert len(entry_content(client.get("/feeds/notes/"))) == 1
    for _n in range(FEED_ITEMS + 3):
        meeting = rich_call(series)
        for _i in range(3):
            AgendaItemFactory(meeting=meeting).presenters.add(AttendeeFactory())
    client.get("/feeds/notes/")
    # The calls, their agendas, their presenters.
    with django_assert_num_queries(3):
        assert len(entry_content(client.get("/feeds/notes/"))) == FEED_ITEMS
