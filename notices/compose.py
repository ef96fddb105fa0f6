"""What each notice says: subject, plain text, HTML, a link back, an ICS file.

Composed when the notice is sent, from the objects it names and the context saved
when it was enqueued (a decline's reason, the call an item was deferred to). The
text is markdown read as plain text; the HTML part is the same text through the
site's one sanitizing renderer, so nothing anyone typed reaches the HTML raw.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from agenda.models import ActionItem, AgendaItem
from agenda.notes.exporter import meetings_for_export, render_meeting
from agenda.views import proposal_token
from meetings.feeds import meeting_event
from meetings.markdown import render_markdown
from meetings.models import Meeting
from notices.models import Notice
from notices.services import (
    ALL_TOPICS,
    TOPIC_OF_KIND,
    confirm_token,
    manage_token,
    unsubscribe_token,
)
from people.models import Attendee

Kind = Notice.Kind
# Discord refuses a message longer than 2,000 characters.
WEBHOOK_CONTENT_MAX = 1900


class NothingToSay(Exception):
    """The object is gone or no longer in the state the notice reports."""


@dataclass
class Message:
    subject: str
    text: str
    html: str
    link: str
    ics: bytes | None = None
    unsubscribe_url: str = ""
    unsubscribe_all_url: str = ""

    def webhook_payload(self) -> dict:
        """One JSON body that Slack ("text"), Discord ("content") and Matrix
        hookshot ("text", "html") incoming webhooks all accept."""
        text = f"{self.subject}\n\n{self.text}"
        if len(text) > WEBHOOK_CONTENT_MAX:
            text = text[: WEBHOOK_CONTENT_MAX - 40].rstrip() + f"\n… {self.link}"
        return {"text": text, "content": text, "html": self.html}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


class SiteAddress:
    """Stands in for a request when meetings.feeds builds an event outside one."""

    def build_absolute_uri(self, location: str) -> str:
        return absolute(location)

    def get_host(self) -> str:
        return urlsplit(settings.SITE_URL).netloc


def meeting_ics(meeting: Meeting, now: dt.datetime) -> bytes:
    """The call as an iCalendar file, the same event /calls.ics publishes."""
    cal = Calendar()
    cal.add("prodid", "-//Callbook//Community calls//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(meeting_event(meeting, SiteAddress(), now))
    cal.add_missing_timezones()
    return cal.to_ical()


def _meeting(pk: int) -> Meeting:
    meeting = (
        Meeting.objects.select_related("series", "mc", "next_mc").filter(pk=pk).first()
    )
    if meeting is None:
        raise NothingToSay("The call no longer exists.")
    return meeting


def _agenda(meeting: Meeting) -> tuple[list[AgendaItem], list[AgendaItem]]:
    items = list(
        AgendaItem.objects.for_meeting(meeting)
        .filter(status__in=[AgendaItem.Status.ACCEPTED, AgendaItem.Status.PROPOSED])
        .prefetch_related("presenters")
        .order_by("position", "pk")
    )
    accepted = [i for i in items if i.status == AgendaItem.Status.ACCEPTED]
    proposed = [i for i in items if i.status == AgendaItem.Status.PROPOSED]
    return accepted, proposed


def _presenters(item: AgendaItem) -> str:
    names = [p.display_name for p in item.presenters.all()]
    return ", ".join(names) or item.presenter_names or item.proposer_name


def _call_context(meeting: Meeting) -> dict:
    accepted, proposed = _agenda(meeting)
    for item in accepted + proposed:
        item.who = _presenters(item)
    return {
        "meeting": meeting,
        "when": meeting.format_moment(meeting.start),
        "page": absolute(meeting.get_absolute_url()),
        "propose": absolute(
            reverse(
                "agenda:propose",
                kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
            )
        ),
        "accepted": accepted,
        "proposed": proposed,
        "booked": sum(i.requested_minutes for i in accepted),
        "video": meeting.effective_video_url,
    }


def compose(notice: Notice, *, now: dt.datetime | None = None) -> Message:
    """The message for one notice, or NothingToSay."""
    now = now or timezone.now()
    builder = BUILDERS[notice.kind]
    subject, template, context, link, ics = builder(notice, now)
    context.update(notice=notice, link=link)
    if not notice.is_list:
        context["manage"] = absolute(
            reverse(
                "notices:manage",
                kwargs={"token": manage_token(email=notice.address)},
            )
        )
    topic = TOPIC_OF_KIND.get(notice.kind)
    if topic:
        context["unsubscribe"] = absolute(
            reverse(
                "notices:unsubscribe",
                kwargs={"token": unsubscribe_token(email=notice.address, topic=topic)},
            )
        )
        context["unsubscribe_all"] = absolute(
            reverse(
                "notices:unsubscribe",
                kwargs={
                    "token": unsubscribe_token(email=notice.address, topic=ALL_TOPICS)
                },
            )
        )
    text = render_to_string(f"notices/{template}.txt", context).strip() + "\n"
    html = render_to_string(
        "notices/email.html",
        {"subject": subject, "body": render_markdown(text), **context},
    )
    return Message(
        subject=subject,
        text=text,
        html=html,
        link=link,
        ics=ics,
        unsubscribe_url=context.get("unsubscribe", ""),
        unsubscribe_all_url=context.get("unsubscribe_all", ""),
    )


def _digest(notice, now):
    meeting = _meeting(notice.object_id)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise NothingToSay("The call is no longer scheduled.")
    context = _call_context(meeting)
    subject = f"Agenda: {meeting.display_title}, {context['when']}"
    return subject, "agenda_digest", context, context["page"], meeting_ics(meeting, now)


def _next_mc(notice, now):
    meeting = _meeting(notice.object_id)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise NothingToSay("The call is no longer scheduled.")
    context = _call_context(meeting)
    context["notebook"] = absolute(
        reverse(
            "agenda:notebook",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        )
    )
    context["moderate"] = absolute(
        reverse("admin:meetings_meeting_agenda", args=[meeting.pk])
    )
    subject = f"You are the MC of {meeting.display_title}, {context['when']}"
    return subject, "next_mc", context, context["notebook"], meeting_ics(meeting, now)


def _proposal(notice, now):
    item = (
        AgendaItem.objects.select_related("meeting__series", "series")
        .filter(pk=notice.object_id)
        .first()
    )
    if item is None:
        raise NothingToSay("The proposal was withdrawn or deleted.")
    meeting = item.meeting
    link = (
        absolute(reverse("agenda:proposal", kwargs={"token": proposal_token(item)}))
        if meeting
        else absolute(item.series.get_absolute_url())
    )
    context = {"item": item, "meeting": meeting, **notice.context}
    ics = None
    if notice.kind == Kind.PROPOSAL_ACCEPTED:
        subject = f"Accepted: “{item.title}”"
        template = "proposal_accepted"
        if meeting:
            context["when"] = meeting.format_moment(meeting.start)
            ics = meeting_ics(meeting, now)
    elif notice.kind == Kind.PROPOSAL_DECLINED:
        subject = f"Declined: “{item.title}”"
        template = "proposal_declined"
    else:
        subject = f"Deferred: “{item.title}”"
        template = "proposal_deferred"
        if meeting:
            context["when"] = meeting.format_moment(meeting.start)
            ics = meeting_ics(meeting, now)
    return subject, template, context, link, ics


def _confirm_address(notice, now):
    link = absolute(
        reverse(
            "notices:confirm", kwargs={"token": confirm_token(email=notice.address)}
        )
    )
    subject = "Confirm your address for Callbook's notices"
    return subject, "confirm_address", {}, link, None


def _action_items(notice, now):
    meeting = _meeting(notice.object_id)
    person = Attendee.objects.filter(pk=notice.context.get("attendee")).first()
    if person is None:
        raise NothingToSay("The person no longer exists.")
    actions = list(
        ActionItem.objects.filter(meeting=meeting, owners=person)
        .open()
        .order_by("position", "pk")
    )
    if not actions:
        raise NothingToSay("No open action items of this person at this call.")
    link = absolute(meeting.get_absolute_url())
    subject = f"Your action items from {meeting.display_title}, {meeting.date_key}"
    context = {"meeting": meeting, "person": person, "actions": actions}
    return subject, "action_items", context, link, None


def _action_digest(notice, now):
    person = Attendee.objects.filter(pk=notice.object_id).first()
    if person is None:
        raise NothingToSay("The person no longer exists.")
    actions = list(
        ActionItem.objects.open()
        .filter(owners=person, meeting__status=Meeting.Status.FINALIZED)
        .select_related("meeting__series")
        .order_by("meeting__start", "position", "pk")
    )
    if not actions:
        raise NothingToSay("No open action items.")
    for action in actions:
        action.age = (now - action.meeting.start).days
    link = absolute(reverse("agenda:actions"))
    subject = f"Your open action items ({len(actions)})"
    context = {"person": person, "actions": actions}
    return subject, "action_digest", context, link, None


def _notes_published(notice, now):
    meeting = meetings_for_export(Meeting.objects.filter(pk=notice.object_id)).first()
    if meeting is None or not meeting.is_finalized:
        raise NothingToSay("The notes are not finalized.")
    link = absolute(meeting.get_absolute_url())
    subject = f"Notes: {meeting.display_title}, {meeting.date_key}"
    context = {"meeting": meeting, "markdown": render_meeting(meeting)}
    return subject, "notes_published", context, link, None


BUILDERS = {
    Kind.AGENDA_DIGEST: _digest,
    Kind.NEXT_MC: _next_mc,
    Kind.PROPOSAL_ACCEPTED: _proposal,
    Kind.PROPOSAL_DECLINED: _proposal,
    Kind.PROPOSAL_DEFERRED: _proposal,
    Kind.ACTION_ITEMS: _action_items,
    Kind.ACTION_DIGEST: _action_digest,
    Kind.NOTES_PUBLISHED: _notes_published,
    Kind.CONFIRM_ADDRESS: _confirm_address,
}
