"""`python manage.py cdp_sandbox`: run the local CDP Order API emulator until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from orders.sandbox.config import SandboxConfig
from orders.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = (
        "Serve the CDP sandbox (an emulator of the Sitecore CDP Order REST API v2.1) with "
        "deterministic demo data. The demo order to search for is referenceId DEMO-1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--orders", type=int, default=200, help="demo orders to seed")
        parser.add_argument("--seed", type=int, default=1, help="seed of the demo data")
        parser.add_argument("--latency-ms", type=float, default=0.0)
        parser.add_argument("--jitter-ms", type=float, default=0.0)
        parser.add_argument("--rate-limit", type=float, default=0.0, help="requests per second")
        parser.add_argument("--error-rate-500", type=float, default=0.0)
        parser.add_argument("--error-rate-503", type=float, default=0.0)
        parser.add_argument(
            "--client-key", default=getattr(settings, "SANDBOX_CLIENT_KEY", "sandbox-client-key")
        )
        parser.add_argument(
            "--api-token", default=getattr(settings, "SANDBOX_API_TOKEN", "sandbox-api-token")
        )
        parser.add_argument(
            "--public-base-url", default=None, help="prefix of hrefs (default: own URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = SandboxConfig(
            client_key=options["client_key"],
            api_token=options["api_token"],
            public_base_url=options["public_base_url"],
            latency_ms=options["latency_ms"],
            jitter_ms=options["jitter_ms"],
            rate_limit_per_s=options["rate_limit"],
            error_rate_500=options["error_rate_500"],
            error_rate_503=options["error_rate_503"],
        )
        server = SandboxServer(host=options["host"], port=options["port"], config=config)
        server.reset(orders=options["orders"], seed=options["seed"])
        stopping = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            stopping.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        server.start()
        self.stdout.write(
            f"CDP sandbox serving at {server.base_url} "
            f"({options['orders']} demo orders, seed {options['seed']}; try referenceId DEMO-1)"
        )
        self.stdout.flush()
        try:
            # A timed wait keeps the main thread responsive to signals.
            while not stopping.wait(0.5):
                pass
        finally:
            server.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
