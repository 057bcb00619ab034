from __future__ import annotations

from django.urls import path, register_converter

from orders.converters import CdpRefConverter

register_converter(CdpRefConverter, "cdpref")

urlpatterns: list = [
    # --- Customer-service desk: search, order page, forms, notes ---
    # --- Data-extension grid and bulk tagging ---
    # --- Audit trail ---
]
