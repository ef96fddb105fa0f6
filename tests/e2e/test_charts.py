"""The charts in a real browser: light and dark, axe-clean, and photographed.

Each chart's screenshot is saved under test-artifacts/charts/ (gitignored; CI keeps
the folder as an artefact) so a reviewer can look at them.
"""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from tests.e2e.test_public_flows import violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "charts"
PAGES = {
    "person": ("/people/fc-ada0/", ["activity"]),
    "series": ("/calls/fake-community/", ["attendance", "rota", "minutes"]),
    "releases": ("/releases/", ["releases"]),
    "references": ("/refs/", ["references"]),
}
# One colour per scheme, from static/css/site.css: the first-timers' bars.
FIRST_TIMERS_FILL = {"light": "rgb(199, 80, 0)", "dark": "rgb(255, 154, 82)"}


@pytest.fixture
def community():
    cache.clear()
    call_command(
        "generate_fake_community",
        meetings=300,
        items_per_meeting=4,
        actions_per_meeting=1,
        stdout=io.StringIO(),
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_are_drawn_axe_clean_in_both_schemes(
    browser, live_server, community, scheme
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        color_scheme=scheme, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    found, shots = {}, []
    for name, (path, keys) in PAGES.items():
        page.goto(live_server.url + path)
        for key in keys:
            figure = page.locator(f"#chart-{key}")
            picture = figure.locator("svg.chart-svg")
            assert picture.get_attribute("role") == "img"
            box = picture.bounding_box()
            assert box["width"] > 600, key
            assert box["height"] > 40, key
            shot = ARTIFACTS / f"{scheme}-{key}.png"
            figure.screenshot(path=shot)
            shots.append(shot)
            # The data table opens for anyone; axe then checks it too.
            figure.get_by_text("The numbers as a table").click()
            assert figure.locator("table tbody tr").count() >= 1
        found[name] = violations(page)
    page.goto(live_server.url + PAGES["series"][0])
    fill = page.locator("#chart-attendance rect.c-new").first.evaluate(
        "element => getComputedStyle(element).fill"
    )
    assert fill == FIRST_TIMERS_FILL[scheme]
    context.close()
    assert found == dict.fromkeys(PAGES, [])
    assert all(shot.stat().st_size > 5_000 for shot in shots)


def test_charts_fit_a_phone(browser, live_server, community):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + PAGES["series"][0])
    width = page.locator("#chart-attendance svg.chart-svg").bounding_box()["width"]
    assert 300 < width <= 375
    # Nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert violations(page) == []
    page.locator("#chart-rota").screenshot(path=ARTIFACTS / "phone-rota.png")
    context.close()
