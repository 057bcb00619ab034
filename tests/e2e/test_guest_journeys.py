"""Finding the customer in a real browser: no URL, Referer or log line carries what was typed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, Request, expect

from orders.models import AuditEntry
from orders.sandbox.demo import SHARED_EMAIL, seed_lookup_guests
from orders.sandbox.server import SandboxServer
from orders.services.guests import lookup_hmac


@dataclass
class Traffic:
    """Every URL the browser asked the live server for, with its Referer, and every page URL."""

    requests: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def on_request(request: Request) -> None:
            self.requests += [request.url, request.headers.get("referer", "")]

        page.on("request", on_request)
        page.on("framenavigated", lambda frame: self.pages.append(frame.url))
        return page

    def assert_clean(self, *values: str) -> None:
        assert self.requests and self.pages
        for url in self.requests + self.pages:
            for value in values:
                assert value.lower() not in url.lower(), url


@pytest.fixture
def refs(sandbox: SandboxServer) -> dict[str, str]:
    return seed_lookup_guests(sandbox.state)


@pytest.fixture
def app_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def search(page: Page, text: str) -> None:
    page.goto("/orders/")
    page.fill("#id_q", text)
    page.press("#id_q", "Enter")


def test_email_to_one_of_two_guests_to_an_order(
    page_as: Callable[[User], Page],
    cs_user: User,
    auditor_user: User,
    refs: dict[str, str],
    app_log: pytest.LogCaptureFixture,
) -> None:
    traffic = Traffic()
    page = traffic.watch(page_as(cs_user))

    search(page, SHARED_EMAIL)
    expect(page.locator("#taken-as")).to_contain_text("email address")
    expect(page.locator("#guest_list tbody tr")).to_have_count(2)
    page.click("text=Samantha Taylor")
    expect(page.locator("h1")).to_have_text("Samantha Taylor")
    expect(page.locator("#guest-header")).to_contain_text("LOYALTY:10002")
    page.go_back()  # the pick list again, without a form resubmission
    expect(page.locator("#guest_list tbody tr")).to_have_count(2)
    page.go_forward()
    page.click("#guest-orders a:text('SHARED-2')")
    expect(page.locator("h1")).to_have_text("Order SHARED-2")

    traffic.assert_clean(SHARED_EMAIL, "sam.taylor", "sam%2Etaylor")
    assert "sam.taylor" not in app_log.text.lower()
    lookup = AuditEntry.objects.get(action="guests.lookup")
    assert lookup.request_payload["value_hmac"] == lookup_hmac("email", SHARED_EMAIL)
    opened = AuditEntry.objects.get(action="guests.open")
    assert opened.resource_ref == refs["SHARED-2"]

    reviewer = traffic.watch(page_as(auditor_user))
    reviewer.goto("/audit/")
    reviewer.fill("#id_value", SHARED_EMAIL.upper())
    reviewer.click("#audit-lookup-value input[type=submit]")
    expect(reviewer.locator("#audit-description")).to_contain_text("Showing guest lookups")
    expect(reviewer.locator(f'tr[data-entry="{lookup.pk}"]')).to_contain_text("2 matched")
    expect(reviewer.locator(f'tr[data-entry="{opened.pk}"]')).to_be_visible()
    traffic.assert_clean(SHARED_EMAIL, "sam.taylor")


@pytest.mark.parametrize(
    ("typed", "taken_as", "guest", "order"),
    [
        ("LOYALTY:10002", "identifier", "Samantha Taylor", "SHARED-2"),
        ("+353861000001", "phone number", "Sam Taylor", "SHARED-1"),
    ],
)
def test_identifier_or_phone_to_the_guest_to_an_order(
    page_as: Callable[[User], Page],
    cs_user: User,
    refs: dict[str, str],
    app_log: pytest.LogCaptureFixture,
    typed: str,
    taken_as: str,
    guest: str,
    order: str,
) -> None:
    traffic = Traffic()
    page = traffic.watch(page_as(cs_user))

    search(page, typed)
    expect(page.locator("h1")).to_have_text(guest)  # one match: straight to the guest
    expect(page.locator("#found-by")).to_contain_text(taken_as)
    page.click("#found-by a")
    expect(page.locator("#taken-as")).to_contain_text(taken_as)
    page.go_back()
    page.click(f"#guest-orders a:text('{order}')")
    expect(page.locator("h1")).to_have_text(f"Order {order}")

    secret = typed.split(":")[-1].lstrip("+")
    traffic.assert_clean(secret)
    assert secret not in app_log.text
    assert AuditEntry.objects.filter(action="guests.open").count() == 1


def test_the_header_search_finds_a_customer_by_email_without_a_url_holding_it(
    page_as: Callable[[User], Page], cs_user: User, refs: dict[str, str]
) -> None:
    traffic = Traffic()
    page = traffic.watch(page_as(cs_user))
    page.goto("/orders/lookup/")

    page.keyboard.press("/")
    page.keyboard.type(SHARED_EMAIL)
    page.keyboard.press("Enter")

    expect(page.locator("#guest_list tbody tr")).to_have_count(2)
    traffic.assert_clean(SHARED_EMAIL, "sam.taylor")
