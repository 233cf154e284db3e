"""Running enrollments: each due one takes its steps until a delay or the end.

1. Due enrollments are claimed with `SELECT ... FOR UPDATE SKIP LOCKED` (a batch at a time) in a
   transaction that also writes everything the steps do (texts queued, log rows, the next step
   and when). A crash rolls all of it back and the rows are claimed again later; a step whose
   effects committed has moved the enrollment on, so it never runs twice. The log's unique
   (enrollment, step) is the database's guard on the same promise.
2. Delays set the enrollment's next step and `due_at`; beat's sweep picks it up then.
3. Send SMS queues a text (kind workflow) under the action's automated message through
   messaging's `automated_texts_queue` (rendered, opt-out line, short links, segments, quiet
   hours, as a campaign's fan-out), and dispatch sends it like any campaign text: consent
   re-checked at claim time, the frequency cap, the sender's rate. Here, before queueing: the
   recipient phone must be valid and subscribed, quiet hours set its due time (deferred, not
   dropped), and the per-user-and-number limits are taken; a text over a limit fails, is
   logged, and is never retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, User
from consent import selectors as consent_selectors
from messaging.models import SmsMessage
from messaging.schedule import local_time_in_zone, recipient_zone
from messaging.services import automated
from messaging.services.rules import QuietHours
from registration.models import PhoneNumber
from workflows import definition, selectors
from workflows.models import (
    ActionMessage,
    Enrollment,
    EnrollmentStatus,
    LogEvent,
    LogOutcome,
    Workflow,
    WorkflowLog,
)
from workflows.records import REGISTRY, RecordType
from workflows.services import limits
from workflows.services.action_messages import action_message_matches

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200
# Steps one enrollment may take in one go (no loops exist; this only bounds a bad definition).
MAX_STEPS_PER_RUN = definition.MAX_STEPS + 1

SKIP_MESSAGES = {
    "not_marketing_contact": "Not a marketing contact.",
    "no_phone": "The recipient phone property is empty.",
    "invalid_phone": "The phone is not valid for SMS.",
    "unreachable": "The phone was reported unreachable by the carrier.",
    "opted_out": "The phone opted out.",
    "not_subscribed": "The phone is not subscribed to the account's default subscription type.",
    "already_sent": "This text was already queued for this enrollment.",
}
FAIL_MESSAGES = {
    "number_unavailable": "The From number is no longer active, SMS-capable and approved.",
    "user_unavailable": "The sender user is no longer linked to the From number.",
    "no_subscription_type": "The account has no default subscription type.",
}


@dataclass
class _Send:
    """A Send SMS step waiting for the batch's consent, limit and insert work."""

    enrollment: Enrollment
    workflow: Workflow
    step: dict
    record: object
    log: WorkflowLog
    phone: str = ""
    contact_id: int | None = None
    consent_of_phone: bool = False
    due_at: dt.datetime | None = None
    deferred_reason: str = ""
    number: PhoneNumber | None = None
    user: User | None = None


def branch_matches(step: dict, values: dict) -> bool:
    actual = str(values.get(step.get("property", "")) or "").strip().lower()
    wanted = str(step.get("value") or "").strip().lower()
    operator = step.get("operator")
    if operator == "is":
        return actual == wanted
    if operator == "is_not":
        return actual != wanted
    if operator == "contains":
        return wanted in actual
    if operator == "is_known":
        return bool(actual)
    return not actual


