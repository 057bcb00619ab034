"""Bench: the web tier as in production — gunicorn in front, the sandbox behind, over HTTP.

Every figure is a median of interleaved runs, or a ratio of two figures measured side by
side in one run, so machine noise affects both sides alike:

- order_page_vs_one_call: order page time / one upstream GET, sandbox at 100 ms latency
  (1.0 is the floor; a page that called its five sections one after another would be ~5);
- search_page_vs_one_call: the same for a referenceId search with several results;
- overhead_ms_order_page, overhead_ms_search: page time with zero upstream latency;
- load_p95_ratio, load_errors: p95 page time with 50 concurrent signed-in users / p95 with
  one user, and how many requests failed (load from wrk, see wrk_sessions.lua).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = ("sandbox-client-key", "sandbox-api-token")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


@contextmanager
def process(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[None]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(ready_url)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Stack:
    app_url: str
    sandbox_url: str
    upstream: requests.Session

    def sandbox_config(self, **fields: Any) -> None:
        requests.post(f"{self.sandbox_url}/__sandbox__/config", json=fields, timeout=5)

    def create_order(self, **fields: Any) -> dict[str, Any]:
        body = {"orderedAt": "2026-03-01T10:00:00Z", "currencyCode": "EUR", "price": 10, **fields}
        response = self.upstream.post(f"{self.sandbox_url}/v2.1/orders", json=body, timeout=5)
        response.raise_for_status()
        return dict(response.json())


@contextmanager
def web_stack(database_url: str) -> Iterator[Stack]:
    """The sandbox and gunicorn as separate processes, on free ports."""
    sandbox_port, app_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CDP_BASE_URL": sandbox_url,
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",
    }
    manage = [sys.executable, "manage.py"]
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "cdpadmin.wsgi",
        "--bind",
        f"127.0.0.1:{app_port}",
        "--workers",
        "3",
        "--threads",
        "8",
        "--worker-class",
        "gthread",
    ]
    with (
        process(
            [*manage, "cdp_sandbox", "--port", str(sandbox_port), "--orders", "20"],
            env,
            f"{sandbox_url}/__sandbox__/health",
        ),
        process(gunicorn, env, f"http://127.0.0.1:{app_port}/accounts/login/"),
    ):
        upstream = requests.Session()
        upstream.auth = CREDENTIALS
        yield Stack(f"http://127.0.0.1:{app_port}", sandbox_url, upstream)


def signed_in_session(app_url: str, session_key: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("sessionid", session_key, domain="127.0.0.1")
    return session


def timed(call: Callable[[], requests.Response]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return elapsed


def paired_medians(
    first: Callable[[], requests.Response], second: Callable[[], requests.Response], runs: int
) -> tuple[float, float]:
    """Median times of two calls, alternated so both see the same machine conditions."""
    first(), second()
    a, b = [], []
    for _ in range(runs):
        a.append(timed(first))
        b.append(timed(second))
    return statistics.median(a), statistics.median(b)


def measure_pages(stack: Stack, session: requests.Session, runs: int = 15) -> dict[str, float]:
    order = stack.create_order(referenceId="BENCH-PAGE")
    for month in (1, 5):
        stack.create_order(referenceId="BENCH-SEARCH", orderedAt=f"2026-0{month}-01T10:00:00Z")
    order_url = f"{stack.app_url}/orders/{order['ref']}/"
    search_url = f"{stack.app_url}/orders/?referenceId=BENCH-SEARCH"
    upstream_url = f"{stack.sandbox_url}/v2.1/orders/{order['ref']}"

    def one_call() -> requests.Response:
        return stack.upstream.get(upstream_url, timeout=10)

    def order_page() -> requests.Response:
        return session.get(order_url, timeout=10)

    def search_page() -> requests.Response:
        return session.get(search_url, timeout=10)

    figures = {}
    stack.sandbox_config(latency_ms=100)
    call_ms, page_ms = paired_medians(one_call, order_page, runs)
    figures["order_page_vs_one_call"] = page_ms / call_ms
    call_ms, page_ms = paired_medians(one_call, search_page, runs)
    figures["search_page_vs_one_call"] = page_ms / call_ms
    figures["upstream_call_ms_at_100ms_latency"] = call_ms
    stack.sandbox_config(latency_ms=0)
    figures["overhead_ms_order_page"], figures["overhead_ms_search"] = paired_medians(
        order_page, search_page, runs * 2
    )
    return figures


WRK_SCRIPT = Path(__file__).with_name("wrk_sessions.lua")


def run_wrk(url: str, session_keys: list[str], seconds: float) -> dict[str, float]:
    """Load `url` with wrk, one connection per session key; p95, throughput and errors."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does this)")
    users = len(session_keys)
    result = subprocess.run(
        [
            "wrk",
            "--threads",
            str(min(users, 2)),
            "--connections",
            str(users),
            "--duration",
            f"{int(seconds)}s",
            "--timeout",
            "30s",
            "--script",
            str(WRK_SCRIPT),
            url,
            "--",
            *session_keys,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "p95_ms": figures["p95_ms"],
        "requests_per_s": figures["requests"] / figures["seconds"],
        "errors": float(figures["socket_errors"] + figures["bad_status"]),
    }


def measure_load(
    stack: Stack, new_session_key: Callable[[], str], users: int, seconds: float
) -> dict[str, float]:
    """p95 of the order page with `users` signed-in users at once, against one user alone."""
    order = stack.create_order(referenceId="BENCH-LOAD")
    url = f"{stack.app_url}/orders/{order['ref']}/"
    stack.sandbox_config(latency_ms=20)
    single = run_wrk(url, [new_session_key()], min(seconds, 15))
    crowd = run_wrk(url, [new_session_key() for _ in range(users)], seconds)
    stack.sandbox_config(latency_ms=0)
    return {
        "load_p95_ratio": crowd["p95_ms"] / single["p95_ms"],
        "load_p95_ms_one_user": single["p95_ms"],
        f"load_p95_ms_{users}_users": crowd["p95_ms"],
        f"load_requests_per_s_{users}_users": crowd["requests_per_s"],
        "load_errors": single["errors"] + crowd["errors"],
    }
