"""The Content-Security-Policy holds in a real browser: no page or htmx swap breaks it."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page, expect

from orders.sandbox.server import SandboxServer
from tests.factories import seed_full_order


def watch(page: Page) -> list[str]:
    """Collect every console message and page error that could be a policy violation."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"} or "Content Security Policy" in message.text:
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm on delete
    # The browser asks for /favicon.ico on its own; the app has none, which is not a CSP matter.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return problems


def test_pages_and_grid_interactions_raise_no_csp_violation(
    page_as: Callable[[User], Page], sandbox: SandboxServer, superuser: User
) -> None:
    order_ref = seed_full_order(sandbox)["order"]["ref"]
    page = page_as(superuser)
    problems = watch(page)

    response = page.goto(f"/orders/{order_ref}/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    row = page.locator(f"#ext-row-{order_ref}-loyaltyTier")
    row.get_by_role("button", name="Edit loyaltyTier").click()
    page.locator(f"#ext-row-{order_ref}-loyaltyTier [name=value]").fill("7")
    page.locator(f"#ext-row-{order_ref}-loyaltyTier .ext-save").click()
    expect(page.locator(f"#ext-row-{order_ref}-loyaltyTier .ext-value")).to_have_text("7")
    page.locator(f"#ext-new-{order_ref} [name=key]").fill("campaign")
    page.locator(f"#ext-new-{order_ref} [name=value]").fill("spring")
    page.locator(f"#ext-new-{order_ref} .ext-add").click()
    expect(page.locator(f"#ext-row-{order_ref}-campaign")).to_be_visible()
    page.locator(f"#ext-row-{order_ref}-storeLocation .ext-delete-button").click()
    expect(page.locator(f"#ext-row-{order_ref}-storeLocation")).to_have_count(0)
    page.goto("/orders/?q=B94TXY-1")
    page.goto("/orders/?q=NOTHING-HERE")
    page.goto("/audit/")
    expect(page.locator("h1")).to_contain_text("Audit")
    page.goto("/accounts/login/")

    assert problems == []


@pytest.mark.parametrize("url", ["/orders/", "/audit/", "/bulk/"])
def test_htmx_is_loaded_and_running_under_the_policy(
    page_as: Callable[[User], Page], superuser: User, url: str
) -> None:
    page = page_as(superuser)
    problems = watch(page)

    page.goto(url)

    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert problems == []


def test_the_browser_reports_a_violation_and_the_app_logs_it(
    page_as: Callable[[User], Page], superuser: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cdpadmin.csp")
    page = page_as(superuser)
    page.goto("/orders/")

    with page.expect_response("**/csp-report/", timeout=15_000) as reported:
        # What an injected inline script would do: the policy blocks it and the browser
        # tells the report endpoint.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.head.appendChild(s); }"
        )

    assert reported.value.status == 204
    assert page.evaluate("window.injected === undefined")
    lines = [r.getMessage() for r in caplog.records if r.name == "cdpadmin.csp"]
    assert len(lines) == 1
    assert "script-src" in lines[0]
    assert "/orders/" in lines[0]
