"""The public "I'm here" page of a call."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import views
from meetings.models import Meeting
from people.models import Attendee
from tests.factories import AttendeeFactory, MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def url_of(meeting):
    return reverse(
        "meetings:checkin",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )


def on_now(**kwargs):
    return MeetingFactory(
        status=Meeting.Status.HELD,
        start=timezone.now() - dt.timedelta(minutes=10),
        **kwargs,
    )


def test_url_is_under_the_call():
    meeting = on_now()
    assert url_of(meeting) == (
        f"/calls/{meeting.series.slug}/{meeting.date_key}/checkin/"
    )


def test_check_in_with_csrf_records_an_unverified_check_in_and_redirects():
    meeting = on_now()
    AttendeeFactory(github_handle="adaquill")
    client = Client(enforce_csrf_checks=True)
    page = client.get(url_of(meeting))
    assert page.status_code == 200
    token = page.context["csrf_token"]
    response = client.post(
        url_of(meeting), {"github_handle": "@AdaQuill", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response.url == url_of(meeting)
    follow = client.get(response.url)
    assert [str(m) for m in follow.context["messages"]] == [
        "Thanks, @AdaQuill: you are checked in. The MC confirms the list of who "
        "joined after the call."
    ]
    # Anyone could have typed that handle: nobody is listed until the MC confirms.
    assert not meeting.attendees.exists()
    record = meeting.check_ins.get()
    assert (record.github_handle, record.verified, record.attendee) == (
        "AdaQuill",
        False,
        None,
    )
    response = client.post(
        url_of(meeting), {"github_handle": "adaquill", "csrfmiddlewaretoken": token}
    )
    follow = client.get(response.url)
    assert [str(m) for m in follow.context["messages"]] == [
        "@AdaQuill has already checked in. Welcome!"
    ]
    assert meeting.check_ins.count() == 1


def test_an_anonymous_check_in_creates_nobody_for_any_typed_handle():
    meeting = on_now()
    client = Client()
    for handle in ("torvalds", "someone-else", "x"):
        assert client.post(url_of(meeting), {"github_handle": handle}).status_code == (
            302
        )
    assert not Attendee.objects.filter(
        github_handle__in=["torvalds", "someone-else", "x"]
    ).exists()
    assert not meeting.attendances.exists()
    assert meeting.check_ins.filter(verified=False).count() == 3
    # Nor does the public call page show them (to another visitor).
    html = Client().get(meeting.get_absolute_url()).content.decode()
    assert "someone-else" not in html


def test_without_csrf_token_the_post_is_refused():
    meeting = on_now()
    client = Client(enforce_csrf_checks=True)
    response = client.post(url_of(meeting), {"github_handle": "ada"})
    assert response.status_code == 403
    assert meeting.attendances.count() == 0


def test_an_invalid_handle_is_explained():
    meeting = on_now()
    response = Client().post(url_of(meeting), {"github_handle": "not a handle"})
    assert response.status_code == 200
    assert response.context["form"].errors["github_handle"] == [
        "“not a handle” is not a valid GitHub handle: use 1-39 letters, digits or "
        "single hyphens, not starting or ending with a hyphen."
    ]
    assert meeting.attendances.count() == 0


def test_before_the_call_the_page_says_when_it_opens_and_refuses_posts():
    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    meeting = MeetingFactory(status=Meeting.Status.SCHEDULED, start=start)
    message = f"Check-in opens when the call starts, at {start:%Y-%m-%d %H:%M} UTC."
    page = Client().get(url_of(meeting))
    assert message in page.content.decode()
    assert b"<form" not in page.content.split(b"<main")[1]
    response = Client().post(url_of(meeting), {"github_handle": "ada"})
    assert response.status_code == 403
    assert message in response.content.decode()
    assert meeting.attendances.count() == 0


def test_after_the_call_check_in_is_closed():
    meeting = MeetingFactory(
        status=Meeting.Status.HELD, start=timezone.now() - dt.timedelta(hours=2)
    )
    response = Client().post(url_of(meeting), {"github_handle": "ada"})
    assert response.status_code == 403
    assert "30 minutes after the call ended" in response.content.decode()


def test_too_many_check_ins_from_one_address_get_429(monkeypatch):
    monkeypatch.setattr(views, "CHECK_INS_PER_ADDRESS", 2)
    meeting = on_now()
    client = Client()
    for handle in ("one", "two"):
        assert (
            client.post(url_of(meeting), {"github_handle": handle}).status_code == 302
        )
    response = client.post(url_of(meeting), {"github_handle": "three"})
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert views.TOO_MANY in response.content.decode()
    assert meeting.check_ins.count() == 2


def test_unknown_call_is_404():
    meeting = on_now()
    url = reverse(
        "meetings:checkin",
        kwargs={"series": meeting.series.slug, "date_key": "1999-01-01"},
    )
    assert Client().get(url).status_code == 404
