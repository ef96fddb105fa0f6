"""Each notice arrives once, at the right time, with the right content and headers,
through a real SMTP server and a webhook receiver on loopback."""

import datetime as dt

import pytest
from icalendar import Calendar

from agenda.models import ActionItem, AgendaItem
from agenda.services import (
    accept_agenda_item,
    decline_agenda_item,
    defer_agenda_item,
    finalize_meeting,
)
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Notice, Preference, SeriesChannels
from notices.services import confirm_address, opt_in
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)
from tests.notices.conftest import SITE
from tests.notices.servers import attachments, html_part, text_part

pytestmark = pytest.mark.django_db

LIST = "community@lists.test"
DECLINED = Notice.Kind.PROPOSAL_DECLINED


def scheduled_call(start, **fields):
    series = fields.pop("series", None) or MeetingSeriesFactory(
        slug="community", title="Community Call", time_zone="UTC"
    )
    return MeetingFactory(
        series=series, start=start, status=Meeting.Status.SCHEDULED, **fields
    )


def with_channels(series, webhook_url=""):
    return SeriesChannels.objects.create(
        series=series, list_address=LIST, webhook_url=webhook_url
    )


def test_agenda_digest_goes_once_to_the_list_and_webhook_at_the_lead_time(
    mail_settings, smtp, webhook, clock
):
    start = clock.now + dt.timedelta(days=3)
    ann = AttendeeFactory(display_name="Ann Lee")
    meeting = scheduled_call(start, mc=ann)
    with_channels(meeting.series, webhook_url=webhook.url)
    accepted = AgendaItem.Status.ACCEPTED
    AgendaItemFactory(
        meeting=meeting,
        title="Plugin API",
        position=2,
        status=accepted,
        requested_minutes=15,
    )
    first = AgendaItemFactory(
        meeting=meeting,
        title="Release 1.5",
        position=1,
        status=accepted,
        requested_minutes=10,
    )
    first.presenters.add(ann)
    AgendaItemFactory(
        meeting=meeting,
        title="Office hours?",
        position=3,
        status=AgendaItem.Status.PROPOSED,
        proposer_name="Sam",
    )
    AgendaItemFactory(meeting=meeting, title="Spam", status=AgendaItem.Status.DECLINED)

    assert run_once(clock=clock).sent == 0
    clock.set(start - dt.timedelta(hours=24, minutes=1))
    assert run_once(clock=clock).sent == 0
    assert smtp.messages == []
    assert webhook.posts == []

    clock.set(start - dt.timedelta(hours=23, minutes=59))
    result = run_once(clock=clock)
    assert (result.planned, result.sent) == (2, 2)
    for _ in range(3):
        clock.move(minutes=10)
        assert run_once(clock=clock).sent == 0

    [message] = smtp.messages
    assert message["To"] == LIST
    assert message["From"] == "Callbook <calls@calls.test>"
    when = start.strftime("%Y-%m-%d %H:%M UTC")
    assert message["Subject"] == f"Agenda: Community Call, {when}"
    assert message["List-Unsubscribe"] is None  # the list has its own
    text = text_part(message)
    assert text.index("1. Release 1.5 [Ann Lee] (10 min)") < text.index("2. Plugin API")
    assert "25 of 60 minutes booked" in text
    assert "Office hours? [Sam]" in text
    assert "Spam" not in text
    assert "Join the call: <https://meet.example.org/call>" in text
    date_key = meeting.date_key
    assert f"{SITE}/calls/community/{date_key}/propose/" in text
    assert f'href="{SITE}/calls/community/{date_key}/"' in html_part(message)
    [(name, ics)] = attachments(message).items()
    assert name == "call.ics"
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["uid"]) == f"callbook-meeting-{meeting.pk}@calls.test"
    assert event.decoded("dtstart") == start

    [post] = webhook.posts
    assert post["text"] == post["content"]
    assert post["text"].startswith(f"Agenda: Community Call, {when}")
    assert "Release 1.5" in post["text"]
    assert "<li>" in post["html"] or "<ol>" in post["html"]


