"""Celery tasks of analytics: they call a service and own their retry policy."""

from __future__ import annotations

from celery import shared_task

from analytics.services import drift, rollups


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def rollups_apply_task() -> int:
    """Fold new status changes, clicks and opt-outs into the rollups (beat: every 10 s)."""
    return rollups.rollups_apply_all(time_budget=50.0)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def rollups_check_task() -> int:
    """Recompute a sample of messages from raw rows and correct drift; how many drifted."""
    return sum(report.drifted for report in drift.rollups_check())
