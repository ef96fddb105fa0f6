"""What a person signed in with GitHub gets: one-click check-in, My proposals."""

import datetime as dt

import factory
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import AgendaItem
from agenda.services import decline_agenda_item, defer_agenda_item
from meetings.models import Attendance, CheckIn, Meeting
from tests import github_sign_in
from tests.factories import AgendaItemFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ada(fake_github):
    """A client signed in through the fake GitHub as @adaquill."""
    client = Client()
    account = fake_github.add_account("adaquill", id=42, name="Ada Quill")
    github_sign_in.sign_in(client, fake_github, account)
    return client


def checkin_url(meeting):
    return reverse(
        "meetings:checkin",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )


def on_now():
    return MeetingFactory(
        status=Meeting.Status.HELD, start=timezone.now() - dt.timedelta(minutes=10)
    )


def test_one_click_check_in_is_verified(ada):
    meeting = on_now()
    page = ada.get(checkin_url(meeting))
    assert b"Signed in as <strong>@adaquill</strong>" in page.content
    response = ada.post(checkin_url(meeting), {"one_click": "1"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(meeting=meeting)
    assert attendance.attendee.github_handle == "adaquill"
    check_in = CheckIn.objects.get(meeting=meeting)
    assert check_in.verified is True
    assert check_in.attendee == attendance.attendee
    assert check_in.verified_by.attendee == attendance.attendee
    again = ada.post(checkin_url(meeting), {"one_click": "1"}, follow=True)
    assert b"is on the list of who joined (verified). Welcome!" in again.content
    assert Attendance.objects.filter(meeting=meeting).count() == 1


def test_a_typed_handle_stays_unverified_and_a_later_click_verifies_it(ada):
    meeting = on_now()
    Client().post(checkin_url(meeting), {"github_handle": "AdaQuill"})
    typed = CheckIn.objects.get(meeting=meeting)
    assert typed.verified is False
    assert not Attendance.objects.exists()  # waits for the MC
    ada.post(checkin_url(meeting), {"one_click": "1"})
    typed.refresh_from_db()
    assert typed.verified is True
    assert Attendance.objects.get(meeting=meeting).attendee.github_handle == (
        "adaquill"
    )


def test_one_click_needs_a_signed_in_person():
    meeting = on_now()
    client = Client()
    page = client.get(checkin_url(meeting))
    assert b"Sign in with GitHub</a> to check in with one click" in page.content
    response = client.post(checkin_url(meeting), {"one_click": "1"}, follow=True)
    assert b"Sign in with GitHub to check in with one click" in response.content
    assert not Attendance.objects.exists()


def test_one_click_is_refused_outside_the_call(ada):
    meeting = MeetingFactory(start=timezone.now() + dt.timedelta(days=1))
    response = ada.post(checkin_url(meeting), {"one_click": "1"})
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def propose(client, meeting, title):
    url = reverse(
        "agenda:propose",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    page = client.get(url)
    assert page.context["form"].initial["proposer_handle"] == "adaquill"
    return client.post(
        url,
        {
            "proposer_name": "Ada Quill",
            "proposer_handle": "adaquill",
            "title": title,
            "description": "",
            "requested_minutes": 5,
            "links": "",
        },
    )


def test_my_proposals_lists_each_with_its_status(ada):
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=timezone.now() + dt.timedelta(days=2)
    )
    for title in ("First idea", "Second idea", "Third idea"):
        assert propose(ada, meeting, title).status_code == 302
    first, second, third = AgendaItem.objects.order_by("pk")
    assert first.proposer.github_handle == "adaquill"
    decline_agenda_item(item=second, user=None, reason="Out of scope this time")
    defer_agenda_item(item=third, user=None)
    # Someone else's proposal is not listed.
    AgendaItemFactory(meeting=meeting, title="Not mine")

    page = ada.get(reverse("agenda:my_proposals"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "First idea" in text
    assert "Not mine" not in text
    assert "Declined" in text
    assert "Reason: Out of scope this time" in text
    third.refresh_from_db()
    assert f"Deferred from the call of {meeting.date_key} to this one." in text
    assert third.meeting.date_key in text
    assert "Edit or withdraw" in text


def test_anonymous_proposing_still_works_and_my_proposals_needs_sign_in(client):
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=timezone.now() + dt.timedelta(days=2)
    )
    url = reverse(
        "agenda:propose",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    response = client.post(
        url,
        {"proposer_name": "Anon", "title": "Hello", "requested_minutes": 5},
    )
    assert response.status_code == 302
    assert AgendaItem.objects.get().proposer is None
    mine = client.get(reverse("agenda:my_proposals"))
    assert mine.status_code == 302
    assert mine["Location"].startswith(reverse("account_login"))


def test_my_proposals_query_count_holds_as_rows_grow(
    ada, django_assert_max_num_queries
):
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=timezone.now() + dt.timedelta(days=2)
    )
    from people.models import Attendee

    person = Attendee.objects.get(github_handle="adaquill")
    # Proposals get their private-link key when they are made (the propose view
    # does it), so the page itself writes nothing.
    keyed = factory.Sequence(lambda n: f"test-edit-key-{n}")
    AgendaItemFactory.create_batch(3, meeting=meeting, proposer=person, edit_key=keyed)
    with django_assert_max_num_queries(10) as few:
        ada.get(reverse("agenda:my_proposals"))
    AgendaItemFactory.create_batch(20, meeting=meeting, proposer=person, edit_key=keyed)
    with django_assert_max_num_queries(len(few.captured_queries)):
        ada.get(reverse("agenda:my_proposals"))
