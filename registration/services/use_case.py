"""The SMS use case (Twilio's Usa2p campaign): drafts, submission, sending to Twilio.

Twilio takes a campaign only for an APPROVED brand. A use case submitted earlier waits
(submitted) with our Messaging Service already made; the poller sends it once the brand is
approved. Sending it (``use_case_provision``):

1. the account's Messaging Service, its inbound URL and status callback on our webhooks;
2. a check that Twilio offers the MARKETING use case to this brand;
3. the Usa2p campaign on the service (or, after a rejection, the corrected campaign).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, User
from consent import selectors as consent_selectors
from consent import services as consent_services
from registration import catalog
from registration.models import (
    SUBMITTABLE,
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    RegistrationStatus,
    TwilioSubaccount,
    UseCaseRegistration,
)
from registration.services.provisioning import (
    RegistrationError,
    RegistrationIncomplete,
    event_record,
    lease_release,
    logger,
    sid_save,
    subaccount_get,
    transient_message,
)
from registration.validation import (
    USE_CASE_FIELDS,
    business_names,
    message_flow,
    use_case_validate,
)
from twilio_gateway import provisioning as gateway
from twilio_gateway.errors import GatewayError, PermanentSendError
from twilio_gateway.messages import inbound_url, status_callback_url

Kind = RegistrationEvent.Kind

CAMPAIGN_STATUSES = {
    "PENDING": RegistrationStatus.IN_REVIEW,
    "IN_PROGRESS": RegistrationStatus.IN_REVIEW,
    "VERIFIED": RegistrationStatus.APPROVED,
    "FAILED": RegistrationStatus.FAILED,
    "SUSPENDED": RegistrationStatus.FAILED,
    "EXPIRED": RegistrationStatus.FAILED,
}
# Why a use case is a draft again (shown on the setup page and in the API's failure_reason).
BRAND_REJECTED_NOTE = (
    "Your business registration was rejected, so this SMS use case was not sent to Twilio. "
    "Correct and resubmit the business registration, check the use case (the samples must name "
    "your business as registered), then submit it again."
)
OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
HELP_KEYWORDS = ["HELP", "INFO"]


def use_case_get_or_create(*, account: Account) -> UseCaseRegistration:
    try:
        registration, _ = UseCaseRegistration.objects.get_or_create(account=account)
    except IntegrityError:
        registration = UseCaseRegistration.objects.get(account=account)
    return registration


def use_case_business_names(account: Account) -> list[str]:
    """What counts as the business's name in a sample: its legal name, or the account's."""
    brand = BrandRegistration.objects.filter(account=account).first()
    legal_name = brand.legal_name if brand else ""
    return business_names(account.name, legal_name)


def use_case_draft_save(
    *, account: Account, user: User, data: dict[str, Any]
) -> UseCaseRegistration:
    registration = use_case_get_or_create(account=account)
    with transaction.atomic():
        locked = UseCaseRegistration.objects.select_for_update().get(pk=registration.pk)
        if not locked.is_editable:
            raise RegistrationError(
                "Your SMS use case has been submitted; it can be changed only if it is rejected.",
                code="not_editable",
            )
        locked.draft = {**locked.draft, **{k: v for k, v in data.items() if k in USE_CASE_FIELDS}}
        locked.save(update_fields=["draft", "updated_at"])
    return locked


def use_case_submit(*, account: Account, user: User) -> tuple[UseCaseRegistration, bool]:
    """Submit the use case; (registration, whether this call submitted it). Idempotent like
    the brand's: a second submission changes nothing."""
    brand = BrandRegistration.objects.filter(account=account).first()
    if brand is None or brand.submission_count == 0:
        raise RegistrationError(
            "Register your business (step 1) before submitting the SMS use case.",
            code="brand_missing",
        )
    registration = use_case_get_or_create(account=account)
    if registration.status not in SUBMITTABLE:
        return registration, False
    if brand.status == RegistrationStatus.FAILED:
        # It would only wait for a brand that will not be approved as it stands.
        raise RegistrationError(
            "Your business registration was rejected: correct and resubmit it (step 1) before "
            "submitting the SMS use case.",
            code="brand_rejected",
        )
    cleaned, errors = use_case_validate(
        registration.draft, business_names=use_case_business_names(account)
    )
    if not errors:
        errors = _consent_declare(account, cleaned)
    if errors:
        raise RegistrationIncomplete(errors)
    resubmission = registration.status == RegistrationStatus.FAILED
    now = timezone.now()
    with transaction.atomic():
        claimed = UseCaseRegistration.objects.filter(
            pk=registration.pk, status__in=SUBMITTABLE
        ).update(
            status=RegistrationStatus.SUBMITTED,
            submitted_data=cleaned,
            submitted_by=user,
            submitted_at=now,
            submission_count=F("submission_count") + 1,
            failure_reason="",
            provision_error="",
            provision_started_at=now,
            approved_at=None,
        )
        if claimed:
            event_record(
                account=account,
                kind=Kind.USE_CASE_SUBMITTED,
                user=user,
                resubmission=resubmission,
                samples=len(cleaned["samples"]),
            )
    registration.refresh_from_db()
    if not claimed:
        return registration, False
    use_case_provision(registration_id=registration.pk)
    registration.refresh_from_db()
    return registration, True


