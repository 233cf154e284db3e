"""Celery tasks of messaging: they take ids, call a service, and own their retry policy."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from messaging import dispatch_lock
from messaging.models import SmsMessage
from messaging.services import audience, delivery, dispatch, fanout, lifecycle, reconcile, sending

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def message_fanout_task(message_id: int) -> int:
    """Write the message's outbound rows; safe to run again (rows are unique per contact)."""
    message = SmsMessage.objects.select_related("account").get(pk=message_id)
    if message.status not in SmsMessage.GOING_OUT:
        return 0
    SmsMessage.objects.filter(pk=message.pk).update(
        fanout_done=0, fanout_started_at=timezone.now(), fanout_completed_at=None
    )
    plan = fanout.plan_for(message)
    created = fanout.message_fanout(
        message=message, recipients=audience.recipients(message), plan=plan
    )
    SmsMessage.objects.filter(pk=message.pk).update(fanout_completed_at=timezone.now())
    transaction.on_commit(dispatch_due_task.delay)
    return created


@shared_task(acks_late=True, soft_time_limit=1500, time_limit=1800)
def message_review_task(message_id: int, key: str) -> None:
    """Count a large audience's review (a million recipients take about a minute)."""
    sending.message_review_count(message_id=message_id, key=key)


@shared_task(acks_late=True)
def scheduled_fanouts_start_task() -> int:
    return sending.scheduled_fanouts_start()


@shared_task(acks_late=True)
def dispatch_due_task() -> int:
    """Start a dispatch chain for every sender with due messages and none running (beat runs
    this every few seconds)."""
    senders = dispatch.senders_with_due()
    for sender_id in senders:
        token = dispatch_lock.run_queue_token(sender_id)
        if token is not None:
            sender_dispatch_task.delay(sender_id, token)
    return len(senders)


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def sender_dispatch_task(sender_id: int, handed_over: str | None = None) -> int:
    """One run of the sender's dispatch chain: it re-queues itself, still holding the lock,
    while texts are due. A run queued by a retry or a duplicate finds the lock taken and ends."""
    token = dispatch_lock.run_start(sender_id, handed_over=handed_over)
    if token is None:
        return 0
    kept = dispatch_lock.Kept(sender_id, token)
    try:
        sent = dispatch.sender_dispatch(
            sender_id=sender_id, time_budget=50.0, keep_going=kept.still_ours
        )
    finally:
        kept.stop()
    if not kept.still_ours():
        return sent
    if sender_id in dispatch.senders_with_due() and dispatch_lock.hand_over(sender_id, token):
        sender_dispatch_task.delay(sender_id, token)
    else:
        dispatch_lock.release(sender_id, token)
    lifecycle.messages_progress()
    return sent


@shared_task(acks_late=True)
def claimed_reconcile_task() -> dict:
    return reconcile.claimed_reconcile()


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def statuses_reconcile_task() -> dict:
    """Settle texts whose final status callback never came (beat runs this every few minutes)."""
    return reconcile.stale_statuses_reconcile(time_budget=45.0)


@shared_task(soft_time_limit=240, time_limit=300)
def partitions_ensure_task() -> list[str]:
    """Make this month's and the next months' partitions of texts and clicks (beat: hourly)."""
    from messaging import partitions

    return partitions.partitions_ensure(now=timezone.now())


@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def messages_retention_task() -> dict:
    """Delete what accounts' message retention says is due (beat: hourly)."""
    from messaging.services import retention

    report = retention.messages_retention_enforce()
    return {
        "months_dropped": [f"{month:%Y-%m}" for month in report.months_dropped],
        "messages_deleted": report.messages_deleted,
        "texts_deleted": report.texts_deleted,
    }


@shared_task
def messages_progress_task() -> int:
    return lifecycle.messages_progress()


@shared_task(acks_late=True)
def status_callbacks_apply_task() -> int:
    """Apply Twilio's status callbacks; runs until nothing is left (they keep arriving)."""
    applied = total = delivery.status_callbacks_apply()
    while applied >= delivery.APPLY_BATCH:
        applied = delivery.status_callbacks_apply()
        total += applied
    return total


@shared_task(acks_late=True, soft_time_limit=30, time_limit=60)
def reply_send_task(outbound_id: int) -> bool:
    """Send a queued one-to-one text (a keyword's answer); if this never runs, the dispatcher
    finds the row due and sends it."""
    from messaging.services import replies

    return replies.queued_reply_send(outbound_id=outbound_id) is not None
