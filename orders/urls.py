from __future__ import annotations

from django.urls import path, register_converter

from orders.converters import CdpRefConverter
from orders.views import notes, orders, search

register_converter(CdpRefConverter, "cdpref")

urlpatterns: list = [
    # --- Customer-service desk: search, order page, forms, notes ---
    path("", search.order_search, name="home"),
    path("orders/", search.order_search, name="order-search"),
    path("orders/lookup/", search.order_lookup, name="order-lookup"),
    path("orders/new/", orders.resource_create_view, {"kind": "order"}, name="order-create"),
    path("orders/<cdpref:order_ref>/", orders.order_detail, name="order-detail"),
    path(
        "orders/<cdpref:order_ref>/edit/",
        orders.resource_edit_view, {"kind": "order"}, name="order-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/delete/",
        orders.resource_delete_view, {"kind": "order"}, name="order-delete",
    ),
    *[
        route
        for segment, kind in (
            ("items", "order_item"), ("contacts", "contact"), ("consumers", "consumer")
        )
        for route in (
            path(
                f"orders/<cdpref:order_ref>/{segment}/new/",
                orders.resource_create_view, {"kind": kind}, name=f"{segment[:-1]}-create",
            ),
            path(
                f"orders/<cdpref:order_ref>/{segment}/<cdpref:ref>/edit/",
                orders.resource_edit_view, {"kind": kind}, name=f"{segment[:-1]}-edit",
            ),
            path(
                f"orders/<cdpref:order_ref>/{segment}/<cdpref:ref>/delete/",
                orders.resource_delete_view, {"kind": kind}, name=f"{segment[:-1]}-delete",
            ),
        )
    ],
    path("orders/<cdpref:order_ref>/notes/", notes.note_create, name="note-create"),
    path(
        "orders/<cdpref:order_ref>/notes/<int:note_pk>/edit/", notes.note_edit, name="note-edit"
    ),
    # --- Data-extension grid and bulk tagging ---
    # --- Audit trail ---
]
