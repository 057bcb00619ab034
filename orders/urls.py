from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from orders.converters import CdpRefConverter
from orders.ext_forms import ExtKeyConverter
from orders.views import audit, charts, extensions, find, guests, home, jobs, notes, orders, search

register_converter(CdpRefConverter, "cdpref")
register_converter(ExtKeyConverter, "extkey")

urlpatterns: list[URLPattern] = [
    # --- Customer-service desk: search, order page, forms, notes ---
    path("", home.home, name="home"),
    path("orders/", search.order_search, name="order-search"),
    path("orders/lookup/", search.order_lookup, name="order-lookup"),
    path("find/", find.find, name="find"),
    path("guests/lookup/", guests.guest_lookup, name="guest-lookup"),
    path("guests/<cdpref:guest_ref>/", guests.guest_detail, name="guest-detail"),
    path("orders/new/", orders.order_create, name="order-create"),
    path("orders/<cdpref:order_ref>/", orders.order_detail, name="order-detail"),
    path("orders/<cdpref:order_ref>/edit/", orders.order_edit, name="order-edit"),
    path("orders/<cdpref:order_ref>/delete/", orders.order_delete, name="order-delete"),
    path("orders/<cdpref:order_ref>/items/new/", orders.order_item_create, name="item-create"),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:ref>/edit/",
        orders.order_item_edit,
        name="item-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:ref>/delete/",
        orders.order_item_delete,
        name="item-delete",
    ),
    path("orders/<cdpref:order_ref>/contacts/new/", orders.contact_create, name="contact-create"),
    path(
        "orders/<cdpref:order_ref>/contacts/<cdpref:ref>/edit/",
        orders.contact_edit,
        name="contact-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/contacts/<cdpref:ref>/delete/",
        orders.contact_delete,
        name="contact-delete",
    ),
    path(
        "orders/<cdpref:order_ref>/consumers/new/", orders.consumer_create, name="consumer-create"
    ),
    path(
        "orders/<cdpref:order_ref>/consumers/<cdpref:ref>/edit/",
        orders.consumer_edit,
        name="consumer-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/consumers/<cdpref:ref>/delete/",
        orders.consumer_delete,
        name="consumer-delete",
    ),
    path("orders/<cdpref:order_ref>/notes/", notes.note_create, name="note-create"),
    path("orders/<cdpref:order_ref>/notes/<int:note_pk>/edit/", notes.note_edit, name="note-edit"),
    # --- Data-extension grid and bulk tagging ---
    path("orders/<cdpref:order_ref>/ext/", extensions.ext_grid, name="ext-grid"),
    path("orders/<cdpref:order_ref>/ext/add/", extensions.ext_add, name="ext-add"),
    path("orders/<cdpref:order_ref>/ext/replace/", extensions.ext_replace, name="ext-replace"),
    path("orders/<cdpref:order_ref>/ext/keys/<extkey:key>/", extensions.ext_row, name="ext-row"),
    path(
        "orders/<cdpref:order_ref>/ext/keys/<extkey:key>/edit/",
        extensions.ext_row_edit,
        name="ext-row-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/ext/keys/<extkey:key>/save/",
        extensions.ext_save,
        name="ext-save",
    ),
    path(
        "orders/<cdpref:order_ref>/ext/keys/<extkey:key>/delete/",
        extensions.ext_delete,
        name="ext-delete",
    ),
    path(
        "orders/<cdpref:order_ref>/ext/fields/delete/",
        extensions.ext_delete_foreign,
        name="ext-delete-foreign",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/",
        extensions.ext_grid,
        name="ext-item-grid",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/add/",
        extensions.ext_add,
        name="ext-item-add",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/replace/",
        extensions.ext_replace,
        name="ext-item-replace",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/keys/<extkey:key>/",
        extensions.ext_row,
        name="ext-item-row",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/keys/<extkey:key>/edit/",
        extensions.ext_row_edit,
        name="ext-item-row-edit",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/keys/<extkey:key>/save/",
        extensions.ext_save,
        name="ext-item-save",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/keys/<extkey:key>/delete/",
        extensions.ext_delete,
        name="ext-item-delete",
    ),
    path(
        "orders/<cdpref:order_ref>/items/<cdpref:item_ref>/ext/fields/delete/",
        extensions.ext_delete_foreign,
        name="ext-item-delete-foreign",
    ),
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
    path("audit/lookups/", audit.audit_lookup_value, name="audit-lookup-value"),
]
