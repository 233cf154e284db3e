"""Dispatch: claim due outbound messages, check them once more, send them, record the outcome.

A message is never sent twice:

1. Claiming flips `pending -> claimed` in one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL)
   and commits before any network call, so two dispatchers never hold the same row.
2. The Message SID is written as soon as Twilio answers. A dispatcher that dies in between leaves
   rows `claimed` with no SID; `claimed_reconcile` looks each up in Twilio's message list for its
   To/From before anything is resent (Twilio has no idempotency key, our database is the guard).
3. A transient error whose outcome is unknown (a timeout after the request left, a 5xx) is
   treated like a crash: the row stays claimed for reconciliation, never blindly retried.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from messaging import twilio_gateway
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter, next_carrier_day
from messaging.services import audience, outcomes
from registration.models import PhoneNumber

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200
# A claimed row older than this with no SID is presumed stranded by a dead dispatcher. It must
# exceed the longest a live dispatcher can hold a row (a batch at the slowest rate plus timeouts).
STRANDED_AFTER = dt.timedelta(seconds=settings.DISPATCH_STRANDED_AFTER_SECONDS)
TRANSIENT_BACKOFF = (30, 120, 600, 1800)
SEND_THREADS = 8
SEND_WAVES_IN_FLIGHT = 2
FREQUENCY_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Credentials:
    account_sid: str
    auth_token: str


def credentials_for(sender: PhoneNumber) -> Credentials:
    """The sender's subaccount credentials, or the platform's for the demo number."""
    subaccount = getattr(sender.account, "twilio", None)
    if subaccount is not None:
        return Credentials(subaccount.sid, subaccount.auth_token)
    return Credentials(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)


def claim_due(
    *, sender_id: int, limit: int = CLAIM_BATCH, now: dt.datetime | None = None
) -> list[int]:
    """Atomically move up to `limit` due rows of a sender from pending to claimed."""
    now = now or timezone.now()
    table = OutboundMessage._meta.db_table
    # A paused or cancelled message's rows wait; a scheduled one's start when they fall due.
    messages = SmsMessage._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE sender_id = %s AND status = %s "
        f"AND due_at <= %s AND (message_id IS NULL OR message_id IN (SELECT id FROM {messages} "
        f"WHERE status IN ('sending', 'scheduled'))) "
        f"ORDER BY due_at LIMIT %s{lock}) AND status = %s RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                OutboundStatus.CLAIMED,
                now,
                sender_id,
                OutboundStatus.PENDING,
                now,
                limit,
                OutboundStatus.PENDING,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _defer(ids: Iterable[int], *, until: dt.datetime, reason: str) -> None:
    OutboundMessage.objects.filter(id__in=list(ids), status=OutboundStatus.CLAIMED).update(
        status=OutboundStatus.PENDING, due_at=until, deferred_reason=reason, claimed_at=None
    )


def _not_sent(ids: Iterable[int], *, reason: str) -> None:
    OutboundMessage.objects.filter(id__in=list(ids), status=OutboundStatus.CLAIMED).update(
        status=OutboundStatus.NOT_SENT, not_sent_reason=reason, status_updated_at=timezone.now()
    )


def _checks_before_send(rows: list[OutboundMessage], *, now: dt.datetime) -> list[OutboundMessage]:
    """Consent and the frequency cap, checked at claim time: a STOP a second ago wins."""
    if not rows:
        return rows
    opted_out = audience.phones_opted_out_now(rows)
    if opted_out:
        _not_sent(opted_out, reason="opted_out")
    rows = [r for r in rows if r.id not in opted_out]

    campaign_rows = [
        r
        for r in rows
        if r.kind in (OutboundMessage.Kind.CAMPAIGN, OutboundMessage.Kind.WORKFLOW) and r.contact_id
    ]
    if campaign_rows:
        cap_by_account = audience.frequency_caps({r.account_id for r in campaign_rows})
        recent = dict(
            OutboundMessage.objects.filter(
                contact_id__in={r.contact_id for r in campaign_rows},
                kind__in=(OutboundMessage.Kind.CAMPAIGN, OutboundMessage.Kind.WORKFLOW),
                sent_at__gte=now - FREQUENCY_WINDOW,
            )
            .values("contact_id")
            .annotate(n=Count("id"))
            .values_list("contact_id", "n")
        )
        over_cap: list[OutboundMessage] = []
        for row in campaign_rows:
            cap = cap_by_account[row.account_id]
            if recent.get(row.contact_id, 0) >= cap:
                over_cap.append(row)
            else:
                # Count the ones this batch will send, so a batch can't overshoot the cap itself.
                recent[row.contact_id] = recent.get(row.contact_id, 0) + 1
        for row in over_cap:
            oldest = (
                OutboundMessage.objects.filter(
                    contact_id=row.contact_id,
                    kind__in=(OutboundMessage.Kind.CAMPAIGN, OutboundMessage.Kind.WORKFLOW),
                    sent_at__gte=now - FREQUENCY_WINDOW,
                )
                .order_by("sent_at")
                .values_list("sent_at", flat=True)
                .first()
            )
            _defer([row.id], until=(oldest or now) + FREQUENCY_WINDOW, reason="frequency_cap")
        skipped = {r.id for r in over_cap}
        rows = [r for r in rows if r.id not in skipped]
    return rows


def _call_twilio(
    row: OutboundMessage, sender: PhoneNumber, creds: Credentials
) -> twilio_gateway.SentMessage | twilio_gateway.GatewayError:
    """The network call alone, so it can run in a thread; the database work stays with the
    dispatcher's own connection."""
    try:
        return twilio_gateway.message_send(
            account_sid=creds.account_sid,
            auth_token=creds.auth_token,
            to=row.to_phone,
            body=row.body,
            from_=None if sender.messaging_service_sid else sender.e164,
            messaging_service_sid=sender.messaging_service_sid or None,
            status_callback=twilio_gateway.status_callback_url(),
        )
    except twilio_gateway.GatewayError as error:
        return error


