"""Bench: bulk tagging throughput against the sandbox's rate limit (not run in the suite).

    measure_bulk_throughput(orders=1000, rate_limit_per_s=50, latency_ms=100)

Needs Django set up with a database (the bench runner's or the test database). It starts its
own sandbox unless one is passed, seeds the orders, runs one job in this process with the
worker's code path (`bulk_job_run`), and reports:

- bulk_throughput_vs_rate_limit: orders tagged per second / the sandbox's rate limit;
- request_throughput_vs_rate_limit: CDP requests per second / the rate limit (how much of the
  allowance the job used; the rest was 429s and waiting);
- requests_per_order: a changed order costs two requests (the job's read, then the write, which
  is handed that read instead of reading again), so the first ratio cannot pass about 1/2.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from orders.cdp.client import reset_client
from orders.models import BulkJob
from orders.sandbox.config import SandboxConfig
from orders.sandbox.server import SandboxServer
from orders.services.bulk import bulk_job_create, bulk_job_run


def measure_bulk_throughput(
    orders: int = 1000,
    rate_limit_per_s: float = 50,
    latency_ms: float = 100,
    *,
    concurrency: int | None = None,
    sandbox: SandboxServer | None = None,
) -> dict[str, Any]:
    own = sandbox is None
    server = (
        sandbox
        or SandboxServer(
            port=0,
            config=SandboxConfig(
                client_key=settings.SANDBOX_CLIENT_KEY, api_token=settings.SANDBOX_API_TOKEN
            ),
        ).start()
    )
    saved = {
        name: getattr(settings, name)
        for name in ("CDP_BASE_URL", "CDP_CLIENT_KEY", "CDP_API_TOKEN")
    }
    try:
        settings.CDP_BASE_URL = server.base_url
        settings.CDP_CLIENT_KEY = settings.SANDBOX_CLIENT_KEY
        settings.CDP_API_TOKEN = settings.SANDBOX_API_TOKEN
        reset_client()
        return _measure(server, orders, rate_limit_per_s, latency_ms, concurrency)
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        reset_client()
        if own:
            server.stop()


def _measure(
    server: SandboxServer,
    orders: int,
    rate_limit_per_s: float,
    latency_ms: float,
    concurrency: int | None,
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    refs = [
        server.state.create_order(
            {
                "referenceId": f"BENCH-{run}-{n}",
                "orderedAt": "2026-03-01T10:00:00.000Z",
                "currencyCode": "EUR",
                "price": 10,
            }
        )["ref"]
        for n in range(orders)
    ]
    actor, _ = User.objects.get_or_create(username="bench-bulk")
    job = bulk_job_create(
        actor=actor,
        set_pairs={"benchRun": run, "benchWave": 1},
        remove_keys=[],
        targets=[(ref, ref) for ref in refs],
        enqueue=False,
    )
    server.config.latency_ms = latency_ms
    server.config.rate_limit_per_s = rate_limit_per_s
    server.clear_log()
    kwargs = {} if concurrency is None else {"concurrency": concurrency}
    started = time.monotonic()
    counts = bulk_job_run(job_id=str(job.id), **kwargs)
    elapsed = time.monotonic() - started
    server.config.latency_ms = 0
    server.config.rate_limit_per_s = 0
    log = server.request_log
    answered = [r for r in log if r.status != 429]
    assert BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.DONE
    tagged = counts["done"] + counts["skipped"]
    return {
        "orders": orders,
        "done": counts["done"],
        "failed": counts["failed"],
        "seconds": round(elapsed, 2),
        "orders_per_s": round(tagged / elapsed, 2),
        "rate_limit_per_s": rate_limit_per_s,
        "latency_ms": latency_ms,
        "requests": len(log),
        "rate_limited": len(log) - len(answered),
        "requests_per_order": round(len(answered) / max(tagged, 1), 2),
        "bulk_throughput_vs_rate_limit": round(tagged / elapsed / rate_limit_per_s, 3),
        "request_throughput_vs_rate_limit": round(len(answered) / elapsed / rate_limit_per_s, 3),
    }
