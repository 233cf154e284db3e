"""Dispatch: claim due outbound messages, check them once more, send them, record the outcome.

A message is never sent twice:

1. Claiming flips `pending -> claimed` in one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL)
   and commits before any network call, so two dispatchers never hold the same row.
2. The Message SID is written as soon as Twilio answers. A dispatcher that dies in between leaves
   rows `claimed` with no SID; `reconcile.claimed_reconcile` looks each up in Twilio's message
   list for its To/From before anything is resent (Twilio has no idempotency key, our database
   is the guard).
3. A transient error whose outcome is unknown (a timeout after the request left, a 5xx) is
   treated like a crash: the row stays claimed for reconciliation, never blindly retried.
4. One run at a time per sender (messaging.dispatch_lock); rows a dead run left claimed are
   found by the lock's owner having started after their claim, and settled by step 2.

No text goes to a phone that opted out, outside quiet hours or past the contact's frequency cap:
each is checked when a row is claimed and again once its rate-limiter slot has come, right before
the call to Twilio (see `_SenderRun`). Every deferral (a cap, a retry, a requeue) lands at the
recipient's next opening.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from consent import selectors as consent_selectors
from messaging.metrics import sends_count
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter, next_carrier_day, slot_spacing
from messaging.services import phone_errors, rules
from registration.models import PhoneNumber
from registration.selectors import twilio_credentials
from twilio_gateway import messages as twilio_messages
from twilio_gateway.client import Credentials
from twilio_gateway.errors import GatewayError, PermanentSendError

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200
# Transient refusals (429, a 5xx that created nothing) are retried with exponential backoff
# (30 s, 1, 2, 4 ... 32 min); the 8th attempt that fails ends the row as not sent.
MAX_ATTEMPTS = 8
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 3600
SEND_THREADS = 8
# Waves handed to the send threads and not yet recorded: each is checked just before its own
# first slot, so more in flight means more room for slow answers, not staler checks.
SEND_WAVES_IN_FLIGHT = 4
# A wave is the rows whose slots fall within about this long (at most WAVE_MAX rows): consent
# and the message's status are read once per wave, so a STOP or a pause is at most this far
# from the texts it stops, and at high rates the checks cost a few queries per 0.1 s.
WAVE_SECONDS = 0.1
WAVE_MAX = 24
# The check after a wave's slot has come is started this much early (its own last duration,
# capped), so the first text of the wave leaves on its slot rather than after the queries.
CHECK_LEAD_MAX_SECONDS = 0.05
# Slots are reserved this far ahead of the clock. A slot no one reserved in time is lost for
# good (the limiter keeps no credit), and the loop that reserves them also claims rows and
# writes the SIDs, which take most of a second now and then while bulk work loads the
# database: with the next second's slots already held, a stall shorter than that costs no
# text, and the waves it held up go out as soon as it ends (the wire window keeps every second
# at Twilio within the rate + 1). Each wave is still checked when its own slot comes.
RESERVE_AHEAD_SECONDS = 1.0


def claim_due(
    *, sender_id: int, limit: int = CLAIM_BATCH, now: dt.datetime | None = None
) -> list[int]:
    """Atomically move up to `limit` due rows of a sender from pending to claimed.

    The rows are chosen in a materialized CTE: with `UPDATE ... WHERE id IN (SELECT ... LIMIT
    n FOR UPDATE SKIP LOCKED)` PostgreSQL may run the subquery more than once and claim more
    than `limit` rows (80 of 80 due for a limit of 30), which at 1 msg/s is more than a run
    can send before its time limit.
    """
    now = now or timezone.now()
    table = OutboundMessage._meta.db_table
    # A paused or cancelled message's rows wait; a scheduled one's start when they fall due.
    messages = SmsMessage._meta.db_table
    sql = (
        f"WITH due AS MATERIALIZED (SELECT id FROM {table} WHERE sender_id = %s "  # noqa: S608
        f"AND status = %s AND due_at <= %s AND (message_id IS NULL OR message_id IN "
        f"(SELECT id FROM {messages} WHERE status IN ('sending', 'scheduled'))) "
        f"ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "
        f"WHERE id IN (SELECT id FROM due) AND status = %s RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                sender_id,
                OutboundStatus.PENDING,
                now,
                limit,
                OutboundStatus.CLAIMED,
                now,
                OutboundStatus.PENDING,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _rows_load(ids: Iterable[int]) -> list[OutboundMessage]:
    """Claimed rows with what their checks need: the account and the contact's time zone."""
    return list(
        OutboundMessage.objects.filter(id__in=list(ids))
        .select_related("account")
        .annotate(contact_zone=F("contact__time_zone"))
        .order_by("due_at", "id")
    )


