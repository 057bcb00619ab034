"""Every page at 390 px without sideways scrolling, and through axe-core for each role.

axe-core comes from the npm registry (`tests/e2e/package.json`; `make test` installs it).
The pages send `script-src 'self'`, so the checking contexts bypass CSP to inject it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.e2e.desk import BULK_INPUTS, Desk

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
REPORT = Path(__file__).resolve().parents[2] / "test-results" / "axe.json"

ROLE_PAGES = {
    "customer service": [
        "home", "search", "lookup", "order", "order-new", "order-edit", "order-delete",
        "item-new", "item-edit", "item-delete", "contact-edit", "consumer-edit", "note-edit",
        "guest",
    ],
    "marketing": [
        "home", "search", "lookup", "order", "ext-replace", "bulk-new", "bulk-jobs", "bulk-job",
        "bulk-revert",
    ],
    "auditor": [
        "audit", "audit-activity", "audit-detail", "audit-job-entry", "audit-key-history",
        "bulk-jobs", "bulk-job",
    ],
}  # fmt: skip
NARROW_PAGES = [
    "search", "order", "order-edit", "item-delete", "bulk-new", "bulk-jobs", "bulk-job", "guest",
]  # fmt: skip

WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.parentElement.closest(".table-scroll, table"))
    .slice(0, 8)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
         (el.className && el.className.baseVal === undefined ? "." + el.className : ""));
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


def preview_a_bulk_job(page: Page) -> None:
    page.goto("/bulk/")
    page.fill("#id_inputs", "\n".join(BULK_INPUTS))
    page.fill("#id_set-0-key", "campaign")
    page.fill("#id_set-0-value", "spring26")
    page.click("button[name=preview]")
    expect(page.locator("#bulk-preview")).to_be_visible()


def assert_no_sideways_scroll(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width} px wide: {page.evaluate(WIDER_THAN_VIEWPORT)}"


def test_no_page_scrolls_sideways_at_390_px(
    page_as: Callable[..., Page], desk: Desk, staff: dict[str, User]
) -> None:
    size = {"width": 390, "height": 844}
    desk_page = page_as(staff["customer service"], viewport=size)
    for name in NARROW_PAGES[:4]:
        desk_page.goto(desk.pages[name])
        assert_no_sideways_scroll(desk_page, name)

    marketing = page_as(staff["marketing"], viewport=size)
    for name in NARROW_PAGES[4:]:
        marketing.goto(desk.pages[name])
        assert_no_sideways_scroll(marketing, name)
    expect(marketing.locator("#header-q")).to_be_visible()  # search stays in view
    preview_a_bulk_job(marketing)
    marketing.click("#bulk-every-order summary")
    assert_no_sideways_scroll(marketing, "bulk preview")

    auditor = page_as(staff["auditor"], viewport=size)
    auditor.goto("/audit/")
    expect(auditor.locator("#audit-activity svg")).to_be_visible()
    assert_no_sideways_scroll(auditor, "audit")

    # The section links fold behind a Menu button, and open from it.
    jobs_link = auditor.locator("#cdp-nav").get_by_role("link", name="Bulk jobs")
    expect(jobs_link).to_be_hidden()
    auditor.click("[data-nav-toggle]")
    expect(jobs_link).to_be_visible()
    assert_no_sideways_scroll(auditor, "audit with the menu open")


def axe_violations(page: Page) -> list[dict[str, object]]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_every_page_passes_axe_core_for_each_role(
    page_as: Callable[..., Page], desk: Desk, staff: dict[str, User]
) -> None:
    assert AXE.exists(), "axe-core is missing: run `npm ci --prefix tests/e2e` (make test does)."
    report: dict[str, dict[str, list[dict[str, object]]]] = {}
    for role, names in ROLE_PAGES.items():
        page = page_as(staff[role], bypass_csp=True)
        found = report.setdefault(role, {})
        for name in names:
            response = page.goto(desk.pages[name])
            assert response is not None and response.ok, f"{role} cannot open {name}"
            found[name] = axe_violations(page)
        if role == "marketing":
            preview_a_bulk_job(page)
            found["bulk-preview"] = axe_violations(page)
            page.goto(desk.pages["order"])
            page.locator(".ext-edit").first.click()
            expect(page.locator("[data-ext-edit] input[name=value]").first).to_be_focused()
            found["order, a pair being edited"] = axe_violations(page)
            page.keyboard.press("Escape")
            expect(page.locator("tr.ext-editing")).to_have_count(0)
            page.keyboard.press("?")
            expect(page.locator("#shortcuts")).to_be_visible()
            found["keyboard shortcuts"] = axe_violations(page)
    signed_out = page_as(None, bypass_csp=True)
    signed_out.goto("/accounts/login/")
    report["signed out"] = {"sign-in": axe_violations(signed_out)}

    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=1))
    serious = {
        f"{role} / {name}": [v for v in found if v["impact"] in ("serious", "critical")]
        for role, pages in report.items()
        for name, found in pages.items()
    }
    assert {where: v for where, v in serious.items() if v} == {}
