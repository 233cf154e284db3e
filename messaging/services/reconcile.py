"""Settling what dispatch could not: claims a dead run left behind, and texts whose final
status callback never came. Both ask Twilio before changing anything, so a text is never sent
twice and a status is never guessed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q
from django.utils import timezone

from messaging import dispatch_lock
from messaging.models import STATUS_RANK, OutboundMessage, OutboundStatus
from messaging.services import delivery, phone_errors
from messaging.services.dispatch import (
    MAX_ATTEMPTS,
    RowOpenings,
    defer,
    not_sent,
    retry_backoff,
)
from registration.selectors import twilio_credentials
from twilio_gateway import messages as twilio_messages
from twilio_gateway.errors import GatewayError

logger = logging.getLogger(__name__)

# A claimed row older than this with no SID is presumed stranded by a dead dispatcher. It must
# exceed the longest a live dispatcher can hold a row (a batch at the slowest rate plus timeouts).
STRANDED_AFTER = dt.timedelta(seconds=settings.DISPATCH_STRANDED_AFTER_SECONDS)
# Sooner than that, a claimed row is stranded once no live dispatch run can hold it (see
# `_stranded`). Longer than a one-to-one text is held (its slot, then Twilio's timeout).
ORPHANED_AFTER = dt.timedelta(seconds=30)
# How far the clocks of the worker that took a lock and the one that claimed a row may differ.
LOCK_CLOCK_SKEW = dt.timedelta(seconds=5)
# A status Twilio should have moved on from within the hour; a row still there lost its callback.
STALE_STATUSES = (
    OutboundStatus.ACCEPTED,
    OutboundStatus.QUEUED,
    OutboundStatus.SENDING,
    OutboundStatus.SENT,
)
STALE_AFTER = dt.timedelta(hours=1)
# Past this, "sent" is as final as Twilio will make it: stop asking.
STALE_GIVE_UP_AFTER = dt.timedelta(days=3)
STALE_BATCH = 100
STALE_CURSOR_KEY = "dispatch:stale-statuses:cursor"


def _stranded(*, now: dt.datetime, stranded_after: dt.timedelta) -> Q:
    """Claimed rows whose run is gone. A dispatch run claims only after it took its sender's
    lock (messaging.dispatch_lock), so a row claimed before the lock's current owner started,
    or claimed while no run holds the lock, belongs to a run that ended or died. Rows younger
    than ORPHANED_AFTER are left alone (a one-to-one text is claimed by the web or a reply task,
    not under the lock); where Redis can't tell, `stranded_after` is the only test."""
    stranded = Q(claimed_at__lt=now - stranded_after)
    cutoff = now - ORPHANED_AFTER
    senders = (
        OutboundMessage.objects.filter(status=OutboundStatus.CLAIMED, claimed_at__lt=cutoff)
        .values_list("sender_id", flat=True)
        .distinct()
    )
    for sender_id in senders:
        try:
            started = dispatch_lock.owner_started_at(sender_id)
        except redis.RedisError:
            continue
        if started is not None:
            owner_since = dt.datetime.fromtimestamp(started, dt.UTC) - LOCK_CLOCK_SKEW
            stranded |= Q(sender_id=sender_id, claimed_at__lt=min(cutoff, owner_since))
        else:
            stranded |= Q(sender_id=sender_id, claimed_at__lt=cutoff)
    return stranded


