"""Bench: the web tier as in production — gunicorn in front, the sandbox behind, over HTTP.

Every figure is a median of interleaved runs, or a ratio of two figures measured side by
side in one run, so machine noise affects both sides alike:

- order_page_vs_one_call: order page time / one upstream GET, sandbox at 100 ms latency
  (1.0 is the floor; a page that called its five sections one after another would be ~5);
- search_page_vs_one_call: the same for a referenceId search with several results;
- overhead_ms_order_page, overhead_ms_search: page time with zero upstream latency;
- app_cpu_ms_*: CPU time of the gunicorn workers per request of a page (zero latency), and
  each page's ratio to the sign-in page (Django and the admin look: the floor);
- the load figures are in load.py (Locust's open model; wrk's closed loop for capacity).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
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
def process(
    args: list[str], env: dict[str, str], ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(ready_url)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Stack:
    app_url: str
    sandbox_url: str
    upstream: requests.Session
    app_pid: int = 0  # gunicorn's master; its children are the workers

    def app_cpu_s(self) -> float:
        """CPU seconds (user + system, all threads) the gunicorn workers have used so far."""
        return sum(process_cpu_s(pid) for pid in child_pids(self.app_pid))

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
        # As docs/deploy.md runs it (the bench had 8 threads per worker until this round).
        "--workers",
        "3",
        "--threads",
        "4",
        "--worker-class",
        "gthread",
    ]
    with (
        process(
            # A new seed each run: the sandbox's refs come from it, and the same refs again
            # would give this run's orders the audit history of an earlier run's.
            [
                *manage,
                "cdp_sandbox",
                "--port",
                str(sandbox_port),
                "--orders",
                "20",
                "--seed",
                str(random.SystemRandom().randrange(1, 2**31)),
            ],
            env,
            f"{sandbox_url}/__sandbox__/health",
        ),
        process(gunicorn, env, f"http://127.0.0.1:{app_port}/accounts/login/") as app,
    ):
        upstream = requests.Session()
        upstream.auth = CREDENTIALS
        yield Stack(f"http://127.0.0.1:{app_port}", sandbox_url, upstream, app.pid)


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == parent:
                children.append(int(entry.name))
    return children


def process_cpu_s(pid: int) -> float:
    """CPU seconds of a process (every thread, living or ended), to the nanosecond.

    Read from the process's CPU-time clock (Linux's clock id for a pid: `~pid << 3 | 2`,
    as `clock_getcpuclockid` makes it); /proc's utime and stime count 10 ms ticks, too coarse
    for blocks of a few requests.
    """
    try:
        return time.clock_gettime((~pid << 3) | 2)
    except OSError:
        return 0.0


def new_session_key(user: Any) -> str:
    """A signed-in session for `user` in the database, as the sign-in form would create it."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


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
    anonymous = requests.Session()
    cpu, vs_signin = app_cpu_ms(
        stack,
        {
            "signin": lambda: anonymous.get(f"{stack.app_url}/accounts/login/", timeout=10),
            "order_page": order_page,
            "search": search_page,
            "audit_list": lambda: session.get(f"{stack.app_url}/audit/", timeout=10),
        },
        floor="signin",
    )
    for name, ms in cpu.items():
        figures[f"app_cpu_ms_{name}"] = ms
    for name, ratio in vs_signin.items():
        figures[f"app_cpu_{name}_vs_signin"] = ratio
    return figures


def csrf_token(session: requests.Session, url: str) -> str:
    """The form's CSRF token (the cookie comes with it)."""
    html = session.get(url, timeout=10).text
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError(f"{url} has no CSRF token")
    return match.group(1)


