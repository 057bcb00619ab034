"""Audit trail at scale: list and filter query times and the export's peak memory.

`measure_audit(rows)` makes sure the audit table holds `rows` rows (seeding the difference
with `seed_audit`), then times the pages a reviewer opens and streams the whole export under
tracemalloc. Run on its own it uses a dedicated database, `<DATABASE_URL's name>_bench`, so
a real trail is never filled with seed rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
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


def ensure_audit_rows(rows: int) -> None:
    """Seed the audit table up to `rows` rows (a minute or two for a million, once)."""
    from orders.management.commands.seed_audit import seed_audit
    from orders.models import AuditEntry

    have = AuditEntry.objects.count()
    if have < rows:
        seed_audit(rows=rows - have)


def filter_variants() -> dict[str, dict[str, Any]]:
    """One realistic value for every audit filter (each outcome value on its own), by name.

    Values are taken from the trail itself, so each filter alone finds rows.
    """
    from orders.models import AuditEntry
    from orders.selectors import Outcome

    newest = AuditEntry.objects.order_by("-id").values("at", "order_ref")[200]
    oldest = AuditEntry.objects.order_by("id").values("at")[0]
    user = AuditEntry.objects.exclude(actor=None).order_by("-id").values("actor_username")[0]
    variants: dict[str, dict[str, Any]] = {
        "username": {"username": user["actor_username"]},
        "action": {"action": "orders.order_extension.set"},
        "resource_type": {"resource_type": "order_extension"},
        "order_ref": {"order_ref": newest["order_ref"]},
        "key": {"key": "loyaltyTier"},
        "since": {"since": (newest["at"] - dt.timedelta(days=1)).date()},
        "until": {"until": oldest["at"].date()},
    }
    for value, _ in Outcome.CHOICES:
        variants[f"outcome={value}"] = {"outcome": value}
    return variants


def filter_pairs(variants: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every pair of two different filters (two outcome values cannot be combined)."""
    pairs = {}
    for (a, first), (b, second) in itertools.combinations(variants.items(), 2):
        if first.keys() & second.keys():
            continue
        pairs[f"{a}+{b}"] = {**first, **second}
    return pairs


def measure_checkpoints(
    rows: int = 1_000_000, runs: int = 15, *, own_database: bool = True
) -> dict[str, float]:
    """Milliseconds to take a signed checkpoint, and seconds to verify against them, at `rows`.

    `checkpoint_ms` is the steady state (one row added since the previous checkpoint, as the
    worker sees it); `checkpoint_first_ms` is the very first one, which counts the rows once.
    """
    if own_database:
        use_bench_database()
    from django.test import override_settings

    from orders.audit import append_entry
    from orders.checkpoints import Verifier, generate_key
    from orders.models import AuditCheckpoint
    from orders.services.checkpoints import checkpoint_take, verify_with_checkpoints

    ensure_audit_rows(rows)
    with tempfile.TemporaryDirectory() as folder:
        key = generate_key(Path(folder) / "key.pem")
        directory = Path(folder) / "checkpoints"
        origin = "bench.invalid/audit"
        with override_settings(
            AUDIT_SIGNING_KEY_FILE=str(Path(folder) / "key.pem"),
            AUDIT_CHECKPOINT_DIR=str(directory),
            AUDIT_CHECKPOINT_ORIGIN=origin,
        ):
            AuditCheckpoint.objects.all().delete()
            started = time.perf_counter()
            checkpoint_take()
            first_ms = (time.perf_counter() - started) * 1000
            timings = []
            for n in range(runs):
                append_entry(action="bench.checkpoint", phase="observed", resource_type="bench")
                started = time.perf_counter()
                assert checkpoint_take() is not None, n
                timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            report = verify_with_checkpoints(
                directory=directory, verifier=Verifier.for_key(origin, key.public_key())
            )
            verify_s = time.perf_counter() - started
    assert report.ok, report.violations or report.chain.first_break
    return {
        "checkpoint_ms": round(statistics.median(timings), 2),
        "checkpoint_first_ms": round(first_ms, 2),
        "verify_with_checkpoints_s": round(verify_s, 1),
        "verify_with_checkpoints_rows": float(report.total_rows),
        "verify_with_checkpoints_count": float(report.checkpoints),
    }


def measure_audit(
    rows: int = 1_000_000, runs: int = 5, *, own_database: bool = True
) -> dict[str, Any]:
    """Median milliseconds for the first and filtered pages, and the export's peak MB.

    Every filter alone and every pair of filters is timed; the slowest of each is named.
    `own_database=False` uses whatever database Django is already connected to (tests).
    """
    if own_database:
        use_bench_database()
    from orders.selectors import AuditFilters, audit_entries
    from orders.views.audit import export_lines

    ensure_audit_rows(rows)
    variants = filter_variants()

    def page(**filters: Any) -> Callable[[], Any]:
        return lambda: list(audit_entries(filters=AuditFilters(**filters)))

    results: dict[str, Any] = {
        "audit_first_page_ms": _median_ms(page(), runs),
        "audit_filtered_page_ms": _median_ms(page(**variants["order_ref"]), runs),
        "audit_user_filtered_page_ms": _median_ms(page(**variants["username"]), runs),
        "audit_key_filtered_page_ms": _median_ms(page(**variants["key"]), runs),
        "audit_failure_filtered_page_ms": _median_ms(page(**variants["outcome=failure"]), runs),
        "audit_observed_filtered_page_ms": _median_ms(page(**variants["outcome=observed"]), runs),
    }
    for label, filters in (("filter", variants), ("filter_pair", filter_pairs(variants))):
        # Three runs each (there are some sixty): the worst is what matters, not the third digit.
        timings = {name: _median_ms(page(**f), min(runs, 3)) for name, f in filters.items()}
        worst = max(timings, key=timings.__getitem__)
        results[f"audit_worst_{label}_ms"] = timings[worst]
        results[f"audit_worst_{label}"] = worst
        results[f"audit_{label}s_over_50ms"] = (
            ", ".join(
                f"{name} {ms:.0f}"
                for name, ms in sorted(timings.items(), key=lambda t: -t[1])
                if ms > 50
            )
            or "none"
        )
    tracemalloc.start()
    lines = sum(1 for _ in export_lines(AuditFilters()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["audit_export_peak_mb"] = round(peak / 2**20, 2)
    results["audit_export_lines"] = float(lines)
    return results


if __name__ == "__main__":
    import sys

    # `python -m tests.bench.audit [ROWS] [--checkpoints]`: the audit figures, or only the
    # checkpoint ones.
    count = next((int(arg) for arg in sys.argv[1:] if arg.isdigit()), 1_000_000)
    measure = measure_checkpoints if "--checkpoints" in sys.argv else measure_audit
    for name, value in measure(count).items():
        print(f"{name}: {value}")
