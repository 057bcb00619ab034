"""Reverting recorded changes: re-read CDP, put back "before", refuse when CDP moved on."""

from __future__ import annotations

import pytest

from orders.models import AuditEntry, BulkJob
from orders.services import order_extension_delete_keys, order_extension_set, order_update
from orders.services.revert import (
    NotRevertable,
    RevertRefused,
    revert_bulk_job,
    revert_entry,
    revert_plan,
)
from tests.factories import seed_order

pytestmark = pytest.mark.integration


def change_price(actor, order_ref: str, price) -> AuditEntry:
    return order_update(
        actor=actor, order_ref=order_ref, changes={"price": price}, expected_modified_at=None
    ).entry


def test_reverting_a_price_change_puts_the_old_price_back_as_a_linked_change(
    sandbox, superuser
) -> None:
    order = seed_order(sandbox, price=120)
    entry = change_price(superuser, order["ref"], 99)

    done = revert_entry(actor=superuser, entry=entry)

    assert sandbox.state.get_order(order["ref"])["price"] == 120
    assert done[0].entry.reverts == entry
    assert done[0].entry.action == "orders.order.patch"
    assert done[0].entry.outcomes.get().outcome == AuditEntry.Outcome.SUCCESS


def test_revert_is_refused_when_someone_changed_the_value_since(sandbox, superuser) -> None:
    order = seed_order(sandbox, price=120)
    entry = change_price(superuser, order["ref"], 99)
    sandbox.state.touch_order(order["ref"], price=80)
    rows_before = AuditEntry.objects.count()

    with pytest.raises(RevertRefused) as refused:
        revert_entry(actor=superuser, entry=entry)

    (row,) = refused.value.plan.rows
    assert (row.name, row.before, row.after, row.now) == ("price", 120, 99, 80)
    assert "“price” changed in CDP" in refused.value.message
    assert sandbox.state.get_order(order["ref"])["price"] == 80
    assert AuditEntry.objects.count() == rows_before


def test_the_plan_compares_exact_json_so_zero_and_false_differ(sandbox, superuser) -> None:
    order = seed_order(sandbox)
    sandbox.state.put_order_extension(order["ref"], {"vip": 0})
    entry = order_extension_set(
        actor=superuser,
        order_ref=order["ref"],
        pairs={"vip": 1},
    ).entry
    sandbox.state.put_order_extension(order["ref"], {"vip": True})

    plan = revert_plan(entry=entry)

    assert not plan.possible
    assert plan.changed_since == ["vip"]


def test_reverting_an_extension_set_restores_old_values_and_removes_added_keys(
    sandbox, superuser
) -> None:
    order = seed_order(sandbox)
    sandbox.state.put_order_extension(order["ref"], {"loyaltyTier": "silver", "keep": 1})
    entry = order_extension_set(
        actor=superuser,
        order_ref=order["ref"],
        pairs={"loyaltyTier": "gold", "newKey": False},
    ).entry

    done = revert_entry(actor=superuser, entry=entry)

    ext = sandbox.state.get_extension("order", order["ref"], "ext")
    pairs = {k: v for k, v in ext.items() if k in ("loyaltyTier", "keep", "newKey")}
    assert pairs == {"loyaltyTier": "silver", "keep": 1}
    assert [d.entry.action for d in done] == [
        "orders.order_extension.set",
        "orders.order_extension.delete_keys",
    ]
    assert all(d.entry.reverts == entry for d in done)


def test_reverting_a_key_removal_sets_the_key_again(sandbox, superuser) -> None:
    order = seed_order(sandbox)
    sandbox.state.put_order_extension(order["ref"], {"loyaltyTier": "silver", "keep": 1})
    entry = order_extension_delete_keys(
        actor=superuser,
        order_ref=order["ref"],
        keys=["loyaltyTier"],
    ).entry

    revert_entry(actor=superuser, entry=entry)

    assert sandbox.state.get_extension("order", order["ref"], "ext")["loyaltyTier"] == "silver"


def test_a_failed_change_or_a_create_cannot_be_reverted(sandbox, superuser) -> None:
    order = seed_order(sandbox)
    with pytest.raises(Exception):  # noqa: B017 - CDP refuses the value; any error will do
        change_price(superuser, order["ref"], "not a number")
    failed = AuditEntry.objects.filter(phase=AuditEntry.Phase.INTENT).latest("id")

    with pytest.raises(NotRevertable):
        revert_entry(actor=superuser, entry=failed)
    outcome = failed.outcomes.get()
    with pytest.raises(NotRevertable):
        revert_entry(actor=superuser, entry=outcome)


def test_reverting_a_bulk_job_reverts_each_order_and_reports_refusals(sandbox, superuser) -> None:
    first, second = seed_order(sandbox), seed_order(sandbox, referenceId="B94TXY-2")
    job = BulkJob.objects.create(created_by=superuser, set_pairs={"promo": "spring"})
    for order in (first, second):
        order_extension_set(
            actor=superuser,
            order_ref=order["ref"],
            pairs={"promo": "spring"},
            job_id=str(job.id),
        )
    sandbox.state.put_order_extension(second["ref"], {"promo": "summer"})

    result = revert_bulk_job(actor=superuser, job=job)

    assert [e.order_ref for e in result.reverted] == [first["ref"]]
    assert [e.order_ref for e, _ in result.refused] == [second["ref"]]
    assert "promo" not in sandbox.state.get_extension("order", first["ref"], "ext")
    assert sandbox.state.get_extension("order", second["ref"], "ext")["promo"] == "summer"
