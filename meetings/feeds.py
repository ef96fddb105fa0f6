"""Feeds: iCalendar for calendars, Atom for finalized notes."""

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from icalendar import Alarm, Calendar, Event

from agenda.models import AgendaItem, attach_agenda_presenters
from meetings.markdown import strip_control_characters
from meetings.models import Meeting, MeetingSeries
from meetings.templatetags.site_tags import presenters
from meetings.views import PAGE_DEFERRED, agenda_prefetch, render_stored

# Calendars get the coming calls and those of the last weeks, not the whole past.
CALENDAR_PAST_DAYS = 90
CALENDAR_MAX_EVENTS = 200
ALARM_BEFORE = dt.timedelta(minutes=15)
FEED_ITEMS = 20


def calendar_meetings(series: MeetingSeries | None = None, now=None):
    """Upcoming and recent calls, oldest first: what a subscribed calendar shows."""
    now = now or timezone.now()
    meetings = Meeting.objects.filter(
        start__gte=now - dt.timedelta(days=CALENDAR_PAST_DAYS)
    )
    if series is not None:
        meetings = meetings.filter(series=series)
    return meetings.select_related("series").order_by("start", "ordinal")[
        :CALENDAR_MAX_EVENTS
    ]


def meeting_event(meeting: Meeting, request, stamp: dt.datetime) -> Event:
    page = request.build_absolute_uri(meeting.get_absolute_url())
    tz = meeting.series.tzinfo
    event = Event()
    # The primary key never changes, even when a call moves to another date.
    event.add("uid", f"callbook-meeting-{meeting.pk}@{request.get_host()}")
    event.add("dtstamp", stamp)
    event.add("sequence", meeting.version)
    event.add("summary", meeting.display_title)
    event.add("dtstart", meeting.start.astimezone(tz))
    event.add("dtend", meeting.end.astimezone(tz))
    event.add("url", page)
    video = meeting.effective_video_url
    lines = []
    if video:
        event.add("location", video)
        lines.append(f"Video call: {video}")
    lines.append(f"Agenda and notes: {page}")
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{meeting.display_title} starts in 15 minutes")
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    return event


def calendar(request, series=None):
    """/calls.ics for every series, /calls/<series>.ics for one."""
    series_obj = get_object_or_404(MeetingSeries, slug=series) if series else None
    cal = Calendar()
    cal.add("prodid", "-//Callbook//Community calls//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add(
        "x-wr-calname",
        series_obj.title if series_obj else f"{settings.COMMUNITY_NAME} calls",
    )
    stamp = timezone.now()
    for meeting in calendar_meetings(series_obj, now=stamp):
        cal.add_component(meeting_event(meeting, request, stamp))
    cal.add_missing_timezones()
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    filename = f"{series_obj.slug if series_obj else 'calls'}.ics"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _xml_safe(value):
    return strip_control_characters(value) if isinstance(value, str) else value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom that drops the control characters XML 1.0 cannot carry, wherever they
    come from (an old row, an import), instead of failing the whole feed."""

    def __init__(self, *args, **kwargs):
        args = [_xml_safe(value) for value in args]
        super().__init__(*args, **{k: _xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        args = [_xml_safe(value) for value in args]
        super().add_item(*args, **{k: _xml_safe(v) for k, v in kwargs.items()})


def feed_agenda():
    """A call's agenda as its page orders it, only the columns an entry shows and
    its stored HTML is checked against: 20 calls' agendas are hundreds of rows."""
    prefetch = agenda_prefetch(presenters=False)
    prefetch.queryset = prefetch.queryset.only(
        "meeting_id",
        "presenter_names",
        *AgendaItem.MARKDOWN_FIELDS,
        *AgendaItem.html_columns(),
    )
    return prefetch


def entry_html(meeting: Meeting) -> str:
    """A feed entry's content: the call's highlights, agenda and notes as the
    stored, sanitized HTML (items() made it current), never raw markdown.

    Joined here, not by a template per entry: a template render per entry, each
    looping over dozens of agenda items, cost as much as reading them. Each part
    is escaped or sanitized already (`html` raises if it was not made current).
    """
    html = meeting.html
    parts = []
    if meeting.highlights:
        parts += ["<h2>Highlights</h2>\n", html["highlights"]]
    parts.append("\n")
    if meeting.agenda:
        parts.append("<h2>Agenda</h2>\n<ul>")
        for item in meeting.agenda:
            item_html = item.html
            parts += ["<li><strong>", item_html["title"], "</strong>"]
            if item.presenter_entries:
                parts += [" [", presenters(item), "]"]
            parts += [item_html["discussion_notes"], "</li>"]
        parts.append("</ul>")
    parts.append("\n")
    if meeting.notes:
        parts += ["<h2>Notes</h2>\n", html["notes"]]
    parts.append("\n")
    return "".join(parts)


class LatestNotesFeed(Feed):
    """An Atom feed of finalized notes, newest first, as sanitized HTML."""

    feed_type = XmlSafeAtom1Feed

    def title(self):
        return f"{settings.COMMUNITY_NAME}: call notes"

    def subtitle(self):
        return f"Finalized notes of the calls of {settings.COMMUNITY_NAME}."

    def link(self):
        return reverse("meetings:archive")

    def items(self):
        meetings = list(
            Meeting.objects.finalized()
            .select_related("series", "mc")
            .defer(*PAGE_DEFERRED)
            .prefetch_related(feed_agenda())
            .order_by("-start", "-ordinal")[:FEED_ITEMS]
        )
        attach_agenda_presenters(meetings)
        for meeting in meetings:
            # The HTML stored beside each text, from the same sanitizing renderer
            # and context as the call's page; only what is stale is rendered.
            render_stored(meeting)
        return meetings

    def item_title(self, item):
        return f"{item.display_title}, {item.date_key}"

    def item_description(self, item):
        return entry_html(item)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.finalized_at or item.start

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.mc.display_name if item.mc else None
