"""Contract of the guest lookup: the client against the sandbox, under each [INF] reading."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings as django_settings

from orders.cdp import CdpInvalidReference, CdpNotFound, CdpUnavailable
from orders.cdp.client import CdpClient
from orders.cdp.guests import GuestQuery
from orders.sandbox.demo import SHARED_EMAIL, VISITOR_EMAIL, seed_lookup_guests
from orders.sandbox.server import SandboxServer
from tests.cdp.support import make_client
from tests.factories import seed_order

pytestmark = pytest.mark.integration


@pytest.fixture
def refs(srv: SandboxServer) -> dict[str, str]:
    return seed_lookup_guests(srv.state)


@pytest.fixture
def legacy(srv: SandboxServer) -> Iterator[CdpClient]:
    client = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        guest_api="v2",
    )
    yield client
    client.close()


def guest_queries(srv: SandboxServer) -> list[str]:
    return [r.query for r in srv.request_log if r.path.endswith("/guests")]


def add_contact(srv: SandboxServer, reference_id: str, **person: object) -> dict[str, object]:
    order = seed_order(srv, referenceId=reference_id)
    return srv.state.create_contact(order["ref"], dict(person))


def test_an_email_shared_by_two_guests_finds_both(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    found = live.guests_search(GuestQuery(email=SHARED_EMAIL))

    assert {g.ref for g in found.guests} == {refs["SHARED-1"], refs["SHARED-2"]}
    assert {g.first_name for g in found.guests} == {"Sam", "Samantha"}
    assert all(g.guest_type == "customer" and g.first_seen for g in found.guests)
    assert found.more is False
    assert guest_queries(srv) == ["email=sam.taylor%40example.com&expand=true&offset=0&limit=100"]


def test_an_email_is_sent_trimmed_and_lower_cased(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    found = live.guests_search(GuestQuery(email="  Sam.Taylor@Example.COM "))

    assert len(found) == 2
    assert guest_queries(srv)[0].startswith("email=sam.taylor%40example.com&")


def test_a_plus_in_an_email_is_percent_encoded(live: CdpClient, srv: SandboxServer) -> None:
    add_contact(srv, "PLUS-1", firstName="Pat", emails=["pat+orders@example.com"])

    found = live.guests_search(GuestQuery(email="pat+orders@example.com"))

    assert [g.first_name for g in found.guests] == ["Pat"]
    assert "email=pat%2Borders%40example.com" in guest_queries(srv)[0]


def test_no_match_is_an_empty_result(live: CdpClient, refs: dict[str, str]) -> None:
    assert len(live.guests_search(GuestQuery(email="nobody@example.com"))) == 0
    assert len(live.guests_search(GuestQuery(phone_number="+10000000000"))) == 0
    assert len(live.guests_search(GuestQuery(provider="LOYALTY", identifier_id="999"))) == 0


def test_a_phone_number_matches_exactly_as_stored(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    found = live.guests_search(GuestQuery(phone_number="+353861000001"))

    assert [g.ref for g in found.guests] == [refs["SHARED-1"]]
    assert found.guests[0].phone_numbers == ("+353861000001",)
    assert "phoneNumber=%2B353861000001&" in guest_queries(srv)[0]
    assert len(live.guests_search(GuestQuery(phone_number="+353 86 1000001"))) == 0


def test_an_identifier_pair_finds_its_guest(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    found = live.guests_search(GuestQuery(provider="LOYALTY", identifier_id="10002"))

    assert [g.ref for g in found.guests] == [refs["SHARED-2"]]
    assert [(i.provider, i.id) for i in found.guests[0].identifiers] == [("LOYALTY", "10002")]
    assert "identifiers.provider=LOYALTY&identifiers.id=10002" in guest_queries(srv)[0]


def test_a_name_narrows_a_search(live: CdpClient, refs: dict[str, str]) -> None:
    found = live.guests_search(GuestQuery(email=SHARED_EMAIL, first_name="samantha"))

    assert [g.ref for g in found.guests] == [refs["SHARED-2"]]


def test_a_name_narrows_even_where_cdp_would_or_the_parameters(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    srv.config.guest_search_combine = "or"

    found = live.guests_search(GuestQuery(email=SHARED_EMAIL, first_name="Sam"))

    assert [g.ref for g in found.guests] == [refs["SHARED-1"]]


def test_a_visitor_without_orders_is_found_and_has_no_orders(
    live: CdpClient, refs: dict[str, str]
) -> None:
    found = live.guests_search(GuestQuery(email=VISITOR_EMAIL))

    assert [(g.ref, g.guest_type) for g in found.guests] == [(refs["visitor"], "visitor")]
    assert live.guest_orders(refs["visitor"]).orders == ()


def test_a_full_page_says_there_are_more(live: CdpClient, srv: SandboxServer) -> None:
    order = seed_order(srv, referenceId="CROWD")
    for n in range(101):
        srv.state.create_consumer(
            order["ref"],
            {
                "firstName": f"Guest{n}",
                "lastName": "Crowd",
                "emails": [f"g{n}@example.com", "desk@example.com"],
            },
        )

    found = live.guests_search(GuestQuery(email="desk@example.com"))

    assert len(found) == 100
    assert found.more is True


def test_guest_retrieval_and_its_orders_newest_first(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    guest_ref = refs["SHARED-1"]
    for month in ("01", "07", "03"):
        order = seed_order(srv, referenceId=f"M{month}", orderedAt=f"2026-{month}-01T10:00:00Z")
        srv.state.create_consumer(
            order["ref"],
            {
                "firstName": "Sam",
                "lastName": "Taylor",
                "guest": {"href": f"{srv.base_url}/v2.1/guests/{guest_ref}"},
            },
        )

    guest = live.guest_get(guest_ref.upper())
    orders = live.guest_orders(guest_ref).orders

    assert (guest.ref, guest.name, guest.all_emails) == (
        guest_ref,
        "Sam Taylor",
        (SHARED_EMAIL,),
    )
    assert [o.reference_id for o in orders] == ["SHARED-1", "M07", "M03", "M01"]
    assert any("guestRef=" in r.query and "sort=orderedAt" in r.query for r in srv.request_log)


def test_an_unknown_guest_is_not_found_and_a_bad_ref_is_never_sent(
    live: CdpClient, srv: SandboxServer
) -> None:
    with pytest.raises(CdpNotFound):
        live.guest_get("f7aabbca-1c1b-4fc2-be72-3e16294a4f03")
    srv.clear_log()
    with pytest.raises(CdpInvalidReference):
        live.guest_get("../orders")
    with pytest.raises(ValueError):
        GuestQuery(provider="LOYALTY")
    with pytest.raises(ValueError):
        GuestQuery(first_name="Sam")

    assert srv.request_log == []


def test_legacy_mode_searches_and_reads_v2_guests(
    legacy: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    found = legacy.guests_search(GuestQuery(email=SHARED_EMAIL))
    guest = legacy.guest_get(refs["SHARED-1"])

    assert {g.ref for g in found.guests} == {refs["SHARED-1"], refs["SHARED-2"]}
    assert guest.all_emails == (SHARED_EMAIL,)
    paths = {r.path for r in srv.request_log}
    assert paths == {"/v2/guests", f"/v2/guests/{refs['SHARED-1']}"}


def test_bare_links_are_fetched_guest_by_guest(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str]
) -> None:
    srv.config.guest_search_expand = False
    srv.config.guest_link_ref = False

    found = live.guests_search(GuestQuery(email=SHARED_EMAIL))

    assert {g.first_name for g in found.guests} == {"Sam", "Samantha"}
    assert all(g.complete for g in found.guests)


@pytest.mark.parametrize("paging", ["ignore", "400"])
def test_guest_search_works_where_paging_is_ignored_or_refused(
    live: CdpClient, srv: SandboxServer, refs: dict[str, str], paging: str
) -> None:
    srv.config.guest_search_paging = paging  # type: ignore[assignment]

    found = live.guests_search(GuestQuery(email=SHARED_EMAIL))

    assert len(found) == 2


def test_a_search_answering_404_for_nothing_is_no_match(
    live: CdpClient, srv: SandboxServer
) -> None:
    srv.config.guest_search_no_match = "404"

    assert len(live.guests_search(GuestQuery(email="nobody@example.com"))) == 0


def test_a_case_sensitive_tenant_is_searched_by_the_untouched_email(
    live: CdpClient, srv: SandboxServer
) -> None:
    srv.config.guest_search_case_sensitive = True
    add_contact(srv, "CASE-1", firstName="Kim", emails=["Kim.Lee@Example.com"])

    found = live.guests_search(GuestQuery(email="Kim.Lee@Example.com"))

    assert [g.first_name for g in found.guests] == ["Kim"]
    assert guest_queries(srv)[1].startswith("email.untouched=Kim.Lee%40Example.com&")


def test_odd_values_in_a_guest_are_tolerated_and_kept_raw(
    live: CdpClient, srv: SandboxServer
) -> None:
    odd = {
        "ref": "f7aabbca-1c1b-4fc2-be72-3e16294a4f03",
        "guestType": "loyal-member",
        "firstName": 42,
        "emails": "solo@example.com",
        "phoneNumbers": [1, 2],
        "identifiers": [{"provider": "X"}, "junk", {"provider": "LOYALTY", "id": "7"}],
        "firstSeen": "yesterday",
        "somethingNew": {"a": 1},
    }
    srv.inject(status=200, body=odd, path_prefix="/v2.1/guests/")

    guest = live.guest_get(odd["ref"])

    assert guest.guest_type == "loyal-member"
    assert guest.first_name is None and guest.first_seen is None
    assert guest.emails == ("solo@example.com",)
    assert guest.phone_numbers == ()
    assert [(i.provider, i.id) for i in guest.identifiers] == [("LOYALTY", "7")]
    assert guest.raw["somethingNew"] == {"a": 1}


def test_logs_and_errors_never_carry_the_searched_value(
    live: CdpClient, srv: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    live.guests_search(GuestQuery(email="secret.person@example.com"))
    srv.inject(drop=True, times=5)
    with pytest.raises(CdpUnavailable) as raised:
        live.guests_search(GuestQuery(phone_number="+353870000999"))

    assert "guests?email=[redacted]&expand=true&offset=0&limit=100" in caplog.text
    for value in ("secret.person", "353870000999"):
        assert value not in caplog.text
        assert value not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def sandbox_get(srv: SandboxServer, query: str, api: str = "v2.1") -> requests.Response:
    auth = (django_settings.SANDBOX_CLIENT_KEY, django_settings.SANDBOX_API_TOKEN)
    return requests.get(f"{srv.base_url}/{api}/guests?{query}", auth=auth, timeout=5)


def test_sandbox_switches_for_the_inferred_search_rules(
    srv: SandboxServer, refs: dict[str, str]
) -> None:
    assert sandbox_get(srv, "").status_code == 400
    assert sandbox_get(srv, "identifiers.provider=LOYALTY").status_code == 400
    assert sandbox_get(srv, "email=").status_code == 400
    assert len(sandbox_get(srv, f"email={SHARED_EMAIL}&colour=red").json()["items"]) == 2
    assert sandbox_get(srv, f"email={SHARED_EMAIL}").json()["items"][0].keys() == {"href", "ref"}
    legacy = sandbox_get(srv, f"email={SHARED_EMAIL}", api="v2").json()["items"][0]
    assert legacy.keys() == {"href"} and "/v2/guests/" in legacy["href"]
    assert sandbox_get(srv, "phoneNumber=%2B353861000001&email=").json()["items"]

    srv.config.update(
        {
            "guest_search_empty": "all",
            "guest_identifier_pair": "partial",
            "guest_search_blank_is_absent": False,
            "guest_unknown_params": "400",
            "guest_legacy_api": False,
        }
    )
    assert len(sandbox_get(srv, "").json()["items"]) == 3
    assert len(sandbox_get(srv, "identifiers.provider=LOYALTY").json()["items"]) == 2
    assert sandbox_get(srv, "email=").status_code == 400
    assert sandbox_get(srv, f"email={SHARED_EMAIL}&colour=red").status_code == 400
    assert sandbox_get(srv, f"email={SHARED_EMAIL}", api="v2").status_code == 404


def test_sandbox_switches_for_guest_types_and_lifetimes(
    srv: SandboxServer, refs: dict[str, str]
) -> None:
    auth = (django_settings.SANDBOX_CLIENT_KEY, django_settings.SANDBOX_API_TOKEN)

    def guest(ref: str) -> requests.Response:
        return requests.get(f"{srv.base_url}/v2.1/guests/{ref}", auth=auth, timeout=5)

    assert guest(refs["visitor"]).json()["guestType"] == "visitor"
    srv.config.guest_consumer_makes_customer = True
    assert guest(refs["visitor"]).json()["guestType"] == "customer"
    srv.config.guests_outlive_people = False
    assert guest(refs["visitor"]).status_code == 404
    assert guest(refs["SHARED-1"]).status_code == 200
    assert requests.post(f"{srv.base_url}/v2.1/guests", auth=auth, timeout=5).status_code == 405
