"""Customer-service journeys in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from orders.sandbox.server import SandboxServer
from tests.conftest import PASSWORD
from tests.factories import seed_full_order, seed_order


def test_sign_in_and_search_by_reference_id(
    browser: Browser, app_url: str, sandbox: SandboxServer, cs_user: User
) -> None:
    seed_order(sandbox, referenceId="PNR123", orderedAt="2026-01-01T10:00:00Z")
    seed_order(sandbox, referenceId="PNR123", orderedAt="2026-04-01T10:00:00Z")
    page = browser.new_page(base_url=app_url)
    page.goto("/orders/")
    page.fill("#id_login", "casey")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form input[type=submit]")

    page.fill("#id_q", "PNR123")
    page.press("#id_q", "Enter")

    expect(page.locator("#search-summary")).to_contain_text("Orders with referenceId “PNR123”")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.close()


def test_search_by_guest_ref_opens_the_guests_order(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seeded = seed_full_order(sandbox, referenceId="GUEST-1")
    guest_ref = seeded["contact"]["guest"]["href"].rsplit("/", 1)[1]
    page = page_as(cs_user)
    page.goto("/orders/")

    page.fill("#id_q", guest_ref)
    page.press("#id_q", "Enter")

    expect(page.locator("h1")).to_have_text("Order GUEST-1")


def test_paste_many_lookup(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seed_order(sandbox, referenceId="AAA111")
    page = page_as(cs_user)
    page.goto("/orders/lookup/")

    page.fill("#id_values", "AAA111\nZZZ999")
    page.click("input[value='Look up']")

    expect(page.locator(".lookup-found")).to_contain_text("AAA111")
    expect(page.locator(".lookup-not-found")).to_contain_text("ZZZ999")


def test_edit_the_price_and_see_it_on_the_page_and_in_the_history(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seeded = seed_full_order(sandbox, price=120)
    page = page_as(cs_user)
    page.goto(f"/orders/{seeded['order']['ref']}/")

    page.click("text=Edit order")
    page.fill("#id_price", "99.90")
    page.click("input[value='Save changes']")

    expect(page.locator(".messagelist")).to_contain_text("The order was changed.")
    expect(page.locator("#order-price")).to_have_text(re.compile(r"EUR\s99\.90"))
    expect(page.locator("#timeline")).to_contain_text("casey changed Price: 120.00 → 99.90")
    expect(page.locator("#timeline")).to_contain_text("Done")


def test_add_an_item(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    order = seed_order(sandbox)
    page = page_as(cs_user)
    page.goto(f"/orders/{order['ref']}/")

    page.click("text=Add an item")
    page.fill("#id_name", "Extra bag")
    page.fill("#id_type", "BAG")
    page.fill("#id_status", "CONFIRMED")
    page.fill("#id_price", "35")
    page.click("input[value='Create order item']")

    expect(page.locator("#order-items")).to_contain_text("Extra bag")


def test_edit_a_contact(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seeded = seed_full_order(sandbox)
    page = page_as(cs_user)
    page.goto(f"/orders/{seeded['order']['ref']}/")

    page.locator("#order-contacts").get_by_role("link", name="Edit").click()
    page.fill("#id_phoneNumbers", "+353 1 234 5678")
    page.click("input[value='Save changes']")

    expect(page.locator("#order-contacts")).to_contain_text("+353 1 234 5678")


def test_delete_a_consumer(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    seeded = seed_full_order(sandbox)
    page = page_as(cs_user)
    page.goto(f"/orders/{seeded['order']['ref']}/")

    page.locator("#order-consumers").get_by_role("link", name="Delete").click()
    expect(page.locator("#delete-question")).to_have_text("Delete the consumer Jane Doe?")
    page.click("input[value='Yes, delete Jane Doe']")

    expect(page.locator("#order-consumers")).to_contain_text("No consumers.")


def test_a_validation_error_keeps_the_typed_input(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    order = seed_order(sandbox)
    page = page_as(cs_user)
    page.goto(f"/orders/{order['ref']}/edit/")

    page.fill("#id_pointOfSale", "my typing")
    page.fill("#id_currencyCode", "E1")
    page.click("input[value='Save changes']")

    expect(page.locator(".errornote")).to_contain_text("Please correct the error")
    expect(page.locator("#id_pointOfSale")).to_have_value("my typing")
    expect(page.locator("#id_currencyCode")).to_have_value("E1")


def test_a_conflict_when_the_order_changed_meanwhile(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    order = seed_order(sandbox, status="PENDING")
    page = page_as(cs_user)
    page.goto(f"/orders/{order['ref']}/edit/")
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    page.fill("#id_price", "1")
    page.click("input[value='Save changes']")

    expect(page.locator("#conflict")).to_contain_text("CANCELLED")
    page.click("input[value='Apply mine anyway']")
    expect(page.locator("#order-price")).to_have_text(re.compile(r"EUR\s1\.00"))
    expect(page.locator("#order-status")).to_have_text("Cancelled")


def test_a_marketing_user_cannot_edit_an_order(
    page_as: Callable[[User], Page], sandbox: SandboxServer, marketing_user: User
) -> None:
    order = seed_order(sandbox)
    page = page_as(marketing_user)

    page.goto(f"/orders/{order['ref']}/")
    expect(page.locator("text=Edit order")).to_have_count(0)
    response = page.goto(f"/orders/{order['ref']}/edit/")

    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("You can’t do that")
