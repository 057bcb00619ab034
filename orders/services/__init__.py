"""Services: the functions views and background tasks call to change data.

Only these functions change CDP data, and every one of them does it through
`orders.services.audited.audited_call`.
"""

from orders.cdp import Order
from orders.services.audited import Audited, AuditUnavailable, ServiceError
from orders.services.extensions import (
    KeyConflict,
    order_extension_delete_keys,
    order_extension_replace,
    order_extension_set,
    order_item_extension_delete_keys,
    order_item_extension_replace,
    order_item_extension_set,
)
from orders.services.resources import (
    EditConflict,
    consumer_create,
    consumer_delete,
    consumer_replace,
    consumer_update,
    contact_create,
    contact_delete,
    contact_replace,
    contact_update,
    order_create,
    order_delete,
    order_item_create,
    order_item_delete,
    order_item_replace,
    order_item_update,
    order_replace,
    order_update,
)

__all__ = [
    "AuditUnavailable",
    "Audited",
    "EditConflict",
    "KeyConflict",
    "Order",
    "ServiceError",
    "consumer_create",
    "consumer_delete",
    "consumer_replace",
    "consumer_update",
    "contact_create",
    "contact_delete",
    "contact_replace",
    "contact_update",
    "order_create",
    "order_delete",
    "order_extension_delete_keys",
    "order_extension_replace",
    "order_extension_set",
    "order_item_create",
    "order_item_delete",
    "order_item_extension_delete_keys",
    "order_item_extension_replace",
    "order_item_extension_set",
    "order_item_replace",
    "order_item_update",
    "order_replace",
    "order_update",
]
