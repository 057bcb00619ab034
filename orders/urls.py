from __future__ import annotations

from django.urls import path, register_converter

from orders.converters import CdpRefConverter
from orders.ext_forms import ExtKeyConverter
from orders.views import audit, charts, extensions, home, jobs, notes, orders, search

register_converter(CdpRefConverter, "cdpref")
register_converter(ExtKeyConverter, "extkey")

urlpatterns: list = [
    # --- Customer-service desk: search, order page, forms, notes ---
    path("", home.home, name="home"),
    path("orders/", search.order_search, name="order-search"),
    path("orders/lookup/", search.order_lookup, name="order-lookup"),
    path("orders/new/", orders.resource_create_view, {"kind": "order"}, name="order-create"),
    path("orders/<cdpref:order_ref>/", orders.order_detail, name="order-detail"),
    path(
        "orders/<cdpref:order_ref>/edit/",
        orders.resource_edit_view,
        {"kind": "order"},
        name="order-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/delete/",
        orders.resource_delete_view,
        {"kind": "order"},
        name="order-delete",
    ),
    *[
        route
        for segment, kind in (
            ("items", "order_item"),
            ("contacts", "contact"),
            ("consumers", "consumer"),
        )
        for route in (
            path(
                f"orders/<cdpref:order_ref>/{segment}/new/",
                orders.resource_create_view,
                {"kind": kind},
                name=f"{segment[:-1]}-create",
            ),
            path(
                f"orders/<cdpref:order_ref>/{segment}/<cdpref:ref>/edit/",
                orders.resource_edit_view,
                {"kind": kind},
                name=f"{segment[:-1]}-edit",
            ),
            path(
                f"orders/<cdpref:order_ref>/{segment}/<cdpref:ref>/delete/",
                orders.resource_delete_view,
                {"kind": kind},
                name=f"{segment[:-1]}-delete",
            ),
        )
    ],
    path("orders/<cdpref:order_ref>/notes/", notes.note_create, name="note-create"),
    path("orders/<cdpref:order_ref>/notes/<int:note_pk>/edit/", notes.note_edit, name="note-edit"),
    # --- Data-extension grid and bulk tagging ---
    *[
        path(f"orders/<cdpref:order_ref>/{parent}ext/{route}", view, name=f"ext-{scope}{name}")
        for parent, scope in (("", ""), ("items/<cdpref:item_ref>/", "item-"))
        for route, view, name in (
            ("", extensions.ext_grid, "grid"),
            ("add/", extensions.ext_add, "add"),
            ("replace/", extensions.ext_replace, "replace"),
            ("keys/<extkey:key>/", extensions.ext_row, "row"),
            ("keys/<extkey:key>/edit/", extensions.ext_row_edit, "row-edit"),
            ("keys/<extkey:key>/save/", extensions.ext_save, "save"),
            ("keys/<extkey:key>/delete/", extensions.ext_delete, "delete"),
            ("fields/delete/", extensions.ext_delete_foreign, "delete-foreign"),
        )
    ],
    path("bulk/", jobs.bulk_new, name="bulk-new"),
    path("bulk/run/", jobs.bulk_run, name="bulk-run"),
    path("bulk/jobs/", jobs.bulk_job_list, name="bulk-jobs"),
    path("bulk/<uuid:job_id>/", jobs.bulk_job, name="bulk-job"),
    path("bulk/<uuid:job_id>/progress/", jobs.bulk_job_progress, name="bulk-job-progress"),
    path("bulk/<uuid:job_id>/cancel/", jobs.bulk_job_cancel_view, name="bulk-job-cancel"),
    path("bulk/<uuid:job_id>/retry/", jobs.bulk_job_retry_view, name="bulk-job-retry"),
    path("bulk/<uuid:job_id>/revert/", jobs.bulk_job_revert_view, name="bulk-job-revert"),
    # --- Audit trail ---
    path("audit/", audit.audit_list, name="audit-list"),
    path("audit/activity/", charts.audit_activity, name="audit-activity"),
    path("audit/<int:pk>/", audit.audit_detail, name="audit-detail"),
    path("audit/<int:pk>/revert/", audit.audit_revert, name="audit-revert"),
    path("audit/keys/<extkey:key>/", audit.audit_key_history, name="audit-key-history"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("audit/verify/", audit.audit_verify, name="audit-verify"),
]
