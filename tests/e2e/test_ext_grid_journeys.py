"""Marketers' journeys in a real browser: the data-extension grid and bulk tagging.

The grid is exercised where marketers meet it: in the order page's data-extension section.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import Page, expect

from orders.sandbox.server import SandboxServer
from tests.factories import seed_order


@pytest.fixture
def grid_page(
    page_as: Callable[[User], Page], sandbox: SandboxServer, marketing_user: User
) -> Callable[[dict[str, Any]], tuple[Page, str]]:
    def open_grid(pairs: dict[str, Any]) -> tuple[Page, str]:
        ref = seed_order(sandbox, referenceId="GRID-1")["ref"]
        sandbox.state.put_order_extension(ref, pairs)
        page = page_as(marketing_user)
        page.goto(f"/orders/{ref}/")
        return page, ref

    return open_grid


ENVELOPE = {"name", "href", "ref", "key", "createdAt", "modifiedAt", "order", "orderItem"}


def cdp(sandbox: SandboxServer, ref: str) -> dict[str, Any]:
    ext = sandbox.state.get_extension("order", ref, "ext")
    return {k: v for k, v in ext.items() if k not in ENVELOPE}


def test_edit_a_value_inline_and_see_it_persist_after_reload(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"loyaltyTier": 2, "storeLocation": "London"})
    row = page.locator(f"#ext-row-{ref}-loyaltyTier")

    row.locator(".ext-value").click()
    field = row.locator("input[name=value]")
    expect(field).to_be_focused()
    field.fill("3")
    field.press("Enter")

    expect(row.locator(".ext-value")).to_have_text("3")
    expect(row.locator(".ext-edit")).to_be_focused()
    page.reload()
    expect(page.locator(f"#ext-row-{ref}-loyaltyTier .ext-value")).to_have_text("3")
    assert cdp(sandbox, ref) == {"loyaltyTier": 3, "storeLocation": "London"}


def test_escape_cancels_an_edit(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"loyaltyTier": 2})
    row = page.locator(f"#ext-row-{ref}-loyaltyTier")

    row.locator(".ext-edit").click()
    row.locator("input[name=value]").fill("99")
    row.locator("input[name=value]").press("Escape")

    expect(row.locator(".ext-value")).to_have_text("2")
    assert cdp(sandbox, ref) == {"loyaltyTier": 2}


def test_add_and_delete_a_pair(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"loyaltyTier": 2})
    new = page.locator(f"#ext-new-{ref}")

    new.locator("input[name=key]").fill("campaign")
    new.locator("input[name=value]").fill("spring")
    new.locator("input[name=value]").press("Enter")

    added = page.locator(f"#ext-row-{ref}-campaign")
    expect(added.locator(".ext-value")).to_have_text("spring")
    expect(page.locator(f"#ext-new-{ref} input[name=key]")).to_be_focused()
    assert cdp(sandbox, ref) == {"loyaltyTier": 2, "campaign": "spring"}

    page.once("dialog", lambda dialog: dialog.accept())
    added.locator(".ext-delete-button").click()

    expect(page.locator(f"#ext-row-{ref}-campaign")).to_have_count(0)
    assert cdp(sandbox, ref) == {"loyaltyTier": 2}


def test_an_items_extension_opens_on_the_order_page_and_takes_a_new_pair(
    page_as: Callable[[User], Page], sandbox: SandboxServer, marketing_user: User
) -> None:
    ref = seed_order(sandbox, referenceId="ITEM-EXT")["ref"]
    item = sandbox.state.create_item(
        ref,
        {
            "name": "Seat 12A",
            "type": "SEAT",
            "status": "CONFIRMED",
            "price": 20,
            "currencyCode": "EUR",
        },
    )
    page = page_as(marketing_user)
    page.goto(f"/orders/{ref}/")

    page.locator(f"#item-{item['ref']}").get_by_role("link", name="Data extension").click()
    new = page.locator(f"#ext-new-{item['ref']}")
    new.locator("input[name=key]").fill("seatRow")
    new.locator("select[name=type]").select_option("integer")
    new.locator("input[name=value]").fill("12")
    new.locator("input[name=value]").press("Enter")

    expect(page.locator(f"#ext-row-{item['ref']}-seatRow .ext-type")).to_have_text("integer")
    stored = sandbox.state.get_extension("orderItem", item["ref"], "ext")
    assert stored["seatRow"] == 12 and type(stored["seatRow"]) is int


def test_a_type_switch_is_kept_exactly(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"code": "9"})
    row = page.locator(f"#ext-row-{ref}-code")
    expect(row.locator(".ext-type")).to_have_text("string")

    row.locator(".ext-edit").click()
    row.locator("select[name=type]").select_option("number")
    row.locator("input[name=value]").press("Enter")

    expect(row.locator(".ext-type")).to_have_text("number")
    expect(row.locator(".ext-value")).to_have_text("9.0")
    assert repr(cdp(sandbox, ref)["code"]) == "9.0"


def test_an_invalid_key_shows_its_reason(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"loyaltyTier": 2})
    new = page.locator(f"#ext-new-{ref}")

    new.locator("input[name=key]").fill("Loyalty_tier")
    new.locator("input[name=value]").fill("x")
    new.locator(".ext-add").click()

    expect(page.locator(f"#ext-new-{ref}")).to_contain_text("camelCase")
    expect(page.locator(f"#ext-new-{ref} input[name=key]")).to_have_value("Loyalty_tier")
    expect(page.locator(f"#ext-new-{ref} input[name=key]")).to_be_focused()
    assert cdp(sandbox, ref) == {"loyaltyTier": 2}


def test_a_per_key_conflict_lets_the_user_keep_theirs(
    grid_page: Callable[..., tuple[Page, str]], sandbox: SandboxServer
) -> None:
    page, ref = grid_page({"loyaltyTier": 2, "storeLocation": "London"})
    row = page.locator(f"#ext-row-{ref}-loyaltyTier")
    row.locator(".ext-edit").click()
    sandbox.state.put_order_extension(ref, {"loyaltyTier": 5, "storeLocation": "London"})

    row.locator("input[name=value]").fill("3")
    row.locator("input[name=value]").press("Enter")

    expect(row.locator(".ext-conflict")).to_contain_text("Current")
    expect(row.locator(".ext-conflict")).to_contain_text("5")
    expect(row.locator("input[name=value]")).to_have_value("3")
    row.get_by_role("button", name="Keep mine").click()

    expect(row.locator(".ext-value")).to_have_text("3")
    assert cdp(sandbox, ref)["loyaltyTier"] == 3


@pytest.fixture
def task_worker() -> Iterator[None]:
    """A django-tasks database worker in a thread, on the test database."""
    worker = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e-worker",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    worker.running = False
    thread.join(10)


def test_bulk_tag_50_orders_and_watch_the_progress_bar_reach_100(
    page_as: Callable[[User], Page],
    sandbox: SandboxServer,
    marketing_user: User,
    task_worker: None,
) -> None:
    refs = [seed_order(sandbox, referenceId=f"E2E-{n}")["ref"] for n in range(50)]
    sandbox.config.latency_ms = 20
    page = page_as(marketing_user)
    page.goto("/bulk/")

    page.fill("#id_inputs", "\n".join(refs))
    page.fill("#id_set-0-key", "campaign")
    page.fill("#id_set-0-value", "spring")
    page.select_option("#id_set-1-type", "integer")
    page.fill("#id_set-1-key", "wave")
    page.fill("#id_set-1-value", "2")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#bulk-preview")).to_contain_text("50 to change")
    page.get_by_role("button", name="Run on 50 orders").click()

    progress = page.locator("#job-progress progress")
    expect(progress).to_have_attribute("max", "50")
    expect(progress).to_have_attribute("value", "50", timeout=60_000)
    expect(page.locator("#job-progress")).to_contain_text("100%")
    expect(page.locator("[data-count=done]")).to_have_text("50")
    expect(page.locator("#job-results")).to_contain_text("Done")
    assert all(cdp(sandbox, ref) == {"campaign": "spring", "wave": 2} for ref in refs)