class RowOpenings:
    """When each claimed row may reach its recipient: a marketing text inside the account's
    quiet hours (`rules.QuietHours`, as fan-out set its due time); one-to-one replies and test
    sends at any hour."""

    def __init__(self) -> None:
        self._quiet_hours: dict[int, rules.QuietHours] = {}

    def opening(self, row: OutboundMessage, when: dt.datetime) -> dt.datetime:
        """The earliest moment at or after `when` that the row may be sent."""
        if row.kind not in OutboundMessage.MARKETING_KINDS:
            return when
        quiet_hours = self._quiet_hours.get(row.account_id)
        if quiet_hours is None:
            quiet_hours = self._quiet_hours[row.account_id] = rules.QuietHours.of(row.account)
        zone = quiet_hours.zone_of(
            contact_zone=getattr(row, "contact_zone", None), phone_e164=row.to_phone
        )
        return quiet_hours.opening(when, zone)

    def closed(
        self, rows: list[OutboundMessage], *, now: dt.datetime
    ) -> dict[dt.datetime, list[OutboundMessage]]:
        """The rows that may not go out now, by the moment they may."""
        closed: dict[dt.datetime, list[OutboundMessage]] = defaultdict(list)
        for row in rows:
            opening = self.opening(row, now)
            if opening > now:
                closed[opening].append(row)
        return closed


def defer(
    rows: Iterable[OutboundMessage],
    *,
    until: dt.datetime,
    reason: str,
    openings: RowOpenings,
    attempted: bool = False,
    same_claim: dt.datetime | None = None,
) -> None:
    """Back to pending, due at `until` or, for a marketing text, the recipient's next opening
    after it: a cap or a retry that ends at 23:10 local time waits for the morning.

    `attempts` counts the claims that may have reached Twilio (MAX_ATTEMPTS); a row deferred
    before its call (`attempted` False: a cap, quiet hours) gets its claim's count back.
    """
    by_due: dict[dt.datetime, list[int]] = defaultdict(list)
    for row in rows:
        by_due[openings.opening(row, until)].append(row.id)
    attempts = F("attempts") if attempted else F("attempts") - 1
    claims = {"claimed_at": same_claim} if same_claim else {}
    for due, ids in by_due.items():
        OutboundMessage.objects.filter(id__in=ids, status=OutboundStatus.CLAIMED, **claims).update(
            status=OutboundStatus.PENDING,
            due_at=due,
            deferred_reason=reason,
            claimed_at=None,
            attempts=attempts,
            sent_at=None,  # no longer counted against the frequency cap
        )


def _release(rows: Iterable[OutboundMessage]) -> None:
    """Hand claimed rows that were never tried back to pending, as they were before the claim."""
    ids = [row.id for row in rows]
    if ids:
        OutboundMessage.objects.filter(
            id__in=ids, status=OutboundStatus.CLAIMED, twilio_sid__isnull=True
        ).update(status=OutboundStatus.PENDING, claimed_at=None, attempts=F("attempts") - 1)


def not_sent(
    ids: Iterable[int],
    *,
    reason: str,
    error_code: int | None = None,
    same_claim: dt.datetime | None = None,
) -> None:
    changes: dict = {}
    if error_code:
        changes["error_code"] = error_code
    claims = {"claimed_at": same_claim} if same_claim else {}
    OutboundMessage.objects.filter(
        id__in=list(ids), status=OutboundStatus.CLAIMED, **claims
    ).update(
        status=OutboundStatus.NOT_SENT,
        not_sent_reason=reason,
        status_updated_at=timezone.now(),
        sent_at=None,
        **changes,
    )


