"""A message's life after composing: review, send or schedule, pause, resume, cancel."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from messaging import links, segments, shortlinks
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import allotment, audience, compose
from messaging.services.settings import sending_settings
from smsapp.models import Account, User

# Above this many recipients the review counts segments on a sample and says it estimated.
EXACT_REVIEW_LIMIT = 50_000


@dataclass
class Review:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sendable: int = 0
    not_sendable: int = 0
    reasons: list[dict] = field(default_factory=list)
    segments_total: int = 0
    segments_estimated: bool = False
    usage_after: int = 0
    allotment_total: int = 0
    quiet_hours_deferred: int = 0
    seconds_to_send: int = 0


def message_review(
    *, account: Account, message: SmsMessage, now: dt.datetime | None = None
) -> Review:
    """Errors block a send; warnings inform (DESIGN.md step 3)."""
    from messaging.services.fanout import COLUMNS, outbound_rows, plan_for

    COLUMN_STATUS, COLUMN_REASON, COLUMN_SEGMENTS, COLUMN_DEFERRED = (
        COLUMNS.index(name) for name in ("status", "not_sent_reason", "segments", "deferred_reason")
    )

    review = Review()
    now = now or timezone.now()
    if message.sender is None:
        review.errors.append("Choose a sending number; the account has no approved number yet.")
    if not message.body.strip():
        review.errors.append("The message has no text.")
    if message.subscription_type is None:
        review.errors.append("Choose a subscription type.")
    # The composer's rules, which a draft may still break (autosave keeps what was typed):
    # body length, tokens, opt-out wording, message properties required now.
    for problems in compose.message_problems(account=account, message=message).values():
        review.errors.extend(problems)
    if review.errors:
        return review

    plan = plan_for(message, now=now, links_store=False)
    pending = 0
    sampled = 0
    reasons: dict[str, int] = {}
    for batch in audience.recipients(message):
        for row in outbound_rows(plan, batch):
            if row[COLUMN_STATUS] == OutboundStatus.NOT_SENT:
                reason = row[COLUMN_REASON]
                reasons[reason] = reasons.get(reason, 0) + 1
                continue
            pending += 1
            if pending <= EXACT_REVIEW_LIMIT:
                review.segments_total += row[COLUMN_SEGMENTS]
                sampled += 1
                if row[COLUMN_DEFERRED] == "quiet_hours":
                    review.quiet_hours_deferred += 1
    review.sendable = pending
    review.not_sendable = sum(reasons.values())
    review.reasons = [
        {"reason": k, "label": audience.NOT_SENT_REASONS[k], "count": v}
        for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])
    ]
    if pending > sampled and sampled:
        review.segments_estimated = True
        review.segments_total = math.ceil(review.segments_total * pending / sampled)
        review.quiet_hours_deferred = math.ceil(review.quiet_hours_deferred * pending / sampled)
    if pending == 0:
        review.errors.append("No one in this audience can receive the message.")

    usage = allotment.usage(account=account, now=now)
    review.allotment_total = usage.total
    review.usage_after = usage.used + review.segments_total
    if review.segments_total > usage.left:
        review.errors.append(
            f"This send needs {review.segments_total:,} segments but only {usage.left:,} are "
            "left this period."
        )
    elif usage.total and review.usage_after >= 0.6 * usage.total:
        review.warnings.append(
            f"After this send {review.usage_after:,} of {usage.total:,} segments "
            f"({review.usage_after * 100 // usage.total}%) will be used this period."
        )
    if review.quiet_hours_deferred:
        rules = sending_settings(account)
        review.warnings.append(
            f"{review.quiet_hours_deferred:,} messages fall outside quiet hours "
            f"({rules.quiet_hours_start:%H:%M}-{rules.quiet_hours_end:%H:%M} recipient time) "
            "and will wait for the next opening."
        )
    rate = message.sender.messages_per_second if message.sender else 1
    review.seconds_to_send = math.ceil(pending / max(rate, 1))
    estimate = segments.estimate(message.body)
    if estimate.encoding == segments.UCS2:
        review.warnings.append(
            "Some characters force UCS-2 encoding, which fits fewer characters per segment: "
            + " ".join(estimate.unicode_characters[:10])
        )
    return review


@transaction.atomic
def message_send(*, account: Account, message: SmsMessage, user: User) -> SmsMessage:
    """Send now or schedule; refused with the review's errors when anything blocks.

    A scheduled send's audience is resolved shortly before it is due (`scheduled_fanouts_start`),
    not now: who joins its lists, opts in or opts out until then is counted as they are then.
    """
    from messaging.services import fanout

    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.DRAFT:
        raise ValidationError(f"This message is already {message.get_status_display().lower()}.")
    review = message_review(account=account, message=message)
    if review.errors:
        raise ValidationError(review.errors)
    now = timezone.now()
    if message.schedule_kind == SmsMessage.ScheduleKind.NOW:
        message.status = SmsMessage.Status.SENDING
        message.started_at = now
    else:
        message.status = SmsMessage.Status.SCHEDULED
    message.fanout_total = review.sendable + review.not_sendable
    message.fanout_done = 0
    message.fanout_starts_at = fanout.fanout_start_time(message, now=now)
    message.fanout_started_at = None
    message.fanout_completed_at = None
    message.save(
        update_fields=[
            "status",
            "started_at",
            "fanout_total",
            "fanout_done",
            "fanout_starts_at",
            "fanout_started_at",
            "fanout_completed_at",
            "updated_at",
        ]
    )
    _, urls = links.links_number(fanout.message_body(message), limit=shortlinks.MAX_LINKS)
    fanout.message_links_store(message=message, urls=urls, replace=True)
    if message.fanout_starts_at <= now:
        _fanout_enqueue(message.pk, now=now)
    return message


def _fanout_enqueue(message_id: int, *, now: dt.datetime) -> bool:
    """Start the message's fan-out once: the conditional update is the claim."""
    from messaging.tasks import message_fanout_task

    claimed = SmsMessage.objects.filter(pk=message_id, fanout_started_at__isnull=True).update(
        fanout_started_at=now
    )
    if claimed:
        transaction.on_commit(lambda: message_fanout_task.delay(message_id))
    return bool(claimed)


