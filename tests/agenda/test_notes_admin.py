from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agenda.notes.admin import SESSION_KEY
from meetings.models import Meeting
from tests.factories import UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/admin/meetings/meeting/import-notes/"


def upload(name: str) -> SimpleUploadedFile:
    path = FIXTURES / name
    return SimpleUploadedFile(path.name, path.read_bytes(), "text/markdown")


@pytest.mark.django_db
def test_the_page_is_for_staff_who_may_add_meetings(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="add_meeting"))
    assert client.get(URL).status_code == 200


def test_the_meetings_list_has_an_import_button(admin_client):
    assert reverse("admin:meetings_meeting_import_notes") == URL
    response = admin_client.get(reverse("admin:meetings_meeting_changelist"))
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()
    assert "Import notes" in response.content.decode()


@pytest.mark.django_db
def test_no_import_button_without_the_permission_to_add_meetings(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    client.force_login(staff)
    response = client.get(reverse("admin:meetings_meeting_changelist"))
    assert response.status_code == 200
    assert URL not in response.content.decode()


def test_the_admin_site_is_not_patched():
    from django.contrib import admin
    from django.contrib.admin import AdminSite

    # A patched attribute would be a plain function, not AdminSite's own method.
    assert admin.site.get_urls.__func__ is AdminSite.get_urls
    assert admin.site.get_app_list.__func__ is AdminSite.get_app_list


def test_preview_then_import(admin_client):
    response = admin_client.post(
        URL,
        {
            "series": "gadget",
            "files": [upload("gadget/gadget-archive.md"), upload("widget/no-date.md")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dry run: nothing has been stored yet" in page
    assert (
        "2 files into “gadget”: 3 calls, 3 new, 0 updated, 0 duplicate, 1 failed."
        in (page)
    )
    assert "no call found" in page
    assert "second_call_same_date" in page
    assert Meeting.objects.count() == 0
    token = admin_client.session[SESSION_KEY]["token"]

    response = admin_client.post(URL, {"confirm": "1", "token": token})
    assert response.status_code == 200
    assert "Import report" in response.content.decode()
    assert Meeting.objects.count() == 3
    assert SESSION_KEY not in admin_client.session


def test_a_stale_confirmation_imports_nothing(admin_client):
    admin_client.post(
        URL, {"series": "gadget", "files": [upload("gadget/gadget-older.md")]}
    )
    response = admin_client.post(URL, {"confirm": "1", "token": "not-the-token"})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert Meeting.objects.count() == 0


def test_only_markdown_files_are_accepted(admin_client):
    response = admin_client.post(
        URL,
        {
            "series": "gadget",
            "files": [SimpleUploadedFile("notes.pdf", b"%PDF", "application/pdf")],
        },
    )
    assert response.status_code == 200
    assert "“notes.pdf” is not a markdown file (.md)." in response.content.decode()
    assert SESSION_KEY not in admin_client.session


def test_the_preview_shows_how_headings_were_read_and_takes_a_profile(admin_client):
    notes = (
        b"# Widget Sync 2023-05-04\n\n## Hats\n\n- Ann Lee\n\n"
        b"## Backport nominations\n\n- a fix\n"
    )
    form = {
        "series": "widget",
        "split_series": "on",
        "profile": "Hats: attendees",
        "files": [SimpleUploadedFile("2023-05-04.md", notes, "text/markdown")],
    }
    response = admin_client.post(URL, form)
    page = response.content.decode()
    assert "2023-05-04 (widget): 1 people, 1 agenda items, 0 action items" in page
    assert "“Hats” → <strong>attendees</strong> (custom)" in page
    assert "“Backport nominations” → <strong>topic</strong>" in page
    assert 'id="unknown-headings"' in page
    pending = admin_client.session[SESSION_KEY]
    assert (pending["split_series"], pending["profile"]) == (True, "Hats: attendees")
    response = admin_client.post(URL, {"confirm": "1", "token": pending["token"]})
    meeting = Meeting.objects.get()
    assert [a.attendee.display_name for a in meeting.attendances.all()] == ["Ann Lee"]


def test_a_profile_with_an_unknown_role_is_refused(admin_client):
    form = {
        "series": "widget",
        "profile": "Hats: hats",
        "files": [SimpleUploadedFile("a.md", b"# 2023-05-04\n", "text/markdown")],
    }
    response = admin_client.post(URL, form)
    assert "unknown role" in response.content.decode()
    assert SESSION_KEY not in admin_client.session
