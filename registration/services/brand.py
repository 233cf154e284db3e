"""Eligibility and the business (brand) registration: drafts, submission, sending to Twilio.

Sending a brand registration to Twilio (``brand_registration_provision``), each step skipped or
turned into an update when its sid is already saved:

1. the account's Twilio subaccount;
2. Trust Hub end users: business information and the authorized representative;
3. the business address and the supporting document that cites it;
4. the secondary customer profile, with 2 and 3 assigned, evaluated and submitted for review;
5. the A2P messaging profile (a Trust Product: company type, stock exchange and ticker) with the
   customer profile assigned, evaluated and submitted;
6. the A2P brand registration (or, after a rejection, its resubmission).

Twilio then reviews the brand; ``brand_status_refresh`` (the poller) records the outcome.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account, User
from registration import catalog
from registration.eligibility import EligibilityResult, eligibility_check
from registration.models import (
    SUBMITTABLE,
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    RegistrationStatus,
)
from registration.services.provisioning import (
    RegistrationError,
    RegistrationIncomplete,
    event_record,
    lease_release,
    logger,
    sid_save,
    subaccount_ensure,
    transient_message,
)
from registration.services.use_case import use_case_return_to_draft
from registration.throughput import throughput_for
from registration.validation import BUSINESS_FIELDS, business_validate
from twilio_gateway import provisioning as gateway
from twilio_gateway.client import Credentials
from twilio_gateway.errors import GatewayError, PermanentSendError

Kind = RegistrationEvent.Kind

# Twilio's brand status -> ours.
BRAND_STATUSES = {
    "PENDING": RegistrationStatus.IN_REVIEW,
    "IN_REVIEW": RegistrationStatus.IN_REVIEW,
    "APPROVED": RegistrationStatus.APPROVED,
    "FAILED": RegistrationStatus.FAILED,
    "SUSPENDED": RegistrationStatus.FAILED,
    "DELETION_PENDING": RegistrationStatus.FAILED,
    "DELETION_FAILED": RegistrationStatus.FAILED,
}
BUNDLE_SUBMITTABLE = ("draft", "twilio-rejected")
ELIGIBILITY_LOCKED = (
    "Your business registration has been submitted; the eligibility answers can be changed only "
    "if it is rejected."
)


def brand_registration_get_or_create(*, account: Account) -> BrandRegistration:
    try:
        registration, _ = BrandRegistration.objects.get_or_create(account=account)
    except IntegrityError:  # two first requests at once; the other one created it
        registration = BrandRegistration.objects.get(account=account)
    return registration


def eligibility_record(
    *, account: Account, user: User, answers: dict[str, Any]
) -> EligibilityResult:
    """Check and keep the eligibility answers; a refusal is recorded with its reasons.

    The answers belong to the business registration: once it is submitted they can change
    only with it (after a rejection), or an approved business would read "Not eligible"."""
    answers = {
        "sole_proprietor": bool(answers.get("sole_proprietor")),
        "categories": [str(c) for c in answers.get("categories") or []],
        "sending_country": str(answers.get("sending_country") or ""),
    }
    result = eligibility_check(answers)
    registration = brand_registration_get_or_create(account=account)
    with transaction.atomic():
        locked = BrandRegistration.objects.select_for_update().get(pk=registration.pk)
        if not locked.is_editable:
            raise RegistrationError(ELIGIBILITY_LOCKED, code="not_editable")
        BrandRegistration.objects.filter(pk=registration.pk).update(
            eligibility={**answers, "reasons": result.reasons},
            eligible_at=timezone.now() if result.eligible else None,
        )
        event_record(
            account=account,
            kind=Kind.ELIGIBILITY_PASSED if result.eligible else Kind.ELIGIBILITY_REFUSED,
            user=user,
            answers=answers,
            reasons=result.reasons,
        )
    return result


def brand_draft_save(*, account: Account, user: User, data: dict[str, Any]) -> BrandRegistration:
    """Merge answers into the draft (valid or not: nothing typed is lost)."""
    registration = brand_registration_get_or_create(account=account)
    with transaction.atomic():
        locked = BrandRegistration.objects.select_for_update().get(pk=registration.pk)
        if not locked.is_editable:
            raise RegistrationError(
                "Your business registration has been submitted; it can be changed only if it is "
                "rejected.",
                code="not_editable",
            )
        locked.draft = {
            **locked.draft,
            **{k: v for k, v in data.items() if k in BUSINESS_FIELDS},
        }
        locked.save(update_fields=["draft", "updated_at"])
    return locked


def brand_registration_submit(*, account: Account, user: User) -> tuple[BrandRegistration, bool]:
    """Submit the draft and send it to Twilio; (registration, whether this call submitted it).

    A second submission (double click, another tab) while the first is under way or in review
    changes nothing and answers the registration as it is.
    """
    registration = brand_registration_get_or_create(account=account)
    if registration.status not in SUBMITTABLE:
        return registration, False
    if not registration.eligibility:
        raise RegistrationError("Answer the eligibility questions first.", code="not_eligible")
    # Checked again: the answers may have changed since the draft was started.
    eligibility = eligibility_check(registration.eligibility)
    if registration.eligible_at is None or not eligibility.eligible:
        raise RegistrationError(" ".join(eligibility.reasons), code="not_eligible")
    cleaned, errors = business_validate(registration.draft)
    if errors:
        raise RegistrationIncomplete(errors)
    resubmission = registration.status == RegistrationStatus.FAILED
    now = timezone.now()
    with transaction.atomic():
        claimed = BrandRegistration.objects.filter(
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
                kind=Kind.BRAND_SUBMITTED,
                user=user,
                legal_name=cleaned["legal_name"],
                resubmission=resubmission,
            )
    registration.refresh_from_db()
    if not claimed:
        return registration, False
    brand_registration_provision(registration_id=registration.pk)
    registration.refresh_from_db()
    return registration, True


def _business_attributes(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "business_name": data["legal_name"],
        "business_identity": "direct_customer",
        "business_type": catalog.BUSINESS_TYPES[data["business_type"]][1],
        "business_industry": data["industry"],
        "business_registration_identifier": catalog.REGISTRATION_IDENTIFIERS[data["country"]],
        "business_registration_number": data["registration_number"],
        "business_regions_of_operation": ",".join(data["regions"]),
        "website_url": data["website"],
        "social_media_profile_urls": "",
    }


def _representative_attributes(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_name": data["contact_first_name"],
        "last_name": data["contact_last_name"],
        "email": data["contact_email"],
        "phone_number": data["contact_phone"],
        "business_title": data["contact_job_title"],
        "job_position": data["contact_job_position"],
    }


def _messaging_profile_attributes(data: dict[str, Any]) -> dict[str, Any]:
    company_type = {"non_profit": "non-profit", "government": "government"}.get(
        data["business_type"], data["company_status"]
    )
    attributes = {"company_type": company_type}
    if company_type == "public":
        attributes.update(stock_exchange=data["stock_exchange"], stock_ticker=data["stock_ticker"])
    return attributes


def _end_user_put(
    registration: BrandRegistration,
    field: str,
    credentials: Credentials,
    kind: str,
    attributes: dict,
) -> str:
    sid = getattr(registration, field)
    if sid:
        gateway.end_user_update(credentials=credentials, sid=sid, attributes=attributes)
        return sid
    name = f"{registration.submitted_data['legal_name']} {kind}"[:64]
    sid = gateway.end_user_create(
        credentials=credentials, friendly_name=name, type=kind, attributes=attributes
    )
    return sid_save(registration, field, sid)


def _bundle_complete(
    credentials: Credentials, *, kind: str, sid: str, objects: list[str], policy: str
) -> None:
    """Assign what is missing, then evaluate and submit the bundle unless it is under review."""
    assigned = gateway.trust_bundle_assigned(credentials=credentials, kind=kind, sid=sid)
    for object_sid in objects:
        if object_sid not in assigned:
            gateway.trust_bundle_assign(
                credentials=credentials, kind=kind, sid=sid, object_sid=object_sid
            )
    if gateway.trust_bundle_fetch(credentials=credentials, kind=kind, sid=sid) not in (
        BUNDLE_SUBMITTABLE
    ):
        return
    evaluation = gateway.trust_bundle_evaluate(
        credentials=credentials, kind=kind, sid=sid, policy_sid=policy
    )
    if not evaluation.compliant:
        raise PermanentSendError(
            None, "Trust Hub found the profile incomplete: " + "; ".join(evaluation.failures)
        )
    gateway.trust_bundle_submit(credentials=credentials, kind=kind, sid=sid)


def _brand_provision_steps(registration: BrandRegistration) -> gateway.BrandInfo:
    """Each step keeps the sid it made on the registration before the next one, so a retry
    after a crash or a lost answer resumes where Twilio is instead of creating twice."""
    credentials = subaccount_ensure(account=registration.account).credentials
    _customer_profile_put(registration, credentials)
    _trust_product_put(registration, credentials)
    return _brand_put(registration, credentials)


def _address_put(registration: BrandRegistration, credentials: Credentials) -> None:
    """The business address, and the supporting document that carries it to the profile."""
    data = registration.submitted_data
    address = {
        "customer_name": data["legal_name"],
        "street": data["street"],
        "street_secondary": data.get("street2", ""),
        "city": data["city"],
        "region": data["region"],
        "postal_code": data["postal_code"],
    }
    if registration.address_sid and registration.address_country == data["country"]:
        gateway.address_update(credentials=credentials, sid=registration.address_sid, **address)
    else:
        # Twilio cannot move an address to another country: a new one replaces it.
        sid_save(
            registration,
            "address_sid",
            gateway.address_create(credentials=credentials, iso_country=data["country"], **address),
        )
        sid_save(registration, "address_country", data["country"])
        if registration.address_document_sid:
            gateway.supporting_document_update(
                credentials=credentials,
                sid=registration.address_document_sid,
                attributes={"address_sids": registration.address_sid},
            )
    if not registration.address_document_sid:
        sid_save(
            registration,
            "address_document_sid",
            gateway.supporting_document_create(
                credentials=credentials,
                friendly_name=f"{data['legal_name']} address"[:64],
                type="customer_profile_address",
                attributes={"address_sids": registration.address_sid},
            ),
        )


def _customer_profile_put(registration: BrandRegistration, credentials: Credentials) -> None:
    """The Trust Hub secondary customer profile: business, representative and address."""
    data = registration.submitted_data
    business = _end_user_put(
        registration,
        "business_end_user_sid",
        credentials,
        "customer_profile_business_information",
        _business_attributes(data),
    )
    representative = _end_user_put(
        registration,
        "representative_end_user_sid",
        credentials,
        "authorized_representative_1",
        _representative_attributes(data),
    )
    _address_put(registration, credentials)
    if not registration.customer_profile_sid:
        sid_save(
            registration,
            "customer_profile_sid",
            gateway.trust_bundle_create(
                credentials=credentials,
                kind="customer_profile",
                friendly_name=data["legal_name"][:64],
                email=data["contact_email"],
                policy_sid=gateway.SECONDARY_CUSTOMER_PROFILE_POLICY_SID,
            ),
        )
    _bundle_complete(
        credentials,
        kind="customer_profile",
        sid=registration.customer_profile_sid,
        objects=[business, representative, registration.address_document_sid],
        policy=gateway.SECONDARY_CUSTOMER_PROFILE_POLICY_SID,
    )


def _trust_product_put(registration: BrandRegistration, credentials: Credentials) -> None:
    """The A2P messaging profile (a Trust Hub trust product) on top of the customer profile."""
    data = registration.submitted_data
    messaging_profile = _end_user_put(
        registration,
        "messaging_profile_end_user_sid",
        credentials,
        "us_a2p_messaging_profile_information",
        _messaging_profile_attributes(data),
    )
    if not registration.trust_product_sid:
        sid_save(
            registration,
            "trust_product_sid",
            gateway.trust_bundle_create(
                credentials=credentials,
                kind="trust_product",
                friendly_name=data["legal_name"][:64],
                email=data["contact_email"],
                policy_sid=gateway.A2P_MESSAGING_PROFILE_POLICY_SID,
            ),
        )
    _bundle_complete(
        credentials,
        kind="trust_product",
        sid=registration.trust_product_sid,
        objects=[messaging_profile, registration.customer_profile_sid],
        policy=gateway.A2P_MESSAGING_PROFILE_POLICY_SID,
    )


def _brand_put(registration: BrandRegistration, credentials: Credentials) -> gateway.BrandInfo:
    """The A2P brand: created once, resubmitted after a failure, adopted after a lost answer."""
    if registration.brand_sid:
        brand = gateway.brand_registration_fetch(
            credentials=credentials, sid=registration.brand_sid
        )
        if brand.status == "FAILED":
            brand = gateway.brand_registration_resubmit(
                credentials=credentials, sid=registration.brand_sid
            )
        return brand
    try:
        brand = gateway.brand_registration_create(
            credentials=credentials,
            customer_profile_sid=registration.customer_profile_sid,
            a2p_profile_sid=registration.trust_product_sid,
        )
    except PermanentSendError as error:
        # A brand created by an attempt whose answer was lost: adopt it.
        if error.status != 409:
            raise
        brands = gateway.brand_registrations_list(credentials=credentials)
        existing = [
            b for b in brands if b.customer_profile_sid == registration.customer_profile_sid
        ]
        if not existing:
            raise
        brand = existing[0]
    sid_save(registration, "brand_sid", brand.sid)
    return brand


def brand_registration_provision(*, registration_id: int) -> BrandRegistration:
    """Send a submitted registration to Twilio (see the module docstring); the caller holds
    the row's lease. Twilio refusing the content rejects the registration with its reason; an
    unreachable Twilio leaves it submitted for the poller to retry."""
    registration = BrandRegistration.objects.select_related("account").get(pk=registration_id)
    if registration.status != RegistrationStatus.SUBMITTED:
        return registration
    try:
        brand = _brand_provision_steps(registration)
    except PermanentSendError as error:
        logger.info("brand registration %s refused: %s", registration.public_id, error)
        brand = gateway.BrandInfo(
            sid=registration.brand_sid,
            status="FAILED",
            failure_reason=f"Twilio refused the registration: {error.message}",
            brand_score=None,
            tcr_id="",
            customer_profile_sid=registration.customer_profile_sid,
        )
    except GatewayError as error:
        logger.warning(
            "brand registration %s: Twilio unreachable: %s", registration.public_id, error
        )
        lease_release(BrandRegistration, registration.pk, provision_error=transient_message(error))
        return registration
    return brand_status_apply(registration=registration, brand=brand)


def brand_status_refresh(*, registration: BrandRegistration) -> BrandRegistration:
    """Ask Twilio how the brand's review is going and record it."""
    subaccount = getattr(registration.account, "twilio", None)
    if not registration.brand_sid or subaccount is None:
        return registration
    brand = gateway.brand_registration_fetch(
        credentials=subaccount.credentials, sid=registration.brand_sid
    )
    return brand_status_apply(registration=registration, brand=brand)