def test_a_moved_call_gets_its_digest_again_and_a_cancelled_one_none(
    mail_settings, smtp, clock
):
    start = clock.now + dt.timedelta(hours=10)
    meeting = scheduled_call(start)
    with_channels(meeting.series)
    other = scheduled_call(start, series=meeting.series, ordinal=2)
    other.status = Meeting.Status.CANCELLED
    other.save()
    assert run_once(clock=clock).sent == 1
    meeting.start = start + dt.timedelta(hours=2)
    meeting.save()
    assert run_once(clock=clock).sent == 1
    assert run_once(clock=clock).sent == 0
    assert len(smtp.messages) == 2


def test_the_mc_is_reminded_two_days_before_only_with_an_opt_in(
    mail_settings, smtp, clock
):
    start = clock.now + dt.timedelta(days=5)
    dana = AttendeeFactory(display_name="Dana Ruiz")
    Preference.objects.create(
        email="Dana@Example.org", attendee=dana, confirmed_at=clock.now
    )
    meeting = scheduled_call(start, mc=dana)
    AgendaItemFactory(
        meeting=meeting, title="Waiting one", status=AgendaItem.Status.PROPOSED
    )
    quiet = scheduled_call(start, series=meeting.series, ordinal=2)  # MC: no opt-in

    clock.set(start - dt.timedelta(hours=48, minutes=1))
    assert run_once(clock=clock).sent == 0
    clock.set(start - dt.timedelta(hours=47))
    assert run_once(clock=clock).sent == 1
    clock.move(hours=1)
    assert run_once(clock=clock).sent == 0

    [message] = smtp.messages
    assert message["To"] == "dana@example.org"
    assert message["Subject"].startswith("You are the MC of Community Call")
    text = text_part(message)
    assert f"{SITE}/calls/community/{meeting.date_key}/notebook/" in text
    assert f"{SITE}/admin/meetings/meeting/{meeting.pk}/agenda/" in text
    assert "Waiting one" in text
    assert "call.ics" in attachments(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notice.objects.filter(object_key=f"meeting:{quiet.pk}").exists()


def proposal(meeting, email="sam@example.org", title="Monthly office hours"):
    item = AgendaItemFactory(
        meeting=meeting,
        title=title,
        proposer_name="Sam",
        status=AgendaItem.Status.PROPOSED,
        proposer_email=email,
    )
    opt_in(email=email, topic=Preference.Topic.PROPOSALS)
    # The proposer opened the confirmation link (the link itself: test_views).
    confirm_address(email=email)
    return item


def test_a_declined_proposer_reads_the_reason_once(mail_settings, smtp, clock):
    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    item = proposal(meeting)
    decline_agenda_item(item=item, user=None, reason="Out of scope for this call.")
    assert run_once(clock=clock).sent == 1
    assert run_once(clock=clock).sent == 0

    [message] = smtp.messages
    assert message["To"] == "sam@example.org"
    assert message["Subject"] == "Declined: “Monthly office hours”"
    text = text_part(message)
    assert "Out of scope for this call." in text
    assert f"{SITE}/proposals/" in text
    assert "Out of scope for this call." in html_part(message)
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{SITE}/notices/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text
    assert message["Message-ID"] == (
        f"<callbook-notice-{Notice.objects.get(kind=DECLINED).pk}@calls.test>"
    )
    assert attachments(message) == {}


def test_accepted_and_deferred_proposers_hear_where_their_item_went(
    mail_settings, smtp, clock
):
    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    accepted = proposal(meeting, email="ann@example.org")
    deferred = proposal(meeting, email="bo@example.org", title="Later")
    accept_agenda_item(item=accepted, user=None)
    defer_agenda_item(item=deferred, user=None)
    assert run_once(clock=clock).sent == 2
    by_address = {m["To"]: m for m in smtp.messages}
    text = text_part(by_address["ann@example.org"])
    assert "accepted your proposal **“Monthly office hours”**" in text
    assert "call.ics" in attachments(by_address["ann@example.org"])
    following = Meeting.objects.exclude(pk=meeting.pk).get()
    text = text_part(by_address["bo@example.org"])
    assert by_address["bo@example.org"]["Subject"] == "Deferred: “Later”"
    assert f"from the call of {meeting.date_key}" in text
    assert f"proposed for the call of {following.date_key}" in text


def test_nothing_goes_to_an_address_that_did_not_opt_in(mail_settings, smtp, clock):
    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    # Typed in by a Maintainer in the admin: nobody asked for notices there.
    item = AgendaItemFactory(
        meeting=meeting,
        status=AgendaItem.Status.PROPOSED,
        proposer_email="someone@example.org",
    )
    decline_agenda_item(item=item, user=None, reason="No.")
    assert run_once(clock=clock).skipped == 1
    assert smtp.messages == []
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.SKIPPED
    assert notice.last_error == "The address has not asked for this."


def test_finalize_publishes_the_notes_and_tells_owners_their_items(
    mail_settings, smtp, webhook, clock
):
    ann, bo = AttendeeFactory(display_name="Ann"), AttendeeFactory(display_name="Bo")
    Preference.objects.create(
        email="ann@example.org", attendee=ann, confirmed_at=clock.now
    )
    meeting = scheduled_call(clock.now - dt.timedelta(hours=2), mc=ann)
    with_channels(meeting.series, webhook_url=webhook.url)
    meeting.highlights = "- The 1.5 release is out"
    meeting.save()
    AgendaItemFactory(
        meeting=meeting, title="Release 1.5", discussion_notes="- Went well"
    )
    action = ActionItemFactory(meeting=meeting, description="Ann to write the post")
    action.owners.add(ann)
    ActionItemFactory(meeting=meeting, description="Bo to fix CI").owners.add(bo)
    ActionItemFactory(
        meeting=meeting, description="Done already", status=ActionItem.Status.DONE
    ).owners.add(ann)

    finalize_meeting(meeting=meeting, user=None, now=clock.now)
    finalize_meeting(meeting=meeting, user=None, now=clock.now)  # a double click
    run_once(clock=clock)
    # To the list, the webhook and Ann; Bo has no address. (Ann may also get her
    # weekly digest, depending on the weekday the test runs.)
    sent = [m for m in smtp.messages if m["X-Callbook-Notice"] != "action_digest"]
    by_address = {m["To"]: m for m in sent}
    assert sorted(m["To"] for m in sent) == sorted([LIST, "ann@example.org"])

    notes = by_address[LIST]
    assert notes["Subject"] == f"Notes: Community Call, {meeting.date_key}"
    text = text_part(notes)
    assert "The 1.5 release is out" in text
    assert "Release 1.5" in text
    assert "Went well" in text
    assert text.count("Ann to write the post") == 1
    [post] = webhook.posts
    assert post["text"].startswith("Notes: Community Call")

    text = text_part(by_address["ann@example.org"])
    assert "- Ann to write the post" in text
    assert "<li>Ann to write the post</li>" in html_part(by_address["ann@example.org"])
    assert "Done already" not in text
    assert "Bo to fix CI" not in text
    assert run_once(clock=clock).sent == 0


def test_weekly_action_digest_once_a_week_at_its_hour(mail_settings, smtp, clock):
    ann = AttendeeFactory(display_name="Ann")
    Preference.objects.create(
        email="ann@example.org", attendee=ann, confirmed_at=clock.now
    )
    # Next Monday 07:59 UTC, at least a day from now.
    monday = (clock.now + dt.timedelta(days=7 - clock.now.weekday())).replace(
        hour=7, minute=59, second=0
    )
    done_call = MeetingFactory(start=monday - dt.timedelta(days=12))
    ActionItemFactory(meeting=done_call, description="Ann to update docs").owners.add(
        ann
    )
    clock.set(monday)
    assert run_once(clock=clock).sent == 0
    clock.move(minutes=2)
    assert run_once(clock=clock).sent == 1
    clock.move(days=3)
    assert run_once(clock=clock).sent == 0
    clock.move(days=4)
    assert run_once(clock=clock).sent == 1
    assert [m["Subject"] for m in smtp.messages] == ["Your open action items (1)"] * 2
    assert "Ann to update docs (from " in text_part(smtp.messages[0])
    assert "12 days ago" in text_part(smtp.messages[0])


def test_an_smtp_outage_is_retried_with_backoff_then_delivered(
    mail_settings, smtp, clock
):
    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    decline_agenda_item(item=proposal(meeting), user=None, reason="Not now.")
    smtp.stop()
    assert run_once(clock=clock).failed == 1
    notice = Notice.objects.get(kind=DECLINED)
    assert notice.status == Notice.Status.PENDING
    assert notice.attempts == 1
    assert notice.due_at == clock.now + dt.timedelta(seconds=60)
    assert "ConnectionRefusedError" in notice.last_error

    clock.move(seconds=59)
    assert run_once(clock=clock).failed == 0  # not due yet
    clock.move(seconds=2)
    assert run_once(clock=clock).failed == 1
    notice.refresh_from_db()
    assert notice.due_at == clock.now + dt.timedelta(seconds=120)  # doubled

    smtp.start()
    clock.move(seconds=121)
    assert run_once(clock=clock).sent == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 3, "")
    assert len(smtp.messages) == 1
    assert "Not now." in text_part(smtp.messages[0])


