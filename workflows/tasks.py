"""Celery tasks of workflows: they take ids, call a service, and own their retry policy."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Account
from workflows.services import enroll, run


@shared_task(acks_late=True)
def workflow_event_task(
    account_id: int, record_type: str, trigger_type: str, record_ids: list[int], detail: dict
) -> int:
    """Enroll a chunk of records an event touched, then run their first steps. Safe to run
    again: a record already in a workflow is not enrolled twice."""
    account = Account.objects.get(pk=account_id)
    enrolled = enroll.records_enroll(
        account=account,
        record_type=record_type,
        trigger_type=trigger_type,
        record_ids=record_ids,
        detail=detail,
    )
    if enrolled:
        run.enrollments_run_due(enrollment_ids=enrolled)
    return len(enrolled)


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def workflow_steps_due_task() -> int:
    """Beat's sweep: run every enrollment whose delay is over (and any a crash left due)."""
    return run.enrollments_run_due(time_budget=50.0)