def claimed_reconcile(
    *, now: dt.datetime | None = None, stranded_after: dt.timedelta = STRANDED_AFTER
) -> dict[str, int]:
    """Settle rows a dead dispatcher left claimed: adopt a SID Twilio has, else send again.

    Twilio's list is searched by To and From: a message there with our body created after the
    claim is ours, so it is adopted instead of resent.
    """
    now = now or timezone.now()
    openings = RowOpenings()
    outcome = {"adopted": 0, "requeued": 0, "given_up": 0}
    stranded = (
        OutboundMessage.objects.filter(_stranded(now=now, stranded_after=stranded_after))
        .filter(status=OutboundStatus.CLAIMED)
        .select_related("sender", "sender__account", "account")
        .annotate(contact_zone=F("contact__time_zone"))
    )
    for row in stranded.iterator(chunk_size=500):
        creds = twilio_credentials(row.sender.account)
        try:
            candidates = twilio_messages.messages_list(
                credentials=creds,
                to=row.to_phone,
                from_=None if row.sender.messaging_service_sid else row.sender.e164,
                limit=50,
            )
        except GatewayError:
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
        # Each change is made only to the claim that was looked up: a reconciler running
        # alongside may have requeued the row already, and a dispatcher claimed it again.
        same_claim = {"claimed_at": row.claimed_at}
        if match is not None:
            OutboundMessage.objects.filter(
                id=row.id, status=OutboundStatus.CLAIMED, **same_claim
            ).update(
                twilio_sid=match.sid,
                status=match.status or OutboundStatus.QUEUED,
                sent_at=match.date_created or now,
                status_updated_at=now,
            )
            outcome["adopted"] += 1
        elif row.attempts >= MAX_ATTEMPTS:
            not_sent([row.id], reason="retries_exhausted", same_claim=row.claimed_at)
            outcome["given_up"] += 1
        else:
            # Not at Twilio: send again, backing off if this keeps happening (a 5xx each time).
            backoff = dt.timedelta(0) if row.attempts <= 1 else retry_backoff(row.attempts - 1)
            defer(
                [row],
                until=now + backoff,
                reason="retry",
                openings=openings,
                attempted=True,
                same_claim=row.claimed_at,
            )
            outcome["requeued"] += 1
    return outcome


def stale_statuses_reconcile(
    *,
    now: dt.datetime | None = None,
    stale_after: dt.timedelta = STALE_AFTER,
    batch_size: int = STALE_BATCH,
    time_budget: float = 45.0,
) -> dict[str, int]:
    """Ask Twilio for the status of texts whose final status never came (a lost callback), and
    apply it forward-only, exactly as the callback would have been.

    Rows are walked in id order from where the last run stopped (kept in the cache), so a large
    backlog is worked through over several runs and no row is asked about more than once per
    `stale_after`: a full pass that ends starts the next only `stale_after` later.
    """
    now = now or timezone.now()
    clock_deadline = time.monotonic() + time_budget
    outcome = {"checked": 0, "moved": 0, "unreachable": 0}
    cursor = cache.get(STALE_CURSOR_KEY) or {"after_id": 0, "rest_until": None}
    if cursor["rest_until"] and now < dt.datetime.fromisoformat(cursor["rest_until"]):
        return outcome
    cutoff = now - stale_after
    stale = (
        OutboundMessage.objects.filter(
            status__in=STALE_STATUSES,
            twilio_sid__isnull=False,
            sent_at__gte=now - STALE_GIVE_UP_AFTER,
        )
        .filter(
            Q(status_updated_at__lt=cutoff) | Q(status_updated_at__isnull=True, sent_at__lt=cutoff)
        )
        .select_related("sender", "sender__account", "account")
        .order_by("id")
    )
    after_id = cursor["after_id"]
    while True:
        if time.monotonic() >= clock_deadline:
            cache.set(STALE_CURSOR_KEY, {"after_id": after_id, "rest_until": None}, None)
            return outcome
        rows = list(stale.filter(id__gt=after_id)[:batch_size])
        if not rows:
            rest_until = (now + stale_after).isoformat()
            cache.set(STALE_CURSOR_KEY, {"after_id": 0, "rest_until": rest_until}, None)
            return outcome
        moves: list[tuple[str, str, int | None]] = []
        by_sid: dict[str, OutboundMessage] = {}
        for row in rows:
            creds = twilio_credentials(row.sender.account)
            try:
                fetched = twilio_messages.message_fetch(credentials=creds, sid=row.twilio_sid)
            except GatewayError:
                logger.warning("status of %s: Twilio did not answer", row.twilio_sid, exc_info=True)
                outcome["unreachable"] += 1
                continue
            outcome["checked"] += 1
            status = "cancelled" if fetched.status == "canceled" else fetched.status
            if status in STATUS_RANK:
                moves.append((row.twilio_sid, status, fetched.error_code))
                by_sid[row.twilio_sid] = row
        for sid, code in delivery.statuses_move(moves, now=timezone.now()):
            outcome["moved"] += 1
            if code in phone_errors.UNREACHABLE_CODES | phone_errors.OPT_OUT_CODES:
                phone_errors.permanent_error_apply(row=by_sid[sid], code=code)
        after_id = rows[-1].id
