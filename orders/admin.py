"""The audit trail in Django admin: read-only for everyone, superusers included."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from orders.models import AuditEntry, ChainVerification


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """No add, change or delete through the admin; the table refuses them anyway."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_username", "action", "phase", "outcome", "order_ref")
    # Fixed choices only: a filter on a free-text column runs DISTINCT over the table.
    list_filter = ("phase", "outcome")
    search_fields = ("=order_ref", "=resource_ref", "=request_id")
    # The admin's own COUNT would scan a million rows on every page.
    show_full_result_count = False
    list_select_related = False
    ordering = ("-id",)
    readonly_fields = [field.name for field in AuditEntry._meta.fields]


@admin.register(ChainVerification)
class ChainVerificationAdmin(ReadOnlyAdmin):
    list_display = ("at", "by", "ok", "rows_checked", "first_break_id")
    list_filter = ("ok",)
    readonly_fields = [field.name for field in ChainVerification._meta.fields]
