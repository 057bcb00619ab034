"""Creating, editing and deleting orders, items, contacts and consumers through the forms."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.test import Client

from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from tests.factories import seed_full_order, seed_order
from tests.support.sandbox import writes

pytestmark = pytest.mark.integration


def order_form_data(order: dict, **changes: object) -> dict:
    data = {
        "modifiedAt": order["modifiedAt"],
        "currencyCode": order["currencyCode"],
        "price": str(order["price"]),
        "status": order.get("status", ""),
        "channel": order.get("channel", ""),
        "paymentType": order.get("paymentType", ""),
        "cardType": order.get("cardType", ""),
        "pointOfSale": order.get("pointOfSale", ""),
    }
    # The form carries the values it was rendered with (Django's show_hidden_initial).
    data.update({f"initial-{name}": value for name, value in data.items() if name != "modifiedAt"})
    data.update(changes)
    return data


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_editing_the_price_sends_a_patch_of_the_price_and_the_required_fields(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    sandbox.clear_log()

    response = cs_client.post(
        f"/orders/{order['ref']}/edit/", order_form_data(order, price="135.50")
    )

    assert response.status_code == 302
    [patch] = writes(sandbox)
    assert patch.method == "PATCH"
    body = json.loads(patch.body)
    assert instant(body.pop("orderedAt")) == instant(order["orderedAt"])
    assert body == {"price": 135.5, "referenceId": order["referenceId"], "currencyCode": "EUR"}
    page = cs_client.get(f"/orders/{order['ref']}/").content.decode()
    assert "135.50 EUR" in page
    assert "The order was changed." in page


def test_a_status_set_outside_the_app_is_offered_and_kept_when_untouched(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    sandbox.state.plant(order["ref"], {"status": "TELEPORTED"})
    sandbox.clear_log()

    form = cs_client.get(f"/orders/{order['ref']}/edit/").content.decode()
    assert '<option value="TELEPORTED" selected>TELEPORTED (set outside cdpadmin)</option>' in form
    response = cs_client.post(
        f"/orders/{order['ref']}/edit/",
        order_form_data({**order, "status": "TELEPORTED"}, price="135.50"),
    )

    assert response.status_code == 302
    [patch] = writes(sandbox)
    assert "status" not in json.loads(patch.body)


def test_an_edit_is_audited_with_before_and_after(
    cs_client: Client, cs_user: object, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, status="PENDING")

    cs_client.post(f"/orders/{order['ref']}/edit/", order_form_data(order, status="CONFIRMED"))

    intent, outcome = AuditEntry.objects.order_by("id")
    assert (intent.phase, outcome.phase) == ("intent", "outcome")
    assert intent.actor_username == "casey"
    assert intent.action == "orders.order.patch"
    assert intent.before["status"] == "PENDING"
    assert outcome.after["status"] == "CONFIRMED"
    assert outcome.outcome == "success" and outcome.cdp_status == 200
    assert outcome.intent_id == intent.pk


def test_an_invalid_form_keeps_what_the_user_typed(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    sandbox.clear_log()

    response = cs_client.post(
        f"/orders/{order['ref']}/edit/",
        order_form_data(order, price="not money", pointOfSale="typed by me", currencyCode="EURO"),
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below." in text
    assert 'value="typed by me"' in text
    assert 'value="not money"' in text
    assert writes(sandbox) == []


def test_a_cdp_field_error_is_shown_on_that_field(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    sandbox.inject(
        status=400,
        times=1,
        method="PATCH",
        body=json.dumps(
            {
                "status": 400,
                "code": 400,
                "message": "pointOfSale: is not known.",
                "developerMessage": "pointOfSale: is not known.",
            }
        ),
    )

    response = cs_client.post(
        f"/orders/{order['ref']}/edit/", order_form_data(order, pointOfSale="nowhere.example")
    )

    text = response.content.decode()
    field_block = text.split("field-pointOfSale")[1].split("form-row")[0]
    assert "is not known" in field_block
    assert 'value="nowhere.example"' in text
    assert AuditEntry.objects.filter(outcome="failure", cdp_status=400).count() == 1


def test_cdp_refusing_the_apps_credentials_is_not_blamed_on_the_user(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    sandbox.inject(status=401, times=1, method="PATCH")

    response = cs_client.post(f"/orders/{order['ref']}/edit/", order_form_data(order, price="1"))

    assert "credentials" in response.content.decode()


def test_a_change_made_meanwhile_is_a_conflict_and_nothing_is_written(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, status="PENDING")
    sandbox.state.touch_order(order["ref"], status="CANCELLED")
    sandbox.clear_log()

    response = cs_client.post(f"/orders/{order['ref']}/edit/", order_form_data(order, price="7"))

    text = response.content.decode()
    assert "changed this order at" in text
    assert "Apply mine anyway" in text
    assert writes(sandbox) == []

    # "Apply mine anyway" writes only the field this user changed, over the current values.
    retry = order_form_data(order, price="7")
    retry["modifiedAt"] = sandbox.state.get_order(order["ref"])["modifiedAt"]
    response = cs_client.post(f"/orders/{order['ref']}/edit/", retry)
    assert response.status_code == 302
    [patch] = writes(sandbox)
    body = json.loads(patch.body)
    assert body["price"] == 7 and "status" not in body


def test_reference_id_and_ordered_at_cannot_be_edited(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)

    cs_client.post(
        f"/orders/{order['ref']}/edit/",
        order_form_data(order, referenceId="HACKED", orderedAt="2020-01-01T00:00", price="5"),
    )

    body = json.loads(writes(sandbox)[-1].body)
    assert body["referenceId"] == order["referenceId"]
    assert instant(body["orderedAt"]) == instant(order["orderedAt"])


def test_creating_an_order_opens_its_page(cs_client: Client, sandbox: SandboxServer) -> None:
    response = cs_client.post(
        "/orders/new/",
        {
            "referenceId": "NEW-1",
            "orderedAt": "2026-05-01T09:30",
            "currencyCode": "usd",
            "price": "10.25",
            "status": "PARTIALY_CONFIRMED",
        },
    )

    assert response.status_code == 302
    [post] = writes(sandbox)
    body = json.loads(post.body)
    assert body["currencyCode"] == "USD" and body["status"] == "PARTIALY_CONFIRMED"
    assert body["orderedAt"] == "2026-05-01T09:30:00.000Z"
    assert cs_client.get(response["Location"]).status_code == 200


def test_adding_an_item_refuses_reserved_types(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox)
    data = {
        "name": "Hotel night",
        "type": "hotel",
        "status": "CONFIRMED",
        "price": "80",
        "currencyCode": "EUR",
    }

    refused = cs_client.post(f"/orders/{order['ref']}/items/new/", data)
    accepted = cs_client.post(f"/orders/{order['ref']}/items/new/", {**data, "type": "Room"})

    assert "CDP reserves the type" in refused.content.decode()
    assert accepted.status_code == 302
    assert [r.method for r in writes(sandbox)] == ["POST"]


def test_editing_a_contact_patches_only_the_changed_list(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox)
    contact = seeded["contact"]
    order_ref = seeded["order"]["ref"]
    url = f"/orders/{order_ref}/contacts/{contact['ref']}/edit/"
    form = cs_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({f"initial-{name}": value for name, value in data.items()})
    data["emails"] = "jane@example.com\njane.doe@work.example"
    data["identifiers"] = "ProfileSystem: JD-1"
    sandbox.clear_log()

    response = cs_client.post(url, data)

    assert response.status_code == 302
    [patch] = writes(sandbox)
    assert json.loads(patch.body) == {"emails": ["jane@example.com", "jane.doe@work.example"]}


def test_date_of_birth_must_be_in_the_past(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox)

    response = cs_client.post(
        f"/orders/{order['ref']}/consumers/new/",
        {"firstName": "Baby", "lastName": "Future", "dateOfBirth": "2999-01-01"},
    )

    assert "must be in the past" in response.content.decode()
    assert writes(sandbox) == []


def test_deleting_a_consumer_asks_first_then_deletes(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox)
    url = f"/orders/{seeded['order']['ref']}/consumers/{seeded['consumer']['ref']}/delete/"

    confirm = cs_client.get(url)
    assert "links to order items go with it" in confirm.content.decode()
    assert writes(sandbox) == []

    response = cs_client.post(url)
    assert response.status_code == 302
    assert [r.method for r in writes(sandbox)] == ["DELETE"]
    assert AuditEntry.objects.filter(action="orders.consumer.delete", outcome="success").exists()


def test_marketing_cannot_edit_orders(marketing_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox)

    assert marketing_client.get(f"/orders/{order['ref']}/edit/").status_code == 403
    assert (
        marketing_client.post(f"/orders/{order['ref']}/edit/", order_form_data(order)).status_code
        == 403
    )
    assert writes(sandbox) == []


def test_edits_need_a_csrf_token(cs_user: object, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cs_user)  # type: ignore[arg-type]

    response = client.post(f"/orders/{order['ref']}/edit/", order_form_data(order, price="1"))

    assert response.status_code == 403
    assert writes(sandbox) == []


def test_notes_are_added_and_edited_as_new_versions(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    from orders.models import OrderNote

    order = seed_order(sandbox)
    cs_client.post(f"/orders/{order['ref']}/notes/", {"text": "Customer called about refund."})
    note = OrderNote.objects.get()

    cs_client.post(f"/orders/{order['ref']}/notes/{note.pk}/edit/", {"text": "Refund agreed."})

    page = cs_client.get(f"/orders/{order['ref']}/").content.decode()
    assert "Refund agreed." in page
    assert OrderNote.objects.count() == 2
    assert OrderNote.objects.get(pk=note.pk).text == "Customer called about refund."
    assert writes(sandbox) == []


def test_only_the_author_can_change_a_note(
    cs_client: Client, sandbox: SandboxServer, superuser: object
) -> None:
    from orders.models import OrderNote

    order = seed_order(sandbox)
    cs_client.post(f"/orders/{order['ref']}/notes/", {"text": "Mine."})
    note = OrderNote.objects.get()
    other = Client()
    other.force_login(superuser)  # type: ignore[arg-type]

    response = other.post(f"/orders/{order['ref']}/notes/{note.pk}/edit/", {"text": "Not yours."})

    assert response.status_code == 403
    assert OrderNote.objects.count() == 1


def test_deleting_an_order_names_what_goes_with_it(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox)

    confirm = cs_client.get(f"/orders/{seeded['order']['ref']}/delete/").content.decode()

    assert "Its 1 item, 1 contact, 1 consumer and any data extensions are deleted" in confirm


def test_the_confirmation_names_the_audit_entry(
    cs_client: Client, super_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)

    done = cs_client.post(
        f"/orders/{order['ref']}/edit/", order_form_data(order, price="2"), follow=True
    )
    intent = AuditEntry.objects.get(phase="intent")
    assert f"Recorded in the audit trail as entry #{intent.pk}." in done.content.decode()

    order = sandbox.state.get_order(order["ref"])
    done = super_client.post(
        f"/orders/{order['ref']}/edit/", order_form_data(order, price="3"), follow=True
    )
    latest = AuditEntry.objects.filter(phase="intent").latest("id")
    assert f'href="/audit/{latest.pk}/"' in done.content.decode()


def test_replace_all_fields_says_which_hidden_fields_it_would_clear(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox)
    contact = sandbox.state.create_contact(
        order["ref"], {"firstName": "Ann", "passportExpiry": "2030-01-01T00:00:00Z"}
    )

    page = cs_client.get(f"/orders/{order['ref']}/contacts/{contact['ref']}/edit/")

    help_text = page.content.decode().split('id="replace-help"')[1].split("</p>")[0]
    assert "this form does not show: passportExpiry" in help_text
