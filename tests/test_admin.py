"""Every admin page loads for a superuser; the markdown preview is staff-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from meetings.models import Meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AliasFactory,
    AttendanceFactory,
    AttendeeFactory,
    CheckInFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
    UserFactory,
)

FACTORIES = {
    "people.attendee": AttendeeFactory,
    "people.alias": AliasFactory,
    "meetings.meetingseries": MeetingSeriesFactory,
    "meetings.meeting": MeetingFactory,
    "meetings.releaseteam": ReleaseTeamFactory,
    "meetings.githubreference": GitHubReferenceFactory,
    "meetings.checkin": CheckInFactory,
    "agenda.agendaitem": AgendaItemFactory,
    "agenda.actionitem": ActionItemFactory,
}


def test_every_callbook_model_is_registered():
    registered = {
        m._meta.label_lower
        for m in admin.site._registry
        if m._meta.app_label in {"people", "meetings", "agenda"}
    }
    # The Roles page is the role grants' admin (tests/accounts/test_roles_by_handle).
    assert registered == set(FACTORIES) | {"meetings.rolegrant"}


# Check-ins come only from the public check-in page.
ADDED_ELSEWHERE = {"meetings.checkin"}


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_admin_pages_load(admin_client, label):
    obj = FACTORIES[label]()
    if label == "meetings.meeting":
        AttendanceFactory(meeting=obj)
        AgendaItemFactory(meeting=obj)
        ActionItemFactory(meeting=obj)
    app, model = label.split(".")
    add = reverse(f"admin:{app}_{model}_add")
    for url in (
        reverse(f"admin:{app}_{model}_changelist"),
        reverse(f"admin:{app}_{model}_changelist") + "?q=a",
        add,
        reverse(f"admin:{app}_{model}_change", args=[obj.pk]),
    ):
        response = admin_client.get(url)
        if url == add and label in ADDED_ELSEWHERE:
            assert response.status_code == 403, url
            continue
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_meeting_change_page_uses_markdownx_editors(admin_client):
    # Finalized notes are read-only; the editors are on notes still being kept.
    meeting = MeetingFactory(status=Meeting.Status.HELD)
    AgendaItemFactory(meeting=meeting)
    response = admin_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )
    html = response.content.decode()
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in html
    assert html.count("markdownx-editor") >= 3
    # An imported attendee line written differently is visible and editable.
    assert 'name="attendances-0-written_as"' in html


@pytest.mark.django_db
def test_markdown_preview_sanitizes_for_staff(admin_client):
    response = admin_client.post(
        "/markdownx/markdownify/",
        {"content": "**hi** <img src=x onerror=alert(1)> [x](javascript:alert(1))"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>hi</strong>" in html
    assert "onerror" not in html
    assert "javascript:" not in html


@pytest.mark.django_db
def test_markdown_preview_without_content_or_too_long_is_a_400(admin_client):
    from meetings.views import PREVIEW_MAX_CHARS

    response = admin_client.post("/markdownx/markdownify/", {})
    assert response.status_code == 400
    assert b"Nothing to preview" in response.content
    response = admin_client.post(
        "/markdownx/markdownify/", {"content": "a" * (PREVIEW_MAX_CHARS + 1)}
    )
    assert response.status_code == 400
    assert b"too long to preview" in response.content
    response = admin_client.post(
        "/markdownx/markdownify/", {"content": "a" * PREVIEW_MAX_CHARS}
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "refused", ["//evil.example/", "https://evil.example/admin/", "javascript:x"]
)
def test_a_refused_next_at_login_goes_to_the_admin_index(client, refused):
    # A password signs in the break-glass superuser only (others use GitHub).
    UserFactory(
        username="boss", password="s3cret-pass", is_staff=True, is_superuser=True
    )
    response = client.post(
        reverse("admin:login") + "?next=" + refused,
        {"username": "boss", "password": "s3cret-pass", "next": refused},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_markdown_preview_refuses_anonymous_and_non_staff(client):
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403
    client.force_login(UserFactory(is_staff=False))
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403


@pytest.mark.django_db
def test_image_uploads_are_turned_off(admin_client):
    response = admin_client.post("/markdownx/upload/", {})
    assert response.status_code == 403
    assert b"Image uploads are turned off" in response.content