def brand_status_apply(
    *, registration: BrandRegistration, brand: gateway.BrandInfo
) -> BrandRegistration:
    """Record what Twilio says about the brand. Only a change of status writes an event, and
    only one writer wins it (a conditional update), however many pollers see it."""
    status = BRAND_STATUSES.get(brand.status, RegistrationStatus.IN_REVIEW)
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": status,
        "twilio_status": brand.status,
        "checked_at": now,
        "provision_started_at": None,
        "provision_error": "",
        "tcr_id": brand.tcr_id or registration.tcr_id,
    }
    if brand.brand_score is not None:
        fields["trust_score"] = brand.brand_score
    if status == RegistrationStatus.FAILED:
        fields["failure_reason"] = brand.failure_reason or "Rejected, with no reason given."
    if status == RegistrationStatus.APPROVED:
        fields["approved_at"] = now
    with transaction.atomic():
        changed = (
            BrandRegistration.objects.filter(pk=registration.pk, status=registration.status)
            .exclude(status=status)
            .update(**fields)
        )
        if not changed:
            BrandRegistration.objects.filter(pk=registration.pk, status=status).update(
                twilio_status=brand.status, checked_at=now
            )
        elif status == RegistrationStatus.APPROVED:
            throughput_apply(account=registration.account, trust_score=fields.get("trust_score"))
            event_record(
                account=registration.account,
                kind=Kind.BRAND_APPROVED,
                trust_score=fields.get("trust_score"),
                brand_sid=brand.sid,
            )
        elif status == RegistrationStatus.FAILED:
            event_record(
                account=registration.account,
                kind=Kind.BRAND_FAILED,
                reason=fields["failure_reason"],
                brand_sid=brand.sid,
            )
            use_case_return_to_draft(account=registration.account)
        else:
            event_record(
                account=registration.account, kind=Kind.BRAND_IN_REVIEW, brand_sid=brand.sid
            )
    registration.refresh_from_db()
    return registration


def throughput_apply(*, account: Account, trust_score: int | None) -> int:
    """Store the throughput the trust score allows on each of the account's numbers."""
    throughput = throughput_for(trust_score)
    return (
        PhoneNumber.objects.filter(account=account, is_demo=False)
        .exclude(status=PhoneNumber.Status.RELEASED)
        .update(
            messages_per_second=throughput.messages_per_second,
            tmobile_daily_cap=throughput.tmobile_daily_cap,
        )
    )
