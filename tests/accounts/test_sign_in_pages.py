"""The sign-in page, the break-glass password, the development stand-in."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from people.models import Attendee
from tests.factories import AttendeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_offers_github_when_configured(client, fake_github):
    page = client.get(reverse("account_login"), {"next": "/archive/"})
    assert page.status_code == 200
    assert b"Sign in with GitHub" in page.content
    assert b'value="/archive/"' in page.content
    assert b"Development sign-in" not in page.content  # DEBUG is off in tests


def test_the_sign_in_page_drops_an_outside_next(client, fake_github):
    page = client.get(reverse("account_login"), {"next": "https://evil.example/"})
    assert b"evil.example" not in page.content
    assert b'name="next" value="/"' in page.content


def test_without_a_github_app_the_page_says_so(client, settings):
    settings.GITHUB_CLIENT_ID = ""
    page = client.get(reverse("account_login"))
    assert b"not set up on this site yet" in page.content


@pytest.mark.parametrize(("is_superuser", "admitted"), [(True, True), (False, False)])
def test_password_login_is_for_the_break_glass_superuser_only(
    client, is_superuser, admitted
):
    UserFactory(username="someone", is_staff=True, is_superuser=is_superuser)
    client.post(
        reverse("admin:login"), {"username": "someone", "password": "pw-for-tests"}
    )
    assert (SESSION_KEY in client.session) is admitted


def test_password_login_for_staff_when_configured(client, settings):
    settings.PASSWORD_LOGIN = "staff"
    UserFactory(username="someone", is_staff=True)
    client.post(
        reverse("admin:login"), {"username": "someone", "password": "pw-for-tests"}
    )
    assert SESSION_KEY in client.session


def test_development_sign_in_as_a_handle(client, settings):
    settings.DEBUG = True
    settings.DEV_SIGN_IN = True
    person = AttendeeFactory(github_handle="DanaRuiz")
    page = client.get(reverse("account_login"))
    assert b"Development sign-in" in page.content
    response = client.post(
        reverse("account_login"), {"handle": "@danaruiz", "next": "/people/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/people/"
    person.refresh_from_db()
    assert str(person.user_id) == str(client.session[SESSION_KEY])
    assert Attendee.objects.count() == 1


def test_development_sign_in_is_off_without_debug(client, settings):
    settings.DEBUG = False
    settings.DEV_SIGN_IN = True
    response = client.post(reverse("account_login"), {"handle": "danaruiz"})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_check_deploy_fails_when_the_stand_in_is_on_without_debug(settings):
    settings.DEBUG = False
    settings.DEV_SIGN_IN = True
    with pytest.raises(SystemCheckError, match="accounts.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_check_deploy_passes_the_sign_in_checks_when_it_is_off(settings):
    settings.DEBUG = False
    settings.DEV_SIGN_IN = False
    settings.GITHUB_CLIENT_ID = "abc"
    call_command("check", "--deploy", "--fail-level", "ERROR", "--tag", "security")


def test_the_sign_in_page_lets_its_form_go_to_github_only(client, fake_github):
    policy = client.get(reverse("account_login"))["Content-Security-Policy"]
    assert f"form-action 'self' {fake_github.url};" in policy
    other = client.get(reverse("meetings:home"))["Content-Security-Policy"]
    assert "form-action 'self';" in other


def test_the_admin_login_points_to_github(client):
    page = client.get(reverse("admin:login"), {"next": "/admin/"})
    assert b"Sign in with GitHub</a>: MCs" in page.content
    assert b'name="password"' in page.content
