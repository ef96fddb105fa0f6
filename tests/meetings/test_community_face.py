"""The community's own face: name, logo, favicon, accent and links from settings."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from meetings.context_processors import community_face, contrast_on_white

pytestmark = pytest.mark.django_db


@pytest.fixture
def falco(settings):
    settings.COMMUNITY_NAME = "Falco Community"
    settings.COMMUNITY_TAGLINE = "Calls of the Falco project."
    settings.COMMUNITY_LOGO_URL = "https://falco.org/logo.svg"
    settings.COMMUNITY_ACCENT_COLOR = "#00787A"
    settings.COMMUNITY_LINKS = (
        "GitHub=https://github.com/falcosecurity; Slack=https://kubernetes.slack.com"
    )
    return settings


def test_every_page_says_the_communitys_name(client, falco):
    html = client.get("/").content.decode()
    assert "<title>Next calls · Falco Community</title>" in html
    assert '<img class="brand-logo" src="https://falco.org/logo.svg" alt=""' in html
    assert "Falco Community</a>" in html
    assert '<a href="https://github.com/falcosecurity">GitHub</a>' in html
    assert '<a href="https://kubernetes.slack.com">Slack</a>' in html
    assert "Falco Community: Calls of the Falco project." in html
    assert "Callbook" not in html


def test_a_favicon_is_always_linked(client, settings):
    settings.PAGE_CACHE = False  # two renders of home within the minute
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg">' in html
    from django.contrib.staticfiles import finders

    assert "<svg" in Path(finders.find("img/favicon.svg")).read_text()
    settings.COMMUNITY_FAVICON_URL = "https://falco.org/favicon.ico"
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="https://falco.org/favicon.ico">' in html


def test_the_accent_colour_is_a_stylesheet(client, falco):
    response = client.get("/community.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response.content == (
        b":root { --accent: #00787a; }\n"
        b"@media (prefers-color-scheme: dark) {\n"
        b"  :root { --accent: #99c9ca; }\n"
        b"}\n"
    )
    assert 'href="/community.css?00787a"' in client.get("/").content.decode()


def test_feeds_carry_the_name(client, falco):
    assert (
        b"<title>Falco Community: call notes</title>"
        in client.get("/feeds/notes/").content
    )
    assert b"X-WR-CALNAME:Falco Community calls" in client.get("/calls.ics").content


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("COMMUNITY_ACCENT_COLOR", "red", "must be #rrggbb"),
        ("COMMUNITY_ACCENT_COLOR", "#ffee00", "too light for links on white"),
        ("COMMUNITY_ACCENT_COLOR", "#000;} body{display:none", "must be #rrggbb"),
        ("COMMUNITY_LINKS", "GitHub=javascript:alert(1)", "is not Label=https://"),
        ("COMMUNITY_LINKS", "=https://x.org", "has no label"),
        ("COMMUNITY_LOGO_URL", "javascript:alert(1)", "https:// address"),
    ],
)
def test_bad_settings_are_refused_with_a_message(settings, setting, value, message):
    setattr(settings, setting, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        community_face()


def test_contrast_is_computed_as_wcag_does():
    assert round(contrast_on_white("#000000"), 1) == 21.0
    assert round(contrast_on_white("#ffffff"), 1) == 1.0
    assert contrast_on_white("#0b5cad") > 4.5


def test_the_demo_shows_its_invented_name():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "run: export COMMUNITY_NAME ?= Example Widget Community" in makefile
