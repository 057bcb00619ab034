"""Two people saving the same thing at the same moment: one write wins, the other is told.

Each service re-reads the resource from CDP, compares it with what the user saw and only
then writes. The sandbox slows the re-read down so both threads are inside that window at
once; without serialisation both checks pass and the second write silently overwrites the
first (a lost update). The services hold a PostgreSQL advisory lock per resource around
read-check-write, so the second thread reads after the first wrote and gets the conflict.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from orders.cdp.parsing import parse_datetime
from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services import EditConflict, ServiceError
from orders.services.extensions import KeyConflict, order_extension_set
from orders.services.resources import order_update
from tests.factories import seed_order

pytestmark = pytest.mark.integration
READ_DELAY_S = 0.4


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once, each in its own thread with its own database connection."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[index] = call()
        except (ServiceError, Exception) as exc:  # noqa: BLE001 - the result is the exception
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def writes(sandbox: SandboxServer, method: str) -> list[Any]:
    return [r for r in sandbox.request_log if r.method == method and r.status < 300]


def test_two_people_saving_the_same_order_at_once_write_it_only_once(
    transactional_db: None, sandbox: SandboxServer, cs_user: User, superuser: User
) -> None:
    order = seed_order(sandbox, status="PENDING")
    seen: datetime = parse_datetime(order["modifiedAt"], "modifiedAt")
    sandbox.clear_log()
    # Both re-reads answer slowly, so each thread checks `modifiedAt` before either writes.
    sandbox.inject(status=None, delay_s=READ_DELAY_S, times=2, method="GET")

    def save(actor: User, price: int) -> Callable[[], Any]:
        return lambda: order_update(
            actor=actor,
            order_ref=order["ref"],
            changes={"price": price},
            expected_modified_at=seen,
        )

    results = race(save(cs_user, 101), save(superuser, 202))

    conflicts = [r for r in results if isinstance(r, EditConflict)]
    saved = [r for r in results if not isinstance(r, Exception)]
    assert (len(saved), len(conflicts)) == (1, 1), results
    assert len(writes(sandbox, "PATCH")) == 1
    assert "changed this order at" in conflicts[0].message
    winner_price = saved[0].value.price
    assert sandbox.state.get_order(order["ref"])["price"] == winner_price
    assert AuditEntry.objects.filter(phase="intent").count() == 1


def test_two_people_setting_the_same_extension_key_at_once_write_it_only_once(
    transactional_db: None, sandbox: SandboxServer, marketing_user: User, superuser: User
) -> None:
    order = seed_order(sandbox)
    sandbox.state.put_order_extension(order["ref"], {"loyaltyTier": 2})
    sandbox.clear_log()
    sandbox.inject(status=None, delay_s=READ_DELAY_S, times=2, method="GET")

    def set_tier(actor: User, tier: int) -> Callable[[], Any]:
        return lambda: order_extension_set(
            actor=actor,
            order_ref=order["ref"],
            pairs={"loyaltyTier": tier},
            expected={"loyaltyTier": 2},
        )

    results = race(set_tier(marketing_user, 3), set_tier(superuser, 4))

    conflicts = [r for r in results if isinstance(r, KeyConflict)]
    saved = [r for r in results if not isinstance(r, Exception)]
    assert (len(saved), len(conflicts)) == (1, 1), results
    assert len(writes(sandbox, "PATCH")) == 1
    stored = sandbox.state.get_extension("order", order["ref"], "ext")["loyaltyTier"]
    assert stored == saved[0].value.pairs["loyaltyTier"]
    assert f"set it to {stored}" in conflicts[0].message


def test_different_orders_are_not_held_up_by_each_other(
    transactional_db: None, sandbox: SandboxServer, cs_user: User
) -> None:
    first, second = seed_order(sandbox), seed_order(sandbox, referenceId="OTHER-1")
    sandbox.clear_log()

    results = race(
        *(
            (
                lambda ref=o["ref"]: order_update(
                    actor=cs_user, order_ref=ref, changes={"price": 5}, expected_modified_at=None
                )
            )
            for o in (first, second)
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(writes(sandbox, "PATCH")) == 2
