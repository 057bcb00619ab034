"""Key suggestions count each key's types over recent writes, kept up to date as writes come."""

from __future__ import annotations

from collections import defaultdict

import pytest

from orders import ext_grid
from orders.ext_grid import _count_since, _Counted, key_usage
from orders.services.extensions import ORDER_EXTENSION
from tests.orders.audit_helpers import record_change

pytestmark = pytest.mark.integration

ORDERS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(1, 5)]


def write(actor, order_ref: str, pairs: dict) -> None:  # type: ignore[no-untyped-def]
    record_change(
        actor=actor,
        action="orders.order_extension.set",
        resource_type="order_extension",
        order_ref=order_ref,
        payload=pairs,
        after=pairs,
    )


def counts() -> dict[str, dict[str, int]]:
    return {key: dict(usage.counts) for key, usage in key_usage(ORDER_EXTENSION).items()}


def test_writes_made_after_a_count_are_added_to_it(marketing_user) -> None:
    write(marketing_user, ORDERS[0], {"tier": "gold", "visits": 3})
    assert counts() == {"tier": {"string": 1}, "visits": {"integer": 1}}

    write(marketing_user, ORDERS[1], {"tier": "silver"})
    write(marketing_user, ORDERS[2], {"tier": 2})
    write(marketing_user, ORDERS[1], {"tier": "bronze"})  # the same order again

    assert counts() == {"tier": {"string": 2, "integer": 1}, "visits": {"integer": 1}}
    usage = key_usage(ORDER_EXTENSION)["tier"]
    assert (usage.usual_type, usage.usual_count) == ("string", 2)
    assert counts() == {
        key: dict(u.counts) for key, u in _count_since(ORDER_EXTENSION.name, None).usage.items()
    }


def test_a_count_whose_last_row_is_gone_is_made_again(marketing_user) -> None:
    write(marketing_user, ORDERS[0], {"tier": "gold"})
    ghost = defaultdict(set, {("ghost", "string"): {ORDERS[3]}})
    ext_grid._usage_counted[ORDER_EXTENSION.name] = _Counted(
        10**12, 1, ghost, ext_grid._usage_of(ghost)
    )

    assert counts() == {"tier": {"string": 1}}
