"""One-click unsubscribe (RFC 8058) without signing in, which nobody can forge;
the outbox in the admin for Maintainers; the address on the proposal form."""

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from agenda.models import AgendaItem
from agenda.services import decline_agenda_item
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Notice, Preference
from notices.services import ALL_TOPICS, opt_in, unsubscribe_token
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.notices.servers import text_part
from tests.staff import mc, staff

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2099, 1, 7, 16, tzinfo=dt.UTC)


def url(token):
    return reverse("notices:unsubscribe", kwargs={"token": token})


@pytest.fixture
def sam():
    # Sam left the address on a proposal and opened the confirmation link.
    return Preference.objects.create(
        email="sam@example.org", attendee=None, confirmed_at=LATER
    )


def test_get_asks_and_changes_nothing(client, sam):
    response = client.get(url(unsubscribe_token(email=sam.email, topic="proposals")))
    assert response.status_code == 200
    assert "Stop sending decisions on my proposals to" in response.text
    sam.refresh_from_db()
    assert sam.proposals is True


def test_one_click_post_unsubscribes_without_signing_in_or_csrf(sam):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(unsubscribe_token(email="SAM@example.org", topic="proposals")),
        {"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    assert "sends no more decisions on my proposals" in response.text
    sam.refresh_from_db()
    assert (sam.proposals, sam.mc, sam.actions) == (False, True, True)


def test_unsubscribe_from_everything(client, sam):
    client.post(url(unsubscribe_token(email=sam.email, topic=ALL_TOPICS)))
    sam.refresh_from_db()
    assert (sam.proposals, sam.mc, sam.actions) == (False, False, False)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        # Someone else's address in a token signed for Sam: the signature breaks.
        unsubscribe_token(email="sam@example.org", topic="proposals").replace(
            "eyJlIjoic2Ft", "eyJlIjoiYm9i"
        ),
        # Right format, signed with another salt (e.g. a proposal link's).
        signing.dumps({"e": "sam@example.org", "t": "all"}, salt="agenda.proposal"),
        # Signed by us but with a topic that does not exist.
        signing.dumps({"e": "sam@example.org", "t": "x"}, salt="notices.unsubscribe"),
    ],
)
def test_a_forged_link_is_refused_and_changes_nothing(client, sam, token):
    response = client.post(url(token))
    assert response.status_code == 400
    assert "This unsubscribe link is not valid." in response.text
    sam.refresh_from_db()
    assert (sam.proposals, sam.mc, sam.actions) == (True, True, True)


def test_an_unsubscribed_address_gets_nothing_more_and_a_form_does_not_resubscribe(
    client, mail_settings, smtp, clock
):
    opt_in(email="sam@example.org", topic=Preference.Topic.PROPOSALS)
    client.post(url(unsubscribe_token(email="sam@example.org", topic="proposals")))
    opt_in(email="Sam@Example.org", topic=Preference.Topic.PROPOSALS)
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=clock.now + dt.timedelta(days=2)
    )
    item = AgendaItemFactory(
        meeting=meeting,
        status=AgendaItem.Status.PROPOSED,
        proposer_email="sam@example.org",
    )
    decline_agenda_item(item=item, user=None, reason="No.")
    # Neither the decision nor the confirmation asked for before unsubscribing.
    assert run_once(clock=clock).skipped == 2
    assert smtp.messages == []


def test_the_link_in_a_message_unsubscribes(client, mail_settings, smtp, clock, sam):
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=clock.now + dt.timedelta(days=2)
    )
    item = AgendaItemFactory(
        meeting=meeting,
        status=AgendaItem.Status.PROPOSED,
        proposer_email="sam@example.org",
    )
    decline_agenda_item(item=item, user=None, reason="No.")
    run_once(clock=clock)
    [message] = smtp.messages
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link in text_part(message)
    path = link.removeprefix(mail_settings.SITE_URL)
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    sam.refresh_from_db()
    assert sam.proposals is False


# The proposal form ------------------------------------------------------------------


def test_an_address_left_on_the_proposal_form_opts_in_for_decisions(client):
    meeting = MeetingFactory(status=Meeting.Status.SCHEDULED, start=LATER)
    response = client.post(
        reverse(
            "agenda:propose",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        ),
        {
            "proposer_name": "Sam",
            "proposer_email": "Sam@Example.org",
            "title": "Office hours",
            "requested_minutes": 5,
        },
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get()
    assert item.proposer_email == "Sam@Example.org"
    preference = Preference.objects.get()
    assert preference.email == "Sam@Example.org"
    assert (preference.proposals, preference.mc, preference.actions) == (
        True,
        False,
        False,
    )


def test_the_proposal_form_never_shows_the_address_publicly(client):
    meeting = MeetingFactory(status=Meeting.Status.SCHEDULED, start=LATER)
    AgendaItemFactory(
        meeting=meeting,
        status=AgendaItem.Status.PROPOSED,
        proposer_email="secret@example.org",
    )
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert "secret@example.org" not in response.text


# The outbox in the admin -------------------------------------------------------------


def failed_notice(object_key="agendaitem:1"):
    return Notice.objects.create(
        kind=Notice.Kind.PROPOSAL_DECLINED,
        object_key=object_key,
        occurrence="v1",
        address="sam@example.org",
        status=Notice.Status.FAILED,
        attempts=8,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        due_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def test_maintainers_see_the_outbox_with_status_and_last_error(client):
    user, _person = staff("maya", "Maintainer")
    client.force_login(user)
    notice = failed_notice()
    Notice.objects.create(
        kind=Notice.Kind.NEXT_MC,
        object_key="meeting:2",
        occurrence="x",
        address="a@example.org",
        status=Notice.Status.SENT,
        due_at=notice.due_at,
    )
    changelist = reverse("admin:notices_notice_changelist")
    response = client.get(changelist, {"status__exact": "failed"})
    assert response.status_code == 200
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in response.text
    assert "a@example.org" not in response.text
    response = client.get(reverse("admin:notices_notice_change", args=[notice.pk]))
    assert response.status_code == 200


def test_a_maintainer_resends_a_failed_notice(client):
    user, _person = staff("maya", "Maintainer")
    client.force_login(user)
    notice = failed_notice()
    response = client.post(
        reverse("admin:notices_notice_changelist"),
        {"action": "resend", "_selected_action": [notice.pk]},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("pending", 0)


def test_mcs_do_not_see_the_outbox(client):
    user, _person = mc("ann")
    client.force_login(user)
    failed_notice()
    response = client.get(reverse("admin:notices_notice_changelist"))
    assert response.status_code == 403


def test_the_outbox_list_costs_the_same_queries_with_more_rows(
    client, django_assert_max_num_queries
):
    user, _person = staff("maya", "Maintainer")
    client.force_login(user)
    for n in range(3):
        failed_notice(object_key=f"agendaitem:{n}")
    changelist = reverse("admin:notices_notice_changelist")
    client.get(changelist)
    with django_assert_max_num_queries(12) as few:
        client.get(changelist)
    for n in range(3, 30):
        failed_notice(object_key=f"agendaitem:{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(changelist)
