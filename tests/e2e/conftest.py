"""Browser tests: Debian's Chromium driven by Playwright (sync API).

Playwright cannot download its own browser here, so it launches /usr/bin/chromium.
Without Chromium the tests skip locally and fail in CI (CI=true).
"""

import os
import shutil

import pytest

# Sync Playwright runs an event loop in this thread; pytest-django's database set-up
# and teardown would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run should have installed it.")
        pytest.skip("Chromium is not installed: browser tests skipped.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def staff_password_login(settings):
    # The MC workflow's older browser tests sign MCs in through the admin's
    # password form; a password is for superusers only by default (the GitHub
    # sign-in's own browser test turns this back off).
    settings.PASSWORD_LOGIN = "staff"
