"""Changes made to CDP outside cdpadmin show up in the trail, once per change."""

from __future__ import annotations

import pytest

from orders.audit import append_entry
from orders.cdp import CdpNotFound, get_client
from orders.models import AuditEntry
from orders.services import order_extension_set, order_update
from orders.services.observed import (
    observe_order,
    order_outside_changes_record,
    outside_changes_snapshot,
)
from tests.factories import seed_order

pytestmark = pytest.mark.integration


def read_and_observe(order_ref: str) -> list[AuditEntry]:
    client = get_client()
    try:
        extension = client.order_extension_get(order_ref)
    except CdpNotFound:
        extension = None
    return observe_order(order=client.order_get(order_ref), extension=extension)


def observed_rows() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(phase=AuditEntry.Phase.OBSERVED).order_by("id"))


def test_an_outside_change_after_a_recorded_one_is_recorded_once(sandbox, cs_user) -> None:
    order = seed_order(sandbox, price=120, status="PURCHASED")
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    written = read_and_observe(order["ref"])
    again = read_and_observe(order["ref"])

    (entry,) = written
    assert again == []
    assert observed_rows() == [entry]
    assert entry.actor is None
    assert entry.action == "orders.order.observed_change"
    assert (entry.before["status"], entry.after["status"]) == ("PURCHASED", "CANCELLED")
    assert entry.before["price"] == entry.after["price"] == 99


def test_reading_an_order_cdpadmin_just_changed_records_nothing(sandbox, cs_user) -> None:
    order = seed_order(sandbox)
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    order_extension_set(
        actor=cs_user,
        order_ref=order["ref"],
        pairs={"loyaltyTier": "gold"},
    )

    assert read_and_observe(order["ref"]) == []


def test_an_order_the_trail_has_never_seen_gets_no_entry(sandbox, db) -> None:
    order = seed_order(sandbox)
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    assert read_and_observe(order["ref"]) == []
    assert AuditEntry.objects.count() == 0


def test_an_outside_change_of_a_key_cdpadmin_set_is_recorded_with_its_type(
    sandbox, marketing_user
) -> None:
    order = seed_order(sandbox)
    order_extension_set(
        actor=marketing_user,
        order_ref=order["ref"],
        pairs={"vip": 0},
    )
    sandbox.state.put_order_extension(order["ref"], {"vip": False, "other": "x"})

    (entry,) = read_and_observe(order["ref"])

    assert entry.action == "orders.order_extension.observed_change"
    assert entry.before == {"vip": 0}
    assert entry.after == {"vip": False, "other": "x"}
    assert read_and_observe(order["ref"]) == []
    sandbox.state.put_order_extension(order["ref"], {"vip": False})
    (removal,) = read_and_observe(order["ref"])
    assert removal.before == {"vip": False, "other": "x"}
    assert removal.after == {"vip": False}


def test_a_row_written_with_seconds_only_date_times_is_no_outside_change(sandbox, cs_user) -> None:
    order = seed_order(sandbox, price=120)
    entry = order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 7}, expected_modified_at=None
    ).entry
    outcome = entry.outcomes.get()
    # Rows from before the one encoder wrote `…:00Z` where it now writes `…:00.000Z`.
    older = {
        key: value.replace(".000Z", "Z") if isinstance(value, str) else value
        for key, value in outcome.after.items()
    }
    append_entry(
        action=outcome.action,
        phase=AuditEntry.Phase.OUTCOME,
        resource_type="order",
        resource_ref=order["ref"],
        order_ref=order["ref"],
        outcome=AuditEntry.Outcome.SUCCESS,
        after=older,
    )

    assert read_and_observe(order["ref"]) == []


def test_an_order_change_is_noticed_behind_a_window_full_of_extension_rows(
    sandbox, cs_user, monkeypatch
) -> None:
    # The order's snapshot and its extension's rows are read together, newest first, up to
    # _MAX_REPLAY rows; when extension rows fill that window the order's row is still found.
    monkeypatch.setattr("orders.services.observed._MAX_REPLAY", 2)
    order = seed_order(sandbox, status="PURCHASED")
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    for tier in ("silver", "gold"):
        order_extension_set(actor=cs_user, order_ref=order["ref"], pairs={"loyaltyTier": tier})
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    (entry,) = read_and_observe(order["ref"])

    assert entry.action == "orders.order.observed_change"
    assert (entry.before["status"], entry.after["status"]) == ("PURCHASED", "CANCELLED")


def test_a_snapshot_read_before_cdpadmin_changed_the_order_records_nothing(
    sandbox, cs_user
) -> None:
    """The order page reads the trail while CDP's answers are on their way."""
    order = seed_order(sandbox, price=120)
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    snapshot = outside_changes_snapshot(order_ref=order["ref"])
    # Another member of staff saves a change between that read and CDP's answer.
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 80}, expected_modified_at=None
    )
    bundle = get_client().order_page(order["ref"])

    assert order_outside_changes_record(bundle=bundle, snapshot=snapshot) == []
    assert observed_rows() == []


def test_an_outside_change_is_recorded_once_from_a_snapshot_read_early(sandbox, cs_user) -> None:
    order = seed_order(sandbox, price=120, status="PURCHASED")
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    snapshot = outside_changes_snapshot(order_ref=order["ref"])
    (entry,) = order_outside_changes_record(
        bundle=get_client().order_page(order["ref"]), snapshot=snapshot
    )
    again = order_outside_changes_record(
        bundle=get_client().order_page(order["ref"]),
        snapshot=outside_changes_snapshot(order_ref=order["ref"]),
    )

    assert again == []
    assert observed_rows() == [entry]
    assert (entry.before["status"], entry.after["status"]) == ("PURCHASED", "CANCELLED")
