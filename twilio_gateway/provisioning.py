"""Provisioning: subaccounts, Trust Hub, brands, Messaging Services, Usa2p campaigns, numbers.

Every call but ``subaccount_create`` acts inside a tenant's subaccount with its own credentials.
Errors are mapped as everywhere in the gateway: ``PermanentSendError`` means Twilio refused the
request (a 4xx: fix the input, don't retry), ``TransientSendError`` that it may succeed later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twilio.base import values as twilio_values
from twilio.rest import Client

from twilio_gateway.client import Credentials, client_for
from twilio_gateway.errors import PermanentSendError, mapped_errors

# Twilio's Trust Hub policies: an ISV's secondary customer profile, and the A2P messaging profile.
SECONDARY_CUSTOMER_PROFILE_POLICY_SID = "RNdfbf3fae0e1107f8aded0e7cead80bf5"
A2P_MESSAGING_PROFILE_POLICY_SID = "RNb0d4771c2c98518d916a3d4cd70a8f8b"
# Twilio's code when a number is already in the Messaging Service it is added to.
ALREADY_IN_SERVICE = 21710

TRUST_BUNDLE_KINDS = ("customer_profile", "trust_product")
# The SDK's marker for "leave this parameter out".
_UNSET = twilio_values.unset


@dataclass(frozen=True)
class BundleEvaluation:
    """A Trust Hub evaluation: "compliant" or "noncompliant", with the failed requirements."""

    status: str
    failures: list[str]

    @property
    def compliant(self) -> bool:
        return self.status == "compliant"


@dataclass(frozen=True)
class BrandInfo:
    sid: str
    status: str  # PENDING, IN_REVIEW, APPROVED, FAILED, SUSPENDED, ...
    failure_reason: str
    brand_score: int | None
    tcr_id: str
    customer_profile_sid: str


@dataclass(frozen=True)
class CampaignInfo:
    sid: str
    status: str  # IN_PROGRESS, PENDING, VERIFIED, FAILED, SUSPENDED, EXPIRED
    campaign_id: str
    errors: list[str]


@dataclass(frozen=True)
class AvailableNumber:
    phone_number: str
    friendly_name: str
    locality: str
    region: str
    sms: bool
    mms: bool
    voice: bool


@dataclass(frozen=True)
class IncomingNumber:
    sid: str
    phone_number: str
    friendly_name: str
    sms: bool
    mms: bool
    voice: bool


def subaccount_create(*, friendly_name: str) -> Credentials:
    """A new Twilio subaccount of the platform account, for one tenant."""
    with mapped_errors():
        account = client_for().api.v2010.accounts.create(friendly_name=friendly_name)
    return Credentials(account.sid or "", account.auth_token or "")


def _subaccount(credentials: Credentials) -> Client:
    return client_for(credentials)


def _capability(capabilities: Any, name: str) -> bool:
    """Twilio spells capability keys ``sms`` in JSON and ``SMS`` in some answers; read both."""
    if not isinstance(capabilities, Mapping):
        return False
    return bool(capabilities.get(name) or capabilities.get(name.upper()))


def _error_texts(errors: Any) -> list[str]:
    texts = []
    for error in errors or []:
        if isinstance(error, Mapping):
            texts.append(str(error.get("description") or error.get("message") or error))
        else:
            texts.append(str(error))
    return texts


# -- Trust Hub: end users, addresses, supporting documents, bundles --


def end_user_create(
    *, credentials: Credentials, friendly_name: str, type: str, attributes: dict
) -> str:
    """A Trust Hub End User (business information, authorized representative, ...); its sid."""
    with mapped_errors():
        end_user = _subaccount(credentials).trusthub.v1.end_users.create(
            friendly_name=friendly_name, type=type, attributes=attributes
        )
    return end_user.sid or ""


def end_user_update(*, credentials: Credentials, sid: str, attributes: dict) -> None:
    with mapped_errors():
        _subaccount(credentials).trusthub.v1.end_users(sid).update(attributes=attributes)


def address_create(
    *,
    credentials: Credentials,
    customer_name: str,
    street: str,
    street_secondary: str,
    city: str,
    region: str,
    postal_code: str,
    iso_country: str,
) -> str:
    with mapped_errors():
        address = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.account_sid)
            .addresses.create(
                customer_name=customer_name,
                street=street,
                street_secondary=street_secondary or _UNSET,
                city=city,
                region=region,
                postal_code=postal_code,
                iso_country=iso_country,
            )
        )
    return address.sid or ""


def address_update(
    *,
    credentials: Credentials,
    sid: str,
    customer_name: str,
    street: str,
    street_secondary: str,
    city: str,
    region: str,
    postal_code: str,
) -> None:
    """Correct an address in place (its country cannot change on Twilio)."""
    with mapped_errors():
        _subaccount(credentials).api.v2010.accounts(credentials.account_sid).addresses(sid).update(
            customer_name=customer_name,
            street=street,
            street_secondary=street_secondary,
            city=city,
            region=region,
            postal_code=postal_code,
        )


def supporting_document_create(
    *, credentials: Credentials, friendly_name: str, type: str, attributes: dict
) -> str:
    with mapped_errors():
        document = _subaccount(credentials).trusthub.v1.supporting_documents.create(
            friendly_name=friendly_name, type=type, attributes=attributes
        )
    return document.sid or ""


def supporting_document_update(*, credentials: Credentials, sid: str, attributes: dict) -> None:
    with mapped_errors():
        _subaccount(credentials).trusthub.v1.supporting_documents(sid).update(attributes=attributes)


def _bundles(credentials: Credentials, kind: str):
    if kind not in TRUST_BUNDLE_KINDS:
        raise ValueError(f"kind must be one of {TRUST_BUNDLE_KINDS}")
    trusthub = _subaccount(credentials).trusthub.v1
    return trusthub.customer_profiles if kind == "customer_profile" else trusthub.trust_products


def _bundle_children(credentials: Credentials, kind: str, sid: str):
    """(entity assignments, evaluations) of one Customer Profile or Trust Product."""
    bundle = _bundles(credentials, kind)(sid)
    if kind == "customer_profile":
        return bundle.customer_profiles_entity_assignments, bundle.customer_profiles_evaluations
    return bundle.trust_products_entity_assignments, bundle.trust_products_evaluations


def trust_bundle_create(
    *,
    credentials: Credentials,
    kind: str,
    friendly_name: str,
    email: str,
    policy_sid: str,
) -> str:
    """A draft Customer Profile (``kind="customer_profile"``) or Trust Product; its sid."""
    with mapped_errors():
        bundle = _bundles(credentials, kind).create(
            friendly_name=friendly_name, email=email, policy_sid=policy_sid
        )
    return bundle.sid or ""


def trust_bundle_assigned(*, credentials: Credentials, kind: str, sid: str) -> set[str]:
    """The sids of what is assigned to the bundle (end users, documents, bundles)."""
    assignments, _ = _bundle_children(credentials, kind, sid)
    with mapped_errors():
        return {assignment.object_sid or "" for assignment in assignments.list(page_size=100)}


def trust_bundle_assign(*, credentials: Credentials, kind: str, sid: str, object_sid: str) -> None:
    assignments, _ = _bundle_children(credentials, kind, sid)
    with mapped_errors():
        assignments.create(object_sid=object_sid)


def trust_bundle_evaluate(
    *, credentials: Credentials, kind: str, sid: str, policy_sid: str
) -> BundleEvaluation:
    _, evaluations = _bundle_children(credentials, kind, sid)
    with mapped_errors():
        evaluation = evaluations.create(policy_sid=policy_sid)
    failures = [
        str(result.get("failure_reason") or result.get("requirement_name") or result)
        for result in (evaluation.results or [])
        if isinstance(result, Mapping) and not result.get("passed", True)
    ]
    return BundleEvaluation(status=str(evaluation.status or ""), failures=failures)


def trust_bundle_fetch(*, credentials: Credentials, kind: str, sid: str) -> str:
    """The bundle's status: draft, pending-review, in-review, twilio-rejected, twilio-approved."""
    with mapped_errors():
        return str(_bundles(credentials, kind)(sid).fetch().status or "")


