"""Operations on the data extensions of orders and order items (§11), 14 in all.

Both parents have the same seven operations; only the parent collection differs. The name is
always `ext` and is checked locally, as are the keys and the primitive values of the pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orders.cdp.base import ClientBase
from orders.cdp.paths import (
    EXTENSION_NAME,
    check_extension_name,
    check_field_names,
    check_pairs,
    check_ref,
    path,
)
from orders.cdp.records import DataExtension, Page, ResourceLink
from orders.cdp.vocabulary import ExtensionValue

Pairs = Mapping[str, ExtensionValue]
_PARENTS = {"orders": "order reference", "orderItems": "order item reference"}


class ExtensionOperations(ClientBase):
    """`order_extension_*` and `order_item_extension_*`; mixed into `CdpClient`."""

    def _ext_path(self, parent: str, parent_ref: str, name: str, *tail: str) -> str:
        ref = check_ref(parent_ref, _PARENTS[parent])
        return path(parent, ref, "extensions", check_extension_name(name), *tail)

    def _ext_write(
        self, method: str, parent: str, parent_ref: str, pairs: Pairs, name: str
    ) -> DataExtension:
        target = self._ext_path(parent, parent_ref, name)
        return self._record(method, target, DataExtension.from_api, body=check_pairs(pairs))

    def _ext_delete_fields(
        self, parent: str, parent_ref: str, keys: Iterable[str], empty_all: bool, name: str
    ) -> DataExtension:
        target = self._ext_path(parent, parent_ref, name, "fields")
        names = check_field_names(keys, empty_all=empty_all)
        params = None if names is None else {"name": names}
        return self._record("DELETE", target, DataExtension.from_api, params=params)

    def _ext_list(self, parent: str, parent_ref: str) -> Page[ResourceLink]:
        target = path(parent, check_ref(parent_ref, _PARENTS[parent]), "extensions")
        return self._page(target, ResourceLink.from_api, offset=0, limit=100)

    # --- order data extension -----------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (POST …/extensions/ext) and §11.6
    def order_extension_create(
        self, order_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Create the order's data extension holding `pairs`.

        Creating one that exists is undocumented (§11.6); the sandbox answers `CdpConflict`.
        """
        return self._ext_write("POST", "orders", order_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (GET …/extensions/ext)
    def order_extension_get(self, order_ref: str, *, name: str = EXTENSION_NAME) -> DataExtension:
        """The order's data extension; `CdpNotFound` when the order has none."""
        target = self._ext_path("orders", order_ref, name)
        return self._record("GET", target, DataExtension.from_api)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (PUT …/extensions/ext), §11.5
    def order_extension_replace(
        self, order_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Replace every pair of the order's extension: afterwards only `pairs` exist."""
        return self._ext_write("PUT", "orders", order_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (PATCH …/extensions/ext), §11.5
    def order_extension_patch(
        self, order_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Set the given pairs of the order's extension, keeping the others."""
        return self._ext_write("PATCH", "orders", order_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (DELETE …/extensions/ext)
    def order_extension_delete(self, order_ref: str, *, name: str = EXTENSION_NAME) -> None:
        """Delete the order's data extension and all its pairs."""
        self._delete(self._ext_path("orders", order_ref, name))

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (DELETE …/extensions/ext/fields?name=a|b)
    def order_extension_delete_fields(
        self,
        order_ref: str,
        keys: Iterable[str],
        *,
        empty_all: bool = False,
        name: str = EXTENSION_NAME,
    ) -> DataExtension:
        """Delete the listed keys from the order's extension and return what remains.

        An empty `keys` would empty the extension, so it needs `empty_all=True` (`ValueError`
        otherwise).
        """
        return self._ext_delete_fields("orders", order_ref, keys, empty_all, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (GET …/extensions)
    def order_extensions_list(self, order_ref: str) -> Page[ResourceLink]:
        """Links to the order's data extensions: one (`ext`) or none."""
        return self._ext_list("orders", order_ref)

    # --- order item data extension ------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (POST …/extensions/ext) and §11.6
    def order_item_extension_create(
        self, item_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Create the item's data extension holding `pairs` (`CdpConflict` if it exists)."""
        return self._ext_write("POST", "orderItems", item_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (GET …/extensions/ext)
    def order_item_extension_get(
        self, item_ref: str, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """The item's data extension; `CdpNotFound` when the item has none."""
        target = self._ext_path("orderItems", item_ref, name)
        return self._record("GET", target, DataExtension.from_api)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (PUT …/extensions/ext), §11.5
    def order_item_extension_replace(
        self, item_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Replace every pair of the item's extension: afterwards only `pairs` exist."""
        return self._ext_write("PUT", "orderItems", item_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (PATCH …/extensions/ext), §11.5
    def order_item_extension_patch(
        self, item_ref: str, pairs: Pairs, *, name: str = EXTENSION_NAME
    ) -> DataExtension:
        """Set the given pairs of the item's extension, keeping the others."""
        return self._ext_write("PATCH", "orderItems", item_ref, pairs, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (DELETE …/extensions/ext)
    def order_item_extension_delete(self, item_ref: str, *, name: str = EXTENSION_NAME) -> None:
        """Delete the item's data extension and all its pairs."""
        self._delete(self._ext_path("orderItems", item_ref, name))

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (DELETE …/extensions/ext/fields?name=a|b)
    def order_item_extension_delete_fields(
        self,
        item_ref: str,
        keys: Iterable[str],
        *,
        empty_all: bool = False,
        name: str = EXTENSION_NAME,
    ) -> DataExtension:
        """Delete the listed keys from the item's extension and return what remains.

        An empty `keys` needs `empty_all=True` (`ValueError` otherwise).
        """
        return self._ext_delete_fields("orderItems", item_ref, keys, empty_all, name)

    # DOC: shared/cdp-api/order-api-v2.1.md §11.4 (GET …/extensions)
    def order_item_extensions_list(self, item_ref: str) -> Page[ResourceLink]:
        """Links to the item's data extensions: one (`ext`) or none."""
        return self._ext_list("orderItems", item_ref)
