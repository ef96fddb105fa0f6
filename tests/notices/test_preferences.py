"""People decide: double opt-in for an address typed on the proposal form, the
signed "manage your notices" link in every e-mail (no sign-in, cannot be forged),
and the signed-in page, which offers only the addresses GitHub verified."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from agenda.models import AgendaItem
from agenda.services import decline_agenda_item
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Notice, Preference
from notices.services import (
    confirm_token,
    manage_token,
    opt_in,
    read_confirm_token,
    unsubscribe_token,
)
from tests import github_sign_in
from tests.factories import AgendaItemFactory, AttendeeFactory, MeetingFactory
from tests.notices.conftest import SITE
from tests.notices.servers import html_part, text_part
from tests.staff import form_data, staff

pytestmark = pytest.mark.django_db
PROPOSALS = Preference.Topic.PROPOSALS


def propose(client, meeting, email="Sam@Example.org", title="Office hours"):
    response = client.post(
        reverse(
            "agenda:propose",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        ),
        {
            "proposer_name": "Sam",
            "proposer_email": email,
            "title": title,
            "requested_minutes": 5,
        },
        follow=True,
    )
    assert response.status_code == 200
    return response


def link_in(message, path):
    """The first link to `path` in the message's text, relative to the site."""
    match = re.search(
        rf"<{re.escape(SITE)}({re.escape(path)}[^>]+)>", text_part(message)
    )
    assert match, text_part(message)
    return match.group(1)


@pytest.fixture
def meeting(clock):
    return MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=clock.now + dt.timedelta(days=3)
    )


# Double opt-in ------------------------------------------------------------------------


def test_a_typed_address_gets_only_its_confirmation_until_the_link_is_opened(
    client, mail_settings, smtp, clock, meeting
):
    response = propose(client, meeting)
    assert "We sent a link to Sam@Example.org" in response.text
    preference = Preference.objects.get()
    assert preference.is_confirmed is False

    # The confirmation goes out, and nothing else: the decision is held.
    assert run_once(clock=clock).sent == 1
    [confirmation] = smtp.messages
    assert confirmation["To"] == "sam@example.org"
    assert confirmation["Subject"] == "Confirm your address for Callbook's notices"
    assert "List-Unsubscribe" not in confirmation
    decline_agenda_item(
        item=AgendaItem.objects.get(), user=None, reason="Not this month."
    )
    result = run_once(clock=clock)
    assert (result.sent, result.held) == (0, 1)
    assert len(smtp.messages) == 1
    held = Notice.objects.get(kind=Notice.Kind.PROPOSAL_DECLINED)
    assert held.status == Notice.Status.HELD
    assert held.last_error == "Waiting for the address to be confirmed."

    # Opening the link only asks (mail scanners open links); the button confirms.
    path = link_in(confirmation, "/notices/confirm/")
    page = client.get(path)
    assert "Confirm my address" in page.text
    assert Preference.objects.get().is_confirmed is False
    done = client.post(path)
    assert "Address confirmed" in done.text
    assert Preference.objects.get().is_confirmed is True

    # The held decision goes out now, once.
    assert run_once(clock=clock).sent == 1
    assert run_once(clock=clock).sent == 0
    decision = smtp.messages[1]
    assert decision["Subject"] == "Declined: “Office hours”"
    assert "Not this month." in text_part(decision)


def test_a_second_proposal_the_same_day_sends_no_second_confirmation(
    client, mail_settings, smtp, clock, meeting
):
    propose(client, meeting, title="One")
    propose(client, meeting, email="sam@example.org", title="Two")
    assert Notice.objects.filter(kind=Notice.Kind.CONFIRM_ADDRESS).count() == 1
    assert run_once(clock=clock).sent == 1


def test_a_confirmed_address_gets_no_more_confirmations(
    client, mail_settings, smtp, clock, meeting
):
    preference = opt_in(email="sam@example.org", topic=PROPOSALS)
    client.post(
        reverse("notices:confirm", args=[confirm_token(email=preference.email)])
    )
    propose(client, meeting, email="sam@example.org")
    assert run_once(clock=clock).sent == 0
    assert smtp.messages == []


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        # Another address in a token signed for Sam: the signature breaks.
        confirm_token(email="sam@example.org").replace("eyJlIjoic2Ft", "eyJlIjoiYm9i"),
        # Signed by us for another purpose: a manage or unsubscribe link.
        manage_token(email="sam@example.org"),
        unsubscribe_token(email="sam@example.org", topic="proposals"),
    ],
)
def test_a_forged_confirmation_link_confirms_nothing(client, token):
    opt_in(email="sam@example.org", topic=PROPOSALS)
    response = client.post(reverse("notices:confirm", args=[token]))
    assert response.status_code == 400
    assert "This link is not valid." in response.text
    assert Preference.objects.get().is_confirmed is False


