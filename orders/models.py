"""What cdpadmin keeps itself: the audit trail of every change sent to CDP, and staff notes.

Order data lives in CDP; nothing here mirrors it except the before/after snapshots that the
audit trail records.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The resource types of data-extension changes (orders.services.extensions).
EXTENSION_RESOURCE_TYPES = ("order_extension", "order_item_extension")


class AuditEntry(models.Model):
    """One insert-only row of the audit trail.

    A change writes an `intent` row before calling CDP and an `outcome` row after, pointing
    back at the intent. Reads that find CDP newer than the trail write an `observed` row.
    A guest lookup (a read of personal data) writes one `read` row, its outcome included.
    A PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE, and each row's `hash` covers
    its content plus the previous row's hash (see `orders.audit`).
    """

    class Phase(models.TextChoices):
        INTENT = "intent", "Intent"
        OUTCOME = "outcome", "Outcome"
        OBSERVED = "observed", "Observed external change"
        READ = "read", "Read of personal data"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    phase = models.CharField(max_length=8, choices=Phase.choices)
    resource_type = models.CharField(max_length=32)
    resource_ref = models.CharField(max_length=36, blank=True)
    order_ref = models.CharField(max_length=36, blank=True)
    method = models.CharField(max_length=8, blank=True)
    # A field delete names its keys in the query, and keys other systems wrote can be long.
    cdp_path = models.TextField(blank=True)
    request_payload = models.JSONField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    cdp_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    error_message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    intent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )
    reverts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reverted_by"
    )
    job_id = models.CharField(max_length=36, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["order_ref", "-id"], name="audit_order_ref_id"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id"),
            models.Index(fields=["action", "-id"], name="audit_action_id"),
            models.Index(fields=["resource_type", "-id"], name="audit_resource_type_id"),
            models.Index(fields=["outcome", "-id"], name="audit_outcome_id"),
            models.Index(fields=["phase", "-id"], name="audit_phase_id"),
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["job_id", "-id"], name="audit_job_id"),
            # The few failed changes, walked newest first by the audit list's failure filter.
            models.Index(
                fields=["-intent_id"],
                condition=models.Q(phase="outcome", outcome="failure"),
                name="audit_failed_intent",
            ),
            # Outcomes by intent: whether an intent has one, and which.
            models.Index(
                fields=["intent"], condition=models.Q(phase="outcome"), name="audit_outcome_intent"
            ),
            # Changes seen made outside cdpadmin, by action and by resource type: the
            # observed-outcome filter with either (or with a key, which means a type) walks
            # only those rows instead of every observed one.
            models.Index(
                fields=["action", "-id"],
                condition=models.Q(phase="observed"),
                name="audit_observed_action",
            ),
            models.Index(
                fields=["resource_type", "-id"],
                condition=models.Q(phase="observed"),
                name="audit_observed_type",
            ),
        ]
        permissions = [
            ("export_auditentry", "Can export the audit trail"),
            ("revert_auditentry", "Can revert a change recorded in the audit trail"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.phase} {self.resource_ref or self.order_ref}"


class OpenIntent(models.Model):
    """An intent without an outcome yet: a change that CDP may or may not have applied.

    A PostgreSQL trigger on the trail keeps this table (migration 0017): it adds each intent
    as it is written and removes it when its outcome is, in the same transaction, whoever
    writes. The audit list's unknown-outcome filter walks it newest first, as no index on the
    trail can hold "has no outcome"; it still asks the trail itself for each intent's outcome.
    """

    intent = models.OneToOneField(
        AuditEntry,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The intent's own, copied by the trigger: the filters the walk can narrow by.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    resource_type = models.CharField(max_length=32)

    class Meta:
        indexes = [
            models.Index(fields=["actor", "-intent"], name="open_intent_actor"),
            models.Index(fields=["resource_type", "-intent"], name="open_intent_type"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} open"


class OrderNote(models.Model):
    """A staff note on an order, kept here and never sent to CDP.

    Notes are versioned: editing one writes a new row whose `replaces` points at the row it
    supersedes, so earlier text is never overwritten. `note_id` groups the versions.
    """

    order_ref = models.CharField(max_length=36)
    note_id = models.UUIDField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="order_notes"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        indexes = [models.Index(fields=["order_ref", "-id"], name="note_order_ref_id")]

    def __str__(self) -> str:
        return f"Note on {self.order_ref} by {self.author}"


class CdpAccess(models.Model):
    """Holds the permissions for acting on CDP data, which has no model of its own."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_orders", "Can search and view CDP orders"),
            ("change_orders", "Can create, edit and delete orders, items, contacts, consumers"),
            ("change_extensions", "Can edit order and order item data extensions"),
            ("run_bulk_tagging", "Can run bulk tagging jobs"),
        ]


