"""Hosted opt-in pages and their double opt-in.

1. The account sets up a subscription type's page: program name and message frequency, which
   make the consent language shown (`OptInPage.consent_text`).
2. Someone fills it in (`opt_in_request_create`): their phone, optionally name and email, and
   the unticked box they must tick. Checked, rate limited per phone and per address, and kept
   as a pending request with the evidence; messaging then texts "Reply YES to confirm".
3. The phone texts YES (or another opt-in word) back within CONFIRM_WITHIN
   (`opt_in_request_confirm`, from the inbound keyword): only then is it subscribed, with a
   ledger entry (source "form") holding the page's URL, the consent text and its version, the
   address, the user agent, the time of the request and the confirming text's SID.

A phone that texted STOP stays opted out until that YES: the form alone never subscribes.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from consent.models import (
    ConsentSource,
    ConsentState,
    OptInPage,
    OptInRequest,
    OptInRequestStatus,
    SubscriptionType,
)
from consent.services.consent import (
    BulkConsentResult,
    _phones_opted_out_personally,
    phone_consent_set,
)
from contacts import services as contact_services
from contacts.models import Contact
from contacts.phones import phone_check

# A request waits this long for its YES.
CONFIRM_WITHIN = dt.timedelta(hours=24)
# At most this many requests per phone (per account) and per address in RATE_WINDOW: enough
# for a typo and a retry, too few to text someone over and over from a form.
PHONE_LIMIT = 3
IP_LIMIT = 10
RATE_WINDOW = dt.timedelta(hours=1)
DEFAULT_FREQUENCY = "Message frequency varies"
_FREQUENCY = re.compile(r"^[^\n]{3,100}$")


@transaction.atomic
def opt_in_page_save(
    *,
    account: Account,
    subscription_type: SubscriptionType,
    program_name: str,
    message_frequency: str,
    enabled: bool = True,
) -> OptInPage:
    """Create or update a subscription type's opt-in page. A change to the consent language
    bumps its version, so each request's evidence names the text the person saw."""
    if subscription_type.account_id != account.pk:
        raise ValueError("The subscription type belongs to another account.")
    program_name = " ".join((program_name or "").split())
    message_frequency = " ".join((message_frequency or "").split()).rstrip(".")
    errors = {}
    if not 2 <= len(program_name) <= 100:
        errors["program_name"] = "Give the program's name as people know it (2-100 characters)."
    if not _FREQUENCY.match(message_frequency):
        errors["message_frequency"] = (
            "Say how often people get texts, e.g. “Up to 4 msgs/month” (3-100 characters)."
        )
    if errors:
        raise ValidationError(errors)
    page = OptInPage.objects.select_for_update().filter(subscription_type=subscription_type).first()
    if page is None:
        return OptInPage.objects.create(
            account=account,
            subscription_type=subscription_type,
            program_name=program_name,
            message_frequency=message_frequency,
            enabled=enabled,
        )
    changed = (page.program_name, page.message_frequency) != (program_name, message_frequency)
    page.program_name = program_name
    page.message_frequency = message_frequency
    page.enabled = enabled
    page.version += 1 if changed else 0
    page.updated_at = timezone.now()
    page.save()
    return page


