"""Roles given by handle, applied when the person signs in with GitHub."""

import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting, RoleChange, RoleGrant
from meetings.roles import RoleError, grant_role, remove_role
from tests import github_sign_in
from tests.factories import AgendaItemFactory, AttendeeFactory, MeetingFactory
from tests.staff import ensure_roles, form_data, maintainer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roles(db):
    ensure_roles()


def user_of(client):
    return get_user_model().objects.get(pk=client.session[SESSION_KEY])


def notebook_url(meeting):
    return reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )


def held_call(**fields):
    start = timezone.now() - dt.timedelta(minutes=30)
    fields.setdefault("mc", None)
    meeting = MeetingFactory(status=Meeting.Status.HELD, start=start, **fields)
    AgendaItemFactory(meeting=meeting, status=AgendaItem.Status.PROPOSED)
    return meeting


def test_a_maintainer_grants_mc_by_handle_and_that_person_runs_the_call(
    fake_github,
):
    meeting = held_call()
    boss, _person = maintainer("boss")
    boss_client = Client()
    boss_client.force_login(boss)
    roles_url = reverse("admin:meetings_rolegrant_changelist")
    response = boss_client.post(
        roles_url, {"role": "mc", "handle": "@Cleo-MC", "meeting": meeting.pk}
    )
    assert response.status_code == 302, response.content
    meeting.refresh_from_db()
    assert meeting.mc.github_handle == "Cleo-MC"
    log = RoleChange.objects.get()
    assert (log.action, log.role, log.handle, log.by) == (
        "granted",
        "mc",
        "Cleo-MC",
        boss,
    )
    assert log.by_name == f"@{_person.github_handle}"

    # Cleo signs in with GitHub (any case) and runs the call: nothing else.
    cleo = Client()
    account = fake_github.add_account("cleo-mc", id=31)
    github_sign_in.sign_in(cleo, fake_github, account)
    user = user_of(cleo)
    assert user.is_staff
    assert not user.is_superuser
    admin = "admin:meetings_meeting_"
    assert cleo.get(reverse(admin + "change", args=[meeting.pk])).status_code == 200
    notebook = cleo.get(notebook_url(meeting))
    assert notebook.status_code == 200
    assert notebook.context["editable"]
    item = meeting.agenda_items.get()
    response = cleo.post(
        reverse(admin + "agenda", args=[meeting.pk]),
        {"action": "accept", "item": item.pk},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == AgendaItem.Status.ACCEPTED
    item.status = AgendaItem.Status.DISCUSSED
    item.save()
    url = reverse(admin + "change", args=[meeting.pk])
    data = form_data(cleo.get(url))
    data["_finalize"] = "Finalize notes"
    assert cleo.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.is_finalized
    assert meeting.finalized_by == user
    # Not someone else's call, and not the roles page.
    other = held_call()
    other_page = cleo.get(reverse(admin + "change", args=[other.pk]))
    assert b'name="highlights"' not in other_page.content
    assert cleo.get(roles_url).status_code == 403


def test_a_note_taker_edits_that_call_only(fake_github):
    meeting, other = held_call(), held_call()
    grant_role(handle="nina", role="note_taker", meeting=meeting, by=None)
    client = Client()
    github_sign_in.sign_in(client, fake_github, fake_github.add_account("nina", id=5))
    assert client.get(notebook_url(meeting)).context["editable"]
    assert client.get(notebook_url(other)).status_code in {302, 403}
    admin = "admin:meetings_meeting_"
    page = client.get(reverse(admin + "change", args=[meeting.pk]))
    assert page.status_code == 200
    assert b'name="highlights"' in page.content
    other_page = client.get(reverse(admin + "change", args=[other.pk]))
    assert b'name="highlights"' not in other_page.content


def test_a_grant_reaches_someone_already_signed_in_and_a_removal_takes_it_back(
    fake_github,
):
    client = Client()
    github_sign_in.sign_in(client, fake_github, fake_github.add_account("max", id=8))
    user = user_of(client)
    assert not user.is_staff
    grant_role(handle="max", role="maintainer", by=None)
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name="Maintainer").exists()
    assert client.get(reverse("admin:meetings_meetingseries_changelist")).status_code
    grant = RoleGrant.objects.get()
    remove_role(role=grant.role, grant=grant, by=None)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()
    assert [c.action for c in RoleChange.objects.order_by("at", "pk")] == [
        "granted",
        "removed",
    ]


