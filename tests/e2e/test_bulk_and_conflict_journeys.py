"""Journeys: a bulk job from preview to the job list, and a conflict that shows what differs."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from orders.sandbox.server import SandboxServer
from tests.e2e.desk import Desk
from tests.e2e.test_layout_and_accessibility import preview_a_bulk_job
from tests.factories import seed_order
from tests.orders.test_bulk_jobs import run_worker


def test_preview_warns_first_then_runs_and_the_job_is_listed(
    page_as: Callable[..., Page], sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = [seed_order(sandbox, referenceId=f"BULK-{n}")["ref"] for n in range(12)]
    for n in range(3):
        seed_order(sandbox, referenceId="TWIN", orderedAt=f"2026-0{n + 1}-01T10:00:00Z")
    sandbox.state.put_order_extension(refs[0], {"campaign": "spring26"})
    sandbox.state.put_order_extension(refs[1], {"campaign": "winter"})
    page = page_as(marketing_user, viewport={"width": 1366, "height": 700})

    # A boolean pair's value is chosen, not typed.
    page.goto("/bulk/")
    page.select_option("#id_set-1-type", "boolean")
    expect(page.locator("select#id_set-1-value")).to_have_value("true")
    preview_a_bulk_job(page)

    problems = page.locator("#bulk-problems")
    expect(problems.locator("#bulk-not-found")).to_contain_text("1 input was not found in CDP")
    expect(problems.locator("#bulk-not-found")).to_contain_text("NOPE-1")
    expect(problems.locator("#bulk-ambiguous")).to_contain_text("TWIN matches 3 orders")
    summary = page.locator("#bulk-change-summary li")
    expect(summary).to_have_count(2)
    expect(summary.first).to_have_text("13 orders: campaign: (none) → spring26")
    expect(summary.nth(1)).to_have_text("1 order: campaign: winter → spring26")
    # The orders are listed once, folded away; the Run bar stays on screen.
    expect(page.locator("#bulk-every-order tbody tr").first).to_be_hidden()
    page.locator("#bulk-problems").scroll_into_view_if_needed()
    run = page.locator("[data-bulk-run]")
    expect(run).to_be_in_viewport()
    expect(run).to_have_text("Run on 15 orders")

    page.get_by_label("Include all 3 orders of the input that matched several").uncheck()
    expect(run).to_have_text("Run on 12 orders")
    run.click()
    expect(page.locator("#job-summary")).to_contain_text("set campaign = spring26")
    run_worker()

    page.goto("/bulk/jobs/")
    row = page.locator("#bulk-job-list tbody tr").first
    expect(row).to_contain_text("morgan")
    expect(row).to_contain_text("set campaign = spring26")
    cells = row.locator("td.num")
    expect(cells).to_have_text(["11", "1", "0", "1"])
    row.get_by_role("link").click()
    results = page.locator("#job-results")
    expect(results).to_contain_text("campaign: winter → spring26")
    expect(results).to_contain_text("campaign: (none) → spring26")
    expect(results).not_to_contain_text("{")
    expect(page.locator("#job-bar-" + page.url.rstrip("/").rsplit("/", 1)[1])).to_contain_text(
        "Not found: 1"
    )


def test_an_audit_entry_of_a_job_links_to_the_job(
    page_as: Callable[..., Page], desk: Desk, auditor_user: User
) -> None:
    page = page_as(auditor_user)
    page.goto(desk.pages["audit-job-entry"])

    page.click("#audit-job-link")

    expect(page).to_have_url(f"{page.url.split('/bulk/')[0]}/bulk/{desk.job.id}/")
    expect(page.locator("#job-bar-" + str(desk.job.id))).to_contain_text("Done: 11")
    # Auditors read jobs; they cannot run, retry or revert them.
    expect(page.locator("#job-actions button, #job-actions a")).to_have_count(0)


def test_a_conflict_lists_only_what_differs_and_marks_each_side(
    page_as: Callable[..., Page], sandbox: SandboxServer, cs_user: User
) -> None:
    order = seed_order(sandbox, status="PENDING", price=120)
    page = page_as(cs_user)
    page.goto(f"/orders/{order['ref']}/edit/")
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    page.fill("#id_price", "1")
    page.click("input[value='Save changes']")

    conflict = page.locator("#conflict")
    expect(conflict.locator("h2")).to_have_text(
        "Someone else changed this order while you were editing"
    )
    expect(page.locator(".errornote")).to_have_count(0)
    rows = conflict.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Price")
    expect(rows.nth(0).locator("td.conflict-cell-mine")).to_contain_text("your change")
    expect(rows.nth(1)).to_contain_text("CANCELLED")
    expect(rows.nth(1).locator("td.conflict-cell-theirs")).to_contain_text("their change")

    def background(locator: object) -> str:
        return locator.evaluate("el => getComputedStyle(el).backgroundColor")  # type: ignore[attr-defined]

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        mine, plain = rows.nth(0).locator("td").nth(0), rows.nth(0).locator("td").nth(1)
        theirs = rows.nth(1).locator("td").nth(1)
        assert background(mine) != background(plain)
        assert background(theirs) not in (background(plain), background(mine))
