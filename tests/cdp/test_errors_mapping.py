"""How CDP's answers and transport failures become the `CdpError` family.

`responses` stands in for CDP here only for answers a real server cannot easily produce on
demand (odd bodies, exact headers, exceptions); `responses` bypasses urllib3's retries, so
retries are tested against the sandbox instead (`test_contract_retries.py`).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from orders.cdp import (
    CdpClient,
    CdpConflict,
    CdpError,
    CdpForbidden,
    CdpNotFound,
    CdpRateLimited,
    CdpUnauthorized,
    CdpUnavailable,
    CdpUpstreamError,
    CdpValidationError,
    Order,
)
from orders.cdp.errors import (
    error_from_exception,
    field_from_message,
    malformed_answer,
    parse_retry_after,
)
from tests.cdp.support import (
    API_TOKEN,
    BASE_URL,
    CLIENT_KEY,
    ORDER_BODY,
    ORDER_PATH,
    ORDER_REF,
    ORDER_URL,
    make_client,
)

pytestmark = pytest.mark.unit

BAD_REQUEST = {
    "status": 400,
    "code": 400,
    "message": "orderedAt: may not be null.",
    "developerMessage": "orderedAt: may not be null.",
    "moreInfoUrl": "https://support.sitecore.com",
}
UNAUTHORIZED = {
    "status": "UNAUTHORIZED",
    "code": 401,
    "message": "Authentication credentials are required to access the resource. "
    "All requests must be authenticated.",
    "moreInfoUrl": "https://support.sitecore.com",
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, CdpValidationError),
        (401, CdpUnauthorized),
        (403, CdpForbidden),
        (404, CdpNotFound),
        (409, CdpConflict),
        (429, CdpRateLimited),
        (500, CdpUpstreamError),
        (502, CdpUpstreamError),
        (503, CdpUpstreamError),
        (504, CdpUpstreamError),
        (415, CdpUpstreamError),
        (302, CdpUpstreamError),
    ],
)
def test_each_status_maps_to_its_exception_class(
    cdp: CdpClient, mocked: responses.RequestsMock, status: int, expected: type[CdpError]
) -> None:
    body = {"status": status, "code": status, "message": "Something went wrong"}
    mocked.get(ORDER_URL, json=body, status=status)
    with pytest.raises(expected) as caught:
        cdp.order_get(ORDER_REF)
    exc = caught.value
    assert type(exc) is expected
    assert (exc.status, exc.method, exc.path) == (status, "GET", ORDER_PATH)
    assert exc.message and exc.message.endswith(".")
    assert str(exc) == exc.message


def test_the_status_line_wins_over_the_body_status(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, json={"status": 400, "code": 400, "message": "x: y"}, status=404)
    with pytest.raises(CdpNotFound):
        cdp.order_get(ORDER_REF)


def test_401_with_a_string_status_is_read_and_blames_the_application_credentials(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, json=UNAUTHORIZED, status=401)
    with pytest.raises(CdpUnauthorized) as caught:
        cdp.order_get(ORDER_REF)
    exc = caught.value
    assert exc.cdp_message == UNAUTHORIZED["message"]
    assert exc.more_info == "https://support.sitecore.com"
    assert "application" in exc.message and "not yours" in exc.message


@pytest.mark.parametrize("link_field", ["moreInfoUrl", "moreInfo"])
def test_either_name_of_the_support_link_is_read(
    cdp: CdpClient, mocked: responses.RequestsMock, link_field: str
) -> None:
    body = {"status": 404, "code": 404, "message": "Resource not found"}
    body[link_field] = "http://support.sitecore.com"
    mocked.get(ORDER_URL, json=body, status=404)
    with pytest.raises(CdpNotFound) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.more_info == "http://support.sitecore.com"
    assert caught.value.cdp_message == "Resource not found"
    assert "order" in caught.value.message


@pytest.mark.parametrize(
    "body", ["<html><body>502 Bad Gateway</body></html>", "", "null", "[1, 2]", '"text"']
)
def test_an_error_body_that_is_not_a_json_object_still_maps_by_status(
    cdp: CdpClient, mocked: responses.RequestsMock, body: str
) -> None:
    mocked.get(ORDER_URL, body=body, status=502, content_type="text/html")
    with pytest.raises(CdpUpstreamError) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.status == 502
    assert caught.value.cdp_message is None
    assert "HTTP 502" in caught.value.message


def test_a_5xx_on_a_write_says_the_change_may_have_been_applied(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.put(ORDER_URL, json={"message": "boom"}, status=500)
    with pytest.raises(CdpUpstreamError) as caught:
        cdp.order_replace(ORDER_REF, ORDER_BODY)
    assert "may or may not have been applied" in caught.value.message


@pytest.mark.parametrize(
    "body", ["<html>ok</html>", "{not json", '{"ref": "a"'], ids=["html", "broken", "cut"]
)
def test_a_success_status_with_a_body_that_is_not_json_is_an_upstream_error(
    cdp: CdpClient, mocked: responses.RequestsMock, body: str
) -> None:
    mocked.get(ORDER_URL, body=body, status=200)
    with pytest.raises(CdpUpstreamError) as caught:
        cdp.order_get(ORDER_REF)
    assert (caught.value.status, caught.value.path) == (200, ORDER_PATH)
    assert "cannot read" in caught.value.message


@pytest.mark.parametrize(
    ("method", "says"),
    [
        ("POST", "The new order item was probably created"),
        ("PATCH", "The change was probably applied"),
        ("PUT", "The change was probably applied"),
        ("DELETE", "The order was probably deleted"),
    ],
)
def test_an_unreadable_success_to_a_write_says_it_was_probably_applied(
    method: str, says: str
) -> None:
    path = f"/v2.1/orders/{ORDER_REF}/orderItems"
    error = malformed_answer(method=method, path=path, status=201, detail="not JSON")
    assert error.message.startswith(says)
    assert "HTTP 201" in error.message and "Reload the order" in error.message
    assert "try again" not in error.message.lower()
    assert error.maybe_applied


def test_only_writes_that_may_have_landed_are_marked_in_doubt() -> None:
    path = f"/v2.1/orders/{ORDER_REF}"
    assert not malformed_answer(method="GET", path=path, status=200, detail="x").maybe_applied
    timeout = requests.ReadTimeout("read timed out")
    refused = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "x")))
    assert error_from_exception(timeout, method="PATCH", path=path, timeout=1).maybe_applied
    assert not error_from_exception(timeout, method="GET", path=path, timeout=1).maybe_applied
    assert not error_from_exception(refused, method="PATCH", path=path, timeout=1).maybe_applied


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([ORDER_BODY], "expected a JSON object"),
        ({**ORDER_BODY, "ref": None, "href": None}, "'ref' is missing"),
    ],
)
def test_a_success_body_of_the_wrong_shape_is_an_upstream_error_naming_the_call(
    cdp: CdpClient, mocked: responses.RequestsMock, body: object, detail: str
) -> None:
    mocked.get(ORDER_URL, json=body, status=200)
    with pytest.raises(CdpUpstreamError) as caught:
        cdp.order_get(ORDER_REF)
    assert (caught.value.method, caught.value.path) == ("GET", ORDER_PATH)
    assert detail in (caught.value.detail or "")


def test_an_empty_success_answer_where_a_record_is_expected_is_an_upstream_error(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, status=204)
    with pytest.raises(CdpUpstreamError):
        cdp.order_get(ORDER_REF)


@pytest.mark.parametrize("status", [200, 204])
def test_a_delete_accepts_200_or_204(
    cdp: CdpClient, mocked: responses.RequestsMock, status: int
) -> None:
    mocked.delete(ORDER_URL, status=status, body="" if status == 204 else "{}")
    assert cdp.order_delete(ORDER_REF) is None


def test_429_carries_retry_after_seconds_into_the_error_and_the_sentence(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, json={"message": "slow down"}, status=429, headers={"Retry-After": "30"})
    with pytest.raises(CdpRateLimited) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.retry_after == 30.0
    assert "wait 30 seconds" in caught.value.message


def test_429_with_an_http_date_retry_after(cdp: CdpClient, mocked: responses.RequestsMock) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    mocked.get(ORDER_URL, status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(CdpRateLimited) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.retry_after is not None
    assert 100 <= caught.value.retry_after <= 121


def test_429_without_retry_after_asks_to_wait_a_minute(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, status=429)
    with pytest.raises(CdpRateLimited) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.retry_after is None
    assert "wait a minute" in caught.value.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("30", 30.0),
        (" 2 ", 2.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date_is_measured_from_now() -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=45), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 45.0


@pytest.mark.parametrize(
    ("message", "field", "problem"),
    [
        ("orderedAt: may not be null.", "orderedAt", "may not be null."),
        ("firstName: firstName may not be null.", "firstName", "firstName may not be null."),
        ("referenceId: cannot be updated.", "referenceId", "cannot be updated."),
        ("guest.href: must be a URL", "guest.href", "must be a URL"),
        ("identifiers[0]: must be an object.", "identifiers[0]", "must be an object."),
        ("orderItems.items[1].href: bad", "orderItems.items[1].href", "bad"),
        ("a[x]: no", None, None),
        ("Unable to parse JSON string", None, None),
        ("JSON parse error [line: 7, column: 6].", None, None),
        ("Data extension already exists: ext", None, None),
        ("orderedAt:may not be null.", None, None),
        (": nothing", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_field_parsing_from_cdp_messages(
    message: str | None, field: str | None, problem: str | None
) -> None:
    assert field_from_message(message) == (field, problem)


def test_400_names_the_field_for_a_form(cdp: CdpClient, mocked: responses.RequestsMock) -> None:
    mocked.patch(ORDER_URL, json=BAD_REQUEST, status=400)
    with pytest.raises(CdpValidationError) as caught:
        cdp.order_patch(ORDER_REF, {"status": "PURCHASED"}, current=Order.from_api(ORDER_BODY))
    exc = caught.value
    assert exc.field == "orderedAt"
    assert exc.field_errors == {"orderedAt": ["may not be null."]}
    assert "orderedAt" in exc.message
    assert exc.cdp_message == "orderedAt: may not be null."


def test_400_without_a_field_keeps_cdp_wording(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    body = {
        "status": 400,
        "code": 400,
        "message": "Unable to parse JSON string",
        "developerMessage": "JSON parse error [line: 7, column: 6].",
    }
    mocked.post(f"{BASE_URL}/v2.1/orders", json=body, status=400)
    with pytest.raises(CdpValidationError) as caught:
        cdp.order_create(ORDER_BODY)
    assert caught.value.field is None
    assert caught.value.field_errors == {}
    assert "Unable to parse JSON string" in caught.value.message


def test_400_falls_back_to_the_developer_message_for_the_field(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    body = {"status": 400, "message": "Invalid request", "developerMessage": "price: must be set."}
    mocked.post(f"{BASE_URL}/v2.1/orders", json=body, status=400)
    with pytest.raises(CdpValidationError) as caught:
        cdp.order_create(ORDER_BODY)
    assert caught.value.field == "price"


def test_the_request_id_header_is_kept(cdp: CdpClient, mocked: responses.RequestsMock) -> None:
    mocked.get(ORDER_URL, status=404, headers={"X-Request-Id": "req-123"})
    with pytest.raises(CdpNotFound) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.request_id == "req-123"


@pytest.mark.parametrize(
    ("method", "failure", "sentence"),
    [
        ("GET", requests.ReadTimeout(), "CDP did not answer in 10 seconds. Nothing was changed"),
        ("POST", requests.ReadTimeout(), "may or may not have been applied"),
        ("PATCH", requests.ReadTimeout(), "may or may not have been applied"),
        ("GET", requests.ConnectTimeout(), "did not answer in 10 seconds. Nothing was changed"),
        ("POST", requests.ConnectTimeout(), "Nothing was changed"),
        (
            "GET",
            requests.ConnectionError("reset by peer"),
            "lost before it answered. Nothing was changed",
        ),
        ("POST", requests.ConnectionError("reset by peer"), "may or may not have been applied"),
        (
            "POST",
            requests.ConnectionError(
                MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
            ),
            "Could not connect to CDP. Nothing was changed",
        ),
    ],
)
def test_transport_failures_become_unavailable_with_an_honest_sentence(
    cdp: CdpClient,
    mocked: responses.RequestsMock,
    method: str,
    failure: Exception,
    sentence: str,
) -> None:
    url = f"{BASE_URL}/v2.1/orders" if method == "POST" else ORDER_URL
    mocked.add(method, url, body=failure)
    calls = {
        "GET": lambda: cdp.order_get(ORDER_REF),
        "POST": lambda: cdp.order_create(ORDER_BODY),
        "PATCH": lambda: cdp.order_patch(ORDER_REF, ORDER_BODY),
    }
    with pytest.raises(CdpUnavailable) as caught:
        calls[method]()
    assert sentence in caught.value.message
    assert caught.value.status is None
    assert caught.value.method == method
    assert isinstance(caught.value.__cause__, requests.RequestException)


def test_the_timeout_in_the_sentence_is_the_configured_one(
    mocked: responses.RequestsMock,
) -> None:
    client = make_client(timeout=2.5)
    mocked.get(ORDER_URL, body=requests.ReadTimeout())
    with pytest.raises(CdpUnavailable, match=r"did not answer in 2\.5 seconds"):
        client.order_get(ORDER_REF)


def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", retries=2)
    with pytest.raises(CdpUnavailable, match="Could not connect to CDP"):
        client.order_create(ORDER_BODY)


def _all_text(exc: CdpError) -> str:
    return " ".join(
        str(part)
        for part in (str(exc), repr(exc), exc.message, exc.cdp_message, exc.path, exc.more_info)
    )


def test_credentials_never_reach_messages_reprs_or_logs(
    cdp: CdpClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {
        "status": "UNAUTHORIZED",
        "code": 401,
        "message": f"Bad credentials {CLIENT_KEY}:{API_TOKEN}",
        "developerMessage": f"token {API_TOKEN} rejected",
    }
    mocked.get(ORDER_URL, json=echo, status=401)
    mocked.post(f"{BASE_URL}/v2.1/orders", json={**echo, "status": 400}, status=400)
    mocked.patch(ORDER_URL, body=requests.ReadTimeout(f"timed out {API_TOKEN}"))
    caplog.set_level(logging.DEBUG)
    raised = []
    for call in (
        lambda: cdp.order_get(ORDER_REF),
        lambda: cdp.order_create(ORDER_BODY),
        lambda: cdp.order_patch(ORDER_REF, ORDER_BODY),
    ):
        with pytest.raises(CdpError) as caught:
            call()
        raised.append(caught.value)
    basic = base64.b64encode(f"{CLIENT_KEY}:{API_TOKEN}".encode()).decode()
    texts = [_all_text(exc) for exc in raised] + [caplog.text, repr(cdp), repr(cdp.transport)]
    for text in texts:
        assert CLIENT_KEY not in text
        assert API_TOKEN not in text
        assert basic not in text
    assert "[redacted]" in raised[0].cdp_message  # type: ignore[operator]


def test_error_bodies_are_read_even_when_json_is_served_as_text(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ORDER_URL, body=json.dumps(BAD_REQUEST), status=400, content_type="text/plain")
    with pytest.raises(CdpValidationError) as caught:
        cdp.order_get(ORDER_REF)
    assert caught.value.field == "orderedAt"
