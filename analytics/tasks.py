"""Celery tasks of analytics: they call a service and own their retry policy."""

from __future__ import annotations

from celery import shared_task

from analytics.services import consent_rollups, drift, rollups


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def rollups_apply_task() -> int:
    """Fold new status changes, clicks, opt-outs and consent changes into the rollups (beat:
    every 10 s)."""
    applied = rollups.rollups_apply_all(time_budget=40.0)
    return applied + consent_rollups.consent_rollups_apply_all(time_budget=20.0)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def rollups_check_task() -> int:
    """Recompute a sample of messages from raw rows and correct drift; how many drifted."""
    return sum(report.drifted for report in drift.rollups_check())


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def consent_snapshot_task(account_id: int) -> int:
    """Recount where an account's contacts stand for each subscription type (the Consent
    report asks when its snapshot is stale)."""
    return consent_rollups.consent_snapshots_refresh(account_ids=[account_id])