def retry_backoff(attempts: int) -> dt.timedelta:
    seconds = RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, RETRY_BACKOFF_MAX_SECONDS))


def _messages_read(rows: Iterable[OutboundMessage]) -> dict[int, tuple[str, int | None]]:
    """(status, subscription type) of the rows' messages, read now."""
    message_ids = {row.message_id for row in rows if row.message_id}
    if not message_ids:
        return {}
    return {
        pk: (status, subscription_type_id)
        for pk, status, subscription_type_id in SmsMessage.objects.filter(
            pk__in=message_ids
        ).values_list("pk", "status", "subscription_type_id")
    }


def rows_opted_out(
    rows: Iterable[OutboundMessage], *, messages: dict[int, tuple[str, int | None]]
) -> set[int]:
    """Ids of rows whose phone must not be texted now, by the phones' opt-outs (consent's
    `phone_opt_outs`, one query).

    A campaign or workflow text is stopped by an opt-out of its message's subscription type. A
    one-to-one reply has no subscription type, so any opt-out of the phone recorded after the
    reply was written stops it. One written after the opt-out is let through: the inbox refuses
    to write a reply to an opted-out phone, so it can only be the keyword's answer (the STOP
    confirmation, a HELP answer), which carriers require to go out. Test sends go to a
    teammate's verified phone and are not consent-checked.
    """
    rows = [row for row in rows if row.kind != OutboundMessage.Kind.TEST]
    if not rows:
        return set()
    opt_outs = consent_selectors.phone_opt_outs(
        account_ids={row.account_id for row in rows}, phones={row.to_phone for row in rows}
    )
    stopped = set()
    for row in rows:
        found = opt_outs.get((row.account_id, row.to_phone))
        if not found:
            continue
        if row.message_id:
            wanted = messages.get(row.message_id, ("", None))[1]
            # A message without a subscription type is held to every opt-out of the phone.
            if wanted is None or any(type_id == wanted for type_id, _ in found):
                stopped.add(row.id)
        elif any(updated_at > row.created_at for _, updated_at in found):
            stopped.add(row.id)
    return stopped


def _checks_before_send(
    rows: list[OutboundMessage], *, now: dt.datetime, openings: RowOpenings
) -> list[OutboundMessage]:
    """Consent and the frequency cap, checked at claim time: a STOP a second ago wins."""
    if not rows:
        return rows
    opted_out = rows_opted_out(rows, messages=_messages_read(rows))
    if opted_out:
        not_sent(opted_out, reason="opted_out")
    rows = [r for r in rows if r.id not in opted_out]

    capped = rules.frequency_capped(rows, now=now)
    _frequency_cap_defer(rows, capped, openings=openings)
    return [r for r in rows if r.id not in capped]


def _frequency_cap_defer(
    rows: list[OutboundMessage], capped: dict[int, dt.datetime], *, openings: RowOpenings
) -> None:
    for row in rows:
        if row.id in capped:
            defer([row], until=capped[row.id], reason="frequency_cap", openings=openings)


def _call_twilio(
    row: OutboundMessage, sender: PhoneNumber, creds: Credentials
) -> twilio_messages.SentMessage | GatewayError:
    """The network call alone, so it can run in a thread; the database work stays with the
    dispatcher's own connection."""
    try:
        return twilio_messages.message_send(
            credentials=creds,
            to=row.to_phone,
            body=row.body,
            from_=None if sender.messaging_service_sid else sender.e164,
            messaging_service_sid=sender.messaging_service_sid or None,
            status_callback=twilio_messages.status_callback_url(),
        )
    except GatewayError as error:
        return error


def _ids(row: OutboundMessage) -> dict:
    """What a log line about a text names in its own fields (accounts/logs.py)."""
    return {"account_id": row.account_id, "message_id": row.message_id, "outbound_id": row.id}