class ChainVerification(models.Model):
    """The result of one walk over the audit chain (shown on the audit page)."""

    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    ok = models.BooleanField()
    rows_checked = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    first_break_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()

    class Meta:
        get_latest_by = "at"


class BulkJob(models.Model):
    """A bulk tagging job: set and remove data-extension pairs on many orders."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_jobs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    set_pairs = models.JSONField(default=dict, blank=True)
    remove_keys = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)
    # Set while the job waits out CDP's rate limit (429), for the job page to say so.
    paused_until = models.DateTimeField(null=True, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    reverts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reverted_by"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Bulk job {self.id}"


class BulkJobOrder(models.Model):
    """One order of a bulk job, with its own state so a job can resume where it stopped."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped (already as asked)"
        FAILED = "failed", "Failed"
        NOT_FOUND = "not_found", "Not found"
        # CDP answered but the audit trail could not record the answer (see audited_call).
        UNRESOLVED = "unresolved", "Unresolved"

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="orders")
    position = models.PositiveIntegerField()
    input_value = models.CharField(max_length=255)
    order_ref = models.CharField(max_length=36, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    audit_entry = models.ForeignKey(
        AuditEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="bulk_job_order_position")
        ]
        indexes = [models.Index(fields=["job", "state"], name="bulk_job_order_state")]


class AuditCheckpoint(models.Model):
    """A note of each signed checkpoint written to AUDIT_CHECKPOINT_DIR (see `orders.checkpoints`).

    Only a record, for the audit page and to skip a checkpoint of an unchanged chain: the
    signed files are what verification trusts, never this table.
    """

    at = models.DateTimeField()
    origin = models.CharField(max_length=255)
    row_count = models.PositiveBigIntegerField()
    last_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    file_name = models.CharField(max_length=255)

    class Meta:
        default_permissions = ()
        get_latest_by = "id"

    def __str__(self) -> str:
        return f"Checkpoint {self.file_name}"


class RecentlyViewedOrder(models.Model):
    """An order a user opened, for their home page; one row per user and order, kept short.

    `reference_id` is what the order page showed, so lists can name the order without
    asking CDP again. It may be out of date if the order was renumbered since.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recent_orders"
    )
    order_ref = models.CharField(max_length=36)
    reference_id = models.CharField(max_length=255, blank=True)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "order_ref"], name="recent_order_per_user")
        ]
        indexes = [
            models.Index(fields=["user", "-viewed_at"], name="recent_order_user_viewed"),
            models.Index(fields=["order_ref"], name="recent_order_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.user} viewed {self.reference_id or self.order_ref}"


class IdentityGroupMapping(models.Model):
    """One group of the identity provider's groups claim, and the cdpadmin role it grants.

    Staff who sign in with single sign-on get exactly the roles their IdP groups map to,
    re-synced at every sign-in (see `orders.identity`).
    """

    idp_group = models.CharField(
        "IdP group",
        max_length=255,
        unique=True,
        help_text="The value as the groups claim carries it (Entra ID: the group's object ID; "
        "Okta and Google: the group's name or email address).",
    )
    group = models.ForeignKey(
        "auth.Group", on_delete=models.CASCADE, verbose_name="cdpadmin role", related_name="+"
    )

    class Meta:
        verbose_name = "identity provider group"
        ordering = ["idp_group"]

    def __str__(self) -> str:
        return f"{self.idp_group} → {self.group.name}"
