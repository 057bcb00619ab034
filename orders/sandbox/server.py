"""The sandbox HTTP server: a local emulator of the Sitecore CDP Order REST API v2.1.

    srv = SandboxServer(port=0, config=SandboxConfig()).start()
    ... requests to srv.base_url ...
    srv.stop()

Standard library only (`http.server`); HTTP/1.1 with keep-alive, so a pooled client sees
the same connection behaviour as against CDP.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .config import SandboxConfig
from .control import handle_control
from .errors import REASONS, ApiError, error_body
from .faults import FaultEngine, InjectedFault
from .outcome import Outcome, error_outcome
from .routes import ApiRequest, resolve
from .state import SandboxState
from .util import dumps

CONTROL_PREFIX = "/__sandbox__/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; `status` 0 means the connection was dropped."""

    method: str
    path: str
    query: str
    body: bytes
    status: int
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body.decode("utf-8", errors="replace"),
            "status": self.status,
            "at": self.at,
        }


class SandboxServer:
    """A running (or ready to run) sandbox on host:port; port 0 picks a free port."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, config: SandboxConfig | None = None
    ) -> None:
        self.config = config if config is not None else SandboxConfig()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self.state = SandboxState(self.config, self.base_url)
        self.faults = FaultEngine(self.config)
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cdp-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.close_connections()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- tests' controls -----------------------------------------------------------------

    @property
    def request_log(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far (control endpoints excluded)."""
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def reset(self, orders: int = 0, seed: int = 1) -> None:
        """Wipe all data and pending one-shot faults; seed `orders` demo orders."""
        self.faults.reset()
        self.state.reset(orders=orders, seed=seed)

    def inject(
        self,
        status: int | None = 503,
        times: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        delay_s: float | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> InjectedFault:
        """Give the next `times` matching requests this fault (see `InjectedFault`)."""
        return self.faults.inject(
            InjectedFault(
                status, times, method, path_prefix, retry_after, drop, delay_s, body, content_type
            )
        )

    # -- request pipeline ----------------------------------------------------------------

    def record(
        self, method: str, path: str, query: str, body: bytes, status: int, at: float
    ) -> None:
        with self._log_lock:
            self._log.append(RecordedRequest(method, path, query, body, status, at))

    def serve(self, method: str, path: str, query: str, body: bytes, headers: Any) -> Outcome:
        """Faults first (they stand for the network and gateway), then the API itself."""
        latency = self.faults.latency_s()
        if latency:
            time.sleep(latency)
        injected = self.faults.take_injected(method, path)
        if injected is not None:
            if injected.delay_s:
                time.sleep(injected.delay_s)
            if injected.drop:
                return Outcome(drop=True)
            if injected.status is not None:
                return self._injected_outcome(injected)
        retry_after = self.faults.retry_after()
        if retry_after is not None:
            return error_outcome(429, retry_after)
        chance = self.faults.random_fault()
        if chance.drop:
            return Outcome(drop=True)
        if chance.slow_s:
            time.sleep(chance.slow_s)
        if chance.status is not None:
            return error_outcome(chance.status)
        return self._api(method, path, query, body, headers)

    def _injected_outcome(self, fault: InjectedFault) -> Outcome:
        status = fault.status or 500
        retry_after = fault.retry_after
        if retry_after is None and status == 429:
            retry_after = 1
        headers = {"Content-Type": fault.content_type}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if fault.body is None:
            payload = dumps(error_body(status, REASONS.get(status, "Error")))
        elif isinstance(fault.body, str | bytes):
            payload = fault.body.encode("utf-8") if isinstance(fault.body, str) else fault.body
        else:
            payload = dumps(fault.body)
        return Outcome(status, payload, headers)

    def _authorized(self, headers: Any) -> bool:
        value = headers.get("Authorization") or ""
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() == "bearer":
            return self.config.accept_bearer and bool(credentials.strip())
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        # `&`, not `and`: both parts are always compared, so timing reveals neither.
        return bool(sep) and (
            hmac.compare_digest(user.encode(), self.config.client_key.encode())
            & hmac.compare_digest(password.encode(), self.config.api_token.encode())
        )

    def _api(self, method: str, path: str, query: str, body: bytes, headers: Any) -> Outcome:
        try:
            if not self._authorized(headers):
                raise ApiError(
                    401, "Unauthorized", headers={"WWW-Authenticate": 'Basic realm="Sitecore CDP"'}
                )
            handler, groups = resolve(method, path)
            if (
                self.config.require_json_content_type
                and method in BODY_METHODS
                and "application/json" not in (headers.get("Content-Type") or "")
            ):
                raise ApiError(415, REASONS[415])
            request = ApiRequest(
                method,
                path,
                query,
                parse_qsl(query, keep_blank_values=True),
                body,
                self.state.base_url,
                groups,
            )
            status, data = handler(self.state, request)
            return Outcome.json(status, data)
        except ApiError as exc:
            return Outcome.json(exc.status, exc.body, exc.headers)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_outcome(500)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: SandboxServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._connections_lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or are dropped on purpose close mid-request; that is expected.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Cut idle keep-alive connections too, as a real server going away would."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CDPSandbox/1.0"
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    # Buffered writes send status line, headers and body in one segment; written separately,
    # Nagle's algorithm and the client's delayed ACK cost ~40 ms per request.
    wbufsize = 1 << 16
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        at = time.time()
        sandbox = self.server.sandbox
        method = self.command
        split = urlsplit(self.path)
        path, query = split.path, split.query
        body = self._read_body()
        if path.startswith(CONTROL_PREFIX):
            outcome = handle_control(sandbox, method, path, query, body)
        else:
            outcome = sandbox.serve(method, path, query, body, self.headers)
            sandbox.record(method, path, query, body, 0 if outcome.drop else outcome.status, at)
        if outcome.drop:
            self._drop()
        else:
            self._send(outcome)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, outcome: Outcome) -> None:
        headers = dict(outcome.headers or {})
        if outcome.status != 204:
            # 204 carries no body and, per RFC 9110, no Content-Length either.
            headers.setdefault("Content-Type", "application/json")
            headers["Content-Length"] = str(len(outcome.body))
        try:
            self.send_response(outcome.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and outcome.status != 204:
                self.wfile.write(outcome.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout passed while a slow fault slept).
            self.close_connection = True