def trust_bundle_submit(*, credentials: Credentials, kind: str, sid: str) -> str:
    """Submit the bundle for Twilio's review; its new status."""
    with mapped_errors():
        return str(_bundles(credentials, kind)(sid).update(status="pending-review").status or "")


# -- A2P brand registrations --


def _brand(instance: Any) -> BrandInfo:
    return BrandInfo(
        sid=instance.sid or "",
        status=str(instance.status or ""),
        failure_reason=instance.failure_reason or "; ".join(_error_texts(instance.errors)),
        brand_score=instance.brand_score,
        tcr_id=instance.tcr_id or "",
        customer_profile_sid=instance.customer_profile_bundle_sid or "",
    )


def brand_registration_create(
    *, credentials: Credentials, customer_profile_sid: str, a2p_profile_sid: str
) -> BrandInfo:
    """Register a Standard brand for the submitted customer profile and A2P trust product."""
    with mapped_errors():
        brand = _subaccount(credentials).messaging.v1.brand_registrations.create(
            customer_profile_bundle_sid=customer_profile_sid,
            a2p_profile_bundle_sid=a2p_profile_sid,
            brand_type="STANDARD",
        )
    return _brand(brand)


def brand_registration_fetch(*, credentials: Credentials, sid: str) -> BrandInfo:
    with mapped_errors():
        return _brand(_subaccount(credentials).messaging.v1.brand_registrations(sid).fetch())


