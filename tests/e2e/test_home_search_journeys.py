"""Journeys: the header search (with its upper-case retry), home per role, copy buttons."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from orders.sandbox.server import SandboxServer
from orders.services import order_update
from tests.conftest import PASSWORD
from tests.factories import seed_full_order, seed_order


def test_slash_focuses_the_header_search_and_a_lower_case_pnr_finds_its_order(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seed_order(sandbox, referenceId="DEMO-1")
    page = page_as(cs_user)
    page.goto("/orders/lookup/")

    page.keyboard.press("/")
    expect(page.locator("#header-q")).to_be_focused()
    page.keyboard.type("demo-1")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Order DEMO-1")
    expect(page.locator(".messagelist")).to_contain_text("Showing DEMO-1 — you typed demo-1.")


def test_ctrl_k_focuses_the_header_search_from_any_page(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    page = page_as(cs_user)
    page.goto("/")
    page.locator("body").click()

    page.keyboard.press("Control+k")
    expect(page.locator("#header-q")).to_be_focused()
    page.keyboard.type("NOPE-9")
    page.keyboard.press("Enter")

    expect(page.locator("#search-miss")).to_contain_text("No order has this referenceId.")


def test_the_desk_home_lists_the_orders_i_opened_and_my_changes(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    order = seed_order(sandbox, referenceId="HOME-7", price=120)
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99.9}, expected_modified_at=None
    )
    page = page_as(cs_user)
    page.goto(f"/orders/{order['ref']}/")

    page.click("#site-name a")

    expect(page.locator("#home-recent-orders")).to_contain_text("HOME-7")
    expect(page.locator("#home-my-changes")).to_contain_text("casey changed Price: 120.00 → 99.90")
    expect(page.locator("#home-my-changes")).to_contain_text("Done")
    expect(page.locator("#home-to-check")).to_contain_text("Nothing to check")
    expect(page.locator("#home-jobs")).to_have_count(0)


def sign_in(browser: Browser, app_url: str, user: User) -> Page:
    """Sign in through the form, as a person would, from the home page."""
    page = browser.new_page(base_url=app_url)
    page.goto("/")
    page.fill("#id_login", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form input[type=submit]")
    return page


def test_marketing_lands_on_home_with_the_jobs(
    browser: Browser, app_url: str, sandbox: SandboxServer, marketing_user: User
) -> None:
    page = sign_in(browser, app_url, marketing_user)

    expect(page.locator("#home-jobs h2")).to_have_text("Latest bulk jobs")
    expect(page.locator("#home-jobs")).to_contain_text("Start a bulk job")
    page.close()


def test_an_auditor_lands_on_the_audit_trail_after_signing_in(
    browser: Browser, app_url: str, sandbox: SandboxServer, auditor_user: User
) -> None:
    page = sign_in(browser, app_url, auditor_user)

    expect(page.locator("h1")).to_have_text("Audit trail")
    assert page.url.endswith("/audit/")
    page.close()


def test_the_customer_card_copies_the_email_to_the_clipboard(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seeded = seed_full_order(sandbox, referenceId="CARD-1")
    page = page_as(cs_user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/orders/{seeded['order']['ref']}/")

    card = page.locator("#customer-card")
    expect(card.locator("#customer-name")).to_contain_text("Jane Doe")
    button = card.get_by_role("button", name="Copy email")
    button.click()

    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "jane@example.com"
    page.get_by_role("button", name="Copy referenceId").click()
    assert page.evaluate("navigator.clipboard.readText()") == "CARD-1"
    expect(card.locator("#guest-orders-link")).to_have_attribute(
        "href", f"/orders/?guestRef={seeded['contact']['guest']['href'].rsplit('/', 1)[1]}"
    )
