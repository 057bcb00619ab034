"""Control endpoints under `/__sandbox__/` for out-of-process use (benchmarks, demos).

They bypass auth and faults and are not recorded in the request log:
- `GET  /__sandbox__/health` → `{"ok": true}`
- `GET  /__sandbox__/requests[?clear=1]` → the request log as a JSON list (then cleared)
- `GET  /__sandbox__/config` → the live config
- `POST /__sandbox__/config` → patch config fields with a JSON object; answers the new config
- `POST /__sandbox__/inject` → `SandboxServer.inject(**body)`
- `POST /__sandbox__/reset` → `SandboxServer.reset(orders=…, seed=…)`
- `POST /__sandbox__/plant` → `state.plant(ref, fields, remove)`: data CDP's own checks
  would refuse, as other systems writing to CDP may leave it
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .errors import ApiError
from .outcome import Outcome
from .util import parse_json

if TYPE_CHECKING:
    from .server import SandboxServer

ControlHandler = Callable[["SandboxServer", dict[str, list[str]], Any], Any]


def _health(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    return {"ok": True, "counts": srv.state.counts()}


def _requests(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    log = [r.as_dict() for r in srv.request_log]
    if query.get("clear", ["0"])[0] not in ("", "0", "false"):
        srv.clear_log()
    return log


def _get_config(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    return srv.config.as_dict()


def _set_config(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    srv.config.update(_object(body))
    return srv.config.as_dict()


def _inject(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    kwargs = _object(body)
    allowed = set(inspect.signature(srv.inject).parameters)
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(f"Unknown inject argument(s): {', '.join(unknown)}.")
    return {"injected": srv.inject(**kwargs).as_dict()}


def _plant(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    kwargs = _object(body)
    srv.state.plant(str(kwargs["ref"]), _object(kwargs.get("fields", {})), kwargs.get("remove"))
    return {"ok": True}


def _reset(srv: SandboxServer, query: dict[str, list[str]], body: Any) -> Any:
    kwargs = _object(body) if body is not None else {}
    orders = int(kwargs.get("orders", 0))
    seed = int(kwargs.get("seed", 1))
    srv.reset(orders=orders, seed=seed)
    return {"ok": True, "counts": srv.state.counts()}


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    return body


ROUTES: dict[tuple[str, str], ControlHandler] = {
    ("GET", "/__sandbox__/health"): _health,
    ("GET", "/__sandbox__/requests"): _requests,
    ("GET", "/__sandbox__/config"): _get_config,
    ("POST", "/__sandbox__/config"): _set_config,
    ("POST", "/__sandbox__/inject"): _inject,
    ("POST", "/__sandbox__/reset"): _reset,
    ("POST", "/__sandbox__/plant"): _plant,
}


def handle_control(srv: SandboxServer, method: str, path: str, query: str, raw: bytes) -> Outcome:
    handler = ROUTES.get((method, path))
    if handler is None:
        known = {p for _, p in ROUTES}
        status = 405 if path in known else 404
        return Outcome.json(
            status, {"error": f"{method} {path} is not a sandbox control endpoint."}
        )
    try:
        body = parse_json(raw) if raw.strip() else None
        return Outcome.json(200, handler(srv, parse_qs(query, keep_blank_values=True), body))
    except ApiError as exc:
        return Outcome.json(400, {"error": exc.developer_message or exc.message})
    except (ValueError, TypeError) as exc:
        return Outcome.json(400, {"error": str(exc)})