class _Batch:
    """One claimed batch: walks each enrollment, then does the sends' queries once for all."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.logs: list[WorkflowLog] = []
        self.sends: list[_Send] = []
        self.workflows: dict[int, Workflow] = {}
        self.records: dict[tuple[str, int], object] = {}
        # The action message of each (workflow, step, round) this batch queues texts under.
        self._messages: dict[tuple[int, str, int], SmsMessage] = {}
        self.queued = 0

    def log(self, enrollment: Enrollment, workflow: Workflow, record, **fields) -> WorkflowLog:
        record_type = REGISTRY[enrollment.record_type]
        entry = WorkflowLog(
            account_id=enrollment.account_id,
            workflow=workflow,
            enrollment=enrollment,
            record_type=enrollment.record_type,
            record_id=enrollment.record_id,
            record_label=record_type.record_label(record) if record is not None else "",
            created_at=self.now,
            **fields,
        )
        self.logs.append(entry)
        return entry

    def finish(self, enrollment: Enrollment, workflow: Workflow, record, message: str) -> None:
        enrollment.status = EnrollmentStatus.COMPLETED
        enrollment.step_id = ""
        enrollment.due_at = None
        enrollment.finished_at = self.now
        self.log(
            enrollment,
            workflow,
            record,
            event=LogEvent.COMPLETED,
            outcome=LogOutcome.COMPLETED,
            message=message,
        )

    # -- walking --------------------------------------------------------------------------

    def walk(self, enrollment: Enrollment) -> None:
        workflow = self.workflows[enrollment.workflow_id]
        record = self.records.get((enrollment.record_type, enrollment.record_id))
        record_type = REGISTRY[enrollment.record_type]
        if record is None:
            self.finish(enrollment, workflow, None, "The record was deleted.")
            return
        if not enrollment.step_id:
            self.finish(enrollment, workflow, record, "Completed.")
            return
        step = definition.step_find(workflow.steps, enrollment.step_id)
        if step is None:
            self.finish(enrollment, workflow, record, "The step it waited for was removed.")
            return
        values = record_type.values(record)
        for _ in range(MAX_STEPS_PER_RUN):
            if step is None:
                self.finish(enrollment, workflow, record, "Completed.")
                return
            kind = step["type"]
            if kind in ("delay", "wait_until"):
                due = self._wake_at(step, enrollment, record, record_type)
                after = definition.step_next(workflow.steps, step["id"])
                enrollment.step_id = after["id"] if after else ""
                enrollment.due_at = due
                self.log(
                    enrollment,
                    workflow,
                    record,
                    event=LogEvent.DELAY,
                    step_id=step["id"],
                    outcome=LogOutcome.WAITING,
                    message=f"Waiting until {due:%Y-%m-%d %H:%M} UTC.",
                )
                return
            if kind == "branch":
                matched = branch_matches(step, values)
                path = step.get("yes" if matched else "no") or []
                operator = definition.BRANCH_OPERATORS.get(step.get("operator"), "")
                value = f" “{step.get('value')}”" if step.get("value") else ""
                self.log(
                    enrollment,
                    workflow,
                    record,
                    event=LogEvent.BRANCH,
                    step_id=step["id"],
                    outcome=LogOutcome.BRANCHED,
                    reason="yes" if matched else "no",
                    message=f"{'Yes' if matched else 'No'}: {step.get('property')} "
                    f"{operator}{value}.",
                )
                step = path[0] if path else None
                continue
            log = self.log(
                enrollment,
                workflow,
                record,
                event=LogEvent.SEND_SMS,
                step_id=step["id"],
                outcome=LogOutcome.QUEUED,
            )
            self.sends.append(_Send(enrollment, workflow, step, record, log))
            step = definition.step_next(workflow.steps, step["id"])
        self.finish(enrollment, workflow, record, "Stopped: too many steps in one go.")

    def _wake_at(
        self, step: dict, enrollment: Enrollment, record, record_type: RecordType
    ) -> dt.datetime:
        if step["type"] == "delay":
            seconds = int(step["amount"]) * definition.DELAY_UNITS[step["unit"]]
            return self.now + dt.timedelta(seconds=seconds)
        account = enrollment.account
        zone, _ = recipient_zone(
            contact_zone=record_type.time_zone(record),
            phone_e164=record_type.recipient(account, record, "mobile_phone").phone_e164
            or record_type.recipient(account, record, "phone").phone_e164,
            account_zone=account.time_zone,
        )
        hour, minute = (int(part) for part in step["time"].split(":"))
        local = self.now.astimezone(zone)
        wall = local.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=None)
        due = local_time_in_zone(wall, zone)
        if due <= self.now:
            due = local_time_in_zone(wall + dt.timedelta(days=1), zone)
        return due

    # -- sending --------------------------------------------------------------------------

    def _skip(self, send: _Send, reason: str) -> None:
        send.log.outcome = LogOutcome.SKIPPED
        send.log.reason = reason
        send.log.message = SKIP_MESSAGES.get(reason, reason)

    def _fail(self, send: _Send, reason: str, message: str = "") -> None:
        send.log.outcome = LogOutcome.FAILED
        send.log.reason = reason
        send.log.message = message or FAIL_MESSAGES.get(reason, reason)

    def send_all(self) -> None:
        by_account: dict[int, list[_Send]] = defaultdict(list)
        for send in self.sends:
            by_account[send.enrollment.account_id].append(send)
        for sends in by_account.values():
            self._send_account(sends[0].enrollment.account, sends)

    def _send_account(self, account: Account, sends: list[_Send]) -> None:
        numbers = {n.public_id: n for n in selectors.sending_numbers(account=account)}
        users: dict[str, dict[str, User]] = {}
        subscription_type = consent_selectors.subscription_type_default(account=account)
        ready: list[_Send] = []
        for send in sends:
            step = send.step
            recipient = REGISTRY[send.enrollment.record_type].recipient(
                account, send.record, step["phone_property"]
            )
            send.phone, send.contact_id = recipient.phone_e164, recipient.contact_id
            send.consent_of_phone = recipient.consent_of_phone
            if recipient.reason:
                self._skip(send, recipient.reason)
                continue
            number = numbers.get(step["from_number"])
            if number is None:
                self._fail(send, "number_unavailable")
                continue
            if number.public_id not in users:
                users[number.public_id] = {
                    u.public_id: u for u in selectors.number_users(account=account, number=number)
                }
            user = users[number.public_id].get(step["sender_user"])
            if user is None:
                self._fail(send, "user_unavailable")
                continue
            if subscription_type is None:
                self._fail(send, "no_subscription_type")
                continue
            send.number, send.user = number, user
            ready.append(send)
        ready = self._consented(account, subscription_type, ready)
        quiet_hours = QuietHours.of(account)
        for send in ready:
            send.due_at, send.deferred_reason = quiet_hours.due(
                self.now,
                contact_zone=REGISTRY[send.enrollment.record_type].time_zone(send.record),
                phone_e164=send.phone,
            )
        # The limits are taken last, only for texts that will really be queued.
        requests = [
            limits.quota_request(
                account=account, user_id=s.user.pk, number_id=s.number.pk, at=s.due_at
            )
            for s in ready
        ]
        taken = limits.send_quota_take(account=account, requests=requests)
        settings_row = selectors.workflow_settings(account)
        queued: list[_Send] = []
        for send, refused in zip(ready, taken, strict=True):
            if refused:
                limit = (
                    f"daily limit of {settings_row.daily_send_limit:,}"
                    if refused == limits.DAILY_LIMIT
                    else f"monthly limit of {settings_row.monthly_send_limit:,}"
                )
                self._fail(
                    send,
                    refused,
                    f"Over the {limit} workflow texts for {send.user.email} on "
                    f"{send.number.e164}; not sent and not retried.",
                )
            else:
                queued.append(send)
        self._queue(account, subscription_type, queued)

    def _consented(self, account: Account, subscription_type, sends: list[_Send]) -> list[_Send]:
        """Subscribed on that phone for the type, and the phone not opted out account-wide."""
        if not sends:
            return sends
        phones = {s.phone for s in sends}
        opted_out = consent_selectors.phones_opted_out(
            account=account, phones=phones, subscription_type=subscription_type
        )
        subscribed = consent_selectors.phones_subscribed(
            account=account, subscription_type=subscription_type, phones=phones
        )
        ready = []
        for send in sends:
            owner = None if send.consent_of_phone else send.contact_id
            if send.phone in opted_out:
                self._skip(send, "opted_out")
            elif (owner, send.phone) not in subscribed:
                self._skip(send, "not_subscribed")
            else:
                ready.append(send)
        return ready

    def _action_message(self, account: Account, subscription_type, send: _Send) -> SmsMessage:
        """The action's automated SmsMessage for this enrollment round: its latest version while
        that still matches the action, else a new version (the old one finished, so it turns
        sent once its queued texts went out and keeps the body those recipients got).

        Made by messaging's automated-message service, not the composer's: it is never a
        draft a marketer edits, only what the rows are filed (and counted in analytics) under.
        """
        workflow, step, enrollment = send.workflow, send.step, send.enrollment
        versions = ActionMessage.objects.select_related("message__sender", "message__owner").filter(
            workflow=workflow, step_id=step["id"], round=enrollment.round
        )
        latest = versions.order_by("-version").first()
        if (
            latest is not None
            and latest.message.fanout_completed_at is None
            and action_message_matches(latest.message, step)
        ):
            return latest.message
        if latest is not None:
            automated.automated_message_close(message_id=latest.message_id, now=self.now)
        version = latest.version + 1 if latest is not None else 1
        actions = [s["id"] for s in definition.walk(workflow.steps) if s["type"] == "send_sms"]
        position = actions.index(step["id"]) + 1 if step["id"] in actions else len(actions)
        suffix = f" (round {enrollment.round})" if enrollment.round > 1 else ""
        suffix += f" (version {version})" if version > 1 else ""
        try:
            with transaction.atomic():
                message = automated.automated_message_create(
                    account=account,
                    name=f"{workflow.name}: text {position}{suffix}",
                    subscription_type=subscription_type,
                    body=step["body"],
                    append_opt_out=step["append_opt_out"],
                    sender=send.number,
                    owner=send.user,
                    now=self.now,
                )
                ActionMessage.objects.create(
                    workflow=workflow,
                    step_id=step["id"],
                    round=enrollment.round,
                    version=version,
                    message=message,
                )
        except IntegrityError:
            # Another worker started this version a moment ago, for another record: use it.
            return versions.get(version=version).message
        return message

    def _queue(self, account: Account, subscription_type, sends: list[_Send]) -> None:
        """Queue the texts through messaging, grouped by the action message they go under."""
        if not sends:
            return
        by_message: dict[int, tuple[SmsMessage, list[_Send]]] = {}
        for send in sends:
            message = self._message_for(account, subscription_type, send)
            by_message.setdefault(message.pk, (message, []))[1].append(send)
        for message, message_sends in by_message.values():
            texts = [
                automated.Recipient(
                    contact_id=send.contact_id,
                    phone_e164=send.phone,
                    not_sent_reason="",
                    time_zone=REGISTRY[send.enrollment.record_type].time_zone(send.record) or "",
                    values=REGISTRY[send.enrollment.record_type].values(send.record),
                )
                for send in message_sends
            ]
            ids = automated.automated_texts_queue(message=message, texts=texts, now=self.now)
            for send, outbound_id in zip(message_sends, ids, strict=True):
                if outbound_id is None:
                    self._skip(send, "already_sent")
                    continue
                send.log.outbound_id = outbound_id
                if send.deferred_reason:
                    send.log.message = (
                        f"Deferred until {send.due_at:%Y-%m-%d %H:%M} UTC (quiet hours) to "
                        f"{send.phone}."
                    )
                else:
                    send.log.message = f"Queued to {send.phone} from {send.number.e164}."
                self.queued += 1

    def _message_for(self, account: Account, subscription_type, send: _Send) -> SmsMessage:
        key = (send.workflow.pk, send.step["id"], send.enrollment.round)
        if key not in self._messages:
            self._messages[key] = self._action_message(account, subscription_type, send)
        return self._messages[key]


def _claim(*, now: dt.datetime, limit: int, enrollment_ids: list[int] | None) -> list[Enrollment]:
    queryset = (
        Enrollment.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account")
        .filter(status=EnrollmentStatus.ACTIVE, due_at__lte=now, workflow__enabled=True)
    )
    if enrollment_ids is not None:
        queryset = queryset.filter(pk__in=enrollment_ids)
    return list(queryset.order_by("due_at", "pk")[:limit])


def enrollments_run(
    *,
    enrollment_ids: list[int] | None = None,
    now: dt.datetime | None = None,
    limit: int = CLAIM_BATCH,
) -> tuple[int, int]:
    """Run one claimed batch of due enrollments (these ids only, if given).

    Returns (enrollments run, texts queued)."""
    from messaging.tasks import dispatch_due_task

    now = now or timezone.now()
    with transaction.atomic():
        enrollments = _claim(now=now, limit=limit, enrollment_ids=enrollment_ids)
        if not enrollments:
            return 0, 0
        batch = _Batch(now)
        batch.workflows = Workflow.objects.in_bulk({e.workflow_id for e in enrollments})
        wanted: dict[tuple[int, str], list[int]] = defaultdict(list)
        for enrollment in enrollments:
            wanted[(enrollment.account_id, enrollment.record_type)].append(enrollment.record_id)
        accounts = {e.account_id: e.account for e in enrollments}
        for (account_id, record_type), ids in wanted.items():
            for pk, record in REGISTRY[record_type].load(accounts[account_id], ids).items():
                batch.records[(record_type, pk)] = record
        for enrollment in enrollments:
            batch.walk(enrollment)
        batch.send_all()
        Enrollment.objects.bulk_update(
            enrollments, ["status", "step_id", "due_at", "finished_at"], batch_size=1000
        )
        WorkflowLog.objects.bulk_create(batch.logs, batch_size=1000)
        if batch.queued:
            transaction.on_commit(dispatch_due_task.delay)
        return len(enrollments), batch.queued


def enrollments_run_due(
    *, time_budget: float = 50.0, enrollment_ids: list[int] | None = None
) -> int:
    """Run due enrollments batch after batch until none is left or the budget is spent."""
    deadline = time.monotonic() + time_budget
    total = 0
    while time.monotonic() < deadline:
        ran, _ = enrollments_run(enrollment_ids=enrollment_ids)
        total += ran
        if ran < CLAIM_BATCH:
            break
    return total
