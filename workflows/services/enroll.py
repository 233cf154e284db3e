"""Enrollment: records an event touched join the enabled workflows whose trigger it matches.

Events arrive in batches (an import announces all its contacts at once); `event_announce` asks
one indexed question (does any enabled workflow of the account care?) and only then hands the
ids to the worker in chunks, so nothing runs per contact in the request and no Celery task is
made per contact. The worker enrolls a chunk with a few queries and runs the first steps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import Account
from workflows import definition
from workflows.models import (
    Enrollment,
    EnrollmentStatus,
    LogEvent,
    LogOutcome,
    TriggerType,
    Workflow,
    WorkflowLog,
)
from workflows.records import REGISTRY

logger = logging.getLogger(__name__)

CHUNK = 1000


def _interested(*, account_id: int, record_type: str, trigger_type: str, detail: dict) -> bool:
    workflows = Workflow.objects.filter(
        account_id=account_id, enabled=True, record_type=record_type, trigger_type=trigger_type
    )
    if trigger_type == TriggerType.LIST_ADDED:
        workflows = workflows.filter(trigger__list=detail.get("list", ""))
    elif trigger_type == TriggerType.INBOUND_KEYWORD:
        workflows = workflows.filter(trigger__keyword=detail.get("keyword", ""))
    elif trigger_type == TriggerType.PROPERTY_CHANGED:
        names = {name for names in detail.get("changes", {}).values() for name in names}
        workflows = workflows.filter(trigger__property__in=sorted(names))
    return workflows.exists()


def event_announce(
    *,
    account_id: int,
    record_type: str,
    trigger_type: str,
    record_ids: Iterable[int],
    detail: dict | None = None,
) -> int:
    """Queue enrollment of these records if any enabled workflow cares; returns tasks queued."""
    from workflows.tasks import workflow_event_task

    detail = detail or {}
    if not _interested(
        account_id=account_id, record_type=record_type, trigger_type=trigger_type, detail=detail
    ):
        return 0
    ids = list(dict.fromkeys(record_ids))
    queued = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        chunk_detail = detail
        if trigger_type == TriggerType.PROPERTY_CHANGED:
            changes = detail.get("changes", {})
            chunk_detail = {"changes": {str(pk): changes.get(pk) or [] for pk in chunk}}
        workflow_event_task.delay(account_id, record_type, trigger_type, chunk, chunk_detail)
        queued += 1
    return queued


def _matching(account: Account, workflow: Workflow, ids: list[int], detail: dict) -> list[int]:
    trigger = workflow.trigger or {}
    kind = workflow.trigger_type
    if kind == TriggerType.RECORD_CREATED:
        return ids
    if kind == TriggerType.LIST_ADDED:
        return ids if trigger.get("list") == detail.get("list") else []
    if kind == TriggerType.INBOUND_KEYWORD:
        return ids if trigger.get("keyword") == detail.get("keyword") else []
    prop = trigger.get("property", "")
    changes = detail.get("changes", {})
    changed = [pk for pk in ids if prop in (changes.get(str(pk)) or [])]
    wanted = (trigger.get("value") or "").strip().lower()
    if not wanted or not changed:
        return changed
    # "Changes to a value": compared with the value now, after the change committed.
    record_type = REGISTRY[workflow.record_type]
    records = record_type.load(account, changed)
    return [
        pk
        for pk in changed
        if pk in records
        and str(record_type.values(records[pk]).get(prop) or "").strip().lower() == wanted
    ]


def _trigger_text(workflow: Workflow, detail: dict) -> str:
    trigger = workflow.trigger or {}
    kind = workflow.trigger_type
    if kind == TriggerType.PROPERTY_CHANGED:
        value = trigger.get("value")
        return f"{trigger.get('property')} changed" + (f" to “{value}”" if value else "")
    if kind == TriggerType.LIST_ADDED:
        return f"added to list {trigger.get('list')}"
    if kind == TriggerType.INBOUND_KEYWORD:
        return f"texted {trigger.get('keyword')}"
    return "record created"


def records_enroll(
    *, account: Account, record_type: str, trigger_type: str, record_ids: list[int], detail: dict
) -> list[int]:
    """Enroll the records in every enabled workflow the event matches; returns new enrollment
    ids. A record already in a workflow is not enrolled again; one that went through before is
    only if the workflow allows re-enrollment. Both are logged."""
    workflows = Workflow.objects.filter(
        account=account, enabled=True, record_type=record_type, trigger_type=trigger_type
    ).order_by("pk")
    enrolled: list[int] = []
    # In record order, so the texts of one event go out (and meet a limit) in a known order.
    record_ids = sorted(set(record_ids))
    for workflow in workflows:
        ids = _matching(account, workflow, list(record_ids), detail)
        if ids:
            enrolled += _enroll(account, workflow, ids, detail)
    return enrolled


@transaction.atomic
def _enroll(account: Account, workflow: Workflow, ids: list[int], detail: dict) -> list[int]:
    # The workflow's row lock serializes enrollments into it: two events for the same record
    # can't both see "not enrolled yet".
    workflow = Workflow.objects.select_for_update().filter(pk=workflow.pk, enabled=True).first()
    if workflow is None:
        return []
    record_type = REGISTRY[workflow.record_type]
    records = record_type.load(account, ids)
    previous = {
        row["record_id"]: row
        for row in Enrollment.objects.filter(
            workflow=workflow, record_type=workflow.record_type, record_id__in=ids
        )
        .values("record_id")
        .annotate(rounds=Max("round"), active=Count("id", filter=Q(status=EnrollmentStatus.ACTIVE)))
    }
    now = timezone.now()
    first_step = workflow.steps[0]["id"] if workflow.steps else ""
    why = _trigger_text(workflow, detail)
    enrollments: list[Enrollment] = []
    logs: list[WorkflowLog] = []
    for pk in ids:
        record = records.get(pk)
        if record is None:
            continue  # deleted since the event
        before = previous.get(pk)
        label = record_type.record_label(record)
        if before and (before["active"] or not workflow.allow_reenrollment):
            reason = "already_enrolled" if before["active"] else "reenrollment_off"
            message = (
                "Already in this workflow."
                if before["active"]
                else "Went through this workflow before; re-enrollment is off."
            )
            logs.append(
                WorkflowLog(
                    account=account,
                    workflow=workflow,
                    record_type=workflow.record_type,
                    record_id=pk,
                    record_label=label,
                    event=LogEvent.NOT_ENROLLED,
                    outcome=LogOutcome.SKIPPED,
                    reason=reason,
                    message=f"{message} ({why})",
                    created_at=now,
                )
            )
            continue
        enrollments.append(
            Enrollment(
                account=account,
                workflow=workflow,
                record_type=workflow.record_type,
                record_id=pk,
                round=(before["rounds"] + 1) if before else 1,
                step_id=first_step,
                due_at=now,
                enrolled_at=now,
            )
        )
    Enrollment.objects.bulk_create(enrollments, batch_size=1000)
    for enrollment in enrollments:
        logs.append(
            WorkflowLog(
                account=account,
                workflow=workflow,
                enrollment=enrollment,
                record_type=enrollment.record_type,
                record_id=enrollment.record_id,
                record_label=record_type.record_label(records[enrollment.record_id]),
                event=LogEvent.ENROLLED,
                outcome=LogOutcome.ENROLLED,
                message=f"Enrolled: {why}"
                + (f" (round {enrollment.round})" if enrollment.round > 1 else ""),
                created_at=now,
            )
        )
    WorkflowLog.objects.bulk_create(logs, batch_size=1000)
    return [e.pk for e in enrollments]


def keyword_of(body: str) -> str:
    return definition.keyword_normalize(body)
