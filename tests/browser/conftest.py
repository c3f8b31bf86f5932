"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against
pytest-django's live server."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

# Playwright's sync API runs an event loop; the ORM calls in test bodies are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_CANDIDATES = ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
CHROMIUM = next((path for path in _CANDIDATES if path and os.path.exists(path)), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_audit: None) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def follow(page: Any, target: Any) -> None:
    """Click a link or button that loads a page, and return once that page has loaded.

    A bare click returns as soon as the click is delivered: reading the page or the database
    straight after it races the request (CI once read an empty page that way), and a
    wait_for_load_state() then returns at once because the old page is still loaded."""
    with page.expect_navigation():
        target.click()


def sign_in(page: Any, user: Any, *, at: float | None = None) -> None:
    """Sign in with a password and the user's TOTP code at `at` (now by default)."""
    from tests.conftest import PASSWORD, current_code

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Continue"))
    page.get_by_label("Code").fill(current_code(user, at=at))
    follow(page, page.get_by_role("button", name="Sign in"))


def sign_in_again(page: Any, user: Any) -> None:
    """A second sign-in within the same 30 seconds: a TOTP code is accepted only once, so use
    the next step's code (within the device's tolerance of one step)."""
    sign_in(page, user, at=time.time() + 30)


def sign_out(page: Any) -> None:
    follow(page, page.get_by_role("button", name="Sign out"))
    page.wait_for_url(re.compile(r"/accounts/login/"))
