import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agenda.models import ActionItem, AgendaItem
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
    RoleChange,
    RoleGrant,
)
from people.models import Alias, Attendee

MODELS = [
    MeetingSeries,
    Meeting,
    Attendance,
    Attendee,
    Alias,
    AgendaItem,
    ActionItem,
    ReleaseTeam,
    RoleGrant,
    RoleChange,
    get_user_model(),
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_seed_demo_builds_a_community_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    assert "user: admin  password: callbook-demo" in out
    assert "as danaruiz, MC of the next call (account made)" in out
    assert "as adaquill, a Maintainer" in out

    call_command("seed_demo")
    assert counts() == first
    again = capsys.readouterr().out
    assert "password: (unchanged)" in again
    assert "(account made)" not in again

    assert Meeting.objects.finalized().count() == 3
    upcoming = Meeting.objects.scheduled().get(series__slug="community")
    assert upcoming.agenda_items.proposed().count() == 2
    assert ActionItem.objects.open().exists()
    assert ReleaseTeam.objects.get().members.exists()
    assert get_user_model().objects.get(username="admin").is_superuser
    dana = get_user_model().objects.get(username="dana")
    assert dana.groups.filter(name="MC").exists()
    assert upcoming.mc.user == dana
    assert GitHubReference.objects.filter(number=42).exists()


@pytest.mark.django_db
def test_seed_demo_has_a_call_about_to_start_whose_notices_print_to_the_console(
    settings, capsys
):
    from notices.delivery import run_once
    from notices.models import Notice

    call_command("seed_demo")
    capsys.readouterr()
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    run_once()
    out = capsys.readouterr().out
    soon = Meeting.objects.scheduled().get(series__slug="office-hours")
    when = soon.start.strftime("%Y-%m-%d %H:%M UTC")
    assert f"Subject: Agenda: Release Office Hours, {when}" in out
    assert "To: release@lists.example.org" in out
    assert f"Subject: You are the MC of Release Office Hours, {when}" in out
    assert "To: danaruiz@example.org" in out
    assert not Notice.objects.exclude(status=Notice.Status.SENT).exists()
    call_command("seed_demo")
    assert Meeting.objects.scheduled().filter(series__slug="office-hours").count() == 1
