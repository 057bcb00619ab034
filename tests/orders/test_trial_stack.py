"""The trial as `make run` starts it: embedded PostgreSQL, sandbox, worker and app, over HTTP.

No DATABASE_URL and no developer's .env: `run_stack` starts its own PostgreSQL in a temporary
folder, and the demo's bulk tagging must finish clean, with an audit trail that says exactly
what CDP answered.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings

from orders.sandbox.config import SandboxConfig
from orders.sandbox.state import SandboxState
from tests.support.folders import server_data_folder

pytestmark = pytest.mark.integration

ROOT = Path(settings.BASE_DIR)
DEMO_ORDERS = 60
BANNER_END = "Press Ctrl-C to stop."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_reference_ids() -> list[str]:
    """Every referenceId of the sandbox's demo data (recycled PNRs match two orders)."""
    state = SandboxState(SandboxConfig())
    state.reset(orders=DEMO_ORDERS, seed=1)
    return sorted({order.fields["referenceId"] for order in state.orders.values()})


@dataclass
class Stack:
    app: str
    sandbox: str
    pgdata: Path
    env: dict[str, str]
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(host=str(self.pgdata), user="postgres", dbname="cdpadmin") as conn:
            return conn.execute(sql, params).fetchall()

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with server_data_folder("cdpadmin-trial-") as folder:
        yield from _started_stack(folder)


def _started_stack(folder: Path) -> Iterator[Stack]:
    app_port, sandbox_port = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(folder)),
        "ENV_FILE": "",
        "EMBEDDED_PGDATA": str(folder / "pgdata"),
        "CDP_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
    }
    started = Stack(
        app=f"http://127.0.0.1:{app_port}",
        sandbox=env["CDP_BASE_URL"],
        pgdata=folder / "pgdata",
        env=env,
        output=folder / "output.txt",
    )
    with started.output.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_stack"]
            + ["--port", str(app_port), "--orders", str(DEMO_ORDERS)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
        )
    try:
        deadline = time.monotonic() + 120
        while BANNER_END not in started.text():
            assert process.poll() is None, started.text()
            assert time.monotonic() < deadline, started.text()
            time.sleep(0.2)
        time.sleep(1.0)
        yield started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # Ctrl-C stopped the embedded server too; its data stays for the next start.
    assert not (started.pgdata / "postmaster.pid").exists()
    assert (started.pgdata / "PG_VERSION").exists()


def signed_in(stack: Stack) -> requests.Session:
    session = requests.Session()
    login = session.get(f"{stack.app}/accounts/login/", timeout=10)
    assert login.status_code == 200
    assert "demo" in login.text and "cdpadmin-demo" in login.text
    answer = session.post(
        f"{stack.app}/accounts/login/",
        data={
            "login": "demo",
            "password": "cdpadmin-demo",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{stack.app}/accounts/login/"},
        timeout=10,
    )
    assert answer.status_code == 200 and "Sign in to cdpadmin" not in answer.text
    return session


def post(session: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    data = {**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(url, data=data, headers={"Referer": url}, timeout=120)


def test_the_start_is_quiet_and_ends_with_the_banner(stack: Stack) -> None:
    text = stack.text()

    assert "Preparing the database (the embedded PostgreSQL in" in text
    assert text.rstrip().endswith(BANNER_END)
    for noise in ("WARNING", "Traceback", "development server", "No directory at"):
        assert noise not in text
    assert "Sign in as demo / cdpadmin-demo" in text and "DEMO-1" in text


def test_bulk_tagging_every_demo_order_ends_with_none_failed_and_a_faithful_trail(
    stack: Stack,
) -> None:
    session = signed_in(stack)
    session.get(f"{stack.app}/bulk/", timeout=10)
    references = demo_reference_ids()
    preview = post(
        session,
        f"{stack.app}/bulk/",
        {
            "inputs": "\n".join(references),
            "remove_keys": "",
            "set-TOTAL_FORMS": "1",
            "set-INITIAL_FORMS": "0",
            "set-0-key": "trial",
            "set-0-type": "string",
            "set-0-value": "tagged",
        },
    )
    assert preview.status_code == 200, preview.text
    token = preview.text.split('name="plan" value="', 1)[1].split('"', 1)[0]
    # The preview ticks "include all" for inputs that match several orders; the browser sends it.
    started = post(session, f"{stack.app}/bulk/run/", {"plan": token, "include_ambiguous": "1"})
    assert started.status_code == 200
    job_id = started.url.rstrip("/").rsplit("/", 1)[1]

    deadline = time.monotonic() + 180
    while True:
        progress = session.get(
            f"{stack.app}/bulk/{job_id}/progress/", headers={"HX-Request": "true"}, timeout=10
        )
        if progress.status_code == 286:  # htmx: stop polling, the job is finished
            break
        assert time.monotonic() < deadline, progress.text
        time.sleep(0.5)

    states = dict(
        stack.query(
            "SELECT state, count(*) FROM orders_bulkjoborder WHERE job_id = %s GROUP BY state",
            job_id,
        )
    )
    assert len(references) < sum(states.values())  # recycled PNRs: some inputs match two
    assert states == {"done": sum(states.values())}
    assert 'data-count="failed">0<' in progress.text

    outcomes = stack.query(
        "SELECT i.method, i.cdp_path, o.cdp_status, o.outcome FROM orders_auditentry i "
        "LEFT JOIN orders_auditentry o ON o.intent_id = i.id AND o.phase = 'outcome' "
        "WHERE i.job_id = %s AND i.phase = 'intent'",
        job_id,
    )
    assert all(outcome == "success" for *_, outcome in outcomes), outcomes
    answered = requests.get(f"{stack.sandbox}/__sandbox__/requests", timeout=10).json()
    writes = Counter(
        (r["method"], r["path"], r["status"]) for r in answered if r["method"] != "GET"
    )
    assert Counter((method, path, status) for method, path, status, _ in outcomes) == writes

    verified = stack.manage("verify_audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_audit_key_filter_and_key_history_answer_on_the_embedded_server(
    stack: Stack,
) -> None:
    session = signed_in(stack)

    for path in ("/audit/?key=trial", "/audit/keys/trial/", "/audit/?key=segment"):
        page = session.get(f"{stack.app}{path}", timeout=30)
        assert page.status_code == 200, (path, page.text[:500])
        assert "Server Error" not in page.text
