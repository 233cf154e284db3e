"""Fan-out: one outbound message per recipient, written in bulk, exactly once.

The audience is read in keyset batches; each recipient's body is rendered and counted, its phone
chosen, its due time computed (schedule, time zone, quiet hours). Rows are COPYed into the
table; a batch that meets rows already there (a fan-out run again) goes through a temporary
table and `INSERT ... ON CONFLICT DO NOTHING`, so re-running a fan-out creates nothing new.
No Celery task and no INSERT per recipient.

Links become short links here: the message's links are stored once (MessageLink) and
each recipient's body carries codes naming its own outbound row, so that row's id is taken from
the table's sequence before the body is rendered (one statement per batch).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import psycopg
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from accounts import bulk
from messaging import links, segments, shortlinks, tokens
from messaging.models import MessageLink, OutboundMessage, OutboundStatus, SmsMessage
from messaging.services.rules import QuietHours

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# A scheduled send's audience is resolved this long before its first recipient is due, time
# enough to write a million rows (bench fanout) before the first must go.
FANOUT_LEAD = dt.timedelta(minutes=15)
# The furthest-ahead time zone (UTC+14, Kiribati): no contact's local time comes sooner.
EARLIEST_UTC_OFFSET = dt.timedelta(hours=14)

COLUMNS = (
    "account_id",
    "message_id",
    "contact_id",
    "sender_id",
    "kind",
    "to_phone",
    "body",
    "segments",
    "encoding",
    "status",
    "not_sent_reason",
    "deferred_reason",
    "due_at",
    "attempts",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class Recipient:
    """What fan-out needs of one contact, already decided by the audience selector."""

    contact_id: int
    phone_e164: str  # the phone to text, or "" when not sendable
    not_sent_reason: str  # "" when sendable
    time_zone: str
    values: dict  # token values: built-in fields and custom properties


@dataclass
class FanoutPlan:
    """How a message is scheduled, fixed once for the whole fan-out."""

    message: SmsMessage
    now: dt.datetime
    # Every text's created_at. A campaign's: the message's, whichever run of its fan-out writes
    # the text (SmsMessage.texts_created_at), so its texts share a month partition and a re-run
    # finds them there. An automation's: when each is queued, as its texts go out over months.
    created_at: dt.datetime
    quiet_hours: QuietHours
    sender_id: int | None
    # Campaign texts, or an automated message's (workflows queue theirs through fan-out too).
    kind: str = OutboundMessage.Kind.CAMPAIGN
    # A campaign texts a phone once however many of its contacts share it; an automation texts
    # each record it runs for.
    one_per_phone: bool = True
    # Phones already given a text by this fan-out: two contacts sharing a phone get it once.
    seen_phones: set[str] = field(default_factory=set)
    # The body with each link replaced by a numbered marker, and the short links' domain;
    # None when the body has no link (rows then take ids from the table as they are written).
    link_template: str | None = None
    link_count: int = 0
    link_domain: str = ""

    # A recipient's due time depends only on its zone: worked out once per zone.
    _due_by_zone: dict = field(default_factory=dict)
    _zone_by_contact_and_phone: dict = field(default_factory=dict)

    def due_at(self, recipient: Recipient) -> tuple[dt.datetime, str]:
        key = (recipient.time_zone, recipient.phone_e164[:8])
        zone = self._zone_by_contact_and_phone.get(key)
        if zone is None:
            zone = self.quiet_hours.zone_of(
                contact_zone=recipient.time_zone, phone_e164=recipient.phone_e164
            )
            self._zone_by_contact_and_phone[key] = zone
        due = self._due_by_zone.get(zone)
        if due is None:
            due = self._due_by_zone[zone] = self._due_in(zone)
        return due

    def _due_in(self, zone: dt.tzinfo) -> tuple[dt.datetime, str]:
        kind = self.message.schedule_kind
        if kind == SmsMessage.ScheduleKind.CONTACT_TIME_ZONE and self.message.local_send_at:
            wall = self.message.local_send_at.astimezone(dt.UTC).replace(tzinfo=None)
            base = wall.replace(tzinfo=zone).astimezone(dt.UTC)
            # A zone whose moment already passed when the send started gets it now.
            base = max(base, self.now)
        elif kind == SmsMessage.ScheduleKind.AT and self.message.scheduled_at:
            base = max(self.message.scheduled_at, self.now)
        else:
            base = self.now
        due = self.quiet_hours.opening(base, zone)
        return due, ("quiet_hours" if due != base else "")


def _short_links_render(plan: FanoutPlan, body: str, outbound_id: int) -> str:
    for position in range(plan.link_count):
        body = body.replace(
            links.LINK_MARKER.format(position),
            shortlinks.short_url(plan.link_domain, outbound_id, position),
        )
    return body


def outbound_rows(
    plan: FanoutPlan, recipients: Iterable[Recipient], *, ids: Iterable[int] | None = None
) -> Iterator[tuple]:
    """The row of every recipient, in COLUMNS order (preceded by its id when `ids` is given:
    a body with links needs it for its short links)."""
    message = plan.message
    if plan.link_template is not None:
        render = tokens.renderer(plan.link_template)
    else:
        render = tokens.renderer(message_body(message))
    created_at = plan.created_at
    seen_phones = plan.seen_phones
    id_iter = iter(ids) if ids is not None else None
    # Rows made without ids (the review) get a stand-in as long as each short link will be:
    # the markers are private-use characters that would count the text as UCS-2.
    stand_ins = (
        [links.short_link_placeholder(sender=message.sender)] * plan.link_count
        if id_iter is None and plan.link_template is not None
        else []
    )
    for recipient in recipients:
        body = render(recipient.values)
        if id_iter is not None:
            outbound_id = next(id_iter)
            body = _short_links_render(plan, body, outbound_id)
            yield (outbound_id, *_row(plan, recipient, body, created_at, seen_phones))
        else:
            if stand_ins:
                body = links.markers_fill(body, stand_ins)
            yield _row(plan, recipient, body, created_at, seen_phones)


def _row(
    plan: FanoutPlan,
    recipient: Recipient,
    body: str,
    created_at: dt.datetime,
    seen_phones: set[str],
) -> tuple:
    message = plan.message
    reason = recipient.not_sent_reason
    if not reason and plan.one_per_phone and recipient.phone_e164 in seen_phones:
        reason = "duplicate_phone"
    if reason:
        return (
            message.account_id,
            message.pk,
            recipient.contact_id,
            plan.sender_id,
            plan.kind,
            recipient.phone_e164,
            body,
            0,
            "",
            OutboundStatus.NOT_SENT,
            reason,
            "",
            created_at,
            0,
            created_at,
        )
    seen_phones.add(recipient.phone_e164)
    estimate = segments.estimate(body)
    due, deferred = plan.due_at(recipient)
    return (
        message.account_id,
        message.pk,
        recipient.contact_id,
        plan.sender_id,
        plan.kind,
        recipient.phone_e164,
        body,
        estimate.segments,
        estimate.encoding,
        OutboundStatus.PENDING,
        "",
        deferred,
        due,
        0,
        created_at,
    )


def rows_write(rows: list[tuple], *, with_ids: bool = False) -> int:
    """Write rows, skipping any (message, contact) already there; returns how many were new.

    `with_ids`: each row starts with its id (reserved with `ids_reserve`). A row skipped as a
    duplicate just leaves its reserved id unused; the row already there keeps its own body,
    whose short links name its own id.
    """
    if not rows:
        return 0
    columns = ("id", *COLUMNS) if with_ids else COLUMNS
    return _rows_copy(rows, columns)


def ids_reserve(count: int) -> list[int]:
    """`count` fresh outbound ids, taken from the table's own sequence so no writer collides."""
    return bulk.ids_reserve(OutboundMessage, count)