def _record(results: list[tuple[OutboundMessage, object]]) -> int:
    """Store what Twilio answered for a wave of rows; returns how many messages were created.

    The SIDs of a wave are written in one statement: a per-row UPDATE would cap the pipeline
    at the database's round trips rather than the sender's rate.
    """
    now = timezone.now()
    created: list[tuple[int, str, str]] = []
    for row, result in results:
        if isinstance(result, twilio_gateway.PermanentSendError):
            OutboundMessage.objects.filter(id=row.id).update(
                status=OutboundStatus.FAILED, error_code=result.code, status_updated_at=now
            )
            outcomes.permanent_error_apply(row=row, code=result.code)
        elif isinstance(result, twilio_gateway.GatewayError):
            if result.outcome_unknown:
                # Twilio may have accepted it: leave it claimed for claimed_reconcile.
                logger.warning("send %s: outcome unknown (%s); will reconcile", row.id, result)
                continue
            backoff = TRANSIENT_BACKOFF[min(row.attempts - 1, len(TRANSIENT_BACKOFF) - 1)]
            _defer([row.id], until=now + dt.timedelta(seconds=backoff), reason="retry")
        else:
            created.append((row.id, result.sid, result.status or OutboundStatus.QUEUED))
    if created:
        _sids_write(created, now=now)
    return len(created)


def _sids_write(created: list[tuple[int, str, str]], *, now: dt.datetime) -> None:
    """Write (row id, SID, status) for rows that have no SID yet (a racing reconciler may have
    adopted one already)."""
    if connection.vendor != "postgresql":
        for row_id, sid, status in created:
            OutboundMessage.objects.filter(id=row_id, twilio_sid__isnull=True).update(
                twilio_sid=sid, status=status, sent_at=now, status_updated_at=now
            )
        return
    table = OutboundMessage._meta.db_table
    values = ", ".join(["(%s::bigint, %s, %s)"] * len(created))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS o SET twilio_sid = v.sid, status = v.status, "  # noqa: S608
            f"sent_at = %s, status_updated_at = %s FROM (VALUES {values}) AS v(id, sid, status) "
            "WHERE o.id = v.id AND o.twilio_sid IS NULL",
            [now, now, *(item for triple in created for item in triple)],
        )


def _claimed_rows(
    sender: PhoneNumber, limiter: SenderRateLimiter, deadline: float
) -> Iterator[OutboundMessage]:
    """Due rows of the sender that passed the claim-time checks, claimed a batch at a time."""
    while time.monotonic() < deadline:
        now = timezone.now()
        ids = claim_due(sender_id=sender.pk, now=now)
        if not ids:
            return
        rows = list(OutboundMessage.objects.filter(id__in=ids).order_by("due_at", "id"))
        rows = _checks_before_send(rows, now=now)
        for index, row in enumerate(rows):
            if not limiter.take_daily(sender.e164, cap=sender.tmobile_daily_cap, now=now):
                _defer(
                    [r.id for r in rows[index:]], until=next_carrier_day(now), reason="daily_cap"
                )
                return
            yield row