@pytest.mark.parametrize(
    ("restriction", "orgs", "teams", "is_maintainer"),
    [
        ("falco", set(), set(), False),
        ("falco", {"falco"}, set(), True),
        ("falco/maintainers", {"falco"}, set(), False),
        ("falco/maintainers", {"falco"}, {"falco/maintainers"}, True),
    ],
)
def test_maintainer_rights_need_the_organization_when_configured(
    fake_github, settings, restriction, orgs, teams, is_maintainer
):
    settings.MAINTAINER_GITHUB_ORG = restriction
    grant_role(handle="max", role="maintainer", by=None)
    account = fake_github.add_account("max", id=8, orgs=orgs, teams=teams)
    client = Client()
    github_sign_in.sign_in(client, fake_github, account)
    user = user_of(client)
    assert user.groups.filter(name="Maintainer").exists() is is_maintainer
    assert user.is_staff is is_maintainer
    authorize = next(q for m, p, q in fake_github.requests if p.endswith("authorize"))
    assert "read:org" in authorize["scope"]
    # Still granted: membership is checked again at the next sign-in.
    assert RoleGrant.objects.filter(role="maintainer").exists()


def test_leaving_the_organization_ends_maintainer_rights_at_next_sign_in(
    fake_github, settings
):
    settings.MAINTAINER_GITHUB_ORG = "falco"
    grant_role(handle="max", role="maintainer", by=None)
    account = fake_github.add_account("max", id=8, orgs={"falco"})
    github_sign_in.sign_in(Client(), fake_github, account)
    account.orgs.clear()
    client = Client()
    github_sign_in.sign_in(client, fake_github, account)
    assert not user_of(client).is_staff


def test_the_roles_page_is_for_maintainers(client):
    boss, _person = maintainer("boss")
    client.force_login(boss)
    AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    url = reverse("admin:meetings_rolegrant_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert b"Give a role" in page.content
    found = client.get(reverse("admin:meetings_rolegrant_people"), {"term": "ada"})
    assert found.json() == {
        "results": [{"github_handle": "adaquill", "display_name": "Ada Quill"}]
    }
    response = client.post(url, {"role": "maintainer", "handle": "adaquill"})
    assert response.status_code == 302
    assert RoleGrant.objects.filter(attendee__github_handle="adaquill").exists()
    again = client.post(url, {"role": "maintainer", "handle": "ADAQUILL"})
    assert b"has this role already" in again.content
    missing_call = client.post(url, {"role": "note_taker", "handle": "adaquill"})
    assert b"Choose the call this role is for." in missing_call.content
    page = client.get(url)
    assert b"granted maintainer to @adaquill" in page.content


def test_the_roles_page_refuses_others(client):
    sam = get_user_model().objects.create(username="sam", is_staff=True)
    client.force_login(sam)
    assert client.get(reverse("admin:meetings_rolegrant_changelist")).status_code == 403
    assert client.get(reverse("admin:meetings_rolegrant_people")).status_code == 403


def test_grant_refuses_bad_handles_and_finalized_calls():
    with pytest.raises(RoleError, match="is not a valid GitHub handle"):
        grant_role(handle="not a handle", role="maintainer", by=None)
    finalized = MeetingFactory(status=Meeting.Status.FINALIZED)
    with pytest.raises(RoleError, match="finalized"):
        grant_role(handle="ok", role="mc", meeting=finalized, by=None)


def test_manage_py_grant_maintainer_makes_the_first_maintainer(capsys, fake_github):
    call_command("grant", "maintainer", "first-boss")
    out = capsys.readouterr().out
    assert "@first-boss is Maintainer; the rights apply at their first sign-in" in out
    log = RoleChange.objects.get()
    assert (log.by, log.by_name) == (None, "")
    client = Client()
    github_sign_in.sign_in(
        client, fake_github, fake_github.add_account("First-Boss", id=1)
    )
    assert client.get(reverse("admin:meetings_rolegrant_changelist")).status_code == 200


def test_manage_py_grant_mc_of_a_call(capsys):
    meeting = held_call()
    call_command(
        "grant", "mc", "cleo", "--call", f"{meeting.series.slug}/{meeting.date_key}"
    )
    meeting.refresh_from_db()
    assert meeting.mc.github_handle == "cleo"


def test_an_mc_set_in_the_admin_gets_the_rights_without_signing_in_again(
    fake_github,
):
    meeting = held_call()
    client = Client()
    github_sign_in.sign_in(client, fake_github, fake_github.add_account("late", id=9))
    user = user_of(client)
    assert not user.is_staff
    boss = get_user_model().objects.create(
        username="root2", is_staff=True, is_superuser=True
    )
    boss_client = Client()
    boss_client.force_login(boss)
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    data = form_data(boss_client.get(url))
    data["mc"] = str(user.attendee.pk)
    assert boss_client.post(url, data).status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    assert client.get(url).status_code == 200


def test_a_maintainer_edits_a_person_without_a_user_account_box(client):
    boss, _person = maintainer("boss")
    client.force_login(boss)
    person = AttendeeFactory(github_handle="adaquill")
    page = client.get(reverse("admin:people_attendee_change", args=[person.pk]))
    assert page.status_code == 200
    assert b'name="user"' not in page.content
    assert b"GitHub account id" in page.content
