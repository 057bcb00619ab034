"""Fill the audit trail with realistic rows, fast, for measurements (never on a real trail).

Rows go in with PostgreSQL's COPY in one transaction, holding the chain's advisory lock, and
each row's hash is computed here, so `verify_audit` passes afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from orders.audit import CHAIN_LOCK_KEY, GENESIS_HASH, HASHED_FIELDS, compute_hash
from orders.cdp.paths import path as cdp_path
from orders.models import AuditEntry

COLUMNS = ("id", "hash", *HASHED_FIELDS)
JSON_COLUMNS = ("request_payload", "before", "after")
KEYS = (
    "loyaltyTier",
    "seatPreference",
    "mealCode",
    "promo",
    "vip",
    "campaign",
    "segment",
    "upgradeOffered",
    "npsScore",
    "refundReason",
    "channelOptIn",
    "fareFamily",
)
STATUSES = ("PENDING", "PURCHASED", "CONFIRMED", "CANCELLED", "REFUNDED")


def _ref(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Generator:
    """Produces rows in chain order: changes (intent + outcome), some observed changes."""

    def __init__(self, *, seed: int, users: list[Any], orders: int, start: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.users = users
        self.order_refs = [_ref(self.rng) for _ in range(orders)]
        self.at = start

    def _value(self) -> Any:
        return self.rng.choice(
            [
                self.rng.choice(["gold", "silver", "aisle", "window"]),
                self.rng.randint(0, 10),
                self.rng.random() < 0.5,
                round(self.rng.random() * 100, 2),
            ]
        )

    def change(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """One change: the intent's columns and the outcome's (None: outcome unknown)."""
        rng = self.rng
        user = rng.choice(self.users)
        order_ref = rng.choice(self.order_refs)
        kind = rng.random()
        common: dict[str, Any] = {
            "actor_id": user.pk,
            "actor_username": user.get_username(),
            "order_ref": order_ref,
            "request_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        }
        if kind < 0.45:
            price, status = rng.randint(10, 2000), rng.choice(STATUSES)
            before = {
                "ref": order_ref,
                "price": rng.randint(10, 2000),
                "status": "PENDING",
                "currencyCode": "EUR",
                "referenceId": f"PNR{rng.randint(0, 10**6):06d}",
            }
            payload = {"price": price, "status": status}
            intent = {
                **common,
                "action": "orders.order.patch",
                "resource_type": "order",
                "resource_ref": order_ref,
                "method": "PATCH",
                "cdp_path": cdp_path("orders", order_ref),
                "request_payload": payload,
                "before": before,
            }
            after = {**before, **payload}
        elif kind < 0.85:
            key = rng.choice(KEYS)
            deleting = rng.random() < 0.2
            old = {key: self._value()} if rng.random() < 0.6 else {}
            path = cdp_path("orders", order_ref, "extensions", "ext")
            if deleting:
                intent = {
                    **common,
                    "action": "orders.order_extension.delete_keys",
                    "method": "DELETE",
                    "cdp_path": f"{path}/fields?name={key}",
                    "request_payload": None,
                    "before": old,
                }
                after = {}
            else:
                new = {key: self._value()}
                intent = {
                    **common,
                    "action": "orders.order_extension.set",
                    "method": "PATCH",
                    "cdp_path": path,
                    "request_payload": new,
                    "before": old,
                }
                after = new
            intent.update(resource_type="order_extension", resource_ref=order_ref)
        else:
            item_ref = _ref(rng)
            intent = {
                **common,
                "action": "orders.order_item.patch",
                "resource_type": "order_item",
                "resource_ref": item_ref,
                "method": "PATCH",
                "cdp_path": cdp_path("orderItems", item_ref),
                "request_payload": {"quantity": rng.randint(1, 4)},
                "before": {"ref": item_ref, "quantity": 1, "name": "DUB-LHR Flight"},
            }
            after = {**intent["before"], **intent["request_payload"]}
        roll = rng.random()
        if roll < 0.01:
            return intent, None
        outcome = {
            k: intent[k]
            for k in (
                "actor_id",
                "actor_username",
                "action",
                "resource_type",
                "resource_ref",
                "order_ref",
                "method",
                "cdp_path",
                "request_id",
            )
        }
        if roll < 0.05:
            outcome.update(outcome="failure", cdp_status=400, error_message="Invalid value.")
        else:
            outcome.update(outcome="success", cdp_status=200, after=after)
        return intent, outcome

    def observed(self) -> dict[str, Any]:
        order_ref = self.rng.choice(self.order_refs)
        return {
            "action": "orders.order.observed_change",
            "resource_type": "order",
            "resource_ref": order_ref,
            "order_ref": order_ref,
            "before": {"ref": order_ref, "status": "PURCHASED"},
            "after": {"ref": order_ref, "status": self.rng.choice(STATUSES)},
        }

    def tick(self) -> dt.datetime:
        self.at += dt.timedelta(milliseconds=self.rng.randint(1, 400))
        return self.at


def chained_rows(
    gen: Generator, count: int, next_id: int, prev_hash: str
) -> Iterator[tuple[Any, ...]]:
    """`count` rows with ids from `next_id`, chained onto `prev_hash`, as COPY tuples."""
    made = 0

    def finish(values: dict[str, Any]) -> tuple[Any, ...]:
        nonlocal next_id, prev_hash, made
        row: dict[str, Any] = dict.fromkeys(HASHED_FIELDS)
        row.update(
            dict.fromkeys(
                (
                    "actor_username",
                    "resource_ref",
                    "order_ref",
                    "method",
                    "cdp_path",
                    "outcome",
                    "error_message",
                    "request_id",
                    "job_id",
                ),
                "",
            )
        )
        row.update(values, at=gen.tick(), prev_hash=prev_hash)
        row["hash"] = compute_hash(row)
        row["id"] = next_id
        prev_hash = row["hash"]
        next_id += 1
        made += 1
        return tuple(
            json.dumps(row[name]) if name in JSON_COLUMNS and row[name] is not None else row[name]
            for name in COLUMNS
        )

    while made < count:
        if gen.rng.random() < 0.03:
            yield finish({**gen.observed(), "phase": "observed"})
            continue
        intent, outcome = gen.change()
        intent_id = next_id
        yield finish({**intent, "phase": "intent"})
        if outcome is not None and made < count:
            yield finish({**outcome, "phase": "outcome", "intent_id": intent_id})


class Command(BaseCommand):
    help = "Append N realistic, correctly chained audit rows (for benchmarks and demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--orders", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        appended = seed_audit(rows=options["rows"], orders=options["orders"], seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Appended {appended} audit rows in {elapsed:.1f} s.")


def seed_users(count: int = 20) -> list[Any]:
    user_model = get_user_model()
    return [
        user_model.objects.get_or_create(username=f"seed-staff-{n:02d}")[0] for n in range(count)
    ]


def seed_audit(*, rows: int, orders: int = 50_000, seed: int = 1) -> int:
    """Append `rows` chained rows to the audit table with COPY; returns how many."""
    users = seed_users()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        head = AuditEntry.objects.order_by("-id").values_list("id", "hash", "at").first()
        next_id = head[0] + 1 if head else 1
        start = head[2] if head else timezone.now() - dt.timedelta(days=365)
        gen = Generator(seed=seed + next_id, users=users, orders=orders, start=start)
        sql = f"COPY orders_auditentry ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in chained_rows(gen, rows, next_id, head[1] if head else GENESIS_HASH):
                copy.write_row(row)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('orders_auditentry', 'id'), %s)",
            [next_id + rows - 1],
        )
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner judges a million rows by the empty table's; and
        # the visibility map autovacuum would set on a real trail, so index-only scans are.
        # (VACUUM cannot run inside a transaction, as in a test.)
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{vacuum} orders_auditentry")
        # The open intents' table took and lost an intent for every change the rows brought,
        # all at once: rewritten to the few it keeps, the size steady churn leaves it at.
        full = "ANALYZE" if connection.in_atomic_block else "VACUUM FULL ANALYZE"
        cursor.execute(f"{full} orders_openintent")
    return rows
