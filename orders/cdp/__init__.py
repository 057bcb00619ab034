"""The service module that speaks to Sitecore CDP (Order API, guest lookup); nothing else does.

from orders.cdp import get_client, CdpError
order = get_client().order_get(order_ref)
"""

from __future__ import annotations

from orders.cdp.calls import CdpCall, watch_writes
from orders.cdp.client import (
    CdpClient,
    OrderBundle,
    Section,
    get_client,
    reset_client,
)
from orders.cdp.errors import (
    CdpConflict,
    CdpError,
    CdpForbidden,
    CdpInvalidReference,
    CdpNotFound,
    CdpRateLimited,
    CdpUnauthorized,
    CdpUnavailable,
    CdpUpstreamError,
    CdpValidationError,
)
from orders.cdp.guests import Guest, GuestIdentifier, GuestMatches, GuestQuery
from orders.cdp.paths import EXTENSION_NAME
from orders.cdp.records import (
    Consumer,
    Contact,
    DataExtension,
    Identifier,
    Order,
    OrderItem,
    Page,
    ResourceLink,
)
from orders.cdp.vocabulary import ExtensionValue

__all__ = [
    "EXTENSION_NAME",
    "CdpCall",
    "CdpClient",
    "CdpConflict",
    "CdpError",
    "CdpForbidden",
    "CdpInvalidReference",
    "CdpNotFound",
    "CdpRateLimited",
    "CdpUnauthorized",
    "CdpUnavailable",
    "CdpUpstreamError",
    "CdpValidationError",
    "Consumer",
    "Contact",
    "DataExtension",
    "ExtensionValue",
    "Guest",
    "GuestIdentifier",
    "GuestMatches",
    "GuestQuery",
    "Identifier",
    "Order",
    "OrderBundle",
    "OrderItem",
    "Page",
    "ResourceLink",
    "Section",
    "get_client",
    "reset_client",
    "watch_writes",
]
