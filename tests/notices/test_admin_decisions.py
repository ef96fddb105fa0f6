"""A decision made anywhere in the admin reaches the proposer like one made on the
Agenda page: the item's change form, the changelist actions, the agenda rows of
the meeting page, the notebook, and taking an item from the backlog. Each sends
one notice, with the reason for a decline, and a save that changes no status
sends nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from agenda.models import AgendaItem
from agenda.services import finalize_meeting, take_from_backlog
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Notice, Preference
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.notices.servers import text_part
from tests.staff import form_data, maintainer, mc

pytestmark = pytest.mark.django_db
Status = AgendaItem.Status


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sam(clock):
    return Preference.objects.create(email="sam@example.org", confirmed_at=clock.now)


@pytest.fixture
def item(clock, sam):
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=clock.now + dt.timedelta(days=3)
    )
    return AgendaItemFactory(
        meeting=meeting,
        title="Office hours",
        proposer_name="Sam",
        status=Status.PROPOSED,
        proposer_email="sam@example.org",
    )


def sent(smtp, clock):
    run_once(clock=clock)
    return [(m["Subject"], text_part(m)) for m in smtp.messages]


def test_declining_in_the_items_change_form_sends_the_reason_once(
    mail_settings, smtp, clock, item
):
    user, _ = maintainer("max")
    client = logged_in(user)
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    data = form_data(client.get(url), "agendaitem_form")
    data.update(status=Status.DECLINED, decline_reason="Out of scope this month.")
    assert client.post(url, data).status_code == 302
    # Saving the form again without a new decision adds nothing.
    assert (
        client.post(url, form_data(client.get(url), "agendaitem_form")).status_code
        == 302
    )

    [(subject, text)] = sent(smtp, clock)
    assert subject == "Declined: “Office hours”"
    assert "Out of scope this month." in text
    assert Notice.objects.filter(kind=Notice.Kind.PROPOSAL_DECLINED).count() == 1


def test_accepting_in_the_change_form_then_declining_sends_both_decisions(
    mail_settings, smtp, clock, item
):
    user, _ = maintainer("max")
    client = logged_in(user)
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    data = form_data(client.get(url), "agendaitem_form")
    data["status"] = Status.ACCEPTED
    client.post(url, data)
    data = form_data(client.get(url), "agendaitem_form")
    data.update(status=Status.DECLINED, decline_reason="Full agenda, sorry.")
    client.post(url, data)
    subjects = [subject for subject, _text in sent(smtp, clock)]
    assert sorted(subjects) == ["Accepted: “Office hours”", "Declined: “Office hours”"]


def test_changelist_actions_accept_defer_and_decline_with_a_reason(
    mail_settings, smtp, clock, item
):
    other = AgendaItemFactory(
        meeting=item.meeting,
        title="Docs sprint",
        status=Status.PROPOSED,
        proposer_email="sam@example.org",
    )
    third = AgendaItemFactory(
        meeting=item.meeting,
        title="Roadmap",
        status=Status.PROPOSED,
        proposer_email="sam@example.org",
    )
    user, _ = maintainer("max")
    client = logged_in(user)
    changelist = reverse("admin:agenda_agendaitem_changelist")
    client.post(changelist, {"action": "accept", "_selected_action": [item.pk]})
    client.post(changelist, {"action": "defer_next", "_selected_action": [other.pk]})
    # Decline first asks for the reason, then declines with it.
    ask = client.post(changelist, {"action": "decline", "_selected_action": [third.pk]})
    assert ask.status_code == 200
    assert "Decline with this reason" in ask.text
    third.refresh_from_db()
    assert third.status == Status.PROPOSED
    done = client.post(
        changelist,
        {
            "action": "decline",
            "_selected_action": [third.pk],
            "reason": "We covered it last week.",
        },
    )
    assert done.status_code == 302
    third.refresh_from_db()
    assert (third.status, third.decline_reason) == (
        Status.DECLINED,
        "We covered it last week.",
    )
    by_subject = dict(sent(smtp, clock))
    assert set(by_subject) == {
        "Accepted: “Office hours”",
        "Deferred: “Docs sprint”",
        "Declined: “Roadmap”",
    }
    assert "We covered it last week." in by_subject["Declined: “Roadmap”"]


def test_a_refused_action_says_why_and_sends_nothing(mail_settings, smtp, clock, item):
    item.status = Status.DISCUSSED
    item.save()
    user, _ = maintainer("max")
    client = logged_in(user)
    response = client.post(
        reverse("admin:agenda_agendaitem_changelist"),
        {"action": "accept", "_selected_action": [item.pk]},
        follow=True,
    )
    assert "is discussed now, so it cannot be accepted" in response.text
    assert sent(smtp, clock) == []


def test_the_mc_declining_on_the_meeting_page_tells_the_proposer(
    mail_settings, smtp, clock, item
):
    user, ann = mc("ann")
    Meeting.objects.filter(pk=item.meeting_id).update(mc=ann)
    client = logged_in(user)
    url = reverse("admin:meetings_meeting_change", args=[item.meeting_id])
    data = form_data(client.get(url))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("agenda_items-")
        and key.endswith("-id")
        and value == str(item.pk)
    )
    data[f"agenda_items-{index}-status"] = Status.DECLINED
    data[f"agenda_items-{index}-decline_reason"] = "Better at the release call."
    assert client.post(url, data).status_code == 302
    # The next save of the page changes other things only: no second notice.
    data = form_data(client.get(url))
    data["highlights"] = "A quiet week."
    assert client.post(url, data).status_code == 302

    [(subject, text)] = sent(smtp, clock)
    assert subject == "Declined: “Office hours”"
    assert "Better at the release call." in text


def test_deferred_in_the_notebook_is_told_once_at_finalize_with_the_call(
    mail_settings, smtp, clock, sam
):
    user, ann = mc("ann")
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=ann,
        start=clock.now - dt.timedelta(hours=1),
    )
    item = AgendaItemFactory(
        meeting=meeting,
        title="Office hours",
        status=Status.ACCEPTED,
        proposer_email="sam@example.org",
    )
    client = logged_in(user)
    url = reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    data = form_data(client.get(url), "notebook-form")
    data.update({f"item:{item.pk}:status": Status.DEFERRED, "_save": "1"})
    assert client.post(url, data).status_code == 302
    # Where it goes is known at finalize: nothing yet.
    assert sent(smtp, clock) == []
    finalize_meeting(meeting=meeting, user=user)
    finalize_meeting(meeting=meeting, user=user)  # again: nothing new
    [(subject, text)] = sent(smtp, clock)
    following = Meeting.objects.exclude(pk=meeting.pk).get()
    assert subject == "Deferred: “Office hours”"
    assert f"proposed for the call of {following.date_key}" in text


def test_taking_an_item_from_the_backlog_tells_the_proposer(
    mail_settings, smtp, clock, item
):
    waiting = AgendaItemFactory(
        series=item.meeting.series,
        meeting=None,
        title="From the backlog",
        status=Status.DEFERRED,
        proposer_email="sam@example.org",
    )
    take_from_backlog(item=waiting, meeting=item.meeting, user=None)
    [(subject, _text)] = sent(smtp, clock)
    assert subject == "Accepted: “From the backlog”"