def sender_dispatch(
    *, sender_id: int, time_budget: float = 50.0, limiter: SenderRateLimiter | None = None
) -> int:
    """Send everything due for one sender, within a time budget; returns how many were sent.

    Rows go out in waves of SEND_THREADS. Consent is checked again just before each wave is
    handed to the senders, and at most two waves are in flight: while one is being sent the
    next is already waiting on the rate limiter, so the limiter never idles while the results
    of a wave are written, and a STOP recorded now stops every text more than two waves away.
    """
    sender = PhoneNumber.objects.select_related("account").get(pk=sender_id)
    creds = credentials_for(sender)
    limiter = limiter or SenderRateLimiter()
    deadline = time.monotonic() + time_budget
    sent = 0

    def send(row: OutboundMessage):
        limiter.wait_for_slot(sender.e164, per_second=sender.messages_per_second)
        return row, _call_twilio(row, sender, creds)

    rows = _claimed_rows(sender, limiter, deadline)
    in_flight: deque[list[Future]] = deque()
    with ThreadPoolExecutor(max_workers=SEND_THREADS) as pool:
        while True:
            batch = list(itertools.islice(rows, SEND_THREADS))
            opted_out = audience.phones_opted_out_now(batch)
            if opted_out:
                _not_sent(opted_out, reason="opted_out")
            wave = [row for row in batch if row.id not in opted_out]
            if wave:
                in_flight.append([pool.submit(send, row) for row in wave])
            if in_flight and (len(in_flight) == SEND_WAVES_IN_FLIGHT or not batch):
                sent += _record([future.result() for future in in_flight.popleft()])
            if not batch and not in_flight:
                return sent


def claimed_reconcile(
    *, now: dt.datetime | None = None, stranded_after: dt.timedelta = STRANDED_AFTER
) -> dict[str, int]:
    """Settle rows a dead dispatcher left claimed: adopt a SID Twilio has, else send again.

    Twilio's list is searched by To and From: a message there with our body created after the
    claim is ours, so it is adopted instead of resent.
    """
    now = now or timezone.now()
    outcome = {"adopted": 0, "requeued": 0}
    stranded = OutboundMessage.objects.filter(
        status=OutboundStatus.CLAIMED, claimed_at__lt=now - stranded_after
    ).select_related("sender", "sender__account")
    for row in stranded.iterator(chunk_size=500):
        creds = credentials_for(row.sender)
        try:
            candidates = twilio_gateway.messages_list(
                account_sid=creds.account_sid,
                auth_token=creds.auth_token,
                to=row.to_phone,
                from_=None if row.sender.messaging_service_sid else row.sender.e164,
                limit=50,
            )
        except twilio_gateway.GatewayError:
            logger.warning("reconcile %s: Twilio unreachable, will retry", row.id, exc_info=True)
            continue
        claimed_at = row.claimed_at - dt.timedelta(seconds=5)
        taken = set(
            OutboundMessage.objects.filter(twilio_sid__in=[c.sid for c in candidates]).values_list(
                "twilio_sid", flat=True
            )
        )
        match = next(
            (
                c
                for c in candidates
                if c.body == row.body
                and c.sid not in taken
                and (c.date_created is None or c.date_created >= claimed_at)
            ),
            None,
        )
        if match is not None:
            OutboundMessage.objects.filter(id=row.id, status=OutboundStatus.CLAIMED).update(
                twilio_sid=match.sid,
                status=match.status or OutboundStatus.QUEUED,
                sent_at=match.date_created or now,
                status_updated_at=now,
            )
            outcome["adopted"] += 1
        else:
            # Not at Twilio: send again, backing off if this keeps happening (a 5xx each time).
            backoff = (
                0
                if row.attempts <= 1
                else TRANSIENT_BACKOFF[min(row.attempts - 2, len(TRANSIENT_BACKOFF) - 1)]
            )
            OutboundMessage.objects.filter(id=row.id, status=OutboundStatus.CLAIMED).update(
                status=OutboundStatus.PENDING,
                claimed_at=None,
                due_at=now + dt.timedelta(seconds=backoff),
            )
            outcome["requeued"] += 1
    return outcome


def senders_with_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        OutboundMessage.objects.filter(status=OutboundStatus.PENDING, due_at__lte=now)
        .values_list("sender_id", flat=True)
        .distinct()
    )
