"""Profile one page of cdpadmin in-process with cProfile, the sandbox in another process.

    python -m tests.bench.profile order|search|audit|signin [requests]

Uses the bench database (`<DATABASE_URL's name>_bench`), signs a superuser in, warms the page
up, then profiles `requests` renders (default 200) through Django's full middleware stack and
prints the top entries by own time and by cumulative time. The sandbox answers at zero
latency, so what shows is the app's own CPU.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time

import requests


def main(page: str, runs: int) -> int:
    os.environ["LOG_LEVEL"] = "WARNING"
    from tests.bench.audit import use_bench_database
    from tests.bench.web import ROOT, free_port, process

    use_bench_database()
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    args = [sys.executable, str(ROOT / "manage.py"), "cdp_sandbox", "--port", str(port)]
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    with process(args, env, f"{sandbox_url}/__sandbox__/health"):
        return profile_page(page, runs, sandbox_url)


def profile_page(page: str, runs: int, sandbox_url: str) -> int:
    from django.conf import settings

    settings.CDP_BASE_URL = sandbox_url
    from django.contrib.auth.models import User
    from django.test import Client

    from orders.cdp import reset_client
    from tests.bench.web import CREDENTIALS, Stack

    reset_client()
    upstream = requests.Session()
    upstream.auth = CREDENTIALS
    stack = Stack("", sandbox_url, upstream)
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client(SERVER_NAME="127.0.0.1")
    if page != "signin":
        client.force_login(user)
    order = stack.create_order(referenceId="BENCH-PAGE")
    for month in (1, 5):
        stack.create_order(referenceId="BENCH-SEARCH", orderedAt=f"2026-0{month}-01T10:00:00Z")
    url = {
        "order": f"/orders/{order['ref']}/",
        "search": "/orders/?referenceId=BENCH-SEARCH",
        "audit": "/audit/",
        "signin": "/accounts/login/",
    }[page]
    for _ in range(20):
        assert client.get(url).status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"=== {page}: {len(queries)} queries per request ===")
    for query in queries:
        print(f"{query['time']:>6} s  {query['sql'][:300]}")
    # CPU time of the whole process (the fan-out threads too), not wall time.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    restrict = [os.environ["PROFILE_ONLY"]] if os.environ.get("PROFILE_ONLY") else []
    for sort, count in (("tottime", 25), ("cumulative", 40)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(sort).print_stats(*restrict, count)
        print(f"=== {page}: {runs} requests, by {sort} ===")
        print(out.getvalue().split("\n", 6)[-1] if sort == "tottime" else out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200))
