"""The per-(sender user, number) limits at their edges: the 5,000th text of a day goes, the
5,001st fails, is logged and is never retried; the same for 10,000 a month; race-safe."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from contacts import services as contact_services
from tests.factories import SendCountFactory
from workflows import services
from workflows.models import LogEvent, LogOutcome, SendCount
from workflows.services import limits

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 2)  # NOON_NEW_YORK's date in the account's zone (New York)


def seed(flows, *, day: int = 0, month: int = 0) -> None:
    """Counts as if that many workflow texts had gone out (sending 5,000 would prove nothing
    more and take minutes)."""
    common = {"account": flows.account, "user": flows.user, "number": flows.sending.sender}
    SendCountFactory(**common, period="day", period_start=TODAY, count=day)
    SendCountFactory(**common, period="month", period_start=TODAY.replace(day=1), count=month)


def counts(flows) -> dict[str, int]:
    return dict(
        SendCount.objects.filter(user=flows.user, number=flows.sending.sender).values_list(
            "period", "count"
        )
    )


def enroll_two(flows, capture):
    first = flows.contact("First", "+12125550101")
    second = flows.contact("Second", "+12125550102")
    with capture(execute=True):
        contact_services.contact_list_add(
            account=flows.account,
            contact_list=flows.sending.audience,
            contact_ids=[first.pk, second.pk],
        )
    return first, second


def test_the_5000th_text_of_the_day_goes_and_the_5001st_fails_for_good(
    flows, django_capture_on_commit_callbacks
):
    seed(flows, day=4_999, month=4_999)
    workflow = flows.workflow()
    first, second = enroll_two(flows, django_capture_on_commit_callbacks)

    [text] = flows.texts(workflow)
    assert text.contact_id == first.pk and text.twilio_sid
    failed = flows.logs(workflow, event=LogEvent.SEND_SMS, record_id=second.pk)[0]
    assert (failed.outcome, failed.reason) == (LogOutcome.FAILED, "daily_limit")
    assert "5,000" in failed.message and "not retried" in failed.message
    assert counts(flows) == {"day": 5_000, "month": 5_000}
    # Not retried: the enrollment moved on; later sweeps send nothing more.
    assert flows.run_due() == 0
    assert len(flows.texts(workflow)) == 1
    assert len(flows.logs(workflow, event=LogEvent.COMPLETED)) == 2


def test_the_monthly_limit_holds_too(flows, django_capture_on_commit_callbacks):
    seed(flows, day=10, month=9_999)
    workflow = flows.workflow()
    _, second = enroll_two(flows, django_capture_on_commit_callbacks)
    assert len(flows.texts(workflow)) == 1
    failed = flows.logs(workflow, event=LogEvent.SEND_SMS, record_id=second.pk)[0]
    assert failed.reason == "monthly_limit"


def test_a_lower_account_limit_applies_and_the_ceiling_cannot_be_raised(
    flows, django_capture_on_commit_callbacks
):
    services.workflow_settings_update(
        account=flows.account, daily_send_limit=1, monthly_send_limit=100
    )
    workflow = flows.workflow()
    enroll_two(flows, django_capture_on_commit_callbacks)
    assert len(flows.texts(workflow)) == 1
    with pytest.raises(ValidationError) as error:
        services.workflow_settings_update(
            account=flows.account, daily_send_limit=5_001, monthly_send_limit=10_001
        )
    assert set(error.value.message_dict) == {"daily_send_limit", "monthly_send_limit"}


def test_skipped_texts_do_not_count(flows, django_capture_on_commit_callbacks):
    seed(flows, day=4_999, month=4_999)
    workflow = flows.workflow()
    out = flows.contact("Out", "+12125550103", subscribed=False)
    maya = flows.contact("Maya", "+12125550104")
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_list_add(
            account=flows.account,
            contact_list=flows.sending.audience,
            contact_ids=[out.pk, maya.pk],
        )
    [text] = flows.texts(workflow)
    assert text.contact_id == maya.pk


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_5000th_send_only_one(flows):
    seed(flows, day=4_999, month=4_999)
    request = limits.QuotaRequest(
        flows.user.pk, flows.sending.sender.pk, TODAY, TODAY.replace(day=1)
    )
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker():
        try:
            with transaction.atomic():
                barrier.wait(5)
                results.extend(limits.send_quota_take(account=flows.account, requests=[request]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert sorted(results) == ["", "daily_limit"]
    assert counts(flows) == {"day": 5_000, "month": 5_000}
