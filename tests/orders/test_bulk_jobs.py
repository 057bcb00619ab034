"""Bulk tagging jobs on real PostgreSQL against the sandbox: resume, re-run, 429s, cancel."""

from __future__ import annotations

import html
import re
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client

from orders.audit import append_entry
from orders.models import AuditEntry, BulkJob, BulkJobOrder
from orders.sandbox.server import SandboxServer
from orders.services.bulk import (
    bulk_job_cancel,
    bulk_job_counts,
    bulk_job_create,
    bulk_job_retry_failed,
    bulk_job_run,
)
from orders.services.bulk_preview import bulk_preview
from orders.services.extensions import order_extension_set
from tests.factories import seed_order

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
TAG = {"campaign": "spring", "wave": 2}


def seed_orders(sandbox: SandboxServer, count: int, prefix: str = "BULK") -> list[str]:
    refs = [seed_order(sandbox, referenceId=f"{prefix}-{n}")["ref"] for n in range(count)]
    sandbox.clear_log()
    return refs


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def new_job(
    user: User,
    refs: list[str],
    *,
    set_pairs: dict[str, Any] = TAG,
    remove_keys: tuple[str, ...] = (),
    enqueue: bool = False,
) -> BulkJob:
    """A job over `refs` (each its own input); queued for a worker only with `enqueue`."""
    return bulk_job_create(
        actor=user,
        set_pairs=set_pairs,
        remove_keys=list(remove_keys),
        targets=[(ref, ref) for ref in refs],
        enqueue=enqueue,
    )


def ext_requests(sandbox: SandboxServer) -> Counter[tuple[str, str]]:
    """Answered extension requests per (order ref, method)."""
    return Counter(
        (r.path.split("/")[3], r.method)
        for r in sandbox.request_log
        if "/extensions/" in r.path and r.status != 429
    )


def ext_writes(sandbox: SandboxServer) -> Counter[str]:
    """Successful extension writes per order ref."""
    return Counter(
        r.path.split("/")[3]
        for r in sandbox.request_log
        if r.method != "GET" and "/extensions/" in r.path and r.status < 300
    )


def intents_per_order(job: BulkJob) -> Counter[str]:
    return Counter(
        AuditEntry.objects.filter(job_id=str(job.id), phase="intent").values_list(
            "order_ref", flat=True
        )
    )


def pairs(sandbox: SandboxServer, ref: str) -> dict[str, Any]:
    ext = sandbox.state.get_extension("order", ref, "ext")
    return {k: v for k, v in ext.items() if k in TAG or k == "old"}


