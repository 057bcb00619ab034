from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from cdpadmin import trialdb
from orders.checkpoints import generate_key
from orders.tasks import schedule_audit_checkpoints


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_for_page(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own app
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def embedded_pgdata() -> Path | None:
    """The embedded server's data folder, when DATABASE_URL is unset."""
    database = settings.DATABASES["default"]
    return Path(database["PGDATA"]) if database["ENGINE"] == "cdpadmin.trialdb" else None


class Command(BaseCommand):
    help = (
        "Start cdpadmin for `make run`: the database (the embedded PostgreSQL when DATABASE_URL "
        "is unset), migrated; the CDP sandbox with demo data (trial mode only); a background "
        "job worker and the web app. Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--orders", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        # The children log warnings and errors only, so the banner stays the last thing printed.
        child_env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
        children: list[subprocess.Popen[bytes]] = []
        pgdata = embedded_pgdata()

        def stop() -> None:
            # Each child leads its own process group, so Ctrl-C reaches run_stack alone and each
            # child is asked exactly once (a second SIGINT makes the worker abandon its task; a
            # job left half-done resumes where it stopped). A group still there after the wait,
            # or a process its leader left behind, is killed.
            for child in children:
                if child.poll() is None:
                    signal_group(child, signal.SIGINT)
            deadline = time.monotonic() + 10
            for child in children:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                signal_group(child, signal.SIGKILL)
                child.wait()
            children.clear()
            connections.close_all()
            if pgdata is not None:
                trialdb.stop(pgdata)

        def start(*command: str) -> None:
            children.append(subprocess.Popen([*manage, *command], env=child_env, process_group=0))

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        # Ctrl-C even when started from a shell that ignores SIGINT for background jobs.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            where = (
                f"the embedded PostgreSQL in {pgdata}"
                if pgdata
                else settings.DATABASES["default"]["NAME"]
            )
            self.stdout.write(f"Preparing the database ({where})...")
            self.stdout.flush()
            call_command("migrate", interactive=False, verbosity=0)
            checkpoints = self.trial_checkpoints()
            os.environ.update(checkpoints)
            child_env.update(checkpoints)
            if os.environ.get("AUDIT_SIGNING_KEY_FILE"):
                # The first one after a period, like the rest: start-up stays quiet.
                schedule_audit_checkpoints(delay_s=settings.AUDIT_CHECKPOINT_EVERY_S)
            # The worker first: its one start-up line comes well before the banner.
            start("db_worker")
            if settings.CDP_SANDBOX:
                sandbox = urlsplit(settings.CDP_BASE_URL)
                host, port = sandbox.hostname or "127.0.0.1", sandbox.port or 8001
                start(
                    "cdp_sandbox",
                    *("--host", host, "--port", str(port)),
                    *("--orders", str(options["orders"]), "--seed", "1"),
                )
                if not wait_for_port(host, port, 20):
                    raise CommandError(f"The CDP sandbox did not start on {host}:{port}.")
                self.ensure_demo_login()
            # Gunicorn, as in production (`make serve`), rather than Django's development
            # server and its warning; WhiteNoise serves the static files from the apps.
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "cdpadmin.wsgi",
                        *("--bind", f"127.0.0.1:{options['port']}"),
                        *("--workers", "1", "--threads", "8", "--timeout", "120"),
                        *("--log-level", "warning"),
                    ],
                    cwd=settings.BASE_DIR,
                    env=child_env,
                    process_group=0,
                )
            )
            # The first page served, not just the port open: the banner comes after the app's
            # start-up output.
            if not wait_for_page(f"http://127.0.0.1:{options['port']}/accounts/login/", 30):
                raise CommandError(f"The app did not start on port {options['port']}.")
            self.announce(options["port"], pgdata)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            raise CommandError("A process stopped unexpectedly; see its output above.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            stop()

    def ensure_demo_login(self) -> None:
        user, created = User.objects.get_or_create(
            username=settings.DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
            user.groups.set(Group.objects.all())

    def trial_checkpoints(self) -> dict[str, str]:
        """In trial mode, sign audit checkpoints with a key kept in the git-ignored data folder."""
        if not settings.CDP_SANDBOX or settings.AUDIT_SIGNING_KEY_FILE:
            return {}
        data = settings.BASE_DIR / ".cdpadmin"
        key = data / "audit-signing-key.pem"
        if not key.exists():
            generate_key(key)
        return {
            "AUDIT_SIGNING_KEY_FILE": str(key),
            "AUDIT_CHECKPOINT_DIR": str(data / "audit-checkpoints"),
        }

    def announce(self, port: int, pgdata: Path | None) -> None:
        lines = ["", f"cdpadmin is running at http://127.0.0.1:{port}/"]
        if settings.CDP_SANDBOX:
            lines += [
                f"Sign in as {settings.DEMO_USERNAME} / {settings.DEMO_PASSWORD} "
                "(trial mode, local CDP sandbox).",
                "Try searching for the referenceId DEMO-1.",
            ]
        else:
            lines.append(f"Talking to CDP at {settings.CDP_BASE_URL}.")
        if pgdata:
            lines.append(f"Data is kept in {pgdata} (delete it to start afresh).")
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()
