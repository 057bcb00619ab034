"""Finding the customer: the search box's kinds, the pick list, the guest page, lookup audit."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from orders.models import AuditEntry
from orders.sandbox.demo import SHARED_EMAIL, VISITOR_EMAIL, seed_lookup_guests
from orders.sandbox.server import SandboxServer
from orders.search_terms import classify
from orders.services.guests import lookup_hmac
from tests.factories import seed_order

pytestmark = pytest.mark.integration


@pytest.fixture
def refs(sandbox: SandboxServer) -> dict[str, str]:
    return seed_lookup_guests(sandbox.state)


def find(client: Client, q: str, kind: str = "auto", **names: str) -> object:
    return client.post("/find/", {"q": q, "kind": kind, **names}, follow=True)


def visited(response: object) -> list[str]:
    return [url for url, _ in response.redirect_chain]  # type: ignore[attr-defined]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("B94TXY-1", "referenceId"),
        ("12345", "referenceId"),
        ("3B5CB55E-C616-424A-991C-A241D0024896", "guestRef"),
        ("jane.doe@example.com", "email"),
        ("+353 86 100 0001", "phone"),
        ("0861000002", "phone"),
        ("LOYALTY:12345", "identifier"),
        ("email:jane@example.com", "identifier"),
    ],
)
def test_the_box_works_out_what_was_typed(text: str, kind: str) -> None:
    assert classify(text)[0] == kind


@pytest.mark.unit
def test_a_forced_kind_wins_and_is_checked() -> None:
    assert classify("0861000002", "referenceId") == ("referenceId", "0861000002")
    with pytest.raises(ValueError, match="provider:id"):
        classify("12345", "identifier")
    with pytest.raises(ValueError, match="UUID"):
        classify("nope", "guestRef")


def test_an_email_shared_by_two_guests_shows_a_pick_list(
    cs_client: Client, refs: dict[str, str]
) -> None:
    response = find(cs_client, SHARED_EMAIL)
    text = response.content.decode()

    assert visited(response) == ["/guests/lookup/"]
    assert "2 guests with this email address" in text
    assert "Searched as: <strong>email address</strong>" in text
    for ref, name in ((refs["SHARED-1"], "Sam Taylor"), (refs["SHARED-2"], "Samantha Taylor")):
        assert f'<a href="/guests/{ref}/">{name}</a>' in text
    assert text.count("<td>customer</td>") == 2
    assert text.count("<td>1</td>") == 2  # one order each


def test_one_match_opens_the_guest_page_and_back_shows_the_list(
    cs_client: Client, refs: dict[str, str]
) -> None:
    response = find(cs_client, "LOYALTY:10002")

    assert visited(response) == ["/guests/lookup/", f"/guests/{refs['SHARED-2']}/"]
    text = response.content.decode()
    assert "<h1>Samantha Taylor</h1>" in text and "<title>Guest | cdpadmin</title>" in text
    assert "SHARED-2</a>" in text and "<code>LOYALTY:10002</code>" in text
    again = cs_client.get("/guests/lookup/")
    assert again.status_code == 200 and "1 guest with this identifier" in again.content.decode()
    assert AuditEntry.objects.filter(action="guests.lookup").count() == 1


def test_no_match_is_a_sentence(cs_client: Client, refs: dict[str, str]) -> None:
    text = find(cs_client, "+44 20 7946 0000").content.decode()

    assert "No guest in CDP has this phone number" in text


def test_too_many_matches_ask_for_a_name(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox, referenceId="CROWD")
    for n in range(101):
        sandbox.state.create_consumer(
            order["ref"],
            {"firstName": f"G{n}", "lastName": "Crowd", "emails": [f"g{n}@x.com", "desk@x.com"]},
        )

    text = find(cs_client, "desk@x.com").content.decode()
    narrowed = find(cs_client, "desk@x.com", first_name="G7").content.decode()

    assert "More than 100 guests match; add a name." in text
    assert "<h1>G7 Crowd</h1>" in narrowed


def test_order_kinds_still_search_orders_by_get(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox, referenceId="0861000002")

    response = cs_client.post("/find/", {"q": "0861000002", "kind": "referenceId"})

    assert response["Location"] == "/orders/?referenceId=0861000002"
    assert cs_client.get(response["Location"])["Location"] == f"/orders/{order['ref']}/"
    worked_out = cs_client.post("/find/", {"q": " B94TXY-1 "})
    assert worked_out["Location"] == "/orders/?q=B94TXY-1"


def test_no_url_carries_the_email(cs_client: Client, refs: dict[str, str]) -> None:
    response = find(cs_client, SHARED_EMAIL)
    by_get = cs_client.get(f"/orders/?q={SHARED_EMAIL}")

    assert all("@" not in url and "sam" not in url for url in visited(response))
    assert by_get["Location"] == "/guests/lookup/"


def test_the_visitor_without_orders_has_a_page_saying_so(
    cs_client: Client, refs: dict[str, str]
) -> None:
    text = find(cs_client, VISITOR_EMAIL).content.decode()

    assert '<td id="guest-type">visitor</td>' in text
    assert "This guest has no orders (a visitor" in text


def test_the_guest_page_pages_orders_newest_first(
    cs_client: Client, sandbox: SandboxServer, refs: dict[str, str]
) -> None:
    guest = refs["SHARED-1"]
    for month in range(1, 13):
        order = seed_order(
            sandbox, referenceId=f"M{month:02d}", orderedAt=f"2025-{month:02d}-01T10:00:00Z"
        )
        sandbox.state.create_consumer(
            order["ref"],
            {
                "firstName": "Sam",
                "lastName": "Taylor",
                "guest": {"href": f"{sandbox.base_url}/v2.1/guests/{guest}"},
            },
        )

    first = cs_client.get(f"/guests/{guest}/?limit=10").content.decode()
    second = cs_client.get(f"/guests/{guest}/?offset=10&limit=10").content.decode()

    assert "showing 1–10 of 13, newest first" in first
    assert first.index("SHARED-1</a>") < first.index("M12</a>") < first.index("M04</a>")
    assert "M03</a>" not in first and "M01</a>" in second and "Next →" not in second


def test_an_unknown_guest_says_it_may_have_been_merged(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    response = cs_client.get("/guests/f7aabbca-1c1b-4fc2-be72-3e16294a4f03/")

    assert response.status_code == 404
    assert "may have been merged" in response.content.decode()
    assert cs_client.get("/guests/not-a-ref/").status_code == 404


def test_hostile_guest_values_are_shown_escaped(cs_client: Client, sandbox: SandboxServer) -> None:
    ref = "f7aabbca-1c1b-4fc2-be72-3e16294a4f03"
    sandbox.inject(
        status=200,
        path_prefix=f"/v2.1/guests/{ref}",
        body={"ref": ref, "guestType": "<b>x</b>", "firstName": "<script>alert(1)</script>"},
    )

    text = cs_client.get(f"/guests/{ref}/").content.decode()

    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_the_lookup_is_audited_by_hmac_never_by_value(
    cs_client: Client, refs: dict[str, str], auditor_client: Client
) -> None:
    find(cs_client, SHARED_EMAIL)
    cs_client.get(f"/guests/{refs['SHARED-2']}/")
    cs_client.get(f"/guests/{refs['SHARED-2']}/")

    lookup = AuditEntry.objects.get(action="guests.lookup")
    opened = AuditEntry.objects.get(action="guests.open")
    digest = lookup_hmac("email", SHARED_EMAIL)
    assert lookup.phase == opened.phase == "read"
    assert lookup.actor_username == "casey"
    assert lookup.request_payload == {
        "kind": "email",
        "value_hmac": digest,
        "refined_by_name": False,
    }
    assert lookup.after["matched"] == 2 and lookup.cdp_path == "/v2.1/guests"
    assert opened.resource_ref == refs["SHARED-2"]
    assert opened.request_payload["lookup_id"] == lookup.pk
    for row in AuditEntry.objects.values():
        assert "sam.taylor" not in json.dumps(row, default=str).lower()

    response = auditor_client.post(
        "/audit/lookups/", {"value": " Sam.Taylor@example.com ", "kind": "auto"}, follow=True
    )
    text = response.content.decode()
    assert visited(response) == [f"/audit/?lookups=on&lookup_hmac={digest}"]
    assert "Showing guest lookups of the value you typed" in text
    assert f'data-entry="{lookup.pk}"' in text and f'data-entry="{opened.pk}"' in text
    assert "casey looked up guests by email (HMAC" in text and "2 matched" in text
    other = auditor_client.post("/audit/lookups/", {"value": "x@example.com"}, follow=True)
    assert f'data-entry="{lookup.pk}"' not in other.content.decode()
    lookups_only = auditor_client.get("/audit/?lookups=on").content.decode()
    assert f'data-entry="{lookup.pk}"' in lookups_only
    detail = auditor_client.get(f"/audit/{lookup.pk}/")
    assert detail.status_code == 200 and digest in detail.content.decode()
    export = b"".join(auditor_client.get("/audit/export.csv?lookups=on").streaming_content)
    assert digest.encode() in export and b"sam.taylor" not in export.lower()


def test_a_failed_lookup_is_audited_too(cs_client: Client, sandbox: SandboxServer) -> None:
    sandbox.inject(status=503, times=10)

    response = find(cs_client, "LOYALTY:1")

    assert response.status_code == 502
    entry = AuditEntry.objects.get(action="guests.lookup")
    assert entry.outcome == "failure" and entry.cdp_status == 503


def test_cdp_quoting_the_value_in_an_error_keeps_it_out_of_the_trail(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    sandbox.inject(
        status=400,
        path_prefix="/v2.1/guests",
        body={"status": 400, "code": 400, "message": "email: Pat.Lee@example.com is odd"},
    )

    find(cs_client, "Pat.Lee@example.com")

    entry = AuditEntry.objects.get(action="guests.lookup")
    assert entry.outcome == "failure" and "[the looked-up value]" in entry.error_message
    assert "pat.lee" not in entry.error_message.lower()


def test_customer_service_and_marketing_look_up_auditors_do_not(
    marketing_client: Client, auditor_client: Client, refs: dict[str, str]
) -> None:
    assert "2 guests" in find(marketing_client, SHARED_EMAIL).content.decode()
    assert auditor_client.post("/find/", {"q": SHARED_EMAIL}).status_code == 403
    assert auditor_client.get("/guests/lookup/").status_code == 403
    assert auditor_client.get(f"/guests/{refs['SHARED-1']}/").status_code == 403
    assert marketing_client.post("/audit/lookups/", {"value": SHARED_EMAIL}).status_code == 403
