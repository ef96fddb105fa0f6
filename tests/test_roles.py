"""Each role against each action of the MC workflow.

Roles: superuser, Maintainer, MC (on the call they MC, and on someone else's call),
staff without a role; and people who signed in with GitHub (through the fake
GitHub on loopback) given Maintainer, MC or note-taker by handle, with no other
step. Anonymous visitors go to the login page.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from meetings.roles import grant_role
from tests import github_sign_in
from tests.factories import (
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
)
from tests.staff import (
    fast_superuser,
    form_data,
    maintainer,
    mc,
    notices_roles,
    roles_migration,
    staff,
)

pytestmark = pytest.mark.django_db


def test_the_migration_creates_both_roles_with_their_permissions():
    maintainer_perms = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="Maintainer").permissions.all()
    }
    mc_perms = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="MC").permissions.all()
    }
    assert maintainer_perms == set(roles_migration.ROLES["Maintainer"]) | {
        f"notices.{codename}" for codename in notices_roles.MAINTAINER_PERMISSIONS
    }
    assert mc_perms == {
        "meetings.view_meeting",
        "meetings.change_meeting",
        "people.view_attendee",
    }
    assert {"meetings.edit_any_meeting", "meetings.reopen_meeting"} <= maintainer_perms
    assert "agenda.change_agendaitem" not in mc_perms


ROLES = ["superuser", "maintainer", "mc", "mc-other", "staff"]
EVERYONE = set(ROLES)
EDITORS = {"superuser", "maintainer", "mc"}
MANAGERS = {"superuser", "maintainer"}

# action: (who may, how to try it)
MATRIX = {
    "meeting list": (EVERYONE - {"staff"}, "get", "changelist"),
    "open meeting page": (EDITORS, "get", "change"),
    "save meeting page": (EDITORS, "post", "change"),
    "add meeting": (MANAGERS, "get", "add"),
    "delete meeting": (MANAGERS, "get", "delete"),
    "moderation page": (EDITORS, "get", "agenda"),
    "accept a proposal": (EDITORS, "post", "agenda"),
    "attendance paste page": (EDITORS, "get", "attendance"),
    "versions page": (EDITORS, "get", "versions"),
    "compare versions": (EDITORS, "get", "compare"),
    "restore a version": (EDITORS, "post", "restore"),
    "finalize notes": (EDITORS, "post", "finalize"),
    "reopen finalized notes": (MANAGERS, "get", "reopen"),
    "meeting history": (EDITORS, "get", "history"),
    "series list": (MANAGERS, "get", "admin:meetings_meetingseries_changelist"),
    "add series": (MANAGERS, "get", "admin:meetings_meetingseries_add"),
    "people list": (EVERYONE - {"staff"}, "get", "admin:people_attendee_changelist"),
    "add person": (MANAGERS, "get", "admin:people_attendee_add"),
    "release teams": (MANAGERS, "get", "admin:meetings_releaseteam_changelist"),
    "agenda items": (MANAGERS, "get", "admin:agenda_agendaitem_changelist"),
    "action items": (MANAGERS, "get", "admin:agenda_actionitem_changelist"),
    "people autocomplete": (EVERYONE - {"staff"}, "get", "autocomplete"),
}


@pytest.fixture
def superuser(db):
    return fast_superuser()


@pytest.fixture
def world(superuser):
    ready = timezone.now() - dt.timedelta(hours=1)
    mc_user, mc_person = mc("mc-ann")
    other_person = AttendeeFactory(display_name="Someone Else")
    users = {
        "superuser": superuser,
        "maintainer": maintainer("maintainer-max")[0],
        "mc": mc_user,
        "mc-other": mc_user,
        "staff": staff("staff-sam")[0],
    }
    meetings = {}
    for role, person in (("mc", mc_person), ("mc-other", other_person)):
        meeting = MeetingFactory(status=Meeting.Status.HELD, mc=person, start=ready)
        AgendaItemFactory(meeting=meeting, status=AgendaItem.Status.PROPOSED)
        finalized = MeetingFactory(
            series=meeting.series, mc=person, start=ready - dt.timedelta(weeks=1)
        )
        meetings[role] = (meeting, finalized)
    return users, meetings


def attempt(client, superuser_client, action, meeting, finalized):
    _allowed, method, target = MATRIX[action]
    admin = "admin:meetings_meeting_"
    if target.startswith("admin:"):
        return client.get(reverse(target))
    if target == "autocomplete":
        return client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "agenda",
                "model_name": "actionitem",
                "field_name": "owners",
                "term": "Some",
            },
        )
    if target == "changelist":
        return client.get(reverse(admin + "changelist"))
    if target == "add":
        return client.get(reverse(admin + "add"))
    if target == "reopen":
        return client.get(reverse(admin + "reopen", args=[finalized.pk]))
    if target in {"change", "finalize"} and method == "post":
        url = reverse(admin + "change", args=[meeting.pk])
        data = form_data(superuser_client.get(url))
        if target == "finalize":
            data["_finalize"] = "Finalize notes"
        return client.post(url, data)
    if target == "finalize":
        raise AssertionError
    if target == "agenda" and method == "post":
        item = meeting.agenda_items.get()
        return client.post(
            reverse(admin + "agenda", args=[meeting.pk]),
            {"action": "accept", "item": item.pk},
        )
    if target == "restore":
        record = meeting.history.earliest("history_date")
        return client.post(
            reverse(admin + "restore", args=[meeting.pk, record.history_id]),
            {"expected_version": meeting.version},
        )
    return client.get(reverse(admin + target, args=[meeting.pk]))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_role_matrix(world, role, action, admin_client):
    users, meetings = world
    client = Client()
    client.force_login(users[role])
    meeting, finalized = meetings["mc-other" if role == "mc-other" else "mc"]
    response = attempt(client, admin_client, action, meeting, finalized)
    allowed = role in MATRIX[action][0]
    if allowed:
        assert response.status_code in {200, 302}, response.status_code
        if response.status_code == 302:
            assert "/login/" not in response.url
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_anonymous_visitors_are_sent_to_log_in(world, action, admin_client):
    _users, meetings = world
    meeting, finalized = meetings["mc"]
    response = attempt(Client(), admin_client, action, meeting, finalized)
    assert response.status_code == 302
    assert "/login/" in response.url


def test_a_logged_in_non_staff_user_gets_no_admin(world, admin_client):
    _users, meetings = world
    person = get_user_model().objects.create(username="visitor")
    client = Client()
    client.force_login(person)
    meeting, _finalized = meetings["mc"]
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response.url


def test_an_mc_sees_their_own_meetings_first(world):
    users, meetings = world
    client = Client()
    client.force_login(users["mc"])
    response = client.get(reverse("admin:meetings_meeting_changelist"))
    listed = list(response.context["cl"].result_list)
    own = {m.pk for m in meetings["mc"]}
    assert {m.pk for m in listed[:2]} == own
    assert len(listed) == 4
    assert [bool(m.is_mine) for m in listed] == [True, True, False, False]


def test_a_finalized_meeting_is_read_only_even_for_the_superuser(world, admin_client):
    _users, meetings = world
    _meeting, finalized = meetings["mc"]
    response = admin_client.get(
        reverse("admin:meetings_meeting_change", args=[finalized.pk])
    )
    assert response.status_code == 200
    assert response.context["title"] == "View meeting"
    assert b'name="highlights"' not in response.content
    assert b"Reopen notes" in response.content


# Signed in with GitHub, given a role by handle: each must match the staff role.
GITHUB_ROLES = {
    "github-maintainer": "maintainer",
    "github-mc": "mc",
    "github-note-taker": "mc",
}


def signed_in_with_github(fake_github, role, meeting, finalized):
    handle = role
    if role == "github-maintainer":
        grant_role(handle=handle, role="maintainer", by=None)
    elif role == "github-mc":
        grant_role(handle=handle, role="mc", meeting=meeting, by=None)
        Meeting.objects.filter(pk=finalized.pk).update(mc=meeting.mc)
    else:
        grant_role(handle=handle, role="note_taker", meeting=meeting, by=None)
    client = Client()
    account = fake_github.add_account(handle, id=len(role))
    github_sign_in.sign_in(client, fake_github, account)
    return client


@pytest.mark.parametrize("role", sorted(GITHUB_ROLES))
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_role_matrix_for_people_signed_in_with_github(
    world, role, action, admin_client, fake_github
):
    _users, meetings = world
    meeting, finalized = meetings["mc"]
    client = signed_in_with_github(fake_github, role, meeting, finalized)
    response = attempt(client, admin_client, action, meeting, finalized)
    if GITHUB_ROLES[role] in MATRIX[action][0]:
        assert response.status_code in {200, 302}, response.status_code
        if response.status_code == 302:
            assert "/login/" not in response.url
    else:
        assert response.status_code == 403


def test_someone_signed_in_with_github_without_a_role_gets_no_admin(world, fake_github):
    _users, meetings = world
    meeting, _finalized = meetings["mc"]
    client = Client()
    github_sign_in.sign_in(client, fake_github, fake_github.add_account("nobody", id=1))
    response = client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert response.status_code == 302
    assert "/login/" in response.url
