"""The admin: the audit trail read-only for everyone, superusers included; staff accounts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.identity import groups_changed_by
from orders.models import AuditEntry, ChainVerification, IdentityGroupMapping
from orders.sessions import sign_out_everywhere


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


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin[User]):
    actions = ["sign_out_everywhere"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        with groups_changed_by(request.user, "admin"):  # type: ignore[arg-type]
            super().save_related(request, form, formsets, change)

    @admin.action(description="Sign out everywhere (end all their sessions)")
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ended = sum(sign_out_everywhere(user=user) for user in queryset)
        self.message_user(
            request, f"Ended {ended} session(s) of {queryset.count()} user(s).", messages.SUCCESS
        )


@admin.register(IdentityGroupMapping)
class IdentityGroupMappingAdmin(admin.ModelAdmin[IdentityGroupMapping]):
    list_display = ("idp_group", "group")
    list_filter = ("group",)
    search_fields = ("idp_group",)