# Twilio's limits on a campaign's OptInMessage, OptOutMessage and HelpMessage.
REPLY_MIN, REPLY_MAX = 20, 320
REPLY_NAMES = {
    "opt_in_message": ("opt-in", "START"),
    "opt_out_message": ("opt-out", "STOP"),
    "help_message": ("help", "HELP"),
}


def _consent_declare(account: Account, cleaned: dict[str, Any]) -> dict[str, list[str]]:
    """Add to the submitted use case what the account really does with consent, as the campaign
    declares it: its keywords and the replies they get (Settings > Keywords), and, when people
    opt in on the hosted opt-in page, that page's address as the evidence. Errors when the
    declaration can't be true to Twilio's limits, or the page isn't set up."""
    errors: dict[str, list[str]] = {}
    consent_services.account_defaults_ensure(account=account)
    declaration = asdict(consent_selectors.keyword_declaration(account=account))
    methods = set(cleaned.get("consent_methods", []))
    by_keyword = bool(methods & catalog.CONSENT_METHODS_BY_KEYWORD)
    for name, (label, word) in REPLY_NAMES.items():
        if name == "opt_in_message" and not by_keyword:
            continue
        reply = declaration[name]
        if not REPLY_MIN <= len(reply) <= REPLY_MAX:
            errors.setdefault("consent_methods", []).append(
                f"Your {label} reply (to {word}, under Settings > Keywords) has {len(reply)} "
                f"characters; Twilio takes {REPLY_MIN} to {REPLY_MAX}. Change it there, then "
                "submit again."
            )
    cleaned["keywords"] = declaration
    if "opt_in_page" in methods:
        page = consent_selectors.opt_in_page_for_registration(account=account)
        if page is None:
            errors.setdefault("consent_methods", []).append(
                "You chose the hosted opt-in page: open it first under Settings > Subscription "
                "types > Opt-in page."
            )
        else:
            url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
                "opt_in_page", args=[page.public_id]
            )
            cleaned["opt_in_page_url"] = url
            # The page is the evidence Twilio's reviewers open.
            cleaned["opt_in_url"] = cleaned.get("opt_in_url") or url
    return errors


def use_case_return_to_draft(*, account: Account) -> bool:
    """A use case waiting for its brand (submitted, not yet at Twilio) goes back to draft when
    the brand is rejected: the user may need to change it (its samples name the business as it
    was registered), and the version submitted earlier must not reach Twilio once a corrected
    brand is approved. A use case already at Twilio (it has a campaign sid) is Twilio's to
    judge and stays as it is. True when it went back."""
    with transaction.atomic():
        returned = UseCaseRegistration.objects.filter(
            account=account, status=RegistrationStatus.SUBMITTED, campaign_sid=""
        ).update(
            status=RegistrationStatus.DRAFT,
            failure_reason=BRAND_REJECTED_NOTE,
            provision_started_at=None,
            provision_error="",
        )
        if returned:
            event_record(account=account, kind=Kind.USE_CASE_RETURNED)
    return bool(returned)


