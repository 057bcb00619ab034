"""`make bench`: every performance figure of cdpadmin, printed as `name: value` lines.

Runs against a dedicated PostgreSQL database (`<DATABASE_URL's name>_bench`), a sandbox and
gunicorn started for the purpose. Knobs (environment): BENCH_AUDIT_ROWS (default 1000000),
BENCH_BULK_ORDERS (1000), BENCH_RATE_LIMIT (50 requests/s), BENCH_LOAD_USERS (50),
BENCH_LOAD_SECONDS (60). See docs/bench.md for how to read the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any


def emit(figures: dict[str, Any]) -> None:
    for name, value in figures.items():
        print(f"{name}: {round(value, 3) if isinstance(value, float) else value}", flush=True)


def measure_audit_write_overhead(runs: int = 200) -> dict[str, float]:
    """Milliseconds a mutation spends writing its intent and outcome rows."""
    from orders.audit import append_entry

    payload = {"price": 10, "status": "CONFIRMED"}
    timings = []
    for n in range(runs):
        started = time.perf_counter()
        intent = append_entry(
            action="orders.order.patch",
            phase="intent",
            resource_type="order",
            resource_ref=f"00000000-0000-4000-8000-{n:012d}",
            method="PATCH",
            request_payload=payload,
            before=payload,
        )
        append_entry(
            action="orders.order.patch",
            phase="outcome",
            resource_type="order",
            resource_ref=intent.resource_ref,
            intent=intent,
            outcome="success",
            cdp_status=200,
            after=payload,
        )
        timings.append((time.perf_counter() - started) * 1000)
    return {"audit_write_overhead_ms": statistics.median(timings)}


def main() -> int:
    from tests.bench.audit import use_bench_database

    use_bench_database()
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from tests.bench import web

    database_url = os.environ["DATABASE_URL"]
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})

    def new_session_key() -> str:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        return str(store.session_key)

    with web.web_stack(database_url) as stack:
        session = web.signed_in_session(stack.app_url, new_session_key())
        emit(web.measure_pages(stack, session))
        emit(
            web.measure_load(
                stack,
                new_session_key,
                users=int(os.environ.get("BENCH_LOAD_USERS", "50")),
                seconds=float(os.environ.get("BENCH_LOAD_SECONDS", "60")),
            )
        )

    emit(measure_audit_write_overhead())

    from tests.bench.bulk import measure_bulk_throughput

    bulk = measure_bulk_throughput(
        orders=int(os.environ.get("BENCH_BULK_ORDERS", "1000")),
        rate_limit_per_s=float(os.environ.get("BENCH_RATE_LIMIT", "50")),
        latency_ms=100,
    )
    emit(
        {
            "bulk_throughput_vs_rate_limit": bulk["bulk_throughput_vs_rate_limit"],
            "bulk_request_throughput_vs_rate_limit": bulk["request_throughput_vs_rate_limit"],
            "bulk_orders_per_s": bulk["orders_per_s"],
        }
    )

    from tests.bench.audit import measure_audit, measure_checkpoints

    audit_rows = int(os.environ.get("BENCH_AUDIT_ROWS", "1000000"))
    emit(measure_audit(audit_rows, own_database=False))
    emit(measure_checkpoints(audit_rows, own_database=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
