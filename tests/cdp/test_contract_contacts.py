"""The client against the sandbox over real HTTP: the six order contact operations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from orders.cdp import CdpClient, CdpNotFound, CdpValidationError, Identifier, Order
from orders.sandbox.server import SandboxServer
from tests.cdp.support import order_body, person_body

pytestmark = pytest.mark.integration


@pytest.fixture
def order(live: CdpClient) -> Order:
    return live.order_create(order_body())


def test_create_links_a_guest_to_the_order(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    contact = live.order_contact_create(order.ref, person_body())
    assert (contact.first_name, contact.last_name, contact.gender) == ("John", "Doe", "male")
    assert contact.date_of_birth == datetime(1991, 1, 1, 16, 17, 16, tzinfo=UTC)
    assert contact.emails == ("john.doe@example.com",)
    assert contact.identifiers == (Identifier("ProfileSystem", "B7524AE6-CF1C-440F"),)
    assert contact.guest_ref and contact.order_ref == order.ref
    assert srv.request_log[-1].status == 201


def test_a_date_of_birth_in_the_future_is_refused_with_the_field(
    live: CdpClient, order: Order
) -> None:
    with pytest.raises(CdpValidationError) as caught:
        live.order_contact_create(order.ref, person_body(dateOfBirth="2999-01-01T00:00:00Z"))
    assert caught.value.field == "dateOfBirth"


def test_get_replace_patch_and_delete(live: CdpClient, srv: SandboxServer, order: Order) -> None:
    contact = live.order_contact_create(order.ref, person_body())
    assert live.order_contact_get(contact.ref) == contact

    replaced = live.order_contact_replace(
        contact.ref, person_body(city="Dublin", street=["Tara St."], nationality=None)
    )
    assert (replaced.city, replaced.street, replaced.nationality) == ("Dublin", ("Tara St.",), None)

    srv.clear_log()
    patched = live.order_contact_patch(contact.ref, {"phoneNumbers": ["+3531"]})
    assert (patched.phone_numbers, patched.city) == (("+3531",), "Dublin")
    assert json.loads(srv.request_log[0].body) == {"phoneNumbers": ["+3531"]}

    live.order_contact_delete(contact.ref)
    assert srv.request_log[-1].status == 204
    with pytest.raises(CdpNotFound):
        live.order_contact_get(contact.ref)
    assert live.order_get(order.ref).contact_refs == ()


def test_list_returns_full_contacts_and_pages(live: CdpClient, order: Order) -> None:
    refs = [
        live.order_contact_create(order.ref, person_body(emails=[f"p{i}@example.com"])).ref
        for i in range(3)
    ]
    first = live.order_contacts_list(order.ref, limit=2)
    rest = live.order_contacts_list(order.ref, offset=first.next_offset or 0, limit=2)
    assert [c.ref for c in first] + [c.ref for c in rest] == refs
    assert first.items[1].emails == ("p1@example.com",)
    assert (first.has_next, rest.has_next) == (True, False)