def test_an_old_confirmation_link_has_expired(client, monkeypatch):
    opt_in(email="sam@example.org", topic=PROPOSALS)
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 15 * 24 * 3600)
    old = confirm_token(email="sam@example.org")
    monkeypatch.setattr(signing.time, "time", lambda: now)
    response = client.post(reverse("notices:confirm", args=[old]))
    assert response.status_code == 400
    assert "This confirmation link has expired" in response.text
    assert Preference.objects.get().is_confirmed is False
    fresh = confirm_token(email="sam@example.org")
    assert read_confirm_token(fresh) == "sam@example.org"


def test_a_maintainer_confirming_an_address_in_the_admin_releases_what_waited(
    mail_settings, smtp, clock, meeting
):
    ann = AttendeeFactory()
    preference = Preference.objects.create(email="ann@example.org", attendee=ann)
    item = AgendaItemFactory(
        meeting=meeting, proposer=ann, status=AgendaItem.Status.PROPOSED
    )
    decline_agenda_item(item=item, user=None, reason="No.")
    assert run_once(clock=clock).held == 1
    user, _person = staff("maya", "Maintainer")
    client = Client()
    client.force_login(user)
    url = reverse("admin:notices_preference_change", args=[preference.pk])
    data = form_data(client.get(url), "preference_form")
    data["confirmed_at_0"], data["confirmed_at_1"] = "2026-01-02", "10:00:00"
    assert client.post(url, data).status_code == 302
    assert run_once(clock=clock).sent == 1
    assert smtp.messages[0]["To"] == "ann@example.org"


# The manage link in every e-mail ---------------------------------------------------


def test_every_personal_email_has_a_manage_link_that_works_without_signing_in(
    mail_settings, smtp, clock, meeting
):
    Preference.objects.create(email="sam@example.org", confirmed_at=clock.now)
    item = AgendaItemFactory(
        meeting=meeting,
        status=AgendaItem.Status.PROPOSED,
        proposer_email="sam@example.org",
    )
    decline_agenda_item(item=item, user=None, reason="No.")
    run_once(clock=clock)
    [message] = smtp.messages
    path = link_in(message, "/notices/manage/")
    assert path in html_part(message)

    client = Client(enforce_csrf_checks=False)
    page = client.get(path)
    assert page.status_code == 200
    assert "sam@example.org" in page.text
    data = form_data(page, "manage-form")
    assert sorted(data["topics"]) == ["actions", "mc", "proposals"]
    response = client.post(path, {"topics": ["actions"]}, follow=True)
    assert "Saved: your choices for sam@example.org." in response.text
    preference = Preference.objects.get()
    assert (preference.proposals, preference.mc, preference.actions) == (
        False,
        False,
        True,
    )


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        manage_token(email="sam@example.org").replace("eyJlIjoic2Ft", "eyJlIjoiYm9i"),
        confirm_token(email="sam@example.org"),
        signing.dumps({"e": "sam@example.org"}, salt="agenda.proposal"),
    ],
)
def test_a_tampered_manage_link_shows_and_changes_nothing(client, token):
    Preference.objects.create(email="sam@example.org")
    url = reverse("notices:manage", args=[token])
    assert client.get(url).status_code == 400
    response = client.post(url, {"topics": []})
    assert response.status_code == 400
    assert "This link is not valid." in response.text
    preference = Preference.objects.get()
    assert (preference.proposals, preference.mc, preference.actions) == (
        True,
        True,
        True,
    )


def test_a_manage_link_for_an_address_without_choices_offers_nothing(client):
    response = client.get(
        reverse("notices:manage", args=[manage_token(email="nobody@example.org")])
    )
    assert response.status_code == 200
    assert "Callbook sends nothing to" in response.text
    assert (
        client.post(response.request["PATH_INFO"], {"topics": ["mc"]}).status_code
        == 200
    )
    assert not Preference.objects.exists()


# Signed in: My notices, with GitHub's verified addresses ---------------------------


def test_my_notices_needs_sign_in_and_is_linked_from_the_header_and_my_proposals(
    client,
):
    url = reverse("notices:preferences")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    person = AttendeeFactory(github_handle="ann")
    from tests.factories import UserFactory

    person.user = UserFactory()
    person.save()
    client.force_login(person.user)
    mine = client.get(reverse("agenda:my_proposals"))
    assert mine.text.count(f'href="{url}"') == 2  # header and page


