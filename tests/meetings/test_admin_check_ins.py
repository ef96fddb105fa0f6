"""The MC confirms anonymous check-ins in the admin; only then are people listed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import CheckIn, Meeting
from meetings.services import check_in
from people.models import Attendee
from tests.factories import MeetingFactory
from tests.staff import maintainer, mc

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:meetings_checkin_changelist"


def on_now(mc_attendee=None):
    return MeetingFactory(
        status=Meeting.Status.HELD,
        start=timezone.now() - dt.timedelta(minutes=10),
        mc=mc_attendee,
    )


def test_an_mc_confirms_check_ins_of_their_own_call_only(client):
    user, ann = mc()
    mine, theirs = on_now(ann), on_now()
    for handle in ("newface", "other-one"):
        check_in(meeting=mine, handle=handle)
    stranger = check_in(meeting=theirs, handle="stranger").check_in
    client.force_login(user)

    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "newface" in html
    assert "stranger" not in html
    assert (
        client.get(
            reverse("admin:meetings_checkin_change", args=[stranger.pk])
        ).status_code
        == 302  # the admin's "does not exist" redirect for rows outside the queryset
    )

    picked = mine.check_ins.filter(github_handle="newface")
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "confirm",
            "_selected_action": [picked.get().pk, stranger.pk],
        },
        follow=True,
    )
    assert "Confirmed 1 check-ins" in response.content.decode()
    assert [a.github_handle for a in mine.attendees.all()] == ["newface"]
    assert picked.get().verified
    assert picked.get().verified_by == user
    assert not CheckIn.objects.get(pk=stranger.pk).verified
    assert not theirs.attendees.exists()
    assert not Attendee.objects.filter(github_handle="other-one").exists()


def test_a_maintainer_sees_every_call_and_anonymous_users_none(client):
    user, _ = maintainer()
    check_in(meeting=on_now(), handle="someone")
    assert client.get(reverse(CHANGELIST)).status_code == 302  # to the login
    client.force_login(user)
    assert "someone" in client.get(reverse(CHANGELIST)).content.decode()