def _record(results: list[tuple[OutboundMessage, object]], *, openings: RowOpenings) -> int:
    """Store what Twilio answered for a wave of rows; returns how many messages were created.

    The SIDs of a wave are written in one statement: a per-row UPDATE would cap the pipeline
    at the database's round trips rather than the sender's rate.
    """
    now = timezone.now()
    created: list[tuple[int, str, str]] = []
    for row, result in results:
        if isinstance(result, PermanentSendError):
            OutboundMessage.objects.filter(id=row.id).update(
                status=OutboundStatus.FAILED,
                error_code=result.code,
                status_updated_at=now,
                sent_at=None,  # refused at creation: never sent, not counted against the cap
            )
            phone_errors.permanent_error_apply(row=row, code=result.code)
        elif isinstance(result, GatewayError):
            if result.outcome_unknown:
                # Twilio may have accepted it: leave it claimed for claimed_reconcile.
                logger.warning(
                    "send %s: outcome unknown (%s); will reconcile",
                    row.id,
                    result,
                    extra=_ids(row),
                )
                continue
            if row.attempts >= MAX_ATTEMPTS:
                logger.warning(
                    "send %s: giving up after %s attempts (%s)",
                    row.id,
                    row.attempts,
                    result,
                    extra=_ids(row),
                )
                not_sent([row.id], reason="retries_exhausted", error_code=result.code)
                continue
            defer(
                [row],
                until=now + retry_backoff(row.attempts),
                reason="retry",
                openings=openings,
                attempted=True,
            )
        else:
            created.append((row.id, result.sid, result.status or OutboundStatus.QUEUED))
    if created:
        _sids_write(created, now=now)
        accepted = {row_id for row_id, _, _ in created}
        sends_count(row for row, _ in results if row.id in accepted)
    return len(created)


def _sids_write(created: list[tuple[int, str, str]], *, now: dt.datetime) -> None:
    """Write (row id, SID, status) for rows that have no SID yet (a racing reconciler may have
    adopted one already)."""
    table = OutboundMessage._meta.db_table
    values = ", ".join(["(%s::bigint, %s, %s)"] * len(created))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS o SET twilio_sid = v.sid, status = v.status, "  # noqa: S608
            f"sent_at = %s, status_updated_at = %s FROM (VALUES {values}) AS v(id, sid, status) "
            "WHERE o.id = v.id AND o.twilio_sid IS NULL",
            [now, now, *(item for triple in created for item in triple)],
        )