def _rows_copy(rows: list[tuple], columns_written: tuple[str, ...]) -> int:
    """COPY the rows straight into the table; when any of them is already there (a fan-out run
    again after a crash), COPY into a temporary table and move over what is new instead."""
    table = OutboundMessage._meta.db_table
    columns = ", ".join(columns_written)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3: COPY streams rows while the server parses them
        try:
            with transaction.atomic():
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return len(rows)
        except psycopg.errors.UniqueViolation:
            pass  # rolled back to the savepoint: nothing of this batch was written
        stage = "fanout_stage_ids" if columns_written[0] == "id" else "fanout_stage"
        # Only the columns we write, so the real table's id sequence fills ids on the move
        # (unless they were reserved beforehand for short links).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with raw.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
            "ON CONFLICT (message_id, contact_id, created_at) WHERE message_id IS NOT NULL "
            "AND contact_id IS NOT NULL DO NOTHING"
        )
        return cursor.rowcount


def message_fanout(
    *, message: SmsMessage, recipients: Iterable[list[Recipient]], plan: FanoutPlan
) -> int:
    """Write every recipient's outbound message, batch by batch; returns how many were new.

    Each batch is written under a lock on the message row that stops at once when the message
    is no longer being sent (cancelled, or taken back to draft to be changed): a batch never
    lands after `message_unschedule` deleted what was written, to be sent later with the old
    body.
    """
    created = 0
    for batch in read_ahead(recipients):
        with transaction.atomic():
            status = (
                SmsMessage.objects.select_for_update()
                .filter(pk=message.pk)
                .values_list("status", flat=True)
                .first()
            )
            if status not in SmsMessage.GOING_OUT:
                logger.info("fan-out of message %s stopped: it is %s", message.pk, status)
                break
            if plan.link_template is not None:
                ids = ids_reserve(len(batch))
                created += rows_write(list(outbound_rows(plan, batch, ids=ids)), with_ids=True)
            else:
                created += rows_write(list(outbound_rows(plan, batch)))
            SmsMessage.objects.filter(pk=message.pk).update(
                fanout_done=F("fanout_done") + len(batch)
            )
    return created


