"""Pasting "Who joined" lines on the meeting's attendance page."""

import pytest
from django.test import Client
from django.urls import reverse

from meetings.models import Meeting
from people.models import Attendee
from tests.factories import AliasFactory, AttendeeFactory, MeetingFactory
from tests.staff import mc

pytestmark = pytest.mark.django_db

PASTE = (
    "- Ada Quill ([@adaquill](https://github.com/adaquill))\n"
    "- Lore (@lore)\n"
    "Bram Okafor (@bramok)\n"
    "- [Your Name](https://github.com/your-handle)\n"
)


@pytest.fixture
def page():
    user, person = mc("ann")
    meeting = MeetingFactory(status=Meeting.Status.HELD, mc=person)
    client = Client()
    client.force_login(user)
    url = reverse("admin:meetings_meeting_attendance", args=[meeting.pk])
    return client, meeting, url


def test_preview_shows_known_and_new_people_without_saving(page):
    client, meeting, url = page
    AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    lore = AttendeeFactory(display_name="Leonardo", github_handle="")
    AliasFactory(attendee=lore, name="Lore")
    response = client.post(url, {"text": PASTE, "_preview": "Preview"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: 3 to add, 1 of them new" in html
    assert "Known, matched by handle." in html
    assert "Known, matched by alias; their GitHub handle will be set." in html
    assert "New person, will be created." in html
    assert "Line 4: <code>- [Your Name](https://github.com/your-handle)</code>" in html
    assert 'value="Add 3 people to who joined"' in html
    assert meeting.attendances.count() == 0
    assert not Attendee.objects.filter(github_handle="bramok").exists()


def test_save_after_preview_adds_everyone(page):
    client, meeting, url = page
    preview = client.post(url, {"text": PASTE, "_preview": "Preview"})
    digest = preview.context["previewed"]
    response = client.post(url, {"text": PASTE, "previewed": digest, "_save": "Add"})
    assert response.status_code == 302
    assert response.url.endswith("#attendances-group")
    follow = client.get(response.url)
    assert [str(m) for m in follow.context["messages"]] == [
        "Added 3 people to who joined (3 new); 0 skipped."
    ]
    names = list(
        meeting.attendances.order_by("position").values_list(
            "attendee__display_name", flat=True
        )
    )
    assert names == ["Ada Quill", "Lore", "Bram Okafor"]


def test_a_list_edited_after_its_preview_is_previewed_again(page):
    client, meeting, url = page
    preview = client.post(url, {"text": "@ada", "_preview": "Preview"})
    response = client.post(
        url,
        {
            "text": "@ada\n@sneaky",
            "previewed": preview.context["previewed"],
            "_save": "Add",
        },
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The list changed since the preview: check it, then save."
    ]
    assert meeting.attendances.count() == 0


def test_nothing_to_add_is_said_plainly(page):
    client, _meeting, url = page
    text = "- [Your Name](https://github.com/your-handle)"
    preview = client.post(url, {"text": text, "_preview": "Preview"})
    response = client.post(
        url, {"text": text, "previewed": preview.context["previewed"], "_save": "Add"}
    )
    assert [str(m) for m in response.context["messages"]] == [
        "No names found: paste lines such as “- Ada Quill (@adaquill)”."
    ]


def test_finalized_meeting_refuses_attendance(page):
    client, meeting, url = page
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.FINALIZED)
    preview = client.post(url, {"text": "@ada", "_preview": "Preview"})
    assert "nobody can be added" in preview.content.decode()
    response = client.post(
        url,
        {"text": "@ada", "previewed": preview.context["previewed"], "_save": "Add"},
    )
    assert [str(m) for m in response.context["messages"]][0].startswith(
        "These notes were finalized by someone and are locked"
    )
    assert meeting.attendances.count() == 0
