"""Versions of a meeting's notes: list, compare (escaped diff), restore, reopen."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from meetings.models import Meeting
from meetings.services import save_meeting
from tests.factories import MeetingFactory
from tests.staff import maintainer, mc

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes():
    user, person = mc("ann")
    meeting = MeetingFactory(
        status=Meeting.Status.HELD, mc=person, highlights="<b>first</b>"
    )
    current = Meeting.objects.get(pk=meeting.pk)
    current.highlights = '<img src=x onerror="alert(1)"> second'
    save_meeting(meeting=current, loaded_version=1, user=user)
    client = Client()
    client.force_login(user)
    return client, meeting


def test_versions_page_lists_every_save(notes):
    client, meeting = notes
    response = client.get(reverse("admin:meetings_meeting_versions", args=[meeting.pk]))
    versions = response.context["versions"]
    assert [(v.record.version, v.summary) for v in versions] == [
        (2, "changed highlights"),
        (1, "created the meeting"),
    ]
    assert b"Restore version 1" in response.content


def test_compare_shows_an_escaped_line_diff(notes):
    client, meeting = notes
    old, new = meeting.history.order_by("history_date")
    response = client.get(
        reverse("admin:meetings_meeting_compare", args=[meeting.pk]),
        {"old": old.history_id, "new": new.history_id},
    )
    html = response.content.decode()
    assert '<tr class="diff-removed">' in html
    assert "&lt;b&gt;first&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; second" in html
    assert "<img src=x" not in html
    # Swapped order is put right; no arguments compare the latest with the one before.
    swapped = client.get(
        reverse("admin:meetings_meeting_compare", args=[meeting.pk]),
        {"old": new.history_id, "new": old.history_id},
    )
    assert swapped.context["old"] == old
    default = client.get(reverse("admin:meetings_meeting_compare", args=[meeting.pk]))
    assert (default.context["old"], default.context["new"]) == (old, new)


def test_restore_makes_a_new_version(notes):
    client, meeting = notes
    old = meeting.history.order_by("history_date").first()
    url = reverse("admin:meetings_meeting_restore", args=[meeting.pk, old.history_id])
    response = client.post(url, {"expected_version": 2}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Restored: the notes are now at version 3."
    ]
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.version) == ("<b>first</b>", 3)
    assert meeting.history.count() == 3


def test_restore_from_a_stale_page_is_refused(notes):
    client, meeting = notes
    old = meeting.history.order_by("history_date").first()
    url = reverse("admin:meetings_meeting_restore", args=[meeting.pk, old.history_id])
    response = client.post(url, {"expected_version": 1}, follow=True)
    message = str(list(response.context["messages"])[0])
    assert message.startswith(
        "Someone saved this meeting while you were editing it (you opened version 1)"
    )
    meeting.refresh_from_db()
    assert meeting.version == 2


def test_simple_history_revert_is_turned_off(notes):
    client, meeting = notes
    old = meeting.history.order_by("history_date").first()
    url = reverse(
        "admin:meetings_meeting_simple_history", args=[meeting.pk, old.history_id]
    )
    assert client.post(url, {"highlights": "sneaky"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.version == 2


def test_a_maintainer_reopens_with_a_reason_that_is_logged():
    user, _ = maintainer("max")
    client = Client()
    client.force_login(user)
    meeting = MeetingFactory()  # finalized
    url = reverse("admin:meetings_meeting_reopen", args=[meeting.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    response = client.post(url, {"reason": "Forgot the recording"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The notes are reopened for editing."
    ]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert LogEntry.objects.filter(
        object_id=str(meeting.pk),
        change_message="Reopened the notes: Forgot the recording",
    ).exists()
    again = client.post(url, {"reason": "again"}, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "These notes are not finalized: there is nothing to reopen."
    ]
