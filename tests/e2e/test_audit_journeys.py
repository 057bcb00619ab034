"""Reviewer journeys through the audit trail in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Page, expect

from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services import order_update
from tests.factories import seed_order


def change_price(user: User, order_ref: str, price: int) -> AuditEntry:
    return order_update(
        actor=user, order_ref=order_ref, changes={"price": price}, expected_modified_at=None
    ).entry


def test_an_auditor_filters_by_order_ref_and_opens_a_diff(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User, auditor_user: User
) -> None:
    mine, other = seed_order(sandbox, price=120), seed_order(sandbox, referenceId="OTHER-1")
    change_price(cs_user, other["ref"], 5)
    entry = change_price(cs_user, mine["ref"], 99)
    page = page_as(auditor_user)
    page.goto("/audit/")

    page.fill("#id_order_ref", mine["ref"])
    page.click("#audit-filters input[type=submit]")

    expect(page.locator("#audit-description")).to_contain_text(f"on order {mine['ref']}")
    expect(page.locator("tr.audit-row")).to_have_count(1)
    page.click(f"tr.audit-row a[href='/audit/{entry.pk}/']")
    expect(page.locator("#audit-sentence")).to_have_text("casey changed Price: 120.00 → 99.00")
    price = page.locator("#audit-diff tr[data-field='price']")
    expect(price).to_contain_text("120")
    expect(price).to_contain_text("99")
    expect(price).to_contain_text("changed")
    expect(page.locator("#audit-facts")).to_contain_text("casey")


def test_an_auditor_exports_csv_that_verifies(
    page_as: Callable[[User], Page],
    sandbox: SandboxServer,
    cs_user: User,
    auditor_user: User,
    tmp_path: Path,
) -> None:
    order = seed_order(sandbox)
    change_price(cs_user, order["ref"], 99)
    page = page_as(auditor_user)
    page.goto("/audit/")

    with page.expect_download() as download_info:
        page.click("#audit-export-link")
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)

    assert download_info.value.suggested_filename.endswith(".csv")
    call_command("verify_audit", file=str(path))


def test_a_superuser_reverts_a_price_change_and_sees_it_in_the_trail(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User, superuser: User
) -> None:
    order = seed_order(sandbox, price=120)
    entry = change_price(cs_user, order["ref"], 99)
    page = page_as(superuser)
    page.goto(f"/audit/{entry.pk}/")

    page.click("#revert-link")
    expect(page.locator("#revert-compare tr[data-field='price']")).to_contain_text("99")
    page.click("#confirm-revert")

    expect(page.locator("#audit-sentence")).to_have_text(
        f"root reverted change #{entry.pk}: changed Price: 99.00 → 120.00"
    )
    expect(page.locator("#audit-outcome")).to_contain_text("Done")
    assert sandbox.state.get_order(order["ref"])["price"] == 120


def test_customer_service_cannot_export_the_trail(
    page_as: Callable[[User], Page], sandbox: SandboxServer, cs_user: User
) -> None:
    page = page_as(cs_user)

    response = page.goto("/audit/export.csv")

    assert response is not None and response.status == 403
