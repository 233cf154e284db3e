"""A message's life after composing: review, send or schedule, pause, resume, cancel."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from messaging import links, segments, shortlinks
from messaging.models import OutboundStatus, SmsMessage
from messaging.schedule import TimeZoneSource, recipient_zone
from messaging.services import allotment, audience, compose, lifecycle
from messaging.services.rules import contacts_at_frequency_cap
from messaging.services.settings import sending_settings

# Up to this many recipients the review is counted while the page loads; above it, the worker
# counts every recipient (exactly, as fan-out would write them) and the page follows along.
REVIEW_INLINE_LIMIT = 20_000
# A counted review stands for this long: lists and consent keep changing.
REVIEW_KEEP_SECONDS = 15 * 60
# How long a count in progress holds its claim without reporting progress (a lost worker).
REVIEW_CLAIM_SECONDS = 120


@dataclass
class Review:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sendable: int = 0
    not_sendable: int = 0
    reasons: list[dict] = field(default_factory=list)
    segments_total: int = 0
    usage_after: int = 0
    allotment_total: int = 0
    quiet_hours_deferred: int = 0
    frequency_capped: int = 0
    seconds_to_send: int = 0
    # Sendable recipients by (zone, where the zone came from), most first.
    zones: list[dict] = field(default_factory=list)
    counted_at: str = ""
    # The worker is still counting a large audience: `counted` of about `audience_size`.
    pending: bool = False
    counted: int = 0
    audience_size: int = 0

    @property
    def time_to_send(self) -> str:
        minutes, seconds = divmod(self.seconds_to_send, 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _review_blockers(*, account: Account, message: SmsMessage) -> list[str]:
    """What blocks a send before anyone is counted."""
    errors = []
    if message.sender is None:
        errors.append("Choose a sending number; the account has no approved number yet.")
    if not message.body.strip():
        errors.append("The message has no text.")
    if message.subscription_type is None:
        errors.append("Choose a subscription type.")
    # The composer's rules, which a draft may still break (autosave keeps what was typed):
    # body length, tokens, opt-out wording, message properties required now.
    for problems in compose.message_problems(account=account, message=message).values():
        errors.extend(problems)
    return errors


def _review_key(message: SmsMessage) -> str:
    """Names a count of this message as it is now: any change to what the review depends on
    (the message, its audience choice, the account's sending rules) makes a new key."""
    rules = sending_settings(message.account)
    parts = [
        message.pk,
        message.updated_at.isoformat() if message.updated_at else "",
        message.body,
        message.append_opt_out,
        message.sender_id,
        message.subscription_type_id,
        message.schedule_kind,
        message.scheduled_at,
        message.local_send_at,
        sorted(message.include_lists.values_list("pk", flat=True)),
        sorted(message.exclude_lists.values_list("pk", flat=True)),
        sorted(message.include_contacts.values_list("pk", flat=True)),
        sorted(message.exclude_contacts.values_list("pk", flat=True)),
        rules.quiet_hours_start,
        rules.quiet_hours_end,
        rules.frequency_cap,
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"message-review:{message.pk}:{digest}"


def message_review(
    *,
    account: Account,
    message: SmsMessage,
    now: dt.datetime | None = None,
    count_large: bool = True,
) -> Review:
    """Errors block a send; warnings inform (DESIGN.md step 3).

    A small audience is counted at once. A large one is counted by the worker
    (`message_review_count`): until it is done this answers `pending` with its progress
    (`count_large=False`: without starting a count).
    """
    errors = _review_blockers(account=account, message=message)
    if errors:
        return Review(errors=errors)
    size = audience.audience_queryset(message).count()
    if size <= REVIEW_INLINE_LIMIT:
        return _review_count(account=account, message=message, now=now or timezone.now())
    key = _review_key(message)
    counted = cache.get(key)
    if counted is None and count_large and cache.add(f"{key}:counted", 0, REVIEW_CLAIM_SECONDS):
        from messaging.tasks import message_review_task

        # Only reads: no need to wait for a commit (and nothing to undo if there is none).
        message_review_task.delay(message.pk, key)
        counted = cache.get(key)  # an eager worker (tests, the embedded default) is done
    if counted is not None:
        return Review(**counted)
    return Review(pending=True, counted=cache.get(f"{key}:counted") or 0, audience_size=size)


def message_review_count(*, message_id: int, key: str) -> None:
    """Count a large audience's review for `message_review`, reporting progress as it goes."""
    message = SmsMessage.objects.select_related("account", "sender").get(pk=message_id)
    if _review_key(message) != key:
        return  # the message changed since: the page will ask for a new count

    def progress(counted: int) -> None:
        cache.set(f"{key}:counted", counted, REVIEW_CLAIM_SECONDS)

    review = _review_count(
        account=message.account, message=message, now=timezone.now(), progress=progress
    )
    cache.set(key, asdict(review), REVIEW_KEEP_SECONDS)
    cache.delete(f"{key}:counted")


def _review_count(
    *,
    account: Account,
    message: SmsMessage,
    now: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> Review:
    """Every recipient's row as fan-out would write it now, tallied."""
    from messaging.services.fanout import COLUMNS, outbound_rows, plan_for

    column_status, column_reason, column_segments, column_deferred = (
        COLUMNS.index(name) for name in ("status", "not_sent_reason", "segments", "deferred_reason")
    )
    review = Review(counted_at=now.isoformat())
    plan = plan_for(message, now=now, links_store=False)
    capped_contacts = contacts_at_frequency_cap(account=account, now=now)
    zones: Counter[tuple[str, str]] = Counter()
    zone_of: dict[tuple[str, str], tuple[str, str]] = {}
    reasons: Counter[str] = Counter()
    counted = 0
    # Batches as large as an audience counted inline: such an audience is one statement.
    for batch in audience.recipients(message, batch_size=REVIEW_INLINE_LIMIT):
        for recipient, row in zip(batch, outbound_rows(plan, batch), strict=True):
            if row[column_status] == OutboundStatus.NOT_SENT:
                reasons[row[column_reason]] += 1
                continue
            review.sendable += 1
            review.segments_total += row[column_segments]
            if row[column_deferred] == "quiet_hours":
                review.quiet_hours_deferred += 1
            if recipient.contact_id in capped_contacts:
                review.frequency_capped += 1
            place = (recipient.time_zone, recipient.phone_e164[:8])
            if place not in zone_of:
                zone, source = recipient_zone(
                    contact_zone=recipient.time_zone,
                    phone_e164=recipient.phone_e164,
                    account_zone=account.time_zone,
                )
                zone_of[place] = (str(zone), source)
            zones[zone_of[place]] += 1
        counted += len(batch)
        if progress is not None:
            progress(counted)
    review.not_sendable = sum(reasons.values())
    review.reasons = [
        {"reason": k, "label": audience.NOT_SENT_REASONS[k], "count": v}
        for k, v in reasons.most_common()
    ]
    review.zones = [
        {"zone": zone, "source": source, "count": n} for (zone, source), n in zones.most_common()
    ]
    if review.sendable == 0:
        review.errors.append("No one in this audience can receive the message.")

    usage = allotment.usage(account=account, now=now)
    review.allotment_total = usage.total
    review.usage_after = usage.used + review.segments_total
    if review.segments_total > usage.left:
        review.errors.append(
            f"This send needs {review.segments_total:,} segments but only {usage.left:,} are "
            "left this period."
        )
    elif review.segments_total and usage.total and review.usage_after >= 0.6 * usage.total:
        # Only a send that uses segments warns: with no one to text, there is nothing to weigh.
        review.warnings.append(
            f"After this send {review.usage_after:,} of {usage.total:,} segments "
            f"({review.usage_after * 100 // usage.total}%) will be used this period."
        )
    rules = sending_settings(account)
    if review.quiet_hours_deferred:
        review.warnings.append(
            f"{review.quiet_hours_deferred:,} messages fall outside quiet hours "
            f"({rules.quiet_hours_start:%H:%M}-{rules.quiet_hours_end:%H:%M} recipient time) "
            "and will wait for the next opening."
        )
    if review.frequency_capped:
        review.warnings.append(
            f"{review.frequency_capped:,} recipients already had {rules.frequency_cap} marketing "
            "texts in the last 24 hours; theirs will wait until the cap allows it."
        )
    if message.schedule_kind == SmsMessage.ScheduleKind.CONTACT_TIME_ZONE:
        unknown = sum(z["count"] for z in review.zones if z["source"] == TimeZoneSource.ACCOUNT)
        if unknown:
            review.warnings.append(
                f"{unknown:,} recipients have no time zone of their own or of their phone "
                f"number; they get it at that time in the account's ({account.time_zone})."
            )
    review.warnings.extend(_content_risks(account=account, message=message))
    rate = message.sender.messages_per_second if message.sender else 1
    review.seconds_to_send = math.ceil(review.sendable / max(rate, 1))
    estimate = segments.estimate(message.body)
    if estimate.encoding == segments.UCS2:
        review.warnings.append(
            "Some characters force UCS-2 encoding, which fits fewer characters per segment: "
            + " ".join(estimate.unicode_characters[:10])
        )
    return review


# A phone number written in a message body (digits with the usual separators).
_PHONE_IN_BODY = re.compile(r"(?<!\w)\+?1?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")


def _content_risks(*, account: Account, message: SmsMessage) -> list[str]:
    """What carriers may filter: content the registered use case said messages don't carry."""
    from registration import selectors as registration_selectors

    use_case = registration_selectors.use_case_for(account)
    if use_case is None or not use_case.submitted_data:
        return []
    declared = use_case.submitted_data
    risks = []
    if links.links_in(message.body) and declared.get("has_links") is False:
        risks.append(
            "The message has a link, but the SMS use case you registered says messages carry "
            "none: carriers may filter it. Update the use case or remove the link."
        )
    if _PHONE_IN_BODY.search(message.body) and declared.get("has_phone_numbers") is False:
        risks.append(
            "The message has a phone number, but the SMS use case you registered says messages "
            "carry none: carriers may filter it."
        )
    return risks


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
    review = message_review(account=account, message=message, count_large=False)
    if review.pending:
        raise ValidationError(
            "The recipients are still being counted; send once the review is ready."
        )
    if review.errors:
        raise ValidationError(review.errors)
    now = timezone.now()
    message.fanout_total = review.sendable + review.not_sendable
    message.fanout_done = 0
    message.fanout_starts_at = fanout.fanout_start_time(message, now=now)
    message.fanout_started_at = None
    message.fanout_completed_at = None
    lifecycle.message_release(
        message,
        user=user,
        now=now,
        fields=(
            "fanout_total",
            "fanout_done",
            "fanout_starts_at",
            "fanout_started_at",
            "fanout_completed_at",
        ),
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
    due = SmsMessage.objects.going_out().filter(
        fanout_starts_at__lte=now, fanout_completed_at__isnull=True
    )
    stalled = due.filter(fanout_started_at__lt=now - FANOUT_STALLED_AFTER)
    stalled.update(fanout_started_at=None)
    for message_id in due.filter(fanout_started_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            started += _fanout_enqueue(message_id, now=now)
    return started
