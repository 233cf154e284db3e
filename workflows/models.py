"""Workflows: a trigger that enrolls records, steps that run for each enrolled record, what
happened (the action log), and the counters behind the per-user-and-number send limits.

A workflow's trigger and steps are stored as JSON on the workflow (see `workflows.definition`
for their shape and validation): the builder edits and validates them as a whole, and an
enrollment only needs to know the id of the step it runs next.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account

# The ceilings the issue sets; an account may only lower them.
DAILY_SEND_LIMIT = 5_000
MONTHLY_SEND_LIMIT = 10_000


class TriggerType(models.TextChoices):
    RECORD_CREATED = "record_created", "Record is created"
    PROPERTY_CHANGED = "property_changed", "Property changes"
    LIST_ADDED = "list_added", "Added to a list"
    INBOUND_KEYWORD = "inbound_keyword", "Texts a keyword"


class Workflow(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="wf")
    name = models.CharField(max_length=200)
    # A key of workflows.records.REGISTRY ("contact").
    record_type = models.CharField(max_length=32, default="contact")
    enabled = models.BooleanField(default=False)
    trigger_type = models.CharField(max_length=20, choices=TriggerType.choices)
    # {"property", "value"} | {"list"} | {"keyword"}: see workflows.definition.
    trigger = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(default=list, blank=True)
    allow_reenrollment = models.BooleanField(
        default=False, help_text="A record that went through before may enroll again."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["account", "trigger_type"],
                condition=Q(enabled=True),
                name="workflow_enabled_trigger",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "In progress"
    COMPLETED = "completed", "Completed"


class Enrollment(models.Model):
    """One record going through a workflow once. `step_id` is the step to run next, at
    `due_at`; the worker claims due rows with FOR UPDATE SKIP LOCKED and commits a step's
    effects together with the move to the next step, so a crash neither loses nor repeats one.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="enrollments")
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    # 1 for a record's first time through this workflow, 2 for its re-enrollment, ...
    round = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    step_id = models.CharField(max_length=32, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "record_type", "record_id", "round"],
                name="enrollment_once_per_round",
            ),
            # A record is in a workflow at most once at a time.
            models.UniqueConstraint(
                fields=["workflow", "record_type", "record_id"],
                condition=Q(status="active"),
                name="enrollment_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="active"), name="enrollment_due"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} in {self.workflow_id} ({self.status})"


class LogEvent(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    NOT_ENROLLED = "not_enrolled", "Not enrolled"
    DELAY = "delay", "Delay"
    BRANCH = "branch", "If/then branch"
    SEND_SMS = "send_sms", "Send SMS"
    COMPLETED = "completed", "Completed"


class LogOutcome(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    SKIPPED = "skipped", "Skipped"
    WAITING = "waiting", "Waiting"
    BRANCHED = "branched", "Branched"
    QUEUED = "queued", "Queued"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"


class WorkflowLog(models.Model):
    """The action log: one row per enrollment, step run and completion.

    A Send SMS row points at its OutboundMessage, whose live status (sent with its SID,
    deferred until, not sent and why, failed) is what the log page and API show.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="wlg")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="logs")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    record_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    record_label = models.CharField(max_length=200, blank=True)
    event = models.CharField(max_length=16, choices=LogEvent.choices)
    step_id = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=12, choices=LogOutcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300, blank=True)
    # No database constraint and nothing done on delete: deleting a message then deletes its
    # million texts in one statement, instead of Django loading every one of them to clear
    # this column (and PostgreSQL checking each against the log). A log row whose text was
    # deleted with its message keeps the dangling id; reads join it away (select_related).
    outbound = models.ForeignKey(
        "messaging.OutboundMessage",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Belt and braces for exactly-once: a step runs once per enrollment.
            models.UniqueConstraint(
                fields=["enrollment", "step_id"],
                condition=Q(enrollment__isnull=False) & ~Q(step_id=""),
                name="workflow_log_step_once",
            )
        ]
        indexes = [
            models.Index(fields=["workflow", "-created_at", "-id"], name="workflow_log_recent"),
            models.Index(fields=["workflow", "record_id"], name="workflow_log_record"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.outcome}"


class ActionMessage(models.Model):
    """The SmsMessage behind a Send SMS action (schedule kind automated), per enrollment round
    and version of the action's text.

    OutboundMessage is unique per (message, contact), yet a re-enrolled contact legitimately gets
    the same action's text again: its second round goes under the action's second message.
    Editing the action (its text, opt-out line, number or user) starts a new version, so each
    message's body is what its recipients got; the old version takes no more texts and turns
    sent once its queued ones went out (workflows.services.action_messages).
    Analytics sees them all as automated sends.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    step_id = models.CharField(max_length=32)
    round = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=1)
    message = models.OneToOneField(
        "messaging.SmsMessage", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "step_id", "round", "version"], name="action_message_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id}/{self.step_id}#{self.round}v{self.version}"


class WorkflowSettings(models.Model):
    """Per-account send limits for workflow texts, at most the platform's ceilings."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    daily_send_limit = models.PositiveIntegerField(
        default=DAILY_SEND_LIMIT,
        validators=[MinValueValidator(1), MaxValueValidator(DAILY_SEND_LIMIT)],
        help_text="Texts one user may send from one number per day by workflows.",
    )
    monthly_send_limit = models.PositiveIntegerField(
        default=MONTHLY_SEND_LIMIT,
        validators=[MinValueValidator(1), MaxValueValidator(MONTHLY_SEND_LIMIT)],
        help_text="Texts one user may send from one number per month by workflows.",
    )

    class Meta:
        verbose_name = "workflow settings"
        verbose_name_plural = "workflow settings"

    def __str__(self) -> str:
        return f"workflow settings of {self.account}"


class SendPeriod(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


class SendCount(models.Model):
    """Workflow texts counted against one (user, number) in one day or month of the account's
    time zone. Rows are locked (in a fixed order) while a batch takes its sends, so two workers
    at the limit can't both take the last one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.ForeignKey(
        "registration.PhoneNumber", on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(max_length=5, choices=SendPeriod.choices)
    period_start = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "number", "period", "period_start"], name="send_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.number_id} {self.period} {self.period_start}: {self.count}"
