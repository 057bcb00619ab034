"""Audit trail at scale: list and filter query times and the export's peak memory.

`measure_audit(rows)` makes sure the audit table holds `rows` rows (seeding the difference
with `seed_audit`), then times the pages a reviewer opens and streams the whole export under
tracemalloc. Run on its own it uses a dedicated database, `<DATABASE_URL's name>_bench`, so
a real trail is never filled with seed rows.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def use_bench_database() -> None:
    """Point Django at `<name>_bench` (created if missing) and migrate it."""
    import psycopg

    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdpadmin"))
    name = url.path.lstrip("/")
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    admin_url = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{bench_name}"')
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{bench_name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdpadmin.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _median_ms(action: Callable[[], Any], runs: int) -> float:
    action()  # warm the cache and the connection, as a second visitor would find them
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def measure_audit(
    rows: int = 1_000_000, runs: int = 5, *, own_database: bool = True
) -> dict[str, float]:
    """Median milliseconds for the first and filtered pages, and the export's peak MB.

    `own_database=False` uses whatever database Django is already connected to (tests).
    """
    if own_database:
        use_bench_database()
    from orders.management.commands.seed_audit import seed_audit
    from orders.models import AuditEntry
    from orders.selectors import AuditFilters, audit_entries
    from orders.views.audit import export_lines

    have = AuditEntry.objects.count()
    if have < rows:
        seed_audit(rows=rows - have)
    sample = AuditEntry.objects.filter(phase="intent").order_by("-id").values("order_ref")[200]
    user = AuditEntry.objects.exclude(actor=None).order_by("-id").values("actor_username")[0]

    def page(**filters: Any) -> Callable[[], Any]:
        return lambda: list(audit_entries(filters=AuditFilters(**filters)))

    results = {
        "audit_first_page_ms": _median_ms(page(), runs),
        "audit_filtered_page_ms": _median_ms(page(order_ref=sample["order_ref"]), runs),
        "audit_user_filtered_page_ms": _median_ms(page(username=user["actor_username"]), runs),
        "audit_key_filtered_page_ms": _median_ms(page(key="loyaltyTier"), runs),
        "audit_failure_filtered_page_ms": _median_ms(page(outcome="failure"), runs),
        "audit_observed_filtered_page_ms": _median_ms(page(outcome="observed"), runs),
    }
    tracemalloc.start()
    lines = sum(1 for _ in export_lines(AuditFilters()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["audit_export_peak_mb"] = round(peak / 2**20, 2)
    results["audit_export_lines"] = float(lines)
    return results


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for name, value in measure_audit(count).items():
        print(f"{name}: {value}")