def brand_registration_resubmit(*, credentials: Credentials, sid: str) -> BrandInfo:
    """Send a FAILED brand back to review, with its bundles' corrected information."""
    with mapped_errors():
        return _brand(_subaccount(credentials).messaging.v1.brand_registrations(sid).update())


def brand_registrations_list(*, credentials: Credentials) -> list[BrandInfo]:
    with mapped_errors():
        brands = _subaccount(credentials).messaging.v1.brand_registrations.list(page_size=100)
        return [_brand(brand) for brand in brands]


# -- Messaging Services and Usa2p campaigns --


def messaging_service_create(
    *,
    credentials: Credentials,
    friendly_name: str,
    inbound_request_url: str,
    status_callback: str,
) -> str:
    """A marketing Messaging Service whose inbound messages and statuses reach our webhooks."""
    with mapped_errors():
        service = _subaccount(credentials).messaging.v1.services.create(
            friendly_name=friendly_name[:64],
            inbound_request_url=inbound_request_url,
            inbound_method="POST",
            status_callback=status_callback,
            usecase="marketing",
            use_inbound_webhook_on_number=False,
            # Off: the composer counts segments on the body as written and offers its own
            # one-click look-alike replacement, so Twilio must send exactly what we counted
            # (with smart encoding on, curly quotes would go out as GSM-7 while we charge UCS-2).
            smart_encoding=False,
        )
    return service.sid or ""


@dataclass(frozen=True)
class MessagingServiceWebhooks:
    """Where a Messaging Service posts inbound messages and delivery statuses."""

    sid: str
    inbound_request_url: str
    status_callback: str


def messaging_service_fetch(*, credentials: Credentials, sid: str) -> MessagingServiceWebhooks:
    with mapped_errors():
        service = _subaccount(credentials).messaging.v1.services(sid).fetch()
    return MessagingServiceWebhooks(
        sid=service.sid or "",
        inbound_request_url=service.inbound_request_url or "",
        status_callback=service.status_callback or "",
    )


def messaging_service_update(
    *,
    credentials: Credentials,
    sid: str,
    inbound_request_url: str,
    status_callback: str,
) -> None:
    with mapped_errors():
        _subaccount(credentials).messaging.v1.services(sid).update(
            inbound_request_url=inbound_request_url,
            inbound_method="POST",
            status_callback=status_callback,
            use_inbound_webhook_on_number=False,
        )


def messaging_service_number_add(
    *, credentials: Credentials, messaging_service_sid: str, phone_number_sid: str
) -> None:
    """Put a number in the Messaging Service; a number already in it is fine."""
    try:
        with mapped_errors():
            _subaccount(credentials).messaging.v1.services(
                messaging_service_sid
            ).phone_numbers.create(phone_number_sid=phone_number_sid)
    except PermanentSendError as error:
        if error.code != ALREADY_IN_SERVICE:
            raise


def a2p_usecases(
    *, credentials: Credentials, messaging_service_sid: str, brand_sid: str
) -> list[str]:
    """The A2P use-case codes (MARKETING, MIXED, ...) the brand may register on the service."""
    with mapped_errors():
        usecases = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person_usecases.fetch(brand_registration_sid=brand_sid)
        )
    return [
        str(usecase.get("code"))
        for usecase in (usecases.us_app_to_person_usecases or [])
        if isinstance(usecase, Mapping)
    ]


def _campaign(instance: Any) -> CampaignInfo:
    return CampaignInfo(
        sid=instance.sid or "",
        status=str(instance.campaign_status or ""),
        campaign_id=instance.campaign_id or "",
        errors=_error_texts(instance.errors),
    )