def messaging_service_ensure(*, subaccount: TwilioSubaccount) -> str:
    """The account's Messaging Service, created on first need (by the use case's lease holder)."""
    if subaccount.messaging_service_sid:
        return subaccount.messaging_service_sid
    sid = gateway.messaging_service_create(
        credentials=subaccount.credentials,
        friendly_name=f"{subaccount.account.name} SMS",
        inbound_request_url=inbound_url(),
        status_callback=status_callback_url(),
    )
    TwilioSubaccount.objects.filter(pk=subaccount.pk, messaging_service_sid="").update(
        messaging_service_sid=sid
    )
    subaccount.refresh_from_db()
    return subaccount.messaging_service_sid


def _campaign_send(
    registration: UseCaseRegistration, subaccount: TwilioSubaccount, brand: BrandRegistration
) -> gateway.CampaignInfo:
    data = registration.submitted_data
    credentials = subaccount.credentials
    service_sid = subaccount.messaging_service_sid
    content = {
        "description": data["description"],
        "message_flow": message_flow(data),
        "message_samples": data["samples"],
        "has_embedded_links": data["has_links"],
        "has_embedded_phone": data["has_phone_numbers"],
    }
    if registration.campaign_sid:
        campaign = gateway.campaign_fetch(
            credentials=credentials,
            messaging_service_sid=service_sid,
            sid=registration.campaign_sid,
        )
        # Submitted again while Twilio still holds the rejected version: a resubmission.
        if campaign.status == "FAILED":
            campaign = gateway.campaign_update(
                credentials=credentials,
                messaging_service_sid=service_sid,
                sid=registration.campaign_sid,
                **content,
            )
        return campaign
    usecases = gateway.a2p_usecases(
        credentials=credentials, messaging_service_sid=service_sid, brand_sid=brand.brand_sid
    )
    if UseCaseRegistration.USECASE not in usecases:
        raise PermanentSendError(
            None, f"Twilio does not offer the {UseCaseRegistration.USECASE} use case to this brand"
        )
    declared = _keywords_declared(data, brand.legal_name or subaccount.account.name)
    try:
        campaign = gateway.campaign_create(
            credentials=credentials,
            messaging_service_sid=service_sid,
            brand_sid=brand.brand_sid,
            usecase=UseCaseRegistration.USECASE,
            **declared,
            **content,
        )
    except PermanentSendError as error:
        # The service already has a campaign: one an attempt created before its answer was lost.
        if error.status != 409:
            raise
        existing = gateway.campaigns_list(
            credentials=credentials, messaging_service_sid=service_sid
        )
        if not existing:
            raise
        campaign = existing[0]
    sid_save(registration, "campaign_sid", campaign.sid)
    return campaign


def _keywords_declared(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The campaign's keywords and replies: those the account declared at submission (its own,
    see `_consent_declare`), with opt-in ones when people opt in by keyword or on the opt-in
    page. Use cases submitted before declarations were kept declare what was sent then."""
    keywords = data.get("keywords")
    if not keywords:
        return {
            "opt_out_message": f"{name}: You are unsubscribed and will receive no more messages.",
            "help_message": f"{name}: Reply STOP to unsubscribe. Msg & data rates may apply.",
            "opt_out_keywords": OPT_OUT_KEYWORDS,
            "help_keywords": HELP_KEYWORDS,
        }
    declared = {
        "opt_out_message": keywords["opt_out_message"],
        "help_message": keywords["help_message"],
        "opt_out_keywords": keywords["opt_out_keywords"],
        "help_keywords": keywords["help_keywords"],
    }
    if set(data.get("consent_methods", [])) & catalog.CONSENT_METHODS_BY_KEYWORD:
        declared["opt_in_keywords"] = keywords["opt_in_keywords"]
        declared["opt_in_message"] = keywords["opt_in_message"]
    return declared


def use_case_provision(*, registration_id: int) -> UseCaseRegistration:
    """Send a submitted use case to Twilio, or leave it waiting for the brand's approval.
    The caller holds the row's lease."""
    registration = UseCaseRegistration.objects.select_related("account").get(pk=registration_id)
    if registration.status != RegistrationStatus.SUBMITTED:
        return registration
    account = registration.account
    subaccount = subaccount_get(account)
    brand = BrandRegistration.objects.filter(account=account).first()
    try:
        if subaccount is None:
            lease_release(UseCaseRegistration, registration.pk, provision_error="")
            return registration
        messaging_service_ensure(subaccount=subaccount)
        if brand is not None and brand.status == RegistrationStatus.FAILED:
            # Submitted before the brand was rejected (or the rejection's hand-back was cut
            # short): back to draft rather than waiting forever.
            if use_case_return_to_draft(account=account):
                registration.refresh_from_db()
                return registration
        if brand is None or brand.status != RegistrationStatus.APPROVED or not brand.brand_sid:
            lease_release(UseCaseRegistration, registration.pk, provision_error="")
            return registration
        campaign = _campaign_send(registration, subaccount, brand)
    except PermanentSendError as error:
        logger.info("use case %s refused: %s", registration.public_id, error)
        campaign = gateway.CampaignInfo(
            sid=registration.campaign_sid,
            status="FAILED",
            campaign_id="",
            errors=[f"Twilio refused the use case: {error.message}"],
        )
    except GatewayError as error:
        logger.warning("use case %s: Twilio unreachable: %s", registration.public_id, error)
        lease_release(
            UseCaseRegistration, registration.pk, provision_error=transient_message(error)
        )
        return registration
    return use_case_status_apply(registration=registration, campaign=campaign)