def read_ahead(batches: Iterable[list[Recipient]]) -> Iterator[list[Recipient]]:
    """The same batches, the next one read on a thread (and database connection) of its own
    while the caller renders and writes this one: PostgreSQL answers the audience query while
    Python works, instead of in turn (bench fanout).

    Inside a transaction (tests) the batches are read in line: another connection wouldn't
    see what the transaction has not committed.
    """
    if connection.in_atomic_block:
        yield from batches
        return
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def offer(item: object) -> bool:
        """Hand the caller `item`, unless it stopped taking them."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(end)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            offer(exc)
        finally:
            connections.close_all()  # this thread's own

    reader = threading.Thread(target=read, name="fanout-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the caller stopped early (a cancelled send): let the reader go
        reader.join()


def plan_for(
    message: SmsMessage, *, now: dt.datetime | None = None, links_store: bool = True
) -> FanoutPlan:
    """How the message's rows are made. `links_store=False` for a plan that writes nothing
    (the review): the links are stored only by what really sends."""
    automated = message.schedule_kind == SmsMessage.ScheduleKind.AUTOMATED
    now = now or timezone.now()
    if links_store and not automated and message.texts_created_at is None:
        # The first run of a campaign's real fan-out fixes the time its texts are created at.
        SmsMessage.objects.filter(pk=message.pk, texts_created_at__isnull=True).update(
            texts_created_at=now
        )
        message.texts_created_at = (
            SmsMessage.objects.filter(pk=message.pk)
            .values_list("texts_created_at", flat=True)
            .get()
        )
    plan = FanoutPlan(
        message=message,
        now=now,
        created_at=now if automated else message.texts_created_at or now,
        quiet_hours=QuietHours.of(message.account),
        sender_id=message.sender_id,
        kind=OutboundMessage.Kind.WORKFLOW if automated else OutboundMessage.Kind.CAMPAIGN,
        one_per_phone=not automated,
    )
    template, urls = links.links_number(message_body(message), limit=shortlinks.MAX_LINKS)
    if urls:
        if links_store:
            message_links_store(message=message, urls=urls)
        plan.link_template = template
        plan.link_count = len(urls)
        plan.link_domain = links.link_domain(message.sender)
    return plan


def message_body(message: SmsMessage) -> str:
    """The body every recipient's copy is rendered from: the opt-out line appended, and the
    sender's and account's tokens filled (the same for everyone), so only contact tokens are
    left per recipient."""
    body = tokens.body_with_opt_out(message.body, append_opt_out=message.append_opt_out)
    return tokens.message_tokens_fill(
        body, tokens.message_token_values(account=message.account, user=message.owner)
    )


def message_links_store(*, message: SmsMessage, urls: list[str], replace: bool = False) -> None:
    """Keep the message's links, once per message; a re-run fan-out finds the same ones.

    `replace`: a draft about to be sent drops links kept from an earlier attempt (a schedule
    taken back and the body edited), so every short link goes where the body now says.
    """
    if replace:
        MessageLink.objects.filter(message=message).delete()
    MessageLink.objects.bulk_create(
        [MessageLink(message=message, position=i, url=url) for i, url in enumerate(urls)],
        ignore_conflicts=True,
    )


def fanout_start_time(message: SmsMessage, *, now: dt.datetime) -> dt.datetime:
    """When to resolve a send's audience: now for "send now", else FANOUT_LEAD before the first
    recipient can be due (for local time in each contact's zone, the earliest zone on Earth)."""
    if message.schedule_kind == SmsMessage.ScheduleKind.AT and message.scheduled_at:
        return max(now, message.scheduled_at - FANOUT_LEAD)
    if message.schedule_kind == SmsMessage.ScheduleKind.CONTACT_TIME_ZONE and (
        message.local_send_at
    ):
        wall = message.local_send_at.astimezone(dt.UTC).replace(tzinfo=None)
        earliest = wall.replace(tzinfo=dt.UTC) - EARLIEST_UTC_OFFSET
        return max(now, earliest - FANOUT_LEAD)
    return now