def campaign_create(
    *,
    credentials: Credentials,
    messaging_service_sid: str,
    brand_sid: str,
    usecase: str,
    description: str,
    message_flow: str,
    message_samples: list[str],
    has_embedded_links: bool,
    has_embedded_phone: bool,
    opt_out_message: str,
    help_message: str,
    opt_out_keywords: list[str],
    help_keywords: list[str],
    opt_in_keywords: list[str] | None = None,
    opt_in_message: str | None = None,
) -> CampaignInfo:
    """Register the Usa2p campaign (the SMS use case) of a Messaging Service. `opt_in_keywords`
    and `opt_in_message` are required by Twilio when people text a keyword to opt in."""
    with mapped_errors():
        campaign = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person.create(
                brand_registration_sid=brand_sid,
                description=description,
                message_flow=message_flow,
                message_samples=message_samples,
                us_app_to_person_usecase=usecase,
                has_embedded_links=has_embedded_links,
                has_embedded_phone=has_embedded_phone,
                opt_out_message=opt_out_message,
                help_message=help_message,
                opt_out_keywords=opt_out_keywords,
                help_keywords=help_keywords,
                **(
                    {"opt_in_keywords": opt_in_keywords, "opt_in_message": opt_in_message}
                    if opt_in_keywords
                    else {}
                ),
            )
        )
    return _campaign(campaign)


def campaign_fetch(
    *, credentials: Credentials, messaging_service_sid: str, sid: str
) -> CampaignInfo:
    with mapped_errors():
        campaign = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person(sid)
            .fetch()
        )
    return _campaign(campaign)


def campaign_update(
    *,
    credentials: Credentials,
    messaging_service_sid: str,
    sid: str,
    description: str,
    message_flow: str,
    message_samples: list[str],
    has_embedded_links: bool,
    has_embedded_phone: bool,
) -> CampaignInfo:
    """Edit a FAILED (or verified) campaign, which sends it back to review."""
    with mapped_errors():
        campaign = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person(sid)
            .update(
                has_embedded_links=has_embedded_links,
                has_embedded_phone=has_embedded_phone,
                message_samples=message_samples,
                message_flow=message_flow,
                description=description,
                age_gated=False,
                direct_lending=False,
            )
        )
    return _campaign(campaign)


def campaigns_list(*, credentials: Credentials, messaging_service_sid: str) -> list[CampaignInfo]:
    with mapped_errors():
        campaigns = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person.list(page_size=20)
        )
        return [_campaign(campaign) for campaign in campaigns]


# -- phone numbers --


def available_numbers_search(
    *,
    credentials: Credentials,
    area_code: str,
    contains: str | None = None,
    limit: int = 20,
) -> list[AvailableNumber]:
    """SMS-capable local US numbers for sale in an area code."""
    with mapped_errors():
        numbers = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.account_sid)
            .available_phone_numbers("US")
            .local.list(
                area_code=int(area_code),
                contains=contains or _UNSET,
                sms_enabled=True,
                limit=limit,
            )
        )
        return [
            AvailableNumber(
                phone_number=number.phone_number or "",
                friendly_name=number.friendly_name or "",
                locality=number.locality or "",
                region=number.region or "",
                sms=_capability(number.capabilities, "sms"),
                mms=_capability(number.capabilities, "mms"),
                voice=_capability(number.capabilities, "voice"),
            )
            for number in numbers
        ]


def _incoming(number: Any) -> IncomingNumber:
    return IncomingNumber(
        sid=number.sid or "",
        phone_number=number.phone_number or "",
        friendly_name=number.friendly_name or "",
        sms=_capability(number.capabilities, "sms"),
        mms=_capability(number.capabilities, "mms"),
        voice=_capability(number.capabilities, "voice"),
    )


def incoming_number_buy(
    *, credentials: Credentials, phone_number: str, friendly_name: str = ""
) -> IncomingNumber:
    """Buy ``phone_number`` into the subaccount (its SMS go to the Messaging Service's URL)."""
    with mapped_errors():
        number = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.account_sid)
            .incoming_phone_numbers.create(
                phone_number=phone_number, friendly_name=friendly_name or _UNSET
            )
        )
    return _incoming(number)


def incoming_numbers_list(
    *, credentials: Credentials, phone_number: str | None = None
) -> list[IncomingNumber]:
    """The subaccount's numbers (those matching ``phone_number`` when given)."""
    with mapped_errors():
        numbers = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.account_sid)
            .incoming_phone_numbers.list(phone_number=phone_number or _UNSET, limit=1000)
        )
        return [_incoming(number) for number in numbers]
