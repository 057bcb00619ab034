from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from orders.checkpoints import generate_key
from orders.tasks import schedule_audit_checkpoints

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "cdpadmin-demo"  # noqa: S105 - trial mode only, against the local sandbox


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Command(BaseCommand):
    help = (
        "Start cdpadmin for `make run`: the CDP sandbox with demo data (trial mode only), "
        "a background job worker and the web app. Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--orders", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children: list[subprocess.Popen[bytes]] = []

        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            if settings.CDP_SANDBOX:
                sandbox = urlsplit(settings.CDP_BASE_URL)
                host, port = sandbox.hostname or "127.0.0.1", sandbox.port or 8001
                children.append(
                    subprocess.Popen(
                        [
                            *manage,
                            "cdp_sandbox",
                            "--host",
                            host,
                            "--port",
                            str(port),
                            "--orders",
                            str(options["orders"]),
                            "--seed",
                            "1",
                        ]
                    )
                )
                if not wait_for_port(host, port, 20):
                    raise CommandError(f"The CDP sandbox did not start on {host}:{port}.")
                self.ensure_demo_login()
            os.environ.update(self.trial_checkpoints())
            if os.environ.get("AUDIT_SIGNING_KEY_FILE"):
                schedule_audit_checkpoints(delay_s=0)
            children.append(subprocess.Popen([*manage, "db_worker"]))
            children.append(
                subprocess.Popen(
                    [*manage, "runserver", f"127.0.0.1:{options['port']}", "--noreload"]
                )
            )
            if not wait_for_port("127.0.0.1", options["port"], 30):
                raise CommandError(f"The app did not start on port {options['port']}.")
            self.announce(options["port"])
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            raise CommandError("A process stopped unexpectedly; see its output above.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            stop()

    def ensure_demo_login(self) -> None:
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
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

    def announce(self, port: int) -> None:
        lines = [f"cdpadmin is running at http://127.0.0.1:{port}/"]
        if settings.CDP_SANDBOX:
            lines += [
                f"Sign in as {DEMO_USERNAME} / {DEMO_PASSWORD} (trial mode, local CDP sandbox).",
                "Try searching for the referenceId DEMO-1.",
            ]
        else:
            lines.append(f"Talking to CDP at {settings.CDP_BASE_URL}.")
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