# A fan-out that started this long ago and never finished lost its worker: start it again
# (it is idempotent: rows are unique per message and contact).
FANOUT_STALLED_AFTER = dt.timedelta(minutes=15)


def scheduled_fanouts_start(*, now: dt.datetime | None = None) -> int:
    """Start the fan-out of every scheduled send whose time has come, and restart stalled ones
    (beat runs this every 30 seconds); returns how many were started."""
    now = now or timezone.now()
    started = 0
    due = SmsMessage.objects.filter(
        status__in=(SmsMessage.Status.SCHEDULED, SmsMessage.Status.SENDING),
        fanout_starts_at__lte=now,
        fanout_completed_at__isnull=True,
    )
    stalled = due.filter(fanout_started_at__lt=now - FANOUT_STALLED_AFTER)
    stalled.update(fanout_started_at=None)
    for message_id in due.filter(fanout_started_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            started += _fanout_enqueue(message_id, now=now)
    return started


def _fanout_pending(message: SmsMessage):
    return OutboundMessage.objects.filter(message=message, status=OutboundStatus.PENDING)


@transaction.atomic
def message_pause(*, account: Account, message: SmsMessage) -> SmsMessage:
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.SENDING:
        raise ValidationError("Only a message that is sending can be paused.")
    message.status = SmsMessage.Status.PAUSED
    message.save(update_fields=["status", "updated_at"])
    return message


@transaction.atomic
def message_resume(*, account: Account, message: SmsMessage) -> SmsMessage:
    from messaging.tasks import dispatch_due_task

    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.PAUSED:
        raise ValidationError("Only a paused message can be resumed.")
    message.status = SmsMessage.Status.SENDING
    message.save(update_fields=["status", "updated_at"])
    transaction.on_commit(dispatch_due_task.delay)
    return message


@transaction.atomic
def message_cancel(*, account: Account, message: SmsMessage) -> SmsMessage:
    """Cancel a scheduled send before it starts: nothing of it goes out."""
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.SCHEDULED:
        raise ValidationError("Only a scheduled message can be cancelled.")
    _fanout_pending(message).update(
        status=OutboundStatus.CANCELLED, status_updated_at=timezone.now()
    )
    message.status = SmsMessage.Status.CANCELLED
    message.save(update_fields=["status", "updated_at"])
    return message


@transaction.atomic
def message_unschedule(*, account: Account, message: SmsMessage) -> SmsMessage:
    """Back to draft so its schedule or audience can be changed; its rows are withdrawn."""
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.SCHEDULED:
        raise ValidationError("Only a scheduled message can be changed.")
    if (
        OutboundMessage.objects.filter(message=message)
        .exclude(status__in=(OutboundStatus.PENDING, OutboundStatus.NOT_SENT))
        .exists()
    ):
        raise ValidationError("This message has started sending; pause it instead.")
    OutboundMessage.objects.filter(message=message).delete()
    message.status = SmsMessage.Status.DRAFT
    message.fanout_done = 0
    message.fanout_starts_at = message.fanout_started_at = message.fanout_completed_at = None
    message.save(
        update_fields=[
            "status",
            "fanout_done",
            "fanout_starts_at",
            "fanout_started_at",
            "fanout_completed_at",
            "updated_at",
        ]
    )
    return message
