"""The timed notices: enqueued by the worker's tick once they come due.

Each pass looks at the calls and people near their moment and enqueues what is
due; the outbox's unique key makes every pass after the first a no-op, so any
number of workers may plan at once.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction

from agenda.models import ActionItem
from meetings.models import Meeting
from notices.models import Notice, Preference, SeriesChannels

Kind = Notice.Kind


def occurrence_of(meeting: Meeting) -> str:
    """A call's start: a call moved to another time gets its reminders again."""
    return meeting.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def week_moment(now: dt.datetime) -> tuple[str, dt.datetime]:
    """This ISO week's name and the moment its action-item digest is due."""
    now = now.astimezone(dt.UTC)
    monday = (now - dt.timedelta(days=now.weekday())).date()
    moment = dt.datetime.combine(
        monday + dt.timedelta(days=settings.NOTICES_ACTION_DIGEST_WEEKDAY),
        dt.time(settings.NOTICES_ACTION_DIGEST_HOUR),
        tzinfo=dt.UTC,
    )
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}", moment


def plan_digests(*, now: dt.datetime) -> int:
    lead = dt.timedelta(hours=settings.NOTICES_DIGEST_LEAD_HOURS)
    channels = {
        c.series_id: c
        for c in SeriesChannels.objects.exclude(list_address="", webhook_url="")
    }
    if not channels:
        return 0
    created = 0
    meetings = (
        Meeting.objects.scheduled()
        .filter(series__in=channels, start__gt=now, start__lte=now + lead)
        .select_related("series")
    )
    for meeting in meetings:
        channel = channels[meeting.series_id]
        for address, kind in (
            (channel.list_address, Notice.Channel.EMAIL),
            (channel.webhook_url, Notice.Channel.WEBHOOK),
        ):
            created += bool(
                Notice.objects.enqueue(
                    kind=Kind.AGENDA_DIGEST,
                    about=meeting,
                    occurrence=occurrence_of(meeting),
                    address=address,
                    channel=kind,
                    is_list=True,
                    due_at=now,
                )
            )
    return created


def plan_mc_reminders(*, now: dt.datetime) -> int:
    lead = dt.timedelta(hours=settings.NOTICES_NEXT_MC_LEAD_HOURS)
    meetings = (
        Meeting.objects.scheduled()
        .filter(
            start__gt=now,
            start__lte=now + lead,
            mc__notice_preference__mc=True,
        )
        .select_related("mc__notice_preference")
    )
    created = 0
    for meeting in meetings:
        created += bool(
            Notice.objects.enqueue(
                kind=Kind.NEXT_MC,
                about=meeting,
                occurrence=occurrence_of(meeting),
                address=meeting.mc.notice_preference.email,
                due_at=now,
            )
        )
    return created


def plan_action_digests(*, now: dt.datetime) -> int:
    week, moment = week_moment(now)
    if now < moment:
        return 0
    owners = set(
        ActionItem.objects.open()
        .filter(meeting__status=Meeting.Status.FINALIZED)
        .values_list("owners", flat=True)
    )
    created = 0
    for preference in Preference.objects.filter(
        actions=True, attendee__in=owners - {None}
    ).select_related("attendee"):
        created += bool(
            Notice.objects.enqueue(
                kind=Kind.ACTION_DIGEST,
                about=preference.attendee,
                occurrence=week,
                address=preference.email,
                due_at=now,
            )
        )
    return created


def plan_notices(*, now: dt.datetime) -> int:
    """Enqueue every timed notice that is due at `now`; returns how many are new."""
    with transaction.atomic():
        return (
            plan_digests(now=now)
            + plan_mc_reminders(now=now)
            + plan_action_digests(now=now)
        )
