"""A message's life: every change of an SmsMessage's status, and who made it.

    draft --send now--> sending --(nothing left to send)--> sent
    draft --schedule--> scheduled --(first text goes out)--> sending
    scheduled --cancel--> cancelled            scheduled --unschedule--> draft
    sending --pause--> paused --resume--> sending

Each change is one conditional step on the locked row and writes a MessageEvent with the acting
user (None when the app itself moved it, as when a scheduled send starts or a send finishes);
the message's page shows them as its history. Archiving and deleting are recorded the same way.
What a change means for the outbound rows (withdrawn, cancelled, dispatched again) happens here
too, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import Account, User
from messaging.models import MessageEvent, OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import rules

Kind = MessageEvent.Kind
Status = SmsMessage.Status


def _event(message: SmsMessage, kind: str, user: User | None, **detail: Any) -> MessageEvent:
    return MessageEvent.objects.create(
        account_id=message.account_id,
        message=message,
        message_name=message.name,
        kind=kind,
        user=user,
        detail=detail,
    )


def _locked(account: Account, message: SmsMessage) -> SmsMessage:
    return SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)


def _move(message: SmsMessage, status: str, *fields: str) -> None:
    message.status = status
    message.save(update_fields=["status", *fields, "updated_at"])


def message_release(
    message: SmsMessage, *, user: User, now: dt.datetime, fields: tuple[str, ...] = ()
) -> None:
    """A reviewed draft goes out: sending at once, or scheduled. The caller holds the row's
    lock and has set the fan-out ``fields`` it saves with the status."""
    if message.schedule_kind == SmsMessage.ScheduleKind.NOW:
        message.started_at = now
        _move(message, Status.SENDING, "started_at", *fields)
        _event(message, Kind.SENT, user)
    else:
        _move(message, Status.SCHEDULED, *fields)
        when = message.local_send_at or message.scheduled_at
        _event(message, Kind.SCHEDULED, user, at=when.isoformat() if when else None)


# The user's simple steps: from which status, to which, how it is recorded, and why it is refused
# from any other status.
_STEPS = {
    "pause": (
        Status.SENDING,
        Status.PAUSED,
        Kind.PAUSED,
        "Only a message that is sending can be paused.",
    ),
    "resume": (
        Status.PAUSED,
        Status.SENDING,
        Kind.RESUMED,
        "Only a paused message can be resumed.",
    ),
    "cancel": (
        Status.SCHEDULED,
        Status.CANCELLED,
        Kind.CANCELLED,
        "Only a scheduled message can be cancelled.",
    ),
}


def _step(account: Account, message: SmsMessage, user: User | None, step: str) -> SmsMessage:
    allowed_from, to, kind, refusal = _STEPS[step]
    message = _locked(account, message)
    if message.status != allowed_from:
        raise ValidationError(refusal)
    _move(message, to)
    _event(message, kind, user)
    return message


@transaction.atomic
def message_pause(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    return _step(account, message, user, "pause")


@transaction.atomic
def message_resume(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    from messaging.tasks import dispatch_due_task

    message = _step(account, message, user, "resume")
    transaction.on_commit(dispatch_due_task.delay)
    return message


@transaction.atomic
def message_cancel(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    """Cancel a scheduled send before it starts: nothing of it goes out."""
    message = _step(account, message, user, "cancel")
    OutboundMessage.objects.filter(message=message, status=OutboundStatus.PENDING).update(
        status=OutboundStatus.CANCELLED, status_updated_at=timezone.now()
    )
    return message


@transaction.atomic
def message_unschedule(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    """Back to draft so its schedule or audience can be changed; its rows are withdrawn."""
    message = _locked(account, message)
    if message.status != Status.SCHEDULED:
        raise ValidationError("Only a scheduled message can be changed.")
    if (
        OutboundMessage.objects.filter(message=message)
        .exclude(status__in=(OutboundStatus.PENDING, OutboundStatus.NOT_SENT))
        .exists()
    ):
        raise ValidationError("This message has started sending; pause it instead.")
    OutboundMessage.objects.filter(message=message).delete()
    message.fanout_done = 0
    message.fanout_starts_at = message.fanout_started_at = message.fanout_completed_at = None
    _move(
        message,
        Status.DRAFT,
        "fanout_done",
        "fanout_starts_at",
        "fanout_started_at",
        "fanout_completed_at",
    )
    _event(message, Kind.UNSCHEDULED, user)
    return message


# Rows that still have to go out (or are going out right now).
_OPEN_ROW_STATUSES = (OutboundStatus.PENDING, OutboundStatus.CLAIMED)
# Rows that show Twilio has taken a text of the send.
_WENT_OUT_STATUSES = (
    OutboundStatus.CLAIMED,
    OutboundStatus.QUEUED,
    OutboundStatus.SENT,
    OutboundStatus.DELIVERED,
)


@transaction.atomic
def messages_progress(*, now: dt.datetime | None = None) -> int:
    """The app's own transitions, run by the dispatcher and by beat: a scheduled send whose
    first text went out is sending; a send with its fan-out written and no row left to send is
    sent. Returns how many finished. Rows another run holds are left to it (skip locked)."""
    now = now or timezone.now()
    rows = OutboundMessage.objects.filter(message=OuterRef("pk"))
    started = (
        SmsMessage.objects.filter(status=Status.SCHEDULED)
        .filter(Exists(rows.filter(status__in=_WENT_OUT_STATUSES)))
        .select_for_update(skip_locked=True)
        .only("pk", "account_id", "name")
    )
    for message in started:
        message.started_at = now
        _move(message, Status.SENDING, "started_at")
        _event(message, Kind.STARTED, None)
    finished = (
        SmsMessage.objects.filter(status=Status.SENDING, fanout_completed_at__isnull=False)
        .exclude(Exists(rows.filter(status__in=_OPEN_ROW_STATUSES)))
        .select_for_update(skip_locked=True)
        .only("pk", "account_id", "name")
    )
    count = 0
    for message in finished:
        message.completed_at = now
        _move(message, Status.SENT, "completed_at")
        _event(message, Kind.COMPLETED, None)
        count += 1
    return count


@transaction.atomic
def message_archive(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    message = _locked(account, message)
    if message.status not in SmsMessage.AT_REST:
        raise ValidationError(
            f"A {message.get_status_display().lower()} message can't be archived; cancel it or "
            "let it finish first."
        )
    if message.archived_at is None:
        message.archived_at = timezone.now()
        message.save(update_fields=["archived_at", "updated_at"])
        _event(message, Kind.ARCHIVED, user)
    return message


@transaction.atomic
def message_unarchive(*, account: Account, message: SmsMessage, user: User | None) -> SmsMessage:
    message = _locked(account, message)
    if message.archived_at is not None:
        message.archived_at = None
        message.save(update_fields=["archived_at", "updated_at"])
        _event(message, Kind.UNARCHIVED, user)
    return message


@transaction.atomic
def draft_delete(*, account: Account, message: SmsMessage, user: User | None) -> None:
    """Delete a draft that never went out; one with results is deleted from its results page,
    after the user confirms (``message_delete_with_results``)."""
    message = _locked(account, message)
    if message.status != Status.DRAFT or message.outbound.exists():
        raise ValidationError("Only a draft that never went out can be deleted; archive it.")
    _event(message, Kind.DELETED, user)
    message.delete()


@transaction.atomic
def message_delete_with_results(
    *, account: Account, message: SmsMessage, user: User | None
) -> None:
    """Delete a message at rest with its texts, clicks and analytics.

    Every table that refers to a message either cascades in one statement per table (Django
    deletes rows without loading them when nothing further hangs off them) or, like the
    analytics change feed, drops the rows of messages that no longer exist. Its history stays,
    under its name.
    """
    message = _locked(account, message)
    if message.status not in SmsMessage.AT_REST:
        raise ValidationError(
            f"A {message.get_status_display().lower()} message can't be deleted; cancel it or "
            "let it finish first."
        )
    counted_until = rules.frequency_cap_counted_until(message, now=timezone.now())
    if counted_until is not None:
        when = timezone.localtime(counted_until, ZoneInfo(account.time_zone))
        raise ValidationError(
            "Its texts still count toward each contact's frequency cap, so it can be deleted "
            f"from {date_format(when, 'M j, Y, H:i T')}. Archive it to take it out of the list "
            "now."
        )
    _event(message, Kind.DELETED, user, with_results=True)
    message.delete()