def test_after_the_last_attempt_a_notice_fails_for_a_maintainer_to_resend(
    mail_settings, smtp, clock
):
    from notices.services import resend_notices

    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    decline_agenda_item(item=proposal(meeting), user=None, reason="Not now.")
    smtp.stop()
    for _ in range(3):
        run_once(clock=clock)
        clock.move(hours=7)
    notice = Notice.objects.get(kind=DECLINED)
    assert (notice.status, notice.attempts) == ("failed", 3)
    assert run_once(clock=clock).failed == 0
    smtp.start()
    assert resend_notices(notices=[notice], now=clock.now) == 1
    assert run_once(clock=clock).sent == 1
    assert len(smtp.messages) == 1


def test_a_crashed_workers_notice_is_sent_by_another_after_its_lease(
    mail_settings, smtp, clock
):
    from notices.services import claim_due

    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    decline_agenda_item(item=proposal(meeting), user=None, reason="Not now.")
    # Worker A claims the notice and dies before sending it.
    [claimed] = claim_due(now=clock.now, worker_id="worker-a")
    assert claimed.status == Notice.Status.SENDING
    clock.move(seconds=299)
    assert run_once(clock=clock, worker_id="worker-b").sent == 0
    clock.move(seconds=2)
    assert run_once(clock=clock, worker_id="worker-b").sent == 1
    notice = Notice.objects.get(kind=DECLINED)
    assert (notice.status, notice.claimed_by, notice.attempts) == (
        "sent",
        "worker-b",
        2,
    )
    assert len(smtp.messages) == 1


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_holding_the_lease(
    mail_settings, smtp, clock
):
    from notices.services import claim_due, mark_failed

    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    decline_agenda_item(item=proposal(meeting), user=None, reason="Not now.")
    [stale] = claim_due(now=clock.now, worker_id="worker-a")
    clock.move(seconds=301)
    assert run_once(clock=clock, worker_id="worker-b").sent == 1
    assert mark_failed(notice=stale, now=clock.now, error="late") is False
    assert Notice.objects.get(kind=DECLINED).status == Notice.Status.SENT


def test_a_signed_in_proposer_hears_at_their_own_address(mail_settings, smtp, clock):
    meeting = scheduled_call(clock.now + dt.timedelta(days=3))
    ann = AttendeeFactory(display_name="Ann")
    Preference.objects.create(
        email="ann@example.org", attendee=ann, confirmed_at=clock.now
    )
    item = AgendaItemFactory(
        meeting=meeting,
        title="Signed in",
        proposer=ann,
        status=AgendaItem.Status.PROPOSED,
    )
    decline_agenda_item(item=item, user=None, reason="Too late.")
    assert run_once(clock=clock).sent == 1
    assert smtp.messages[0]["To"] == "ann@example.org"
    assert "Too late." in text_part(smtp.messages[0])
