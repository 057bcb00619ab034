"""The HTTP transport to CDP: one pooled session, default timeouts, careful retries, one log line.

Built on zulip's `OutgoingSession` pattern: the adapter fills in a timeout when a call gave
none, so no request can hang, and urllib3's `Retry` resends only what is safe to resend.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from contextvars import ContextVar
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from orders.cdp.calls import CdpCall, current_watch
from orders.cdp.errors import (
    CdpRateLimited,
    error_from_exception,
    error_from_response,
    malformed_answer,
    rate_limited,
    request_id_of,
)
from orders.cdp.pacing import Pacer
from orders.cdp.vocabulary import to_cdp_json

logger = logging.getLogger("orders.cdp")

USER_AGENT = "cdpadmin/0.1"
RETRY_STATUSES = (429, 500, 502, 503, 504)
RESENDABLE_METHODS = frozenset({"GET", "PUT", "DELETE"})
# Longest single wait between attempts, so a page is never stuck behind a long Retry-After.
MAX_RETRY_WAIT_S = 5.0

JsonBody = Mapping[str, Any]
# A query is a mapping, or a string the caller already percent-encoded (guest searches).
Query = Mapping[str, str | int] | str
# Query parameters whose values are never personal data, so logs may show them.
LOGGED_PARAMS = frozenset({"offset", "limit", "expand", "sort"})


def redacted_query(params: Query | None) -> str:
    """`?name=value&…` for a log line: only paging and sorting values; others `[redacted]`.

    Searches carry emails, phone numbers and loyalty ids in the query (G§5), so the log
    keeps what was asked for (the parameter names), never by what.
    """
    if not params:
        return ""
    if isinstance(params, str):
        pairs = [pair.partition("=")[::2] for pair in params.split("&") if pair]
    else:
        pairs = [(name, str(value)) for name, value in params.items()]
    shown = [f"{name}={value if name in LOGGED_PARAMS else '[redacted]'}" for name, value in pairs]
    return "?" + "&".join(shown)


_URL_QUERY = re.compile(r"\?([^\s'\")]+)")


class RedactQueries(logging.Filter):
    """Rewrites urllib3's own log lines (a retry warning names the URL) without query values."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _URL_QUERY.sub(lambda m: redacted_query(m.group(1)), message)
            record.args = ()
        return True


# A filter on a logger only sees records logged on that very logger, so each is named.
for _name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(RedactQueries())

# Resends of the call in flight on this thread, counted by `CdpRetry` as urllib3 makes them.
_resends: ContextVar[int] = ContextVar("cdp_resends", default=0)


