"""CDP's vocabulary has one home: the client, the forms and the URLs agree on every rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.cdp import CdpInvalidReference
from orders.cdp.http import encode_body
from orders.cdp.paths import check_extension_key
from orders.cdp.vocabulary import EXTENSION_KEY_MAX_LENGTH, to_cdp_json
from orders.ext_forms import key_error

pytestmark = pytest.mark.unit


def test_the_key_length_cap_is_the_same_for_the_client_and_the_forms() -> None:
    longest, too_long = "k" * EXTENSION_KEY_MAX_LENGTH, "k" * (EXTENSION_KEY_MAX_LENGTH + 1)

    assert check_extension_key(longest) == longest
    assert not key_error(longest)
    with pytest.raises(CdpInvalidReference):
        check_extension_key(too_long)
    assert key_error(too_long)


def test_request_bodies_and_audit_snapshots_share_one_encoder() -> None:
    body = {"price": Decimal("99.50"), "orderedAt": datetime(2026, 5, 1, 9, 30, tzinfo=UTC)}

    assert to_cdp_json(body) == {"price": 99.5, "orderedAt": "2026-05-01T09:30:00.000Z"}
    assert encode_body(body) == b'{"price": 99.5, "orderedAt": "2026-05-01T09:30:00.000Z"}'
