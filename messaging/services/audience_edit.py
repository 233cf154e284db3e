"""Choosing a message's audience, sender and schedule while it is a draft."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from contacts.models import Contact, ContactList
from contacts.phones import phone_check
from messaging.models import SmsMessage
from registration.models import PhoneNumber


def contacts_from_text(*, account: Account, text: str) -> tuple[list[Contact], list[str]]:
    """Contacts named by id, email or phone (any format: "(617) 555-0177" is +16175550177),
    one per line or comma; and the unknown ones."""
    found: list[Contact] = []
    unknown: list[str] = []
    for raw in [part.strip() for chunk in text.splitlines() for part in chunk.split(",")]:
        if not raw:
            continue
        e164 = phone_check(raw, account.default_region).e164 or raw
        match = (
            Contact.objects.filter(account=account)
            .filter(
                Q(public_id=raw)
                | Q(email__iexact=raw)
                | Q(phone_e164=e164)
                | Q(mobile_phone_e164=e164)
            )
            .first()
        )
        if match is None:
            unknown.append(raw)
        else:
            found.append(match)
    return found, unknown


@transaction.atomic
def message_audience_set(
    *,
    account: Account,
    message: SmsMessage,
    include_lists: list[ContactList],
    exclude_lists: list[ContactList],
    include_contacts: list[Contact],
    exclude_contacts: list[Contact],
    sender: PhoneNumber | None,
    schedule_kind: str,
    send_at_local: dt.datetime | None,
) -> SmsMessage:
    """Store who gets the message, from which number and when. `send_at_local` is a naive
    wall-clock time: in the account's zone for AT, in each contact's zone for CONTACT_TIME_ZONE."""
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.DRAFT:
        raise ValidationError("Only a draft's audience and schedule can be changed.")
    for item in [*include_lists, *exclude_lists, *include_contacts, *exclude_contacts]:
        if item.account_id != account.pk:
            raise ValidationError("Unknown list or contact.")
    if sender is not None and (sender.account_id != account.pk or sender.status != "active"):
        raise ValidationError({"sender": "Choose one of this account's active numbers."})
    errors = {}
    now = timezone.now()
    message.scheduled_at = None
    message.local_send_at = None
    if schedule_kind in (SmsMessage.ScheduleKind.AT, SmsMessage.ScheduleKind.CONTACT_TIME_ZONE):
        if send_at_local is None:
            errors["send_at"] = "Choose the date and time to send at."
        elif schedule_kind == SmsMessage.ScheduleKind.AT:
            zone = zoneinfo.ZoneInfo(account.time_zone)
            message.scheduled_at = send_at_local.replace(tzinfo=zone)
            if message.scheduled_at <= now:
                errors["send_at"] = "That time has passed; choose a time in the future."
        else:
            # Stored as the wall-clock reading in UTC; each recipient's zone is applied at fan-out.
            message.local_send_at = send_at_local.replace(tzinfo=dt.UTC)
            if send_at_local.date() < (now - dt.timedelta(days=1)).date():
                errors["send_at"] = "That day has passed everywhere; choose a later one."
    elif schedule_kind != SmsMessage.ScheduleKind.NOW:
        errors["schedule_kind"] = "Choose when to send."
    if errors:
        raise ValidationError(errors)
    message.schedule_kind = schedule_kind
    message.sender = sender
    message.save(
        update_fields=["schedule_kind", "scheduled_at", "local_send_at", "sender", "updated_at"]
    )
    message.include_lists.set(include_lists)
    message.exclude_lists.set(exclude_lists)
    message.include_contacts.set(include_contacts)
    message.exclude_contacts.set(exclude_contacts)
    return message