def sign_in_with_github(client, fake_github, **fields):
    account = fake_github.add_account("adaquill", id=4101, name="Ada", **fields)
    github_sign_in.sign_in(client, fake_github, account)
    return account


def test_github_verified_addresses_are_offered_and_unverified_never(
    client, fake_github, mail_settings, smtp, clock
):
    sign_in_with_github(
        client,
        fake_github,
        email="ada@example.org",
        other_emails=[("ada@work.example", True), ("ada@unverified.example", False)],
    )
    page = client.get(reverse("notices:preferences"))
    assert page.status_code == 200
    assert "ada@example.org (verified by GitHub)" in page.text
    assert "ada@work.example (verified by GitHub)" in page.text
    assert "ada@unverified.example" not in page.text

    # Picking the unverified address is refused as a choice.
    refused = client.post(
        reverse("notices:preferences"),
        {"address": "ada@unverified.example", "topics": ["proposals"]},
    )
    assert refused.status_code == 200
    assert "Select a valid choice." in refused.text
    assert not Preference.objects.exists()

    # A verified one is confirmed at once: no confirmation e-mail.
    response = client.post(
        reverse("notices:preferences"),
        {"address": "ada@work.example", "topics": ["proposals", "mc"]},
        follow=True,
    )
    assert "Saved: your notices go to ada@work.example." in response.text
    preference = Preference.objects.get()
    assert preference.attendee.github_handle == "adaquill"
    assert preference.is_confirmed
    assert (preference.proposals, preference.mc, preference.actions) == (
        True,
        True,
        False,
    )
    assert run_once(clock=clock).sent == 0


def test_another_address_typed_while_signed_in_is_confirmed_by_e_mail_first(
    client, fake_github, mail_settings, smtp, clock
):
    sign_in_with_github(
        client, fake_github, other_emails=[("ada@unverified.example", False)]
    )
    page = client.get(reverse("notices:preferences"))
    assert "GitHub gave us no verified address" in page.text
    response = client.post(
        reverse("notices:preferences"),
        {
            "address": "other",
            "other_address": "ada@unverified.example",
            "topics": ["proposals"],
        },
        follow=True,
    )
    assert "We sent a confirmation link to ada@unverified.example" in response.text
    preference = Preference.objects.get()
    assert not preference.is_confirmed
    assert run_once(clock=clock).sent == 1
    assert smtp.messages[0]["Subject"] == "Confirm your address for Callbook's notices"


def test_changing_to_a_verified_address_moves_the_persons_choices(
    client, fake_github, mail_settings, smtp, clock
):
    sign_in_with_github(client, fake_github, email="ada@example.org")
    person = AttendeeFactory._meta.model.objects.get(github_handle="adaquill")
    # An address Ada once typed on a proposal, confirmed, and her old row.
    Preference.objects.create(email="ada@example.org", confirmed_at=clock.now)
    Preference.objects.create(email="old@example.org", attendee=person)
    client.post(
        reverse("notices:preferences"),
        {"address": "ada@example.org", "topics": ["actions"]},
    )
    [preference] = Preference.objects.all()
    assert (preference.email, preference.attendee) == ("ada@example.org", person)
    assert (preference.proposals, preference.actions) == (False, True)


def test_an_account_without_a_person_is_told_so(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(reverse("notices:preferences"))
    assert "Your account is not linked to a person yet" in response.text


def test_each_sign_in_reads_githubs_addresses_again(client, fake_github):
    account = sign_in_with_github(
        client,
        fake_github,
        email="ada@example.org",
        other_emails=[("b@x.example", True)],
    )
    page = client.get(reverse("notices:preferences"))
    assert "b@x.example (verified by GitHub)" in page.text
    # On GitHub the second address is no longer verified; Ada signs in again.
    account.other_emails = [("b@x.example", False)]
    client.logout()
    github_sign_in.sign_in(client, fake_github, account)
    page = client.get(reverse("notices:preferences"))
    assert "ada@example.org (verified by GitHub)" in page.text
    assert "b@x.example" not in page.text


def test_an_address_with_someone_elses_choices_is_not_taken_without_github(
    client, fake_github, clock
):
    sign_in_with_github(client, fake_github)
    sam = Preference.objects.create(
        email="sam@example.org", proposals=True, mc=False, confirmed_at=clock.now
    )
    response = client.post(
        reverse("notices:preferences"),
        {"address": "other", "other_address": "sam@example.org", "topics": ["mc"]},
    )
    assert response.status_code == 200
    assert "This address already has its own choices" in response.text
    sam.refresh_from_db()
    assert (sam.attendee, sam.proposals, sam.mc) == (None, True, False)
