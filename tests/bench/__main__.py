"""`make bench`: every performance figure of cdpadmin, printed as `name: value` lines.

Runs against a dedicated PostgreSQL database (`<DATABASE_URL's name>_bench`), a sandbox and
gunicorn started for the purpose. Knobs (environment): BENCH_AUDIT_ROWS (default 1000000),
BENCH_BULK_ORDERS (1000), BENCH_RATE_LIMIT (50 requests/s), BENCH_LOAD_STAFF (50,200,500),
BENCH_LOAD_SECONDS (50), BENCH_ONLY (a comma-separated subset of the sections: pages, writes, load,
audit_write, bulk, audit, checkpoints). See docs/bench.md for how to read the figures.
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


SECTIONS = ("pages", "writes", "load", "audit_write", "bulk", "audit", "checkpoints")


def main() -> int:
    from tests.bench.audit import ensure_audit_rows, use_bench_database

    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        sys.exit(f"BENCH_ONLY: unknown sections {sorted(unknown)}; use {', '.join(SECTIONS)}")
    run = set(only or SECTIONS)
    use_bench_database()
    audit_rows = int(os.environ.get("BENCH_AUDIT_ROWS", "1000000"))
    # Before the web figures, so the audit list page is measured at full size too.
    ensure_audit_rows(audit_rows)
    from django.contrib.auth.models import User

    from tests.bench import web

    database_url = os.environ["DATABASE_URL"]
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})

    if run & {"pages", "writes", "load"}:
        with web.web_stack(database_url) as stack:
            if "pages" in run:
                session = web.signed_in_session(stack.app_url, web.new_session_key(user))
                emit(web.measure_pages(stack, session))
            if "writes" in run:
                session = web.signed_in_session(stack.app_url, web.new_session_key(user))
                emit(web.measure_writes(stack, session))
            if "load" in run:
                from tests.bench.load import measure_capacity, measure_staff_load

                figures, sessions, order_ref = measure_staff_load(stack)
                emit(figures)
                emit(measure_capacity(stack, sessions, order_ref))

    if "audit_write" in run:
        emit(measure_audit_write_overhead())

    if "bulk" in run:
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

    if "audit" in run:
        from tests.bench.audit import measure_audit

        emit(measure_audit(audit_rows, own_database=False))

    if "checkpoints" in run:
        from tests.bench.audit import measure_checkpoints

        emit(measure_checkpoints(audit_rows, own_database=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
