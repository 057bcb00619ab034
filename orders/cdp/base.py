"""What every CDP operation shares: the transport, and turning answers into records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from orders.cdp.errors import CdpUpstreamError, malformed_answer
from orders.cdp.http import JsonBody, Transport
from orders.cdp.pacing import Pacer
from orders.cdp.records import Page

T = TypeVar("T")

MAX_PAGE_LIMIT = 100
ORDER_UPDATE_APIS = frozenset({"v2.1", "v2"})
GUEST_APIS = ORDER_UPDATE_APIS


def check_window(offset: int, limit: int) -> tuple[int, int]:
    """(offset, limit) for a list call: offset ≥ 0 (else `ValueError`), limit clamped to 1..100."""
    for name, value in (("offset", offset), ("limit", limit)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be an integer, not {type(value).__name__}.")
    if offset < 0:
        raise ValueError("offset must be 0 or more.")
    return offset, min(max(limit, 1), MAX_PAGE_LIMIT)


def check_body(body: object) -> JsonBody:
    """A request body: a mapping of CDP's camelCase field names to values."""
    if not isinstance(body, Mapping):
        raise ValueError(f"A CDP request body must be a mapping, not {type(body).__name__}.")
    return body


class ClientBase:
    """Holds the transport, a small worker pool and the call helpers operations build on.

    The constructor takes every setting explicitly (tests build clients without Django);
    `orders.cdp.client.get_client()` builds the process-wide one from settings.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        api_token: str,
        timeout: float = 10.0,
        retries: int = 2,
        pool_size: int = 20,
        order_update_api: str = "v2.1",
        guest_api: str = "v2.1",
    ) -> None:
        if order_update_api not in ORDER_UPDATE_APIS:
            raise ValueError("order_update_api must be 'v2.1' or 'v2'.")
        if guest_api not in GUEST_APIS:
            raise ValueError("guest_api must be 'v2.1' or 'v2'.")
        if not client_key or not api_token:
            raise ValueError("The CDP client key and API token must both be set.")
        if timeout <= 0:
            raise ValueError("The CDP timeout must be a positive number of seconds.")
        self.order_update_api = order_update_api
        self.guest_api = guest_api
        self.pool_size = max(1, pool_size)
        # Every caller of this tenant, pages, lookups and bulk jobs alike, keeps this pace.
        self.pacer = Pacer()
        self.transport = Transport(
            base_url=base_url,
            client_key=client_key,
            api_token=api_token,
            timeout=timeout,
            retries=retries,
            pool_size=self.pool_size,
            pacer=self.pacer,
        )
        # Sections of concurrent order pages share it; the HTTP pool bounds the calls anyway.
        self._executor = ThreadPoolExecutor(
            max_workers=max(5, self.pool_size), thread_name_prefix="cdp"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.transport.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    def close(self) -> None:
        """Stop the worker threads and release pooled connections."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.transport.close()

    def _parsed(self, parse: Callable[[Any], T], payload: Any, method: str, path: str) -> T:
        try:
            return parse(payload)
        except CdpUpstreamError as exc:
            if exc.path is not None:
                raise
            raise malformed_answer(
                method=method, path=path, status=None, detail=exc.detail or str(exc)
            ) from None

    def _record(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        body: JsonBody | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> T:
        payload = self.transport.call(method, path, body=body, params=params)
        return self._parsed(parse, payload, method, path)

    def _page(
        self,
        path: str,
        parse: Callable[[Any], T],
        *,
        offset: int,
        limit: int,
        params: Mapping[str, str | int] | None = None,
    ) -> Page[T]:
        offset, limit = check_window(offset, limit)
        query: dict[str, str | int] = {**(params or {}), "offset": offset, "limit": limit}
        payload = self.transport.call("GET", path, params=query)

        def parse_page(data: Any) -> Page[T]:
            return Page.from_api(data, parse, offset=offset, limit=limit)

        return self._parsed(parse_page, payload, "GET", path)

    def _delete(self, path: str, *, params: Mapping[str, str] | None = None) -> None:
        # 204 is documented; 200 (with or without a body) is what a sibling API returns (§5.1).
        self.transport.call("DELETE", path, params=params)