def _phone_clean(raw: str) -> str:
    """E.164 for a US or Canadian mobile-capable number, or a ValidationError saying why not."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError({"phone": "Enter your mobile phone number."})
    checked = phone_check(raw)
    if not checked.e164:
        raise ValidationError({"phone": f"“{raw[:30]}”: {checked.reason_text}"})
    if not checked.valid_for_sms:
        raise ValidationError(
            {"phone": f"{checked.e164} can't get our texts. {checked.reason_text}"}
        )
    return checked.e164


def opt_in_request_create(
    *,
    page: OptInPage,
    phone: str,
    name: str = "",
    email: str = "",
    consent_given: bool,
    page_url: str,
    ip_address: str | None,
    user_agent: str = "",
) -> OptInRequest:
    """Record a filled-in opt-in page, waiting for its YES. ValidationError (nothing written)
    on bad input, an unticked box, or too many requests from the phone or the address."""
    if not page.enabled:
        raise ValidationError("This sign-up page is closed.")
    errors: dict[str, str] = {}
    try:
        phone_e164 = _phone_clean(phone)
    except ValidationError as error:
        errors.update(error.message_dict)
        phone_e164 = ""
    name = " ".join((name or "").split())
    if len(name) > 200:
        errors["name"] = "At most 200 characters."
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = f"“{email[:60]}” isn't an email address."
    if not consent_given:
        errors["consent"] = "Tick the box to agree to receive texts."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        # Serialize a phone's requests, so two at once can't both slip under the limit.
        OptInPage.objects.select_for_update().filter(pk=page.pk).first()
        recent = OptInRequest.objects.filter(requested_at__gte=now - RATE_WINDOW)
        if recent.filter(account_id=page.account_id, phone_e164=phone_e164).count() >= PHONE_LIMIT:
            raise ValidationError(
                {
                    "phone": "We already sent this number a confirmation text; reply YES to it, "
                    "or try again in an hour."
                }
            )
        if ip_address and recent.filter(ip_address=ip_address).count() >= IP_LIMIT:
            raise ValidationError("Too many sign-ups from your network; try again in an hour.")
        # The contact the phone already is, if any: an unconfirmed form creates none (anyone
        # can type anyone's number); the YES creates it, as any text from a new number does.
        contact = (
            Contact.objects.filter(account_id=page.account_id)
            .filter(Q(mobile_phone_e164=phone_e164) | Q(phone_e164=phone_e164))
            .order_by("pk")
            .first()
        )
        return OptInRequest.objects.create(
            account_id=page.account_id,
            page=page,
            subscription_type_id=page.subscription_type_id,
            contact=contact,
            phone_e164=phone_e164,
            name=name,
            email=email,
            page_url=page_url[:500],
            consent_text=page.consent_text,
            consent_version=page.version,
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:500],
            requested_at=now,
        )


def opt_in_phone_opted_out(*, request: OptInRequest) -> bool:
    """The phone texted STOP (or the carrier reported it): no confirmation text can reach it
    until the person texts an opt-in word themselves."""
    return bool(
        _phones_opted_out_personally(
            request.page.account, request.subscription_type, [request.phone_e164]
        )
    )


def confirmation_text(page: OptInPage) -> str:
    return (
        f"{page.program_name}: Reply YES to confirm you want {page.subscription_type.name} "
        f"texts. {page.message_frequency}. Msg & data rates may apply. Reply HELP for help, "
        "STOP to cancel."
    )


def opt_in_request_pending(*, account: Account, phone_e164: str) -> OptInRequest | None:
    """The phone's latest request still waiting for its YES."""
    return (
        OptInRequest.objects.filter(
            account=account,
            phone_e164=phone_e164,
            status=OptInRequestStatus.PENDING,
            requested_at__gte=timezone.now() - CONFIRM_WITHIN,
        )
        .select_related("subscription_type")
        .order_by("-requested_at")
        .first()
    )


def opt_in_request_confirm(
    *,
    account: Account,
    request: OptInRequest,
    contact: Contact,
    message_sid: str,
    body: str,
    to_number: str,
) -> BulkConsentResult:
    """The phone texted an opt-in word back: subscribe it to the page's type, with the
    evidence. In the caller's transaction (the inbound keyword's)."""
    claimed = OptInRequest.objects.filter(
        pk=request.pk, account=account, status=OptInRequestStatus.PENDING
    ).update(
        status=OptInRequestStatus.CONFIRMED,
        confirmed_at=timezone.now(),
        confirming_message_sid=message_sid,
    )
    if not claimed:
        return BulkConsentResult()
    _contact_details_fill(account=account, request=request, contact=contact)
    requested = request.requested_at.astimezone(dt.UTC).isoformat()
    evidence = (
        f"Opt-in page {request.page_url} (consent text version {request.consent_version}) "
        f"filled in at {requested} from {request.ip_address or 'an unknown address'}; "
        f"confirmed by texting “{body.strip()[:40]}” to {to_number} ({message_sid})."
    )
    return phone_consent_set(
        account=account,
        phone_e164=request.phone_e164,
        subscription_types=[request.subscription_type],
        status=ConsentState.SUBSCRIBED,
        source=ConsentSource.FORM,
        message_sid=message_sid,
        evidence=evidence,
        ip_address=request.ip_address,
        data={
            "opt_in_request": request.public_id,
            "page_url": request.page_url,
            "consent_text": request.consent_text,
            "consent_version": request.consent_version,
            "ip_address": request.ip_address,
            "user_agent": request.user_agent,
            "requested_at": requested,
            "confirming_message_sid": message_sid,
        },
    )


def _contact_details_fill(*, account: Account, request: OptInRequest, contact: Contact) -> None:
    """A confirmed sign-up fills the contact's blank name and email; it never overwrites what
    the account already has (a public form is no way to edit someone's record)."""
    if not (request.name or request.email):
        return
    first, _, last = request.name.partition(" ")
    changes = {}
    if request.name and not (contact.first_name or contact.last_name):
        changes.update(first_name=first, last_name=last)
    if request.email and not contact.email:
        changes["email"] = request.email
    if changes:
        try:
            with transaction.atomic():
                contact_services.contact_update(account=account, contact=contact, data=changes)
        except ValidationError:
            pass  # e.g. the email belongs to another contact: consent still counts
