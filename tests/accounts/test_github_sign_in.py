"""Sign in with GitHub against the fake GitHub on loopback (tests/fake_github.py)."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.urls import reverse

from people.models import Alias, Attendee
from tests import github_sign_in
from tests.factories import AttendeeFactory

pytestmark = pytest.mark.django_db


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_first_sign_in_links_the_existing_person_whatever_the_case(client, fake_github):
    person = AttendeeFactory(display_name="Ada Quill", github_handle="AdaQuill")
    account = fake_github.add_account(
        "adaquill", id=4101, name="Ada Q.", email="ada@example.org"
    )
    response = github_sign_in.sign_in(client, fake_github, account, "/people/")

    assert response.status_code == 302
    assert response["Location"] == "/people/"
    user = signed_in_user(client)
    person.refresh_from_db()
    assert person.user == user
    assert person.github_id == 4101
    assert person.github_handle == "adaquill"  # GitHub's spelling now
    assert person.display_name == "Ada Quill"  # the community's name is kept
    assert Attendee.objects.count() == 1
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == "4101"
    # No token is kept, and GitHub was asked for the profile and e-mails.
    assert SocialToken.objects.count() == 0
    assert "/api/v3/user" in fake_github.paths("GET")
    assert "/api/v3/user/emails" in fake_github.paths("GET")


def test_the_flow_uses_state_and_pkce(client, fake_github):
    account = fake_github.add_account("octo", id=7)
    github_sign_in.sign_in(client, fake_github, account)
    authorize = next(q for m, p, q in fake_github.requests if p.endswith("authorize"))
    token = next(q for m, p, q in fake_github.requests if m == "POST")
    assert authorize["state"]
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["code_challenge"]
    assert token["code_verifier"]
    assert signed_in_user(client) is not None


def test_a_second_sign_in_finds_the_same_person_and_account(fake_github):
    account = fake_github.add_account("newcomer", id=55, name="New Comer")
    github_sign_in.sign_in(Client(), fake_github, account)
    github_sign_in.sign_in(Client(), fake_github, account)
    person = Attendee.objects.get()
    assert person.github_handle == "newcomer"
    assert person.display_name == "New Comer"
    assert get_user_model().objects.count() == 1


def test_a_renamed_handle_follows_the_account_id(fake_github):
    person = AttendeeFactory(display_name="Bo", github_handle="bo-old")
    account = fake_github.add_account("bo-old", id=900)
    first = Client()
    github_sign_in.sign_in(first, fake_github, account)
    fake_github.rename(account, "Bo-New")

    again = Client()
    github_sign_in.sign_in(again, fake_github, account)

    person.refresh_from_db()
    assert signed_in_user(again) == signed_in_user(first) == person.user
    assert person.github_handle == "Bo-New"
    assert list(person.aliases.values_list("name", flat=True)) == ["bo-old"]
    assert Attendee.objects.count() == 1
    # Notes that still say @bo-old find the person.
    assert list(Attendee.objects.matching("@bo-old")) == [person]
    assert again.get(reverse("people:detail", args=["Bo-New"])).status_code == 200
    # The old address leads to the person, for now.
    old_page = again.get(reverse("people:detail", args=["bo-old"]))
    assert old_page.status_code == 302
    assert old_page["Location"] == reverse("people:detail", args=["Bo-New"])


def test_a_handle_taken_over_by_another_account_makes_a_new_person(fake_github):
    old = AttendeeFactory(github_handle="shared", github_id=1)
    account = fake_github.add_account("shared", id=2)
    github_sign_in.sign_in(Client(), fake_github, account)
    old.refresh_from_db()
    new = Attendee.objects.get(github_id=2)
    assert new.github_handle == "shared"
    assert old.github_handle == ""
    assert Alias.objects.filter(attendee=old, name="shared").exists()


def test_a_state_mismatch_is_refused(client, fake_github):
    account = fake_github.add_account("octo", id=7)
    fake_github.sign_in_as(account)
    callback = github_sign_in.authorize(github_sign_in.start(client))
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 401
    assert b"Sign-in failed" in response.content
    assert signed_in_user(client) is None
    assert fake_github.paths("POST") == []  # the code was never exchanged


def test_a_replayed_code_is_refused(fake_github):
    account = fake_github.add_account("octo", id=7)
    fake_github.sign_in_as(account)
    first = Client()
    callback = github_sign_in.authorize(github_sign_in.start(first))
    assert first.get(callback).status_code == 302
    code = callback.split("code=")[1].split("&")[0]

    # The same callback again: its state was used up.
    assert signed_in_user(Client()) is None
    replay = first.get(callback)
    assert b"Sign-in failed" in replay.content

    # The old code with a fresh state: GitHub refuses the used code.
    other = Client()
    fresh = github_sign_in.authorize(github_sign_in.start(other))
    state = fresh.split("state=")[1]
    response = other.get(f"{fresh.split('?')[0]}?code={code}&state={state}")
    assert b"Sign-in failed" in response.content
    assert signed_in_user(other) is None
    assert len(fake_github.paths("POST")) == 2  # the second exchange was refused


@pytest.mark.parametrize(
    "outside",
    ["https://evil.example/steal", "//evil.example/", "javascript:alert(1)"],
)
def test_next_may_only_point_into_the_site(client, fake_github, outside):
    account = fake_github.add_account("octo", id=7)
    response = github_sign_in.sign_in(client, fake_github, account, outside)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) is not None


def test_the_session_key_changes_at_sign_in(client, fake_github):
    account = fake_github.add_account("octo", id=7)
    fake_github.sign_in_as(account)
    callback = github_sign_in.authorize(github_sign_in.start(client))
    before = client.session.session_key
    assert before
    client.get(callback)
    assert client.session.session_key != before
    assert signed_in_user(client) is not None


def test_sign_out_is_post_only(client, fake_github):
    account = fake_github.add_account("octo", id=7)
    github_sign_in.sign_in(client, fake_github, account)
    assert client.get(reverse("account_logout")).status_code == 405
    assert signed_in_user(client) is not None
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert signed_in_user(client) is None