def test_preview_says_found_or_not_and_before_after_per_key(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    tagged, plain = seed_orders(sandbox, 2, "PRE")
    sandbox.state.put_order_extension(tagged, {"campaign": "spring", "wave": 2, "old": True})
    twin_a = seed_order(sandbox, referenceId="TWIN", orderedAt="2026-01-01T10:00:00Z")["ref"]
    twin_b = seed_order(sandbox, referenceId="TWIN", orderedAt="2026-05-01T10:00:00Z")["ref"]

    preview = bulk_preview(
        inputs=[tagged, "PRE-1", "TWIN", "NOPE-404"], set_pairs=TAG, remove_keys=["old"]
    )

    first, second, twins, missing = preview.inputs
    assert first.orders[0].order_ref == tagged
    assert [(c.key, c.before, c.after) for c in first.orders[0].plan.changes] == [
        ("campaign", "spring", "spring"),
        ("wave", 2, 2),
        ("old", True, None),
    ]
    assert not first.orders[0].skipped
    assert second.orders[0].order_ref == plain and not second.orders[0].skipped
    assert {o.order_ref for o in twins.orders} == {twin_a, twin_b}
    assert not missing.found
    assert preview.counts["orders"] == 4 and preview.counts["not_found"] == 1
    assert [t[1] for t in preview.targets] == [tagged, plain, twin_a, twin_b, ""]


def test_preview_marks_orders_already_tagged_as_skipped(sandbox: SandboxServer) -> None:
    (ref,) = seed_orders(sandbox, 1, "SKIP")
    sandbox.state.put_order_extension(ref, {"campaign": "spring", "wave": 2})

    preview = bulk_preview(inputs=[ref], set_pairs=TAG, remove_keys=["absentKey"])

    assert preview.inputs[0].orders[0].skipped
    assert preview.counts["skipped"] == 1
    # 2 and 2.0 are different values: a number target is not "already as asked".
    other = bulk_preview(inputs=[ref], set_pairs={"wave": 2.0}, remove_keys=[])
    assert not other.inputs[0].orders[0].skipped


def test_preview_backs_off_on_429_and_still_finds_the_orders(sandbox: SandboxServer) -> None:
    refs = seed_orders(sandbox, 4, "P429")
    sandbox.inject(status=429, times=3, method="GET", retry_after=1)

    preview = bulk_preview(inputs=refs, set_pairs=TAG, remove_keys=[])

    assert all(item.found and not item.error for item in preview.inputs)
    assert sum(1 for r in sandbox.request_log if r.status == 429) == 3


def test_bulk_page_previews_then_runs_a_job_in_the_worker(
    sandbox: SandboxServer, marketing_client: Client
) -> None:
    refs = seed_orders(sandbox, 3, "PAGE")
    form = {
        "inputs": f"{refs[0]}, PAGE-1\nPAGE-2\nUNKNOWN-1",
        "remove_keys": "",
        "set-TOTAL_FORMS": "2",
        "set-INITIAL_FORMS": "0",
        "set-0-key": "campaign",
        "set-0-type": "string",
        "set-0-value": "spring",
        "set-1-key": "wave",
        "set-1-type": "integer",
        "set-1-value": "2",
    }

    preview = marketing_client.post("/bulk/", form)

    text = preview.content.decode()
    assert "1 input was not found in CDP" in text and "Run on 3 orders" in text
    assert ext_writes(sandbox) == Counter()
    token = text.split('name="plan" value="', 1)[1].split('"', 1)[0]

    started = marketing_client.post("/bulk/run/", {"plan": token})
    job = BulkJob.objects.get()
    assert started["Location"] == f"/bulk/{job.id}/"
    run_worker()

    job.refresh_from_db()
    assert job.status == BulkJob.Status.DONE
    assert bulk_job_counts(job) | {"percent": 0} == {
        "done": 3,
        "skipped": 0,
        "failed": 0,
        "not_found": 1,
        "unresolved": 0,
        "remaining": 0,
        "total": 4,
        "finished": 4,
        "percent": 0,
    }
    assert all(pairs(sandbox, ref) == TAG for ref in refs)
    assert intents_per_order(job) == Counter(refs)
    page = marketing_client.get(f"/bulk/{job.id}/").content.decode()
    assert 'id="job-progress"' in page and "4 of 4 orders" in page
    assert 'data-count="done">3<' in page and 'data-count="not_found">1<' in page
    progress = marketing_client.get(f"/bulk/{job.id}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 286


def test_a_tampered_plan_is_refused(sandbox: SandboxServer, marketing_client: Client) -> None:
    response = marketing_client.post("/bulk/run/", {"plan": "forged:token"})

    assert response.status_code == 302 and response["Location"] == "/bulk/"
    assert not BulkJob.objects.exists()


def test_resume_after_a_killed_worker_finishes_the_rest_exactly_once(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 8, "KILL")
    job = new_job(marketing_user, refs, enqueue=True)
    # The first worker tags three orders, then dies while the fourth is half done: CDP has
    # the change and the audit trail has it, but the row was never saved.
    bulk_job_run(job_id=str(job.id), stop_after=3)
    order_extension_set(
        actor=marketing_user,
        order_ref=refs[3],
        pairs=TAG,
        job_id=str(job.id),
    )
    assert bulk_job_counts(job)["remaining"] == 5

    run_worker()  # the job's queued task, picked up by a fresh worker

    job.refresh_from_db()
    states = Counter(job.orders.values_list("state", flat=True))
    assert job.status == BulkJob.Status.DONE
    assert states == {"done": 7, "skipped": 1}
    assert job.orders.get(order_ref=refs[3]).state == BulkJobOrder.State.SKIPPED
    assert ext_writes(sandbox) == Counter(refs)  # exactly one write per order
    assert intents_per_order(job) == Counter(refs)  # exactly one audit entry per order
    assert all(pairs(sandbox, ref) == TAG for ref in refs)


def test_a_rerun_reports_every_order_skipped(sandbox: SandboxServer, marketing_user: User) -> None:
    refs = seed_orders(sandbox, 5, "RERUN")
    first = new_job(marketing_user, refs, enqueue=True)
    bulk_job_run(job_id=str(first.id))
    sandbox.clear_log()

    again = new_job(marketing_user, refs, enqueue=True)
    counts = bulk_job_run(job_id=str(again.id))
    bulk_job_run(job_id=str(first.id))  # re-running a finished job does nothing either

    assert counts["skipped"] == 5 and counts["done"] == 0
    assert ext_writes(sandbox) == Counter()
    assert not AuditEntry.objects.filter(job_id=str(again.id)).exists()


def test_a_changed_order_costs_one_read_and_one_write(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 3, "TWO")
    sandbox.state.put_order_extension(refs[1], {"keep": 1})
    job = new_job(marketing_user, refs)

    counts = bulk_job_run(job_id=str(job.id))

    assert counts["done"] == 3
    # The job's read is handed to the write: no second read for the conflict check.
    assert ext_requests(sandbox) == Counter(
        [(refs[0], "GET"), (refs[0], "POST")]  # no extension yet: created
        + [(refs[1], "GET"), (refs[1], "PATCH")]
        + [(refs[2], "GET"), (refs[2], "POST")]
    )
    assert len(sandbox.request_log) == 6
    assert sandbox.state.get_extension("order", refs[1], "ext")["keep"] == 1


def test_removing_keys_uses_named_field_deletes(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 2, "REMOVE")
    sandbox.state.put_order_extension(refs[0], {"old": True, "keep": 1})
    job = new_job(marketing_user, refs, set_pairs={}, remove_keys=("old",), enqueue=True)

    counts = bulk_job_run(job_id=str(job.id))

    assert (counts["done"], counts["skipped"]) == (1, 1)
    deletes = [r for r in sandbox.request_log if r.method == "DELETE"]
    assert [(r.path.endswith("/fields"), r.query) for r in deletes] == [(True, "name=old")]
    assert ext_requests(sandbox) == Counter(
        [(refs[0], "GET"), (refs[0], "DELETE"), (refs[1], "GET")]
    )


def test_429s_from_the_rate_limit_slow_the_job_without_failing_it(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 30, "RATE")
    sandbox.config.rate_limit_per_s = 15
    job = new_job(marketing_user, refs)

    started = time.monotonic()
    counts = bulk_job_run(job_id=str(job.id), concurrency=6)
    elapsed = time.monotonic() - started

    assert counts["done"] == 30 and counts["failed"] == 0
    assert any(r.status == 429 for r in sandbox.request_log)
    # 60 requests (a read and a write per order) at 15/s, after a burst of 15, take ~3 s.
    assert elapsed > 2.5
    assert ext_writes(sandbox) == Counter(refs)


def test_cancel_stops_between_orders_and_retry_resumes(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 24, "CANCEL")
    sandbox.config.latency_ms = 40
    job = new_job(marketing_user, refs)
    worker = threading.Thread(target=bulk_job_run, kwargs={"job_id": str(job.id)})
    worker.start()
    while job.orders.filter(state="done").count() < 2:
        time.sleep(0.02)
    bulk_job_cancel(job=job)
    worker.join(10)

    job.refresh_from_db()
    counts = bulk_job_counts(job)
    assert job.status == BulkJob.Status.CANCELLED
    assert counts["remaining"] > 0
    assert sum(ext_writes(sandbox).values()) == counts["done"]

    bulk_job_retry_failed(job=job)
    run_worker()

    job.refresh_from_db()
    assert job.status == BulkJob.Status.DONE
    assert bulk_job_counts(job)["done"] == 24
    assert ext_writes(sandbox) == Counter(refs)


def test_a_job_cancelled_before_it_starts_writes_nothing(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 3, "EARLY")
    job = new_job(marketing_user, refs, enqueue=True)

    bulk_job_cancel(job=job)
    run_worker()

    job.refresh_from_db()
    assert job.status == BulkJob.Status.CANCELLED
    assert bulk_job_counts(job)["remaining"] == 3
    assert ext_writes(sandbox) == Counter()


def test_failed_orders_are_reported_and_retried(
    sandbox: SandboxServer, marketing_user: User
) -> None:
    refs = seed_orders(sandbox, 3, "FAIL")
    sandbox.inject(status=500, times=1, method="POST", path_prefix=f"/v2.1/orders/{refs[1]}")
    job = new_job(marketing_user, refs)

    counts = bulk_job_run(job_id=str(job.id))

    assert (counts["done"], counts["failed"]) == (2, 1)
    failed = job.orders.get(state="failed")
    assert failed.order_ref == refs[1] and "CDP failed" in failed.error_message

    assert bulk_job_retry_failed(job=job) == 1
    run_worker()
    assert bulk_job_counts(job)["done"] == 3


def test_revert_restores_values_and_reports_orders_changed_since(
    sandbox: SandboxServer, marketing_user: User, marketing_client: Client
) -> None:
    refs = seed_orders(sandbox, 3, "REVERT")
    sandbox.state.put_order_extension(refs[0], {"campaign": "winter"})
    job = new_job(marketing_user, refs, set_pairs={"campaign": "spring"})
    bulk_job_run(job_id=str(job.id))
    sandbox.state.put_order_extension(refs[2], {"campaign": "summer"})  # changed since

    response = marketing_client.post(f"/bulk/{job.id}/revert/")
    revert = BulkJob.objects.get(reverts=job)
    assert response["Location"] == f"/bulk/{revert.id}/"
    run_worker()

    states = dict(revert.orders.values_list("order_ref", "state"))
    assert sandbox.state.get_extension("order", refs[0], "ext")["campaign"] == "winter"
    assert "campaign" not in sandbox.state.get_extension("order", refs[1], "ext")
    assert sandbox.state.get_extension("order", refs[2], "ext")["campaign"] == "summer"
    assert states == {refs[0]: "done", refs[1]: "done", refs[2]: "skipped"}


def test_bulk_pages_need_the_bulk_tagging_permission(
    sandbox: SandboxServer, cs_client: Client, auditor_client: Client
) -> None:
    for client in (cs_client, auditor_client):
        assert client.get("/bulk/").status_code == 403
        assert client.post("/bulk/run/", {"plan": "x"}).status_code == 403


def test_bench_measures_throughput_against_the_rate_limit(sandbox: SandboxServer) -> None:
    from tests.bench.bulk import measure_bulk_throughput

    result = measure_bulk_throughput(orders=30, rate_limit_per_s=40, latency_ms=20, sandbox=sandbox)

    assert result["orders"] == 30 and result["failed"] == 0
    assert 0 < result["bulk_throughput_vs_rate_limit"] <= 1.5


def failing_outcomes(monkeypatch: pytest.MonkeyPatch, order_ref: str, times: int) -> list[int]:
    """Make writing the outcome row of `order_ref`'s change fail `times` times (a locked
    table); the list counts the failures."""
    failures: list[int] = []
    monkeypatch.setattr("orders.services.audited.OUTCOME_RETRY_DELAYS", (0.0, 0.0, 0.0))

    def flaky(**fields: Any) -> AuditEntry:
        ours = fields["phase"] == AuditEntry.Phase.OUTCOME and fields["order_ref"] == order_ref
        if ours and len(failures) < times:
            failures.append(1)
            raise OperationalError("database is locked")
        return append_entry(**fields)

    monkeypatch.setattr("orders.services.audited.append_entry", flaky)
    return failures


def test_an_outcome_row_that_fails_to_insert_is_retried_and_matches_cdps_answer(
    sandbox: SandboxServer, marketing_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = seed_orders(sandbox, 3, "RETRY")
    failures = failing_outcomes(monkeypatch, refs[1], times=2)
    job = new_job(marketing_user, refs)

    counts = bulk_job_run(job_id=str(job.id))

    assert len(failures) == 2
    assert (counts["done"], counts["failed"], counts["unresolved"]) == (3, 0, 0)
    intents = AuditEntry.objects.filter(job_id=str(job.id), phase="intent")
    answered = {(r.method, r.path): r.status for r in sandbox.request_log if r.method != "GET"}
    for intent in intents:
        (outcome,) = intent.outcomes.all()
        assert answered[(intent.method, intent.cdp_path)] == outcome.cdp_status
        assert outcome.outcome == AuditEntry.Outcome.SUCCESS


def test_an_outcome_row_that_cannot_be_written_leaves_the_order_unresolved_not_done(
    sandbox: SandboxServer,
    marketing_user: User,
    marketing_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refs = seed_orders(sandbox, 2, "LOST")
    failing_outcomes(monkeypatch, refs[0], times=100)
    job = new_job(marketing_user, refs)

    counts = bulk_job_run(job_id=str(job.id))

    assert (counts["done"], counts["unresolved"]) == (1, 1)
    row = job.orders.get(order_ref=refs[0])
    assert row.state == BulkJobOrder.State.UNRESOLVED
    # CDP did take the change; only the trail's copy of its answer is missing.
    assert pairs(sandbox, refs[0]) == TAG
    assert not AuditEntry.objects.filter(order_ref=refs[0], phase="outcome").exists()
    page = marketing_client.get(f"/bulk/{job.id}/").content.decode()
    assert 'data-count="unresolved">1<' in page
    assert "CDP accepted the change, but the audit trail could not record its answer" in page


def test_a_sustained_429_shows_the_wait_on_the_job_page_and_audits_each_write_once(
    sandbox: SandboxServer, marketing_user: User, marketing_client: Client
) -> None:
    refs = seed_orders(sandbox, 2, "WAIT")
    for ref in refs:
        sandbox.state.put_order_extension(ref, {"campaign": "autumn"})
    sandbox.clear_log()
    limited = refs[0]
    ext_path = f"/v2.1/orders/{limited}/extensions/ext"
    sandbox.inject(status=429, retry_after=1, times=2, method="PATCH", path_prefix=ext_path)
    job = new_job(marketing_user, refs)

    def run() -> None:
        try:
            bulk_job_run(job_id=str(job.id), concurrency=2)
        finally:
            connection.close()

    runner = threading.Thread(target=run)
    runner.start()
    shown = ""
    deadline = time.monotonic() + 15
    while runner.is_alive() and time.monotonic() < deadline and not shown:
        page = html.unescape(marketing_client.get(f"/bulk/{job.id}/progress/").content.decode())
        shown = next(
            iter(re.findall(r"Waiting for CDP's rate limit, resuming in \d+ s\.", page)), ""
        )
        time.sleep(0.1)
    runner.join(30)

    assert shown, "the job page never said it was waiting"
    writes = [r for r in sandbox.request_log if r.method != "GET" and r.path == ext_path]
    assert [r.status for r in writes] == [429, 429, 200]
    intents = AuditEntry.objects.filter(phase="intent", resource_ref=limited)
    outcomes = AuditEntry.objects.filter(phase="outcome", resource_ref=limited).order_by("id")
    assert intents.count() == len(writes)
    assert [o.cdp_status for o in outcomes] == [r.status for r in writes]
    assert bulk_job_counts(job)["done"] == 2
    final = html.unescape(marketing_client.get(f"/bulk/{job.id}/").content.decode())
    assert "Waiting for CDP's rate limit" not in final
