"""Bench: cdpadmin under the load of real staff (an open model, Locust), and its capacity.

The open model (tests/bench/locustfile.py): N signed-in staff, each in a loop of search →
order page → an order edit or a grid save, thinking 10 s ± 3 s between steps, for N = 50,
200 and 500, sandbox at 20 ms. Each N runs for its ramp-up (10 s) plus BENCH_LOAD_SECONDS
(50), statistics reset when everyone has arrived. Its baseline is one member of staff doing
the same journey with 0.2 s of thought, alone on the app, for 15 s just before, so the two
sides of each ratio are measured close in time. Reported per N and step: p50 and p95 (ms),
failures; the p95 of every request of the run against its baseline's (the verdict: a step
seen a hundred times has a p95 at the mercy of one hiccup of the shared machine) and the
worst step's; and the largest N whose p95 stays within 1.5× its baseline's, with no failure.

The closed loop (wrk, as before) is kept as a capacity figure: order pages per second
with 50 connections and no think time, divided by the machine's cores.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.web import ROOT, Stack, new_session_key, run_wrk

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
STEPS = ("search", "order_page", "edit_form", "edit_save", "grid_row_edit", "grid_save")
RAMP_S = 10
ALONE_S = 15
WITHIN = 1.5
MIN_SAMPLES = 20  # a step seen fewer times in a run has no meaningful p95
NO_REQUESTS = {"requests": 0.0, "failures": 0.0, "p50_ms": 0.0, "p95_ms": 0.0}


def staff_user() -> Any:
    """A member of staff as the roles give them: customer service and marketing."""
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench-staff")
    user.groups.set(Group.objects.filter(name__in=("Customer service", "Marketing")))
    return user


def prepare_staff(stack: Stack, count: int, session_key: Callable[[], str]) -> list[dict[str, Any]]:
    """`count` members of staff, each with a session and two orders of one referenceId.

    The first order has a data extension with the pair the grid step changes.
    """
    from orders.cdp import CdpClient

    client = CdpClient(
        base_url=stack.sandbox_url,
        client_key="sandbox-client-key",
        api_token="sandbox-api-token",
        retries=0,
    )
    staff = []
    try:
        for n in range(count):
            reference_id = f"BENCH-STAFF-{n:04d}"
            own = stack.create_order(referenceId=reference_id)
            stack.create_order(referenceId=reference_id, orderedAt="2026-06-01T10:00:00Z")
            client.order_extension_create(own["ref"], {"loadCounter": 0})
            staff.append(
                {"session": session_key(), "reference_id": reference_id, "order_ref": own["ref"]}
            )
    finally:
        client.close()
    return staff


def run_locust(
    app_url: str, staff_file: str, users: int, seconds: float, think_s: float, jitter_s: float
) -> dict[str, dict[str, float]]:
    """One headless Locust run; per step: requests, failures, p50 and p95 (ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = str(Path(tmp) / "run")
        env = {
            **os.environ,
            "BENCH_LOCUST_STAFF": staff_file,
            "BENCH_LOCUST_THINK_S": str(think_s),
            "BENCH_LOCUST_JITTER_S": str(jitter_s),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "--locustfile",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                app_url,
                "--users",
                str(users),
                "--spawn-rate",
                str(max(1.0, users / RAMP_S)),
                "--run-time",
                f"{int(RAMP_S + seconds)}s",
                "--reset-stats",
                "--only-summary",
                "--stop-timeout",
                "30",
                "--csv",
                prefix,
                "--loglevel",
                "ERROR",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=RAMP_S + seconds + 120,
            check=False,  # Locust exits 1 when any request failed; the failures are counted
        )
        with open(f"{prefix}_stats.csv", newline="") as stats:
            rows = list(csv.DictReader(stats))
    steps = {}
    for row in rows:
        name = "all" if row["Name"] == "Aggregated" else row["Name"]
        if name in (*STEPS, "all"):
            steps[name] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
            }
    return steps


def measure_staff_load(stack: Stack) -> tuple[dict[str, Any], list[str], str]:
    staff_counts = [int(n) for n in os.environ.get("BENCH_LOAD_STAFF", "50,200,500").split(",")]
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "50"))
    user = staff_user()
    figures: dict[str, Any] = {}

    staff = prepare_staff(stack, max(staff_counts), lambda: new_session_key(user))
    stack.sandbox_config(latency_ms=20)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as staff_file:
        json.dump(staff, staff_file)
    try:
        # Each crowd is compared with one member of staff alone measured just before it, so
        # a change in what else the machine is doing falls on both sides.
        runs = {
            count: (
                run_locust(stack.app_url, staff_file.name, 1, ALONE_S, think_s=0.2, jitter_s=0.1),
                run_locust(stack.app_url, staff_file.name, count, seconds, think_s=10, jitter_s=3),
            )
            for count in staff_counts
        }
    finally:
        os.unlink(staff_file.name)

    within = 0
    errors = 0.0
    for count, (alone, steps) in runs.items():
        failures = (
            alone.get("all", NO_REQUESTS)["failures"] + steps.get("all", NO_REQUESTS)["failures"]
        )
        errors += failures
        ratios = {
            step: stats["p95_ms"] / alone[step]["p95_ms"]
            for step, stats in steps.items()
            if step in alone and stats["requests"] >= MIN_SAMPLES
        }
        overall = ratios.pop("all", None)
        for label, measured in ((f"1_staff_before_{count}", alone), (f"{count}_staff", steps)):
            for step, stats in measured.items():
                figures[f"load_{label}_{step}_p50_p95_ms"] = (
                    f"{stats['p50_ms']:.0f} {stats['p95_ms']:.0f}"
                )
        worst = max(ratios, key=ratios.__getitem__) if ratios else ""
        figures[f"load_{count}_staff_p95_ratio"] = "too few" if overall is None else overall
        figures[f"load_{count}_staff_worst_step_p95_ratio"] = (
            f"{ratios[worst]:.2f} ({worst})" if worst else "too few"
        )
        figures[f"load_{count}_staff_requests_per_s"] = (
            steps.get("all", NO_REQUESTS)["requests"] / seconds
        )
        figures[f"load_{count}_staff_errors"] = failures
        if overall is not None and failures == 0 and overall <= WITHIN:
            within = count
    figures["load_staff_within_1_5x_p95"] = within
    figures["load_errors"] = errors
    stack.sandbox_config(latency_ms=0)
    return figures, [member["session"] for member in staff], staff[0]["order_ref"]


def measure_capacity(stack: Stack, sessions: list[str], order_ref: str) -> dict[str, float]:
    """Order pages per second per core with 50 connections and no think time (saturated)."""
    stack.sandbox_config(latency_ms=20)
    crowd = run_wrk(f"{stack.app_url}/orders/{order_ref}/", sessions[:50], 15)
    stack.sandbox_config(latency_ms=0)
    return {
        "capacity_order_pages_per_s_per_core": crowd["requests_per_s"] / (os.cpu_count() or 1),
        "capacity_errors": crowd["errors"],
    }
