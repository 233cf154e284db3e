"""Celery tasks of the registration app: they load, call a service, and own their retries."""

from __future__ import annotations

from celery import shared_task

from registration.services import registration_status_poll


@shared_task(soft_time_limit=240, time_limit=300)
def registration_status_poll_task() -> dict:
    """Carry every account's registrations forward (beat runs it every minute).

    No retry of its own: the next beat run is the retry, and each row is handled on its own.
    """
    report = registration_status_poll()
    return {
        "brands": report.brands,
        "use_cases": report.use_cases,
        "numbers": report.numbers,
        "errors": len(report.errors),
    }
