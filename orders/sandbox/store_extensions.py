"""Order and order-item data extensions (§11)."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, not_found
from .paging import ListRequest, collection
from .records import Extension, ExtensionKind
from .store_base import StoreBase
from .validation import check_extension_name, check_extension_size, clean_extension

EXTENSION_EXISTS = "Data extension already exists"


class ExtensionOps(StoreBase):
    def _parent_ref(self, kind: ExtensionKind, parent_ref: str) -> str:
        if kind == "order":
            return self.get_order_record(parent_ref).ref
        return self.get_item_record(parent_ref).ref

    def _order_of(self, kind: ExtensionKind, parent_ref: str) -> str:
        return parent_ref if kind == "order" else self.items[parent_ref].order_ref

    def _existing(self, kind: ExtensionKind, parent_ref: str, name: str) -> Extension:
        check_extension_name(name)
        ext = self.extensions.get((kind, parent_ref))
        if ext is None:
            raise not_found()
        return ext

    def _clean(self, body: dict[str, Any]) -> dict[str, Any]:
        return clean_extension(body, strict_body=self.config.ext_strict_body)

    def _touch(self, ext: Extension) -> None:
        ext.modified_ms = self.clock.next_ms()
        self._bump_order(self._order_of(ext.kind, ext.parent_ref), ext.modified_ms)

    def create_extension(
        self, kind: ExtensionKind, parent_ref: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST …/extensions/ext; an existing extension follows `ext_create_conflict` (§11.6)."""
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            check_extension_name(name)
            pairs = self._clean(body)
            ext = self.extensions.get((kind, parent_ref))
            if ext is not None:
                mode = self.config.ext_create_conflict
                if mode != "merge":
                    raise ApiError(409 if mode == "409" else 400, EXTENSION_EXISTS)
                merged = {**ext.pairs, **pairs}
                check_extension_size(merged)
                ext.pairs = merged
                self._touch(ext)
                return self.render_extension(ext)
            check_extension_size(pairs)
            return self.render_extension(self._insert_extension(kind, parent_ref, pairs))

    def _insert_extension(
        self, kind: ExtensionKind, parent_ref: str, pairs: dict[str, Any], at_ms: int | None = None
    ) -> Extension:
        now = at_ms if at_ms is not None else self.clock.next_ms()
        ext = Extension(self._new_ref(), kind, parent_ref, now, now, dict(pairs))
        self.extensions[(kind, parent_ref)] = ext
        self._bump_order(self._order_of(kind, parent_ref), now)
        return ext

    def get_extension(self, kind: ExtensionKind, parent_ref: str, name: str) -> dict[str, Any]:
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            return self.render_extension(self._existing(kind, parent_ref, name))

    def update_extension(
        self,
        kind: ExtensionKind,
        parent_ref: str,
        name: str,
        body: dict[str, Any],
        *,
        partial: bool,
    ) -> dict[str, Any]:
        """PUT replaces all pairs; PATCH replaces only the pairs sent (§11.4, §11.5)."""
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            ext = self._existing(kind, parent_ref, name)
            pairs = self._clean(body)
            result = {**ext.pairs, **pairs} if partial else pairs
            # §11.2 [INF]: the 100-pair limit counts the merged result of a PATCH.
            check_extension_size(result)
            ext.pairs = result
            self._touch(ext)
            return self.render_extension(ext)

    def delete_extension(self, kind: ExtensionKind, parent_ref: str, name: str) -> None:
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            self._existing(kind, parent_ref, name)
            del self.extensions[(kind, parent_ref)]
            self._bump_order(self._order_of(kind, parent_ref), self.clock.next_ms())

    def delete_extension_fields(
        self, kind: ExtensionKind, parent_ref: str, name: str, keys: list[str] | None
    ) -> dict[str, Any]:
        """DELETE …/ext/fields?name=a|b; no `name` empties the extension, which stays (§11.4)."""
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            ext = self._existing(kind, parent_ref, name)
            if keys is None:
                ext.pairs = {}
            else:
                # §11.4 [INF]: keys that are not there are ignored.
                ext.pairs = {k: v for k, v in ext.pairs.items() if k not in keys}
            self._touch(ext)
            return self.render_extension(ext)

    def list_extensions(
        self, kind: ExtensionKind, parent_ref: str, request: ListRequest
    ) -> dict[str, Any]:
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            ext = self.extensions.get((kind, parent_ref))
            entries = [ext] if ext is not None else []
            return collection(request, entries, self.render_extension, self._extension_link)

    def _extension_link(self, ext: Extension) -> dict[str, Any]:
        parent = "orders" if ext.kind == "order" else "orderItems"
        return {
            "href": self.href(f"/{parent}/{ext.parent_ref}/extensions/ext"),
            "ref": ext.ref,
            "name": "ext",
        }

    def put_extension(
        self, kind: ExtensionKind, parent_ref: str, pairs: dict[str, Any]
    ) -> dict[str, Any]:
        """Create or replace an extension in one step (a seeding helper for tests and the demo)."""
        with self.lock:
            parent_ref = self._parent_ref(kind, parent_ref)
            cleaned = self._clean(pairs)
            check_extension_size(cleaned)
            ext = self.extensions.get((kind, parent_ref))
            if ext is None:
                return self.render_extension(self._insert_extension(kind, parent_ref, cleaned))
            ext.pairs = cleaned
            self._touch(ext)
            return self.render_extension(ext)
