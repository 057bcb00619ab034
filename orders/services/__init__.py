"""Services: the functions views and background tasks call to change data.

Only these functions change CDP data, and every one of them does it through
`orders.services.audited.audited_call`.
"""

from orders.services.audited import Audited, AuditUnavailable, ServiceError
from orders.services.extensions import (
    ORDER_EXTENSION,
    ORDER_ITEM_EXTENSION,
    KeyConflict,
    extension_delete_keys,
    extension_replace,
    extension_set_pairs,
)
from orders.services.resources import (
    CONSUMER,
    CONTACT,
    ORDER,
    ORDER_ITEM,
    EditConflict,
    order_update,
    resource_create,
    resource_delete,
    resource_update,
)

__all__ = [
    "CONSUMER",
    "CONTACT",
    "ORDER",
    "ORDER_EXTENSION",
    "ORDER_ITEM",
    "ORDER_ITEM_EXTENSION",
    "AuditUnavailable",
    "Audited",
    "EditConflict",
    "KeyConflict",
    "ServiceError",
    "extension_delete_keys",
    "extension_replace",
    "extension_set_pairs",
    "order_update",
    "resource_create",
    "resource_delete",
    "resource_update",
]
