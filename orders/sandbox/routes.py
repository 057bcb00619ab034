"""Routing of the 39 v2.1 operations (§8) plus the legacy v2 order update (§13.3).

Each handler runs the checks of §14.1 point 4 in order: the caller has already done auth;
the handler checks existence (404), then parses the body (400), then the store validates
required fields, formats and business rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .errors import ApiError
from .paging import ListRequest
from .records import ExtensionKind
from .state import SandboxState
from .util import parse_json_object


@dataclass
class ApiRequest:
    method: str
    path: str
    raw_query: str
    params: list[tuple[str, str]]
    body: bytes
    base_url: str
    groups: dict[str, str] = field(default_factory=dict)

    def list_request(self) -> ListRequest:
        return ListRequest(self.base_url, self.path, self.raw_query, self.params)

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]


Result = tuple[int, Any]
Handler = Callable[[SandboxState, ApiRequest], Result]
REF = r"(?P<ref>[^/]+)"
NAME = r"(?P<name>[^/]+)"


def _ref(request: ApiRequest) -> str:
    return unquote(request.groups["ref"]).lower()


def _name(request: ApiRequest) -> str:
    return unquote(request.groups["name"])


def _body(state: SandboxState, request: ApiRequest, kind: str | None) -> dict[str, Any]:
    if kind is not None:
        state.require(kind, _ref(request))
    return parse_json_object(request.body)


# -- orders ----------------------------------------------------------------------------------


def order_create(state: SandboxState, request: ApiRequest) -> Result:
    return 201, state.create_order(_body(state, request, None))


def order_list(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.list_orders(request.list_request())


def order_get(state: SandboxState, request: ApiRequest) -> Result:
    # §9.5 [INF]: sub-resource names, comma-separated.
    expand = frozenset(
        token.strip() for value in request.values("expand") for token in value.split(",")
    )
    return 200, state.get_order(_ref(request), expand & {"orderItems", "contacts", "consumers"})


def order_put(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.update_order(_ref(request), _body(state, request, "order"), partial=False)


def order_patch(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.update_order(_ref(request), _body(state, request, "order"), partial=True)


def order_delete(state: SandboxState, request: ApiRequest) -> Result:
    state.delete_order(_ref(request))
    return 204, None


def order_update_v2(state: SandboxState, request: ApiRequest) -> Result:
    body = _body(state, request, "order")
    return 200, state.update_order(_ref(request), body, partial=False, v2=True)


# -- items -----------------------------------------------------------------------------------


def item_create(state: SandboxState, request: ApiRequest) -> Result:
    return 201, state.create_item(_ref(request), _body(state, request, "order"))


def item_list(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.list_items(_ref(request), request.list_request())


def item_get(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.get_item(_ref(request))


def item_put(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.update_item(_ref(request), _body(state, request, "orderItem"), partial=False)


def item_patch(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.update_item(_ref(request), _body(state, request, "orderItem"), partial=True)


def item_delete(state: SandboxState, request: ApiRequest) -> Result:
    state.delete_item(_ref(request))
    return 204, None


# -- contacts and consumers ------------------------------------------------------------------


def person_handlers(kind: str) -> dict[str, dict[str, Handler]]:
    """Handlers for the parent-collection path and the item path of contacts or consumers."""

    def create(state: SandboxState, request: ApiRequest) -> Result:
        return 201, state.create_person(kind, _ref(request), _body(state, request, "order"))

    def list_(state: SandboxState, request: ApiRequest) -> Result:
        return 200, state.list_people(kind, _ref(request), request.list_request())

    def get(state: SandboxState, request: ApiRequest) -> Result:
        return 200, state.get_person(kind, _ref(request))

    def put(state: SandboxState, request: ApiRequest) -> Result:
        body = _body(state, request, kind)
        return 200, state.update_person(kind, _ref(request), body, partial=False)

    def patch(state: SandboxState, request: ApiRequest) -> Result:
        body = _body(state, request, kind)
        return 200, state.update_person(kind, _ref(request), body, partial=True)

    def delete(state: SandboxState, request: ApiRequest) -> Result:
        state.delete_person(kind, _ref(request))
        return 204, None

    return {
        "collection": {"POST": create, "GET": list_},
        "resource": {"GET": get, "PUT": put, "PATCH": patch, "DELETE": delete},
    }


def consumer_items(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.list_consumer_items(_ref(request), request.list_request())


# -- data extensions -------------------------------------------------------------------------


def extension_handlers(kind: ExtensionKind) -> dict[str, dict[str, Handler]]:
    def ext_body(state: SandboxState, request: ApiRequest, must_exist: bool) -> dict[str, Any]:
        if must_exist:
            state.require_extension(kind, _ref(request), _name(request))
        else:
            state.require(kind, _ref(request))
        return parse_json_object(request.body)

    def create(state: SandboxState, request: ApiRequest) -> Result:
        body = ext_body(state, request, must_exist=False)
        return 201, state.create_extension(kind, _ref(request), _name(request), body)

    def get(state: SandboxState, request: ApiRequest) -> Result:
        return 200, state.get_extension(kind, _ref(request), _name(request))

    def put(state: SandboxState, request: ApiRequest) -> Result:
        body = ext_body(state, request, must_exist=True)
        return 200, state.update_extension(kind, _ref(request), _name(request), body, partial=False)

    def patch(state: SandboxState, request: ApiRequest) -> Result:
        body = ext_body(state, request, must_exist=True)
        return 200, state.update_extension(kind, _ref(request), _name(request), body, partial=True)

    def delete(state: SandboxState, request: ApiRequest) -> Result:
        state.delete_extension(kind, _ref(request), _name(request))
        return 204, None

    def delete_fields(state: SandboxState, request: ApiRequest) -> Result:
        # §11.4: `name=a|b`; the pipe arrives raw or as %7C, both decode the same.
        names = request.values("name")
        keys = None if not names else [k for v in names for k in v.split("|") if k]
        return 200, state.delete_extension_fields(kind, _ref(request), _name(request), keys)

    def list_(state: SandboxState, request: ApiRequest) -> Result:
        return 200, state.list_extensions(kind, _ref(request), request.list_request())

    return {
        "resource": {"POST": create, "GET": get, "PUT": put, "PATCH": patch, "DELETE": delete},
        "fields": {"DELETE": delete_fields},
        "collection": {"GET": list_},
    }


# -- guests (read only; shared/cdp-api/guest-lookup.md) -------------------------------------


def _guest_api(state: SandboxState, request: ApiRequest) -> str:
    if request.path.startswith("/v2/"):
        if not state.config.guest_legacy_api:
            raise ApiError(404, "Resource not found")
        return "v2"
    return "v2.1"


def guest_search(state: SandboxState, request: ApiRequest) -> Result:
    api = _guest_api(state, request)
    return 200, state.search_guests(request.list_request(), api)


def guest_get(state: SandboxState, request: ApiRequest) -> Result:
    return 200, state.get_guest(_ref(request), _guest_api(state, request))


def _build_routes() -> list[tuple[re.Pattern[str], dict[str, Handler]]]:
    contact = person_handlers("contact")
    consumer = person_handlers("consumer")
    order_ext = extension_handlers("order")
    item_ext = extension_handlers("orderItem")
    table: list[tuple[str, dict[str, Handler]]] = [
        (r"/v2\.1/orders", {"POST": order_create, "GET": order_list}),
        (
            rf"/v2\.1/orders/{REF}",
            {"GET": order_get, "PUT": order_put, "PATCH": order_patch, "DELETE": order_delete},
        ),
        (rf"/v2/orders/{REF}", {"POST": order_update_v2}),
        (rf"/v2\.1/orders/{REF}/orderItems", {"POST": item_create, "GET": item_list}),
        (
            rf"/v2\.1/orderItems/{REF}",
            {"GET": item_get, "PUT": item_put, "PATCH": item_patch, "DELETE": item_delete},
        ),
        (rf"/v2\.1/orders/{REF}/contacts", contact["collection"]),
        (rf"/v2\.1/orderContacts/{REF}", contact["resource"]),
        (rf"/v2\.1/orders/{REF}/consumers", consumer["collection"]),
        (rf"/v2\.1/orderConsumers/{REF}", consumer["resource"]),
        (rf"/v2\.1/orderConsumers/{REF}/orderItems", {"GET": consumer_items}),
        (rf"/v2\.1/orders/{REF}/extensions", order_ext["collection"]),
        (rf"/v2\.1/orders/{REF}/extensions/{NAME}", order_ext["resource"]),
        (rf"/v2\.1/orders/{REF}/extensions/{NAME}/fields", order_ext["fields"]),
        (rf"/v2\.1/orderItems/{REF}/extensions", item_ext["collection"]),
        (rf"/v2\.1/orderItems/{REF}/extensions/{NAME}", item_ext["resource"]),
        (rf"/v2\.1/orderItems/{REF}/extensions/{NAME}/fields", item_ext["fields"]),
        (r"/v2(?:\.1)?/guests", {"GET": guest_search}),
        (rf"/v2(?:\.1)?/guests/{REF}", {"GET": guest_get}),
    ]
    return [(re.compile(f"^{pattern}$"), handlers) for pattern, handlers in table]


ROUTES = _build_routes()
OPERATION_COUNT = sum(len(h) for _, h in ROUTES)


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler for a request; 404 for unknown paths, 405 for other methods (§14.1.3)."""
    for pattern, handlers in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        handler = handlers.get(method)
        if handler is None:
            raise ApiError(405, "Method not allowed", headers={"Allow": ", ".join(handlers)})
        return handler, match.groupdict()
    raise ApiError(404, "Resource not found")
