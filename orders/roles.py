"""The staff groups and the permissions each one's work needs (reference: DESIGN §2)."""

from __future__ import annotations

from typing import Any

GROUP_PERMISSIONS = {
    "Customer service": ["view_orders", "change_orders", "add_ordernote", "view_ordernote"],
    "Marketing": ["view_orders", "change_extensions", "run_bulk_tagging"],
    "Auditor": ["view_auditentry", "export_auditentry"],
}


def ensure_staff_groups(group_model: Any, permission_model: Any) -> None:
    """Create the groups (if missing) with exactly their permissions.

    Takes the models as arguments so a data migration can pass its historical models.
    """
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = permission_model.objects.filter(
            content_type__app_label="orders", codename__in=codenames
        )
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found for group {name}: {sorted(missing)}")
        group.permissions.set(perms)
