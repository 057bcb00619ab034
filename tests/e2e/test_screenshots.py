"""Screenshots of the desk's pages at 1366 and 390 px, light and dark, for visual review.

Skipped unless SCREENSHOT_DIR is set:
`SCREENSHOT_DIR=/tmp/shots pytest tests/e2e/test_screenshots.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from orders.sandbox.server import SandboxServer
from tests.e2e.desk import seed_desk
from tests.e2e.test_layout_and_accessibility import preview_a_bulk_job

SHOTS = os.environ.get("SCREENSHOT_DIR", "")
pytestmark = pytest.mark.skipif(not SHOTS, reason="SCREENSHOT_DIR is not set")


def shoot(page: Page, name: str) -> None:
    for scheme in ("light", "dark"):
        for width in (1366, 390):
            page.emulate_media(color_scheme=scheme)
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}-{scheme}.png"), full_page=True)


def test_screenshots(
    page_as: Callable[..., Page], sandbox: SandboxServer, staff: dict[str, User]
) -> None:
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    cs_user, marketing_user, auditor_user = staff.values()
    desk = seed_desk(sandbox, cs_user=cs_user, marketing_user=marketing_user, hostile=False)
    pages = desk.pages

    page = page_as(marketing_user)
    preview_a_bulk_job(page)
    shoot(page, "bulk-preview")
    for name in ("bulk-job", "bulk-jobs", "ext-replace", "order"):
        page.goto(pages[name])
        shoot(page, name)

    page = page_as(cs_user)
    for name in ("search", "item-edit", "item-delete", "contact-edit", "note-edit"):
        page.goto(pages[name])
        shoot(page, name)
    page.goto(pages["order"])
    shoot(page, "order-customer-service")
    page.goto(pages["order-edit"])
    sandbox.state.touch_order(desk.order_ref, status="CANCELLED")
    page.fill("#id_price", "1")
    page.click("input[value='Save changes']")
    shoot(page, "conflict")

    page = page_as(auditor_user)
    page.goto(pages["audit"])
    page.wait_for_selector("#audit-activity svg")
    shoot(page, "audit")