class CdpRetry(Retry):
    """urllib3's `Retry`, tightened for CDP.

    * POST and PATCH are never resent, whatever failed (a connect error included): a create
      or partial update sent twice can duplicate or merge data.
    * A read timeout is not resent either: the user has already waited the full timeout, and
      the error sentence names that wait.
    * A `Retry-After` longer than `MAX_RETRY_WAIT_S` is not waited out: the 429 is returned
      at once and becomes `CdpRateLimited` with the wait CDP asked for.
    """

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if error is not None and not self._may_resend(method, error):
            spent = self.new(total=0)
            return Retry.increment(spent, method, url, response, error, _pool, _stacktrace)
        if response is not None and self._asks_long_wait(response):
            raise MaxRetryError(_pool, url, ResponseError("Retry-After exceeds the wait cap"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        _resends.set(_resends.get() + 1)
        return retry

    def _may_resend(self, method: str | None, error: Exception) -> bool:
        return (method or "").upper() in RESENDABLE_METHODS and not isinstance(
            error, ReadTimeoutError
        )

    def _asks_long_wait(self, response: Any) -> bool:
        try:
            wait = self.get_retry_after(response)
        except Exception:  # an unreadable header: fall back to plain backoff
            return False
        return wait is not None and wait > MAX_RETRY_WAIT_S


def build_retry(retries: int) -> CdpRetry:
    """The retry policy for `retries` extra attempts of idempotent calls."""
    return CdpRetry(
        total=max(0, retries),
        redirect=0,
        backoff_factor=0.2,
        backoff_max=MAX_RETRY_WAIT_S,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RESENDABLE_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


class CdpHTTPAdapter(HTTPAdapter):
    """An `HTTPAdapter` whose `send` applies a default (connect, read) timeout."""

    def __init__(self, *, timeout: float, **kwargs: Any) -> None:
        self.timeout = (timeout, timeout)
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def build_session(
    *, client_key: str, api_token: str, timeout: float, retries: int, pool_size: int
) -> requests.Session:
    """A keep-alive session with Basic auth, JSON headers, default timeouts and retries."""
    session = requests.Session()
    adapter = CdpHTTPAdapter(
        timeout=timeout,
        pool_connections=4,
        pool_maxsize=max(1, pool_size),
        max_retries=build_retry(retries),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.auth = (client_key, api_token)
    session.headers.update(
        {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
    )
    # Threads share this session; CDP needs no cookies, so none may be kept between calls.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def settle_environment(session: requests.Session, base_url: str) -> None:
    """Read the proxy and CA-bundle settings of the environment once, for every call.

    With `trust_env` requests re-reads them (and parses `no_proxy`) on each of the order
    page's five calls; they do not change while the process runs.
    """
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def query_string(params: Query | None) -> str:
    """`?…` for a URL, encoded as requests encodes `params` (None values left out), or ""."""
    if not params:
        return ""
    if isinstance(params, str):
        return f"?{params}"
    return "?" + urlencode([(name, value) for name, value in params.items() if value is not None])


def encode_body(body: JsonBody) -> bytes:
    """JSON for a request body, through CDP's one encoder (`vocabulary.to_cdp_json`)."""
    return json.dumps(to_cdp_json(body), allow_nan=False, ensure_ascii=False).encode()


def check_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash, refusing what would leak or misroute requests."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("The CDP base URL must be an http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        # Credentials belong in CDP_CLIENT_KEY/CDP_API_TOKEN, never in a URL that gets logged.
        raise ValueError("The CDP base URL must not contain credentials.")
    if parts.query or parts.fragment:
        raise ValueError("The CDP base URL must not have a query or fragment.")
    return base_url.rstrip("/")


class Transport:
    """Sends one call to CDP and returns its decoded JSON, or raises a `CdpError`."""

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        api_token: str,
        timeout: float,
        retries: int,
        pool_size: int,
        pacer: Pacer | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self.pacer = pacer if pacer is not None else Pacer()
        self._secrets = (client_key, api_token)
        self.session = build_session(
            client_key=client_key,
            api_token=api_token,
            timeout=timeout,
            retries=retries,
            pool_size=pool_size,
        )
        settle_environment(self.session, self.base_url)
        # Proxies and CA bundle as `send` takes them: the environment was read once above.
        self._send_settings = self.session.merge_environment_settings(
            self.base_url, {}, None, None, None
        )
        # Every call's URL prefix and headers, Basic auth included, as requests prepares them.
        template = requests.PreparedRequest()
        template.prepare(
            method="GET", url=self.base_url, headers=self.session.headers, auth=self.session.auth
        )
        self._url_base = str(template.url).rstrip("/")
        self._headers = template.headers

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Query | None = None,
        body: JsonBody | None = None,
    ) -> Any:
        """Send `method path` and return the decoded JSON body (None for an empty answer).

        `path` must already be validated and quoted. Raises `CdpUnavailable` when no answer
        came, the status-mapped `CdpError` for a non-2xx answer, and `CdpUpstreamError` for a
        success whose body is not JSON. Inside `calls.watch_writes`, a write is reported just
        before it goes out (the watcher may stop it by raising) and after, as a `CdpCall`.
        """
        # Built from parts already prepared: the base URL and headers once, `path` quoted by
        # the caller. requests' own `prepare` parses and requotes the URL and encodes the auth
        # again on every call, which cost more CPU than sending the request.
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.url = self._url_base + path + query_string(params)
        prepared.headers = self._headers.copy()
        prepared.prepare_body(None if body is None else encode_body(body), None)
        self._pass_gate(method, path)
        watch = current_watch() if method != "GET" else None
        sent = CdpCall(
            method=method,
            path=prepared.path_url,
            body=None if prepared.body is None else json.loads(prepared.body),
        )
        if watch is not None:
            watch.before_send(sent)
        started = time.monotonic()
        _resends.set(0)
        try:
            response = self.session.send(prepared, allow_redirects=False, **self._send_settings)
        except requests.RequestException as exc:
            logged = path + redacted_query(params)
            self._log(method, logged, f"no answer ({type(exc).__name__})", started, None)
            if watch is not None:
                watch.sent.append(dataclasses.replace(sent, attempts=1 + _resends.get()))
            error = error_from_exception(exc, method=method, path=path, timeout=self.timeout)
            # requests' own exception text holds the full URL, query values included.
            raise error from (None if params else exc)
        if watch is not None:
            watch.sent.append(
                dataclasses.replace(sent, attempts=1 + _resends.get(), status=response.status_code)
            )
        request_id = request_id_of(response)
        self._log(method, path + redacted_query(params), response.status_code, started, request_id)
        if not 200 <= response.status_code < 300:
            refusal = error_from_response(response, method=method, path=path, secrets=self._secrets)
            if isinstance(refusal, CdpRateLimited):
                self.pacer.rate_limited(refusal.retry_after)
            raise refusal
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            raise malformed_answer(
                method=method,
                path=path,
                status=response.status_code,
                detail="the body of a success answer is not JSON",
                request_id=request_id,
            ) from None

    def _pass_gate(self, method: str, path: str) -> None:
        """Wait out a 429 another call met, or refuse at once when that is a long wait."""
        wait = self.pacer.open_in()
        if wait > MAX_RETRY_WAIT_S:
            raise rate_limited(wait, method=method, path=path)
        if wait > 0:
            time.sleep(wait)

    def _log(
        self, method: str, path: str, status: int | str, started: float, request_id: str | None
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info(
            "CDP %s %s -> %s in %.0f ms%s",
            method,
            path,
            status,
            elapsed_ms,
            f" (request id {request_id})" if request_id else "",
        )
