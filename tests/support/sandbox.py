"""What the sandbox received, in the shapes tests compare against: the one home of sandbox spies."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from django.test import Client

from orders.sandbox.server import RecordedRequest, SandboxServer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def full_path(request: RecordedRequest) -> str:
    """The path with its query, as the client sent it."""
    return request.path + (f"?{request.query}" if request.query else "")


def body_of(request: RecordedRequest) -> Any:
    """The JSON body received, or None when there was none."""
    return json.loads(request.body) if request.body.strip() else None


def writes(sandbox: SandboxServer) -> list[RecordedRequest]:
    """Every write the sandbox received, in order."""
    return [r for r in sandbox.request_log if r.method in WRITE_METHODS]


def sent_writes(sandbox: SandboxServer) -> list[tuple[str, str, Any, int]]:
    """(method, path with query, JSON body, status) of every write received."""
    return [(r.method, full_path(r), body_of(r), r.status) for r in writes(sandbox)]


def write_parts(sandbox: SandboxServer) -> list[tuple[str, str, str, Any]]:
    """(method, path, query, JSON body) of every write received."""
    return [(r.method, r.path, r.query, body_of(r)) for r in writes(sandbox)]


def method_counts(sandbox: SandboxServer) -> Counter[str]:
    """How many requests of each method the sandbox received."""
    return Counter(r.method for r in sandbox.request_log)


def form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """What a browser would post back from the form at `url`, with `changes` typed in.

    Fields shown with a hidden initial (the edit forms) carry it as `initial-<name>`.
    """
    form = client.get(url).context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        data[name] = "" if value is None else value
        if field.show_hidden_initial:
            data[f"initial-{name}"] = data[name]
    data.update(changes)
    return data
