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


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_admin_pages_load(admin_client, label):
    obj = FACTORIES[label]()
    if label == "meetings.meeting":
        AttendanceFactory(meeting=obj)
        AgendaItemFactory(meeting=obj)
        ActionItemFactory(meeting=obj)
    app, model = label.split(".")
    for url in (
        reverse(f"admin:{app}_{model}_changelist"),
        reverse(f"admin:{app}_{model}_changelist") + "?q=a",
        reverse(f"admin:{app}_{model}_add"),
        reverse(f"admin:{app}_{model}_change", args=[obj.pk]),
    ):
        response = admin_client.get(url)
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
def test_markdown_preview_refuses_anonymous_and_non_staff(client):
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403
    client.force_login(UserFactory(is_staff=False))
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403


@pytest.mark.django_db
def test_image_uploads_are_turned_off(admin_client):
    response = admin_client.post("/markdownx/upload/", {})
    assert response.status_code == 403
    assert b"Image uploads are turned off" in response.content
