"""The data-extension grid: key-scoped writes, per-key conflicts, errors in the row, roles."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.test import Client

from orders.cdp.client import reset_client
from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services.extensions import order_extension_set
from tests.factories import seed_order
from tests.support.sandbox import write_parts as writes

pytestmark = pytest.mark.integration
HX = {"HTTP_HX_REQUEST": "true"}
EXT = "/v2.1/orders/{ref}/extensions/ext"


def order_with_ext(
    sandbox: SandboxServer, data: dict[str, Any] | None = None, **fields: Any
) -> str:
    ref = seed_order(sandbox, **fields)["ref"]
    if data is not None:
        sandbox.state.put_order_extension(ref, data)
    sandbox.clear_log()
    return ref


def cdp_pairs(sandbox: SandboxServer, ref: str) -> dict[str, Any]:
    ext = sandbox.state.get_extension("order", ref, "ext")
    envelope = {"name", "href", "ref", "key", "createdAt", "modifiedAt", "order", "orderItem"}
    return {k: v for k, v in ext.items() if k not in envelope}


def save(client: Client, ref: str, key: str, value: str, type_name: str, seen: Any) -> Any:
    return client.post(
        f"/orders/{ref}/ext/keys/{key}/save/",
        {"value": value, "type": type_name, "seen": json.dumps(seen)},
        **HX,
    )


def test_grid_shows_each_pair_with_its_exact_type(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(
        sandbox, {"flagText": "true", "flag": True, "countText": "9", "count": 9, "ratio": 9.0}
    )

    response = marketing_client.get(f"/orders/{ref}/ext/", **HX)

    text = response.content.decode()
    assert response.status_code == 200
    assert f'id="ext-grid-{ref}"' in text
    for key, type_name in [
        ("flagText", "string"),
        ("flag", "boolean"),
        ("countText", "string"),
        ("count", "integer"),
        ("ratio", "number"),
    ]:
        row = text.split(f'id="ext-row-{ref}-{key}"', 1)[1].split("</tr>", 1)[0]
        assert f"ext-type-{type_name}" in row, key
    ratio_row = text.split(f'id="ext-row-{ref}-ratio"', 1)[1].split("</tr>", 1)[0]
    assert ">9.0<" in ratio_row


def test_grid_save_sends_patch_for_changed_key_only(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2, "storeLocation": "London", "vip": True})

    response = save(marketing_client, ref, "loyaltyTier", "3", "integer", seen=2)

    assert response.status_code == 200
    assert f'id="ext-row-{ref}-loyaltyTier"' in response.content.decode()
    assert writes(sandbox) == [("PATCH", EXT.format(ref=ref), "", {"loyaltyTier": 3})]
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 3, "storeLocation": "London", "vip": True}
    intent = AuditEntry.objects.get(phase="intent", order_ref=ref)
    assert intent.before == {"loyaltyTier": 2}
    assert intent.request_payload == {"loyaltyTier": 3}


def test_saving_a_switched_type_keeps_the_new_type(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"code": "9"})

    save(marketing_client, ref, "code", "9", "integer", seen="9")
    save(marketing_client, ref, "code", "9.0", "number", seen=9)

    assert json.dumps(cdp_pairs(sandbox, ref)["code"]) == "9.0"
    assert [w[3] for w in writes(sandbox)] == [{"code": 9}, {"code": 9.0}]


def test_saving_an_unchanged_value_writes_nothing(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"flag": "true"})

    response = save(marketing_client, ref, "flag", "true", "string", seen="true")

    assert response.status_code == 200
    assert writes(sandbox) == []


def test_adding_a_pair_creates_the_extension_with_post_when_absent(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, None)

    response = marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "campaign", "value": "spring", "type": "string"}, **HX
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#ext-grid-{ref}"
    assert f'id="ext-row-{ref}-campaign"' in response.content.decode()
    assert writes(sandbox) == [("POST", EXT.format(ref=ref), "", {"campaign": "spring"})]


def test_adding_a_pair_patches_only_the_new_key_when_the_extension_exists(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "vip", "value": "true", "type": "boolean"}, **HX
    )

    assert writes(sandbox) == [("PATCH", EXT.format(ref=ref), "", {"vip": True})]
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 2, "vip": True}


def test_adding_an_existing_key_is_refused_next_to_the_key(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    response = marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "loyaltyTier", "value": "7", "type": "integer"}, **HX
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "already in this extension" in text
    assert 'value="7"' in text  # the user's input is kept
    assert writes(sandbox) == []


def test_an_invalid_key_shows_its_reason_and_nothing_is_sent(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    response = marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "Loyalty_tier", "value": "x", "type": "string"}, **HX
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "camelCase" in text
    assert 'value="Loyalty_tier"' in text
    assert writes(sandbox) == []


def test_delete_uses_fields_with_the_key_name(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2, "storeLocation": "London"})

    response = marketing_client.post(
        f"/orders/{ref}/ext/keys/storeLocation/delete/", {"seen": '"London"'}, **HX
    )

    assert response.status_code == 200
    assert f'id="ext-row-{ref}-storeLocation"' not in response.content.decode()
    ((method, path, query, _),) = writes(sandbox)
    assert (method, path) == ("DELETE", EXT.format(ref=ref) + "/fields")
    assert query == "name=storeLocation"
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 2}


def test_the_grid_never_sends_put_or_an_unnamed_field_delete(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, None)

    marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "a", "value": "1", "type": "integer"}, **HX
    )
    marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "b", "value": "x", "type": "string"}, **HX
    )
    save(marketing_client, ref, "a", "2", "integer", seen=1)
    marketing_client.post(f"/orders/{ref}/ext/keys/b/delete/", {"seen": '"x"'}, **HX)
    marketing_client.post(f"/orders/{ref}/ext/keys/a/delete/", {"seen": "2"}, **HX)

    methods = [w[0] for w in writes(sandbox)]
    assert methods == ["POST", "PATCH", "PATCH", "DELETE", "DELETE"]
    assert all(w[2].startswith("name=") for w in writes(sandbox) if w[0] == "DELETE")


def test_per_key_conflict_shows_yours_and_current_and_keep_mine_writes(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})
    sandbox.state.put_order_extension(ref, {"loyaltyTier": 5})
    sandbox.clear_log()

    response = save(marketing_client, ref, "loyaltyTier", "3", "integer", seen=2)

    text = response.content.decode()
    assert response.status_code == 200
    assert "Keep mine" in text and "Use current" in text
    assert "<code>3</code>" in text and "<code>5</code>" in text
    assert 'name="seen" value="5"' in text  # "Keep mine" now expects the current value
    assert writes(sandbox) == []

    response = save(marketing_client, ref, "loyaltyTier", "3", "integer", seen=5)

    assert "Keep mine" not in response.content.decode()
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 3}


def test_use_current_rerenders_the_row_with_cdps_value(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 5})

    response = marketing_client.get(f"/orders/{ref}/ext/keys/loyaltyTier/", **HX)

    assert response.status_code == 200
    assert ">5<" in response.content.decode()


def test_edits_of_different_keys_by_two_people_both_succeed(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2, "storeLocation": "London"})
    other = User.objects.create_user("mo")
    other.groups.add(*User.objects.get(username="morgan").groups.all())
    other_client = Client()
    other_client.force_login(other)

    first = save(marketing_client, ref, "loyaltyTier", "3", "integer", seen=2)
    second = save(other_client, ref, "storeLocation", "Paris", "string", seen="London")

    assert "Keep mine" not in first.content.decode() + second.content.decode()
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 3, "storeLocation": "Paris"}


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "CDP refused"),
        (409, "clashes"),
        (429, "too many requests"),
        (500, "CDP failed"),
    ],
)
def test_cdp_errors_appear_in_the_row_and_keep_the_users_input(
    marketing_client: Client, sandbox: SandboxServer, status: int, words: str
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})
    sandbox.inject(status=status, method="PATCH", retry_after=1 if status == 429 else None)

    response = save(marketing_client, ref, "loyaltyTier", "42", "integer", seen=2)

    text = response.content.decode()
    assert response.status_code == 200
    assert words in text
    assert 'value="42"' in text and "ext-editing" in text
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": 2}


def test_a_timeout_appears_in_the_row(
    marketing_client: Client, sandbox: SandboxServer, settings: Any
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})
    settings.CDP_TIMEOUT = 0.3
    reset_client()
    sandbox.inject(status=None, method="PATCH", delay_s=1.0)

    response = save(marketing_client, ref, "loyaltyTier", "42", "integer", seen=2)

    text = response.content.decode()
    assert "did not answer" in text
    assert 'value="42"' in text
    # CDP got the PATCH and answers it after the client gave up. Wait for that answer, so it
    # is logged during this test, not in the next test's log.
    deadline = time.monotonic() + 5
    while not writes(sandbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writes(sandbox) == [("PATCH", EXT.format(ref=ref), "", {"loyaltyTier": 42})]


def test_audit_unavailable_is_shown_in_the_row(
    marketing_client: Client, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    def broken(**fields: Any) -> None:
        raise DatabaseError("audit table locked")

    monkeypatch.setattr("orders.services.audited.append_entry", broken)

    response = save(marketing_client, ref, "loyaltyTier", "42", "integer", seen=2)

    assert "audit trail could not be written" in response.content.decode()
    assert writes(sandbox) == []


def test_a_bad_key_in_the_url_is_a_404_before_any_cdp_call(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    for key in ("Bad_key", "createdAt", "ref"):
        response = marketing_client.post(f"/orders/{ref}/ext/keys/{key}/save/", {}, **HX)
        assert response.status_code == 404, key
    assert sandbox.request_log == []


def test_saving_a_key_with_an_unusual_type_warns_but_saves(
    marketing_client: Client, sandbox: SandboxServer, marketing_user: User
) -> None:
    for n in range(3):
        other = order_with_ext(sandbox, {}, referenceId=f"TIER-{n}")
        order_extension_set(
            actor=marketing_user,
            order_ref=other,
            pairs={"loyaltyTier": n},
        )
    ref = order_with_ext(sandbox, {"loyaltyTier": 2}, referenceId="TIER-X")

    grid = marketing_client.get(f"/orders/{ref}/ext/", **HX).content.decode()
    response = save(marketing_client, ref, "loyaltyTier", "gold", "string", seen=2)

    assert '<option value="loyaltyTier" data-type="integer"' in grid
    assert "loyaltyTier is an integer on 3 orders" in response.content.decode()
    assert cdp_pairs(sandbox, ref) == {"loyaltyTier": "gold"}


def test_the_key_suggestions_follow_new_writes(
    marketing_client: Client, sandbox: SandboxServer, marketing_user: User
) -> None:
    first = order_with_ext(sandbox, {}, referenceId="WRAP-1")
    order_extension_set(actor=marketing_user, order_ref=first, pairs={"giftWrap": True})
    ref = order_with_ext(sandbox, {}, referenceId="WRAP-X")

    before = marketing_client.get(f"/orders/{ref}/ext/", **HX).content.decode()
    again = marketing_client.get(f"/orders/{ref}/ext/", **HX).content.decode()
    second = order_with_ext(sandbox, {}, referenceId="WRAP-2")
    order_extension_set(actor=marketing_user, order_ref=second, pairs={"giftWrap": False})
    after = marketing_client.get(f"/orders/{ref}/ext/", **HX).content.decode()

    option = '<option value="giftWrap" data-type="boolean" label="boolean on {} order{}">'
    assert option.format(1, "") in before and option.format(1, "") in again
    assert option.format(2, "s") in after


def test_item_grid_writes_the_items_extension(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, None)
    item = sandbox.state.create_item(
        ref,
        {"name": "Seat", "type": "SEAT", "status": "CONFIRMED", "price": 10, "currencyCode": "EUR"},
    )
    sandbox.state.put_item_extension(item["ref"], {"color": "red"})
    sandbox.clear_log()

    response = marketing_client.post(
        f"/orders/{ref}/items/{item['ref']}/ext/keys/color/save/",
        {"value": "blue", "type": "string", "seen": '"red"'},
        **HX,
    )

    assert response.status_code == 200
    assert writes(sandbox) == [
        ("PATCH", f"/v2.1/orderItems/{item['ref']}/extensions/ext", "", {"color": "blue"})
    ]
    entry = AuditEntry.objects.get(phase="intent")
    assert (entry.resource_type, entry.order_ref) == ("order_item_extension", ref)


def test_replace_all_pairs_lists_dropped_keys_then_puts(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2, "storeLocation": "London"})
    form = {
        "pair-TOTAL_FORMS": "1",
        "pair-INITIAL_FORMS": "0",
        "pair-0-key": "loyaltyTier",
        "pair-0-type": "integer",
        "pair-0-value": "4",
    }

    preview = marketing_client.post(f"/orders/{ref}/ext/replace/", {**form, "preview": "1"})

    text = preview.content.decode()
    assert "These keys will be dropped" in text and "<code>storeLocation</code>" in text
    assert writes(sandbox) == []
    fingerprint = text.split('name="confirm" value="', 1)[1].split('"', 1)[0]

    done = marketing_client.post(f"/orders/{ref}/ext/replace/", {**form, "confirm": fingerprint})

    assert done.status_code == 302
    assert writes(sandbox) == [("PUT", EXT.format(ref=ref), "", {"loyaltyTier": 4})]


def test_csrf_is_enforced_on_htmx_posts(marketing_user: User, sandbox: SandboxServer) -> None:
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketing_user)
    url = f"/orders/{ref}/ext/keys/loyaltyTier/save/"
    data = {"value": "3", "type": "integer", "seen": "2"}

    refused = client.post(url, data, **HX)
    client.get(f"/orders/{ref}/ext/", **HX)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HX)

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert [w[0] for w in writes(sandbox)] == ["PATCH"]


@pytest.mark.parametrize(
    ("client_name", "read", "write"),
    [
        ("marketing_client", 200, 200),
        ("cs_client", 200, 403),
        ("auditor_client", 403, 403),
        ("super_client", 200, 200),
    ],
)
def test_permissions_per_role(
    request: pytest.FixtureRequest, sandbox: SandboxServer, client_name: str, read: int, write: int
) -> None:
    client: Client = request.getfixturevalue(client_name)
    ref = order_with_ext(sandbox, {"loyaltyTier": 2})

    assert client.get(f"/orders/{ref}/ext/", **HX).status_code == read
    assert save(client, ref, "loyaltyTier", "3", "integer", seen=2).status_code == write
    assert (
        client.post(
            f"/orders/{ref}/ext/add/", {"key": "x", "value": "1", "type": "integer"}, **HX
        ).status_code
        == write
    )
    assert (
        client.post(f"/orders/{ref}/ext/keys/loyaltyTier/delete/", {"seen": "3"}, **HX).status_code
        == write
    )
    assert client.get(f"/orders/{ref}/ext/replace/").status_code == write
