"""Reads of the workflows app: workflows, who and what may send, the action log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, User
from messaging.models import HANDED_TO_TWILIO, NEVER_SENT, NOT_DELIVERED, OutboundStatus
from registration import selectors as registration_selectors
from registration.models import PhoneNumber, RegistrationStatus
from workflows.models import (
    Enrollment,
    EnrollmentStatus,
    LogEvent,
    LogOutcome,
    Workflow,
    WorkflowLog,
    WorkflowSettings,
)
from workflows.records import REGISTRY


def workflows_list(*, account: Account, q: str = "") -> QuerySet[Workflow]:
    queryset = Workflow.objects.filter(account=account)
    q = (q or "").strip()[:200]
    if q:
        queryset = queryset.filter(name__icontains=q)
    return queryset.annotate(
        active_count=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE)),
        enrolled_count=Count("enrollments"),
    ).order_by("-created_at", "-pk")


def workflow_settings(account: Account) -> WorkflowSettings:
    found = WorkflowSettings.objects.filter(account=account).first()
    return found or WorkflowSettings(account=account)


def sending_numbers(*, account: Account) -> list[PhoneNumber]:
    """Numbers a Send SMS action may use: active, SMS-capable, under an approved use case.

    The demo number `make run` seeds has no registration behind it; it sends through the
    emulator only, so it counts as approved there.
    """
    use_case = registration_selectors.use_case_for(account)
    approved = use_case is not None and use_case.status == RegistrationStatus.APPROVED
    return [
        number
        for number in registration_selectors.phone_numbers_for(account)
        if number.status == PhoneNumber.Status.ACTIVE
        and number.sms_capable
        and (approved or number.is_demo)
    ]


def number_users(*, account: Account, number: PhoneNumber) -> list[User]:
    """Users linked to the number who are still members of the account."""
    return list(number.users.filter(memberships__account=account).order_by("email").distinct())


def active_enrollments(*, account: Account, workflow: Workflow) -> int:
    return Enrollment.objects.filter(
        account=account, workflow=workflow, status=EnrollmentStatus.ACTIVE
    ).count()


# The log's outcome filter: what each means, read live from the text it queued where there is one.
LOG_OUTCOMES = {
    "enrolled": "Enrolled",
    "not_enrolled": "Not enrolled",
    "sent": "Sent",
    "deferred": "Deferred",
    "queued": "Queued",
    "skipped": "Skipped",
    "failed": "Failed",
    "completed": "Completed",
}
# A log's text counts as sent once Twilio has it, unless it then failed (counted as failed).
SENT_NOT_FAILED = HANDED_TO_TWILIO - NOT_DELIVERED


def _outcome_q(outcome: str, now: dt.datetime) -> Q:
    send = Q(event=LogEvent.SEND_SMS, outbound__isnull=False)
    return {
        "enrolled": Q(event=LogEvent.ENROLLED),
        "not_enrolled": Q(event=LogEvent.NOT_ENROLLED),
        "sent": send & Q(outbound__status__in=SENT_NOT_FAILED),
        "deferred": send & Q(outbound__status=OutboundStatus.PENDING, outbound__due_at__gt=now),
        "queued": send
        & (
            Q(outbound__status=OutboundStatus.PENDING, outbound__due_at__lte=now)
            | Q(outbound__status=OutboundStatus.CLAIMED)
        ),
        "skipped": Q(outcome=LogOutcome.SKIPPED) | (send & Q(outbound__status__in=NEVER_SENT)),
        "failed": Q(outcome=LogOutcome.FAILED) | (send & Q(outbound__status__in=NOT_DELIVERED)),
        "completed": Q(event=LogEvent.COMPLETED),
    }[outcome]


def workflow_logs(
    *,
    account: Account,
    workflow: Workflow,
    outcome: str = "",
    event: str = "",
    record: str = "",
) -> QuerySet[WorkflowLog]:
    """The workflow's log, newest first; `record` is a record's public id."""
    queryset = WorkflowLog.objects.filter(account=account, workflow=workflow).select_related(
        "outbound"
    )
    if outcome in LOG_OUTCOMES:
        queryset = queryset.filter(_outcome_q(outcome, timezone.now()))
    if event in LogEvent.values:
        queryset = queryset.filter(event=event)
    if record:
        record_id = REGISTRY[workflow.record_type].id_for(account, record.strip())
        queryset = queryset.filter(record_id=record_id if record_id is not None else -1)
    return queryset.order_by("-created_at", "-id")


@dataclass(frozen=True)
class LogLine:
    """A log row as people read it: the outcome of a text is read live from the text itself."""

    log: WorkflowLog
    outcome: str
    detail: str
    sid: str
    deferred_until: dt.datetime | None
    record_public_id: str
    record_url: str


def log_lines(logs: list[WorkflowLog], *, account: Account, workflow: Workflow) -> list[LogLine]:
    record_type = REGISTRY[workflow.record_type]
    public_ids = record_type.public_ids(account, {log.record_id for log in logs})
    now = timezone.now()
    lines = []
    for log in logs:
        outcome, detail, sid, until = log.outcome, log.message, "", None
        row = log.outbound if log.event == LogEvent.SEND_SMS else None
        if row is None and log.outbound_id is not None:
            detail = f"{detail} The text was deleted with its message."
        if row is not None:
            sid = row.twilio_sid or ""
            if row.status in SENT_NOT_FAILED:
                outcome = "sent"
                detail = f"Sent ({row.get_status_display().lower()}), SID {sid}"
            elif row.status == OutboundStatus.PENDING and row.due_at > now:
                outcome, until = "deferred", row.due_at
                reason = (row.deferred_reason or "").replace("_", " ")
                detail = f"Deferred until {until:%Y-%m-%d %H:%M} UTC" + (
                    f" ({reason})" if reason else ""
                )
            elif row.status in (OutboundStatus.PENDING, OutboundStatus.CLAIMED):
                outcome, detail = "queued", "Queued for sending"
            elif row.status in NEVER_SENT:
                outcome = "skipped"
                detail = f"Not sent: {(row.not_sent_reason or row.status).replace('_', ' ')}"
            elif row.status in NOT_DELIVERED:
                outcome = "failed"
                detail = f"{row.get_status_display()}" + (
                    f" (error {row.error_code})" if row.error_code else ""
                )
        public_id = public_ids.get(log.record_id, "")
        lines.append(
            LogLine(
                log=log,
                outcome=outcome,
                detail=detail,
                sid=sid,
                deferred_until=until,
                record_public_id=public_id,
                record_url=record_type.url(public_id) if public_id else "",
            )
        )
    return lines


def steps_labelled(*, account: Account, workflow: Workflow) -> list[dict]:
    """The workflow's steps for its page, each property named by its label as the record type
    shows it ("Mobile phone", not `mobile_phone`); branches' paths likewise."""
    record_type = REGISTRY[workflow.record_type]
    labels = dict(record_type.properties(account))
    labels.update(dict(record_type.phone_properties(account)))

    def label(steps: list[dict]) -> list[dict]:
        out = []
        for step in steps:
            step = dict(step)
            if step.get("phone_property"):
                step["phone_property_label"] = labels.get(step["phone_property"], "")
            if step.get("property"):
                step["property_label"] = labels.get(step["property"], "")
            for path in ("yes", "no"):
                if path in step:
                    step[path] = label(step[path])
            out.append(step)
        return out

    return label(workflow.steps or [])