def use_case_status_refresh(*, registration: UseCaseRegistration) -> UseCaseRegistration:
    subaccount = subaccount_get(registration.account)
    if not registration.campaign_sid or subaccount is None:
        return registration
    campaign = gateway.campaign_fetch(
        credentials=subaccount.credentials,
        messaging_service_sid=subaccount.messaging_service_sid,
        sid=registration.campaign_sid,
    )
    return use_case_status_apply(registration=registration, campaign=campaign)


def use_case_status_apply(
    *, registration: UseCaseRegistration, campaign: gateway.CampaignInfo
) -> UseCaseRegistration:
    """Record what Twilio says about the campaign (one event per change of status)."""
    status = CAMPAIGN_STATUSES.get(campaign.status, RegistrationStatus.IN_REVIEW)
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": status,
        "twilio_status": campaign.status,
        "checked_at": now,
        "provision_started_at": None,
        "provision_error": "",
        "campaign_id": campaign.campaign_id or registration.campaign_id,
    }
    if status == RegistrationStatus.FAILED:
        fields["failure_reason"] = " ".join(campaign.errors) or "Rejected, with no reason given."
    if status == RegistrationStatus.APPROVED:
        fields["approved_at"] = now
    account = registration.account
    with transaction.atomic():
        changed = (
            UseCaseRegistration.objects.filter(pk=registration.pk, status=registration.status)
            .exclude(status=status)
            .update(**fields)
        )
        if not changed:
            UseCaseRegistration.objects.filter(pk=registration.pk, status=status).update(
                twilio_status=campaign.status, checked_at=now
            )
        elif status == RegistrationStatus.APPROVED:
            event_record(account=account, kind=Kind.USE_CASE_APPROVED, campaign_sid=campaign.sid)
            phone_numbers_activate(account=account)
        elif status == RegistrationStatus.FAILED:
            event_record(
                account=account,
                kind=Kind.USE_CASE_FAILED,
                reason=fields["failure_reason"],
                campaign_sid=campaign.sid,
            )
        else:
            event_record(account=account, kind=Kind.USE_CASE_IN_REVIEW, campaign_sid=campaign.sid)
    registration.refresh_from_db()
    return registration


def phone_numbers_activate(*, account: Account) -> int:
    """Numbers bought into the Messaging Service may send once its campaign is approved."""
    pending = (
        PhoneNumber.objects.filter(
            account=account, status=PhoneNumber.Status.PENDING, is_demo=False
        )
        .exclude(twilio_sid="")
        .exclude(messaging_service_sid="")
    )
    activated = 0
    for number in pending:
        if PhoneNumber.objects.filter(pk=number.pk, status=PhoneNumber.Status.PENDING).update(
            status=PhoneNumber.Status.ACTIVE
        ):
            activated += 1
            event_record(account=account, kind=Kind.NUMBER_ACTIVATED, e164=number.e164)
    return activated
