"""Getting a number: searching Twilio's local US numbers, buying one into the account's
Messaging Service, who may send from it, and reconciling purchases whose answer was lost.

A purchase claims the number first (a PENDING row; ``e164`` is unique), then buys it, so a
double click buys once. A number may send (ACTIVE) once the SMS use case is approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Membership, User
from registration.areacodes import area_code_get
from registration.eligibility import NON_US_SENDER_REASON, sender_number_is_us
from registration.models import (
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    RegistrationStatus,
    UseCaseRegistration,
)
from registration.services.provisioning import (
    PROVISION_LEASE,
    RegistrationError,
    RegistrationInvalid,
    event_record,
    logger,
    subaccount_get,
)
from registration.throughput import throughput_for
from registration.validation import contains_clean, phone_e164
from twilio_gateway import provisioning as gateway
from twilio_gateway.client import Credentials
from twilio_gateway.errors import GatewayError

Kind = RegistrationEvent.Kind

SEARCH_LIMIT = 20
# A pending purchase with no answer from Twilio this long is looked up in Twilio's list.
PURCHASE_UNCONFIRMED_AFTER = PROVISION_LEASE


def _credentials(account: Account) -> Credentials:
    subaccount = subaccount_get(account)
    if subaccount is None:
        raise RegistrationError(
            "Register your business (step 1) before getting a number.", code="brand_missing"
        )
    return subaccount.credentials


def available_numbers_search(
    *, account: Account, area_code: str, contains: str = ""
) -> list[gateway.AvailableNumber]:
    """Local, SMS-capable US numbers for sale in an area code, optionally containing 2 to 16
    given digits (Twilio's limits for Contains)."""
    area_code = (area_code or "").strip()
    if area_code_get(area_code) is None:
        raise RegistrationError(
            f"{area_code or 'That'} is not a US area code we can search; choose one from the list.",
            code="area_code",
        )
    contains, problem = contains_clean(contains)
    if problem:
        raise RegistrationInvalid({"contains": [problem]})
    try:
        numbers = gateway.available_numbers_search(
            credentials=_credentials(account),
            area_code=area_code,
            contains=contains or None,
            limit=SEARCH_LIMIT,
        )
    except GatewayError as error:
        raise RegistrationError(
            f"Twilio could not search numbers: {error.message}", code="search_failed"
        ) from error
    # Numbers we already hold (the demo numbers, or another tenant's) are not for sale to us.
    held = set(
        PhoneNumber.objects.filter(e164__in=[n.phone_number for n in numbers]).values_list(
            "e164", flat=True
        )
    )
    return [
        n
        for n in numbers
        if n.sms and sender_number_is_us(n.phone_number) and n.phone_number not in held
    ]


def _use_case_submitted(account: Account) -> UseCaseRegistration:
    use_case = UseCaseRegistration.objects.filter(account=account).first()
    if use_case is None or use_case.submission_count == 0:
        raise RegistrationError(
            "Submit your SMS use case (step 2) before getting a number.", code="use_case_missing"
        )
    return use_case


def number_purchase(*, account: Account, user: User, phone_number: str) -> PhoneNumber:
    """Buy ``phone_number`` and put it in the account's Messaging Service."""
    e164 = phone_e164(phone_number or "")
    if e164 is None or not sender_number_is_us(e164):
        raise RegistrationError(NON_US_SENDER_REASON, code="not_us")
    use_case = _use_case_submitted(account)
    subaccount = subaccount_get(account)
    if subaccount is None or not subaccount.messaging_service_sid:
        raise RegistrationError(
            "Your SMS use case is still being set up at Twilio; try again in a minute.",
            code="service_missing",
        )
    existing = PhoneNumber.objects.filter(e164=e164).first()
    if existing is not None:
        if existing.account_id == account.pk:
            return existing  # the same purchase again (double click, another tab)
        raise RegistrationError(f"{e164} is no longer available.", code="unavailable")
    brand = BrandRegistration.objects.filter(account=account).first()
    throughput = throughput_for(
        brand.trust_score if brand and brand.status == RegistrationStatus.APPROVED else None
    )
    try:
        with transaction.atomic():
            number = PhoneNumber.objects.create(
                account=account,
                e164=e164,
                status=PhoneNumber.Status.PENDING,
                purchased_by=user,
                messages_per_second=throughput.messages_per_second,
                tmobile_daily_cap=throughput.tmobile_daily_cap,
            )
            number.users.add(user)
    except IntegrityError:
        existing = PhoneNumber.objects.get(e164=e164)
        if existing.account_id == account.pk:
            return existing
        raise RegistrationError(f"{e164} is no longer available.", code="unavailable") from None
    credentials = subaccount.credentials
    try:
        bought = gateway.incoming_number_buy(credentials=credentials, phone_number=e164)
    except GatewayError as error:
        if error.outcome_unknown:
            # Twilio may have sold it: keep the claim; the poller looks it up.
            logger.warning("purchase of %s unconfirmed: %s", e164, error)
            raise RegistrationError(
                f"Twilio did not confirm the purchase of {e164}; we'll check and update this "
                "page shortly.",
                code="unconfirmed",
            ) from error
        number.delete()
        raise RegistrationError(
            f"Twilio could not sell {e164}: {error.message}", code="purchase_failed"
        ) from error
    number_attach(
        number=number,
        incoming=bought,
        credentials=credentials,
        service_sid=subaccount.messaging_service_sid,
        approved=use_case.status == RegistrationStatus.APPROVED,
    )
    event_record(account=account, kind=Kind.NUMBER_PURCHASED, user=user, e164=e164)
    number.refresh_from_db()
    return number


def number_attach(
    *,
    number: PhoneNumber,
    incoming: gateway.IncomingNumber,
    credentials: Credentials,
    service_sid: str,
    approved: bool,
) -> bool:
    """Record a bought number and put it in the Messaging Service (retried by the poller);
    whether it is in the service now."""
    PhoneNumber.objects.filter(pk=number.pk).update(
        twilio_sid=incoming.sid,
        sms_capable=incoming.sms,
        mms_capable=incoming.mms,
        voice_capable=incoming.voice,
    )
    try:
        gateway.messaging_service_number_add(
            credentials=credentials,
            messaging_service_sid=service_sid,
            phone_number_sid=incoming.sid,
        )
    except GatewayError as error:
        # The number is bought either way; it stays pending and the poller tries again.
        logger.warning("adding %s to %s failed, will retry: %s", number.e164, service_sid, error)
        return False
    PhoneNumber.objects.filter(pk=number.pk).update(
        messaging_service_sid=service_sid,
        status=PhoneNumber.Status.ACTIVE if approved else PhoneNumber.Status.PENDING,
    )
    return True


def phone_numbers_reconcile(*, account: Account, now: dt.datetime | None = None) -> int:
    """Finish purchases the poller finds half done: bought but not in the service, or with no
    answer from Twilio (then Twilio's list decides: bought, or the claim is dropped)."""
    subaccount = subaccount_get(account)
    if subaccount is None or not subaccount.messaging_service_sid:
        return 0
    credentials = subaccount.credentials
    use_case = UseCaseRegistration.objects.filter(account=account).first()
    approved = use_case is not None and use_case.status == RegistrationStatus.APPROVED
    now = now or timezone.now()
    fixed = 0
    pending = PhoneNumber.objects.filter(
        account=account, status=PhoneNumber.Status.PENDING, is_demo=False, messaging_service_sid=""
    )
    for number in pending:
        if number.twilio_sid:
            incoming = gateway.IncomingNumber(
                sid=number.twilio_sid,
                phone_number=number.e164,
                friendly_name="",
                sms=number.sms_capable,
                mms=number.mms_capable,
                voice=number.voice_capable,
            )
        elif number.created_at < now - PURCHASE_UNCONFIRMED_AFTER:
            found = gateway.incoming_numbers_list(credentials=credentials, phone_number=number.e164)
            match = next((n for n in found if n.phone_number == number.e164), None)
            if match is None:
                number.delete()
                fixed += 1
                continue
            incoming = match
        else:
            continue
        number_attach(
            number=number,
            incoming=incoming,
            credentials=credentials,
            service_sid=subaccount.messaging_service_sid,
            approved=approved,
        )
        fixed += 1
    return fixed


def phone_number_users_set(
    *, account: Account, user: User, number: PhoneNumber, user_ids: Iterable[str]
) -> PhoneNumber:
    """Who may send from the number: members of the account, by their public ids."""
    wanted = set(user_ids)
    members = {
        m.user.public_id: m.user
        for m in Membership.objects.select_related("user").filter(account=account)
    }
    unknown = wanted - set(members)
    if unknown:
        raise RegistrationError(
            "Only members of this account can use its numbers.", code="not_member"
        )
    if number.account_id != account.pk:
        raise RegistrationError("Not found.", code="not_found")
    with transaction.atomic():
        number.users.set([members[public_id] for public_id in wanted])
        event_record(
            account=account,
            kind=Kind.NUMBER_USERS_SET,
            user=user,
            e164=number.e164,
            users=sorted(members[p].email for p in wanted),
        )
    return number
