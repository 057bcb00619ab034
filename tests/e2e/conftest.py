"""Browser journeys: Playwright drives Debian's Chromium against a live server and the sandbox."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

from orders.sandbox.server import SandboxServer
from tests.e2e.desk import Desk, seed_desk

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# Package scope: Playwright's event loop must be gone before the rest of the suite runs, or
# Django hands later tests a connection of its own that nobody closes.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def app_url(live_server: object, sandbox: SandboxServer) -> str:
    """The live app's base URL, talking to an empty sandbox."""
    return live_server.url  # type: ignore[attr-defined]


@pytest.fixture
def page_as(browser: Browser, app_url: str) -> Iterator[Callable[..., Page]]:
    """Open a browser page already signed in as the given user (None: signed out).

    Keyword arguments go to the browser context, e.g. `viewport` or `bypass_csp`.
    """
    contexts = []

    def open_page(user: User | None, **options: object) -> Page:
        context = browser.new_context(base_url=app_url, **options)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": app_url}])
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def staff(cs_user: User, marketing_user: User, auditor_user: User) -> dict[str, User]:
    """One user per staff group, by role."""
    return {"customer service": cs_user, "marketing": marketing_user, "auditor": auditor_user}


@pytest.fixture
def desk(sandbox: SandboxServer, staff: dict[str, User]) -> Desk:
    """Pages full of data (see `tests.e2e.desk`), with a hostile item name."""
    return seed_desk(sandbox, cs_user=staff["customer service"], marketing_user=staff["marketing"])