class _SenderRun:
    """One dispatcher run for one sender, within a time budget.

    1. Claim as many due rows as the sender's rate can send in the budget left (at most
       CLAIM_BATCH), and check consent and the frequency cap for them.
    2. Take waves (the rows of about WAVE_SECONDS of slots each), leave out any now in quiet
       hours, count them against the carrier's daily cap and reserve their rate-limiter slots,
       up to RESERVE_AHEAD_SECONDS ahead, so that a slow claim or write doesn't lose slots.
    3. Once a wave's first slot has come, read the message's status and the phones' consent
       once more (two queries for the wave), the quiet hours and the frequency cap again
       (counting the wave's texts at once): a pause, a STOP, 20:00 or another number's text to
       the contact arriving while the rows waited is honoured before the call to Twilio, not
       after.
    4. Hand each row to a send thread, which waits for the row's own slot and calls Twilio
       inside the sender's wire window (no second at Twilio above the rate + 1),
       and record the answers of the waves that are done while the next waits for its slots.

    Rows claimed but not sent when the message is paused, the budget runs out or the run lost
    its sender's lock (a stall longer than the lock's hold) go back to pending at once, rather
    than going out regardless or lying claimed until the reconciler.
    """

    def __init__(
        self,
        sender: PhoneNumber,
        limiter: SenderRateLimiter,
        time_budget: float,
        keep_going: Callable[[], bool],
    ):
        self.sender = sender
        self.keep_going = keep_going
        self.creds = twilio_credentials(sender.account)
        self.limiter = limiter
        self.deadline = limiter.clock() + time_budget
        self.openings = RowOpenings()
        # Claimed rows not yet in a wave, and the waves whose slots are reserved, with them.
        self.queue: deque[OutboundMessage] = deque()
        self.reserved: deque[tuple[list[OutboundMessage], list[float]]] = deque()
        self.reserved_until = 0.0
        self.spacing = slot_spacing(sender.messages_per_second)
        self.wave_size = max(1, min(WAVE_MAX, math.ceil(WAVE_SECONDS / self.spacing)))
        self.check_lead = 0.0
        self.daily_cap_reached = False

    def run(self) -> int:
        sent = 0
        in_flight: deque[list[Future]] = deque()
        # Each row waits for its own slot in its thread: a thread for every row in flight.
        with ThreadPoolExecutor(max_workers=self.wave_size * SEND_WAVES_IN_FLIGHT) as pool:
            while True:
                wave = self._next_wave()
                if wave:
                    in_flight.append([pool.submit(self._send, row, slot) for row, slot in wave])
                # Record the waves that are done; wait for the oldest only when every thread
                # is taken (or nothing more is coming): one slow answer from Twilio must not
                # hold up the next wave's slots.
                while in_flight and (
                    not wave
                    or len(in_flight) == SEND_WAVES_IN_FLIGHT
                    or all(future.done() for future in in_flight[0])
                ):
                    results = [future.result() for future in in_flight.popleft()]
                    sent += _record(results, openings=self.openings)
                if not wave and not in_flight:
                    return sent

    def _send(self, row: OutboundMessage, slot: float):
        self.limiter.sleep_until(slot)
        with self.limiter.on_the_wire(self.sender.e164, per_second=self.sender.messages_per_second):
            return row, _call_twilio(row, self.sender, self.creds)

    def _slots_free_from(self) -> float:
        """The moment the first slot not yet reserved by this run can open."""
        return max(self.limiter.clock(), self.reserved_until)

    def _claim(self) -> bool:
        """Claim what the rate can send in the budget left; False when nothing more is due."""
        while not self.daily_cap_reached:
            remaining = self.deadline - self._slots_free_from()
            limit = min(CLAIM_BATCH, math.floor(remaining / self.spacing))
            if limit <= 0:
                return False
            now = timezone.now()
            ids = claim_due(sender_id=self.sender.pk, limit=limit, now=now)
            if not ids:
                return False
            rows = _checks_before_send(_rows_load(ids), now=now, openings=self.openings)
            if rows:
                self.queue.extend(rows)
                return True
        return False

    def _reserve_ahead(self) -> None:
        """Reserve the slots of waves until they reach RESERVE_AHEAD_SECONDS ahead of the clock
        (or the end of the budget), claiming rows as the queue runs out."""
        horizon = min(self.limiter.clock() + RESERVE_AHEAD_SECONDS, self.deadline)
        while not self.reserved or self._slots_free_from() < horizon:
            if not self.queue and not self._claim():
                return
            now = timezone.now()
            wave = [self.queue.popleft() for _ in range(min(self.wave_size, len(self.queue)))]
            wave = self._quiet_hours_defer(wave, now=now)
            fits = self.limiter.take_daily(
                self.sender.e164, cap=self.sender.tmobile_daily_cap, now=now, count=len(wave)
            )
            if fits < len(wave):
                defer(
                    [*wave[fits:], *self.queue],
                    until=next_carrier_day(now),
                    reason="daily_cap",
                    openings=self.openings,
                )
                self.queue.clear()
                self.daily_cap_reached = True
                wave = wave[:fits]
            if wave:
                slots = self.limiter.reserve_slots(
                    self.sender.e164, per_second=self.sender.messages_per_second, count=len(wave)
                )
                self.reserved.append((wave, slots))
                self.reserved_until = slots[-1] + self.spacing

    def _next_wave(self) -> list[tuple[OutboundMessage, float]]:
        """The next rows to send with their slots, checked after the wait; [] when done."""
        while True:
            if self.limiter.clock() >= self.deadline or not self.keep_going():
                _release([*self.queue, *(row for wave, _ in self.reserved for row in wave)])
                self.queue.clear()
                self.reserved.clear()
                return []
            self._reserve_ahead()
            if not self.reserved:
                return []
            wave, slots = self.reserved.popleft()
            self.limiter.sleep_until(slots[0] - self.check_lead)
            started = self.limiter.clock()
            wave = self._checks_at_slot(wave)
            self.check_lead = min(self.limiter.clock() - started, CHECK_LEAD_MAX_SECONDS)
            if wave:
                return list(zip(wave, slots, strict=False))

    def _quiet_hours_defer(
        self, wave: list[OutboundMessage], *, now: dt.datetime
    ) -> list[OutboundMessage]:
        closed = self.openings.closed(wave, now=now)
        for opening, rows in closed.items():
            defer(rows, until=opening, reason="quiet_hours", openings=self.openings)
        held = {row.id for rows in closed.values() for row in rows}
        return [row for row in wave if row.id not in held]

    def _checks_at_slot(self, wave: list[OutboundMessage]) -> list[OutboundMessage]:
        """What may have changed while the wave waited: its message paused or cancelled, a STOP
        from one of its phones, its recipients' clocks passing the end of quiet hours."""
        messages = _messages_read(wave)
        stopped_messages = {
            pk for pk, (status, _) in messages.items() if status not in SmsMessage.GOING_OUT
        }
        if stopped_messages:
            waiting = [r for r in wave if r.message_id in stopped_messages]
            waiting += self._withdraw(stopped_messages)
            cancelled = [
                r for r in waiting if messages[r.message_id][0] == SmsMessage.Status.CANCELLED
            ]
            # A cancelled message's waiting rows are cancelled like its pending ones were; a
            # paused one's wait, unclaimed, for the resume.
            OutboundMessage.objects.filter(
                id__in=[r.id for r in cancelled], status=OutboundStatus.CLAIMED
            ).update(status=OutboundStatus.CANCELLED, status_updated_at=timezone.now())
            _release(r for r in waiting if r not in cancelled)
            wave = [r for r in wave if r.message_id not in stopped_messages]
        opted_out = rows_opted_out(wave, messages=messages)
        if opted_out:
            not_sent(opted_out, reason="opted_out")
            wave = [r for r in wave if r.id not in opted_out]
        now = timezone.now()
        wave = self._quiet_hours_defer(wave, now=now)
        # Another number may have reached a contact while this row waited for its slot.
        capped = rules.frequency_cap_reserve(wave, now=now)
        _frequency_cap_defer(wave, capped, openings=self.openings)
        return [r for r in wave if r.id not in capped]

    def _withdraw(self, message_ids: set[int]) -> list[OutboundMessage]:
        """Take the rows of these messages out of the queue and the reserved waves (their slots
        stay reserved, unused); returns them."""
        withdrawn = [r for r in self.queue if r.message_id in message_ids]
        self.queue = deque(r for r in self.queue if r.message_id not in message_ids)
        reserved = deque()
        for wave, slots in self.reserved:
            withdrawn += [r for r in wave if r.message_id in message_ids]
            kept = [r for r in wave if r.message_id not in message_ids]
            if kept:
                reserved.append((kept, slots))
        self.reserved = reserved
        return withdrawn


def sender_dispatch(
    *,
    sender_id: int,
    time_budget: float = 50.0,
    limiter: SenderRateLimiter | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> int:
    """Send everything due for one sender, within a time budget and while `keep_going()` (the
    run still owns the sender's dispatch lock); returns how many were sent."""
    sender = PhoneNumber.objects.select_related("account").get(pk=sender_id)
    return _SenderRun(sender, limiter or SenderRateLimiter(), time_budget, keep_going).run()


def senders_with_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        OutboundMessage.objects.filter(status=OutboundStatus.PENDING, due_at__lte=now)
        .values_list("sender_id", flat=True)
        .distinct()
    )