class _FormFields(HTMLParser):
    """The fields a browser would post back from a page's forms, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        name = attr.get("name", "")
        if tag == "input" and name and attr.get("type") not in ("submit", "button", "checkbox"):
            self.fields[name] = attr.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attr:
            self.fields[self._select] = attr.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(session: requests.Session, url: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(session.get(url, timeout=10).text)
    return parser.fields


def measure_writes(stack: Stack, session: requests.Session, runs: int = 15) -> dict[str, float]:
    """An order edit (redirect to the order page included) and a grid save, each against one
    upstream call at 100 ms latency in the same run."""
    order = stack.create_order(referenceId="BENCH-EDIT")
    ref = order["ref"]
    ext = stack.upstream.post(
        f"{stack.sandbox_url}/v2.1/orders/{ref}/extensions/ext",
        json={"benchCount": 0},
        timeout=5,
    )
    ext.raise_for_status()
    edit_url = f"{stack.app_url}/orders/{ref}/edit/"
    save_url = f"{stack.app_url}/orders/{ref}/ext/keys/benchCount/save/"
    upstream_url = f"{stack.sandbox_url}/v2.1/orders/{ref}"
    token = csrf_token(session, edit_url)
    shown = form_fields(session, edit_url)
    state = {"price": 10, "count": 0}

    def one_call() -> requests.Response:
        return stack.upstream.get(upstream_url, timeout=10)

    def edit() -> requests.Response:
        before, state["price"] = state["price"], state["price"] + 1
        # No modifiedAt: the bench measures the write path, not the conflict check.
        data = {
            **shown,
            "csrfmiddlewaretoken": token,
            "modifiedAt": "",
            "price": str(state["price"]),
            "initial-price": str(before),
        }
        response = session.post(edit_url, data=data, timeout=10)
        if "The order was changed." not in response.text:
            raise RuntimeError("the bench's edit did not go through")
        return response

    def grid_save() -> requests.Response:
        seen, state["count"] = state["count"], state["count"] + 1
        response = session.post(
            save_url,
            data={"value": str(state["count"]), "type": "integer", "seen": str(seen)},
            headers={"HX-Request": "true", "X-CSRFToken": token},
            timeout=10,
        )
        if "ext-row-edit" in response.text or "Someone else" in response.text:
            raise RuntimeError("the bench's grid save did not go through")
        return response

    stack.sandbox_config(latency_ms=100)
    try:
        call_ms, edit_ms = paired_medians(one_call, edit, runs)
        call_ms_2, save_ms = paired_medians(one_call, grid_save, runs)
    finally:
        stack.sandbox_config(latency_ms=0)
    return {
        "edit_vs_one_call": edit_ms / call_ms,
        "grid_save_vs_one_call": save_ms / call_ms_2,
        "edit_ms_at_100ms_latency": edit_ms,
        "grid_save_ms_at_100ms_latency": save_ms,
    }


def app_cpu_ms(
    stack: Stack,
    pages: dict[str, Callable[[], requests.Response]],
    *,
    floor: str,
    rounds: int = 5,
    requests_per_round: int = 60,
    block: int = 10,
) -> tuple[dict[str, float], dict[str, float]]:
    """CPU milliseconds the gunicorn workers spend per request of each page, and per `floor`.

    One request at a time. Within a round the pages take turns in blocks of `block` requests,
    so each page's requests are spread over the same stretch of time and a change in what else
    the machine does falls on all of them alike; each page's ratio to `floor` is taken round
    by round. Returns the medians over the rounds of the milliseconds and of the ratios. The
    sandbox, PostgreSQL and this client are other processes, so only the app's work counts.
    """
    samples: dict[str, list[float]] = {name: [] for name in pages}
    ratios: dict[str, list[float]] = {name: [] for name in pages if name != floor}
    for call in pages.values():
        timed(call)
    for _ in range(rounds):
        spent = dict.fromkeys(pages, 0.0)
        for _ in range(requests_per_round // block):
            for name, call in pages.items():
                before = stack.app_cpu_s()
                for _ in range(block):
                    timed(call)
                spent[name] += stack.app_cpu_s() - before
        for name, seconds in spent.items():
            samples[name].append(seconds * 1000 / requests_per_round)
        for name in ratios:
            ratios[name].append(spent[name] / spent[floor])
    return (
        {name: statistics.median(values) for name, values in samples.items()},
        {name: statistics.median(values) for name, values in ratios.items()},
    )


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
