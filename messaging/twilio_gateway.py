"""The one module of the apps that imports the twilio SDK.

It builds SDK clients for the platform account or a tenant's subaccount, sends and reads messages,
creates subaccounts, checks webhook signatures, and turns the SDK's errors into ours:

- ``PermanentSendError``: retrying cannot help (invalid or unsubscribed recipient, other 4xx);
  mark the message and stop.
- ``TransientSendError``: 429 / 20429, 5xx, timeouts, connection errors; retry with backoff. Its
  ``outcome_unknown`` says whether Twilio may have acted anyway (a 5xx or a timeout after the
  request went out): a send must then be reconciled against Twilio's message list before any
  resend, or the recipient may get the text twice.

With ``TWILIO_API_BASE_URL`` set (development, tests), every request the SDK makes to
``https://{api,messaging,trusthub}.twilio.com/<path>`` goes to ``{TWILIO_API_BASE_URL}/<path>``
instead (same path and query), which is where the Twilio emulator (``python -m twilio_emulator``)
answers; a request for any other Twilio host is refused rather than sent to the real Twilio.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance
from urllib3.exceptions import NewConnectionError

__all__ = [
    "GatewayError",
    "PermanentSendError",
    "SentMessage",
    "SubaccountCredentials",
    "TransientSendError",
    "client_for",
    "inbound_url",
    "message_fetch",
    "message_send",
    "messages_list",
    "signature_is_valid",
    "status_callback_url",
    "subaccount_create",
]

# The Twilio products whose hosts TWILIO_API_BASE_URL stands in for.
EMULATED_PRODUCTS = frozenset({"api", "messaging", "trusthub"})


class GatewayError(Exception):
    def __init__(
        self,
        code: int | None,
        message: str,
        *,
        status: int | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.status = status
        # True when the request may have reached Twilio and taken effect despite the error.
        self.outcome_unknown = outcome_unknown


class PermanentSendError(GatewayError):
    """Twilio refused for a reason retrying cannot fix."""


class TransientSendError(GatewayError):
    """Twilio was busy or unreachable; the same request may succeed later."""


# Twilio error code -> what it means for a retry. Codes not listed fall back on the HTTP status:
# 429 and 5xx are transient, any other 4xx is permanent.
ERROR_CODE_KINDS: dict[int, type[GatewayError]] = {
    20429: TransientSendError,  # Too Many Requests
    21211: PermanentSendError,  # invalid 'To' phone number
    21610: PermanentSendError,  # recipient unsubscribed (replied STOP)
    21612: PermanentSendError,  # 'To' not reachable from this sender
    21614: PermanentSendError,  # 'To' is not a mobile number
    21635: PermanentSendError,  # 'To' is a landline
}


@dataclass(frozen=True)
class SubaccountCredentials:
    sid: str
    auth_token: str


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    num_segments: int
    error_code: int | None
    to: str
    from_: str | None
    body: str
    date_created: datetime | None
    date_sent: datetime | None

    @classmethod
    def from_instance(cls, message: MessageInstance) -> SentMessage:
        return cls(
            sid=message.sid or "",
            status=str(message.status or ""),
            num_segments=int(message.num_segments or 0),
            error_code=message.error_code,
            to=message.to or "",
            from_=message.from_,
            body=message.body or "",
            date_created=message.date_created,
            date_sent=message.date_sent,
        )


class _BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, pointed at ``base_url`` instead of Twilio when one is given."""

    def __init__(self, *, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.url_for(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def url_for(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        host = parts.hostname or ""
        # api.twilio.com, or api.<edge>.<region>.twilio.com when TWILIO_EDGE/REGION are set.
        product = host.split(".", 1)[0]
        if not host.endswith(".twilio.com") or product not in EMULATED_PRODUCTS:
            raise GatewayError(None, f"No TWILIO_API_BASE_URL route for {host}")
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


_local = threading.local()


def _http_client() -> _BaseUrlHttpClient:
    """One client (and so one connection pool) per thread and configuration.

    Built lazily, so each Celery worker process makes its own after the fork.
    """
    key = (settings.TWILIO_API_BASE_URL or "", float(settings.TWILIO_TIMEOUT_SECONDS))
    client = getattr(_local, "http_clients", {}).get(key)
    if client is None:
        client = _BaseUrlHttpClient(base_url=key[0], timeout=key[1])
        _local.http_clients = {**getattr(_local, "http_clients", {}), key: client}
    return client


def client_for(*, account_sid: str | None = None, auth_token: str | None = None) -> Client:
    """An SDK client for the platform account, or for a subaccount.

    With ``account_sid`` and ``auth_token``: the subaccount's own credentials. With only
    ``account_sid``: the platform's credentials acting on that subaccount (Twilio lets a parent
    account do that). With neither: the platform account.
    """
    if auth_token and not account_sid:
        raise ValueError("auth_token needs the account_sid it belongs to")
    username = account_sid if auth_token else settings.TWILIO_ACCOUNT_SID
    return Client(
        username=username,
        password=auth_token or settings.TWILIO_AUTH_TOKEN,
        account_sid=account_sid or settings.TWILIO_ACCOUNT_SID,
        http_client=_http_client(),
    )


def _error_from_twilio(error: TwilioRestException | TwilioServiceException) -> GatewayError:
    status = int(error.status) if error.status else None
    code = int(error.code) if error.code else None
    if isinstance(error, TwilioServiceException):
        message = f"{error.title}: {error.detail}" if error.detail else error.title
    else:
        message = error.msg
    kind = ERROR_CODE_KINDS.get(code or 0)
    if kind is None:
        transient = status is None or status == 429 or status >= 500
        kind = TransientSendError if transient else PermanentSendError
    # A 5xx may come after Twilio acted (a lost response); a 4xx means it refused.
    unknown = kind is TransientSendError and (status is None or status >= 500)
    return kind(code, message, status=status, outcome_unknown=unknown)


def _error_from_requests(error: requests.RequestException) -> TransientSendError:
    # Refused or timed out while connecting: the request never left, so nothing happened.
    cause = getattr(error.args[0], "reason", None) if error.args else None
    never_sent = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError) and isinstance(cause, NewConnectionError)
    )
    return TransientSendError(None, str(error), outcome_unknown=not never_sent)


def _error_from_page(error: TwilioException) -> GatewayError:
    """A list page that did not answer 200: the SDK raises a bare TwilioException with the
    response as its second argument instead of a TwilioRestException."""
    response = error.args[1] if len(error.args) > 1 else None
    if not isinstance(response, Response):
        return TransientSendError(None, str(error), outcome_unknown=True)
    try:
        payload = json.loads(response.text)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    rest_error = TwilioRestException(
        response.status_code,
        "",
        msg=payload.get("message") or str(error.args[0]),
        code=payload.get("code"),
    )
    return _error_from_twilio(rest_error)


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except (TwilioRestException, TwilioServiceException) as error:
        raise _error_from_twilio(error) from error
    except requests.RequestException as error:
        raise _error_from_requests(error) from error
    except TwilioException as error:
        raise _error_from_page(error) from error


def subaccount_create(*, friendly_name: str) -> SubaccountCredentials:
    """A new Twilio subaccount of the platform account, for one tenant."""
    with _mapped_errors():
        account = client_for().api.v2010.accounts.create(friendly_name=friendly_name)
    return SubaccountCredentials(sid=account.sid or "", auth_token=account.auth_token or "")


def message_send(
    *,
    account_sid: str,
    auth_token: str,
    to: str,
    body: str,
    from_: str | None = None,
    messaging_service_sid: str | None = None,
    status_callback: str | None = None,
) -> SentMessage:
    """Create one outbound Message in the subaccount, from a number or a Messaging Service.

    Raises PermanentSendError or TransientSendError; see the module docstring.
    """
    if (from_ is None) == (messaging_service_sid is None):
        raise ValueError("give exactly one of from_ and messaging_service_sid")
    client = client_for(account_sid=account_sid, auth_token=auth_token)
    with _mapped_errors():
        message = client.api.v2010.accounts(account_sid).messages.create(
            to=to,
            body=body,
            from_=from_,
            messaging_service_sid=messaging_service_sid,
            status_callback=status_callback,
        )
    return SentMessage.from_instance(message)


def message_fetch(*, account_sid: str, auth_token: str, sid: str) -> SentMessage:
    client = client_for(account_sid=account_sid, auth_token=auth_token)
    with _mapped_errors():
        message = client.api.v2010.accounts(account_sid).messages(sid).fetch()
    return SentMessage.from_instance(message)


def messages_list(
    *,
    account_sid: str,
    auth_token: str,
    to: str | None = None,
    from_: str | None = None,
    date_sent_after: datetime | None = None,
    limit: int = 1000,
) -> list[SentMessage]:
    """The subaccount's messages, newest first, following Twilio's pages up to ``limit``.

    ``date_sent_after`` filters on date_sent, which Twilio sets only once a message is sent: a
    message still accepted or queued does not match it. To learn whether a send went out before
    resending it, list by ``to`` without a date (and compare bodies and creation times).
    """
    client = client_for(account_sid=account_sid, auth_token=auth_token)
    with _mapped_errors():
        messages = client.api.v2010.accounts(account_sid).messages.list(
            to=to,
            from_=from_,
            # The SDK formats the time as UTC without converting it.
            date_sent_after=date_sent_after.astimezone(UTC) if date_sent_after else None,
            limit=limit,
            page_size=min(limit, 1000),
        )
        return [SentMessage.from_instance(message) for message in messages]


def status_callback_url() -> str:
    """Where Twilio posts delivery statuses (the public URL that signatures are computed on)."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/webhooks/twilio/status"


def inbound_url() -> str:
    """Where Twilio posts messages our numbers receive."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/webhooks/twilio/inbound"


def signature_is_valid(
    *, auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """Whether ``X-Twilio-Signature`` was made with ``auth_token`` over this URL and form.

    ``params`` may be a Django QueryDict (repeated keys count) or a plain dict.
    """
    if not signature or not auth_token:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


# =================================================================================================
# Registration: subaccount provisioning, Trust Hub, brands, Messaging Services, Usa2p, numbers
#
# Used by registration/services (the only module of messaging that registration imports). Every
# call acts inside a tenant's subaccount with its own credentials. Errors are mapped as above:
# PermanentSendError means Twilio refused the request (a 4xx: fix the input, don't retry),
# TransientSendError that it may succeed later (429, 5xx, network).
# =================================================================================================

from twilio.base import values as twilio_values  # noqa: E402 - keeps this section self-contained

# Twilio's Trust Hub policies: an ISV's secondary customer profile, and the A2P messaging profile.
SECONDARY_CUSTOMER_PROFILE_POLICY_SID = "RNdfbf3fae0e1107f8aded0e7cead80bf5"
A2P_MESSAGING_PROFILE_POLICY_SID = "RNb0d4771c2c98518d916a3d4cd70a8f8b"
# Twilio's code when a number is already in the Messaging Service it is added to.
ALREADY_IN_SERVICE = 21710

TRUST_BUNDLE_KINDS = ("customer_profile", "trust_product")
# The SDK's marker for "leave this parameter out".
_UNSET = twilio_values.unset

__all__ += [  # extended here to keep the registration section self-contained
    "A2P_MESSAGING_PROFILE_POLICY_SID",
    "SECONDARY_CUSTOMER_PROFILE_POLICY_SID",
    "AvailableNumber",
    "BrandInfo",
    "BundleEvaluation",
    "CampaignInfo",
    "IncomingNumber",
    "MessagingServiceWebhooks",
    "address_create",
    "address_update",
    "available_numbers_search",
    "a2p_usecases",
    "brand_registration_create",
    "brand_registration_fetch",
    "brand_registration_resubmit",
    "brand_registrations_list",
    "campaign_create",
    "campaign_fetch",
    "campaign_update",
    "campaigns_list",
    "end_user_create",
    "end_user_update",
    "incoming_number_buy",
    "incoming_numbers_list",
    "messaging_service_create",
    "messaging_service_fetch",
    "messaging_service_number_add",
    "messaging_service_update",
    "supporting_document_create",
    "supporting_document_update",
    "trust_bundle_assign",
    "trust_bundle_assigned",
    "trust_bundle_create",
    "trust_bundle_evaluate",
    "trust_bundle_fetch",
    "trust_bundle_submit",
]


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


def _subaccount(credentials: SubaccountCredentials) -> Client:
    return client_for(account_sid=credentials.sid, auth_token=credentials.auth_token)


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
    *, credentials: SubaccountCredentials, friendly_name: str, type: str, attributes: dict
) -> str:
    """A Trust Hub End User (business information, authorized representative, ...); its sid."""
    with _mapped_errors():
        end_user = _subaccount(credentials).trusthub.v1.end_users.create(
            friendly_name=friendly_name, type=type, attributes=attributes
        )
    return end_user.sid or ""


def end_user_update(*, credentials: SubaccountCredentials, sid: str, attributes: dict) -> None:
    with _mapped_errors():
        _subaccount(credentials).trusthub.v1.end_users(sid).update(attributes=attributes)


def address_create(
    *,
    credentials: SubaccountCredentials,
    customer_name: str,
    street: str,
    street_secondary: str,
    city: str,
    region: str,
    postal_code: str,
    iso_country: str,
) -> str:
    with _mapped_errors():
        address = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.sid)
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
    credentials: SubaccountCredentials,
    sid: str,
    customer_name: str,
    street: str,
    street_secondary: str,
    city: str,
    region: str,
    postal_code: str,
) -> None:
    """Correct an address in place (its country cannot change on Twilio)."""
    with _mapped_errors():
        _subaccount(credentials).api.v2010.accounts(credentials.sid).addresses(sid).update(
            customer_name=customer_name,
            street=street,
            street_secondary=street_secondary,
            city=city,
            region=region,
            postal_code=postal_code,
        )


def supporting_document_create(
    *, credentials: SubaccountCredentials, friendly_name: str, type: str, attributes: dict
) -> str:
    with _mapped_errors():
        document = _subaccount(credentials).trusthub.v1.supporting_documents.create(
            friendly_name=friendly_name, type=type, attributes=attributes
        )
    return document.sid or ""


def supporting_document_update(
    *, credentials: SubaccountCredentials, sid: str, attributes: dict
) -> None:
    with _mapped_errors():
        _subaccount(credentials).trusthub.v1.supporting_documents(sid).update(attributes=attributes)


def _bundles(credentials: SubaccountCredentials, kind: str):
    if kind not in TRUST_BUNDLE_KINDS:
        raise ValueError(f"kind must be one of {TRUST_BUNDLE_KINDS}")
    trusthub = _subaccount(credentials).trusthub.v1
    return trusthub.customer_profiles if kind == "customer_profile" else trusthub.trust_products


def _bundle_children(credentials: SubaccountCredentials, kind: str, sid: str):
    """(entity assignments, evaluations) of one Customer Profile or Trust Product."""
    bundle = _bundles(credentials, kind)(sid)
    if kind == "customer_profile":
        return bundle.customer_profiles_entity_assignments, bundle.customer_profiles_evaluations
    return bundle.trust_products_entity_assignments, bundle.trust_products_evaluations


def trust_bundle_create(
    *,
    credentials: SubaccountCredentials,
    kind: str,
    friendly_name: str,
    email: str,
    policy_sid: str,
) -> str:
    """A draft Customer Profile (``kind="customer_profile"``) or Trust Product; its sid."""
    with _mapped_errors():
        bundle = _bundles(credentials, kind).create(
            friendly_name=friendly_name, email=email, policy_sid=policy_sid
        )
    return bundle.sid or ""


def trust_bundle_assigned(*, credentials: SubaccountCredentials, kind: str, sid: str) -> set[str]:
    """The sids of what is assigned to the bundle (end users, documents, bundles)."""
    assignments, _ = _bundle_children(credentials, kind, sid)
    with _mapped_errors():
        return {assignment.object_sid or "" for assignment in assignments.list(page_size=100)}


def trust_bundle_assign(
    *, credentials: SubaccountCredentials, kind: str, sid: str, object_sid: str
) -> None:
    assignments, _ = _bundle_children(credentials, kind, sid)
    with _mapped_errors():
        assignments.create(object_sid=object_sid)


def trust_bundle_evaluate(
    *, credentials: SubaccountCredentials, kind: str, sid: str, policy_sid: str
) -> BundleEvaluation:
    _, evaluations = _bundle_children(credentials, kind, sid)
    with _mapped_errors():
        evaluation = evaluations.create(policy_sid=policy_sid)
    failures = [
        str(result.get("failure_reason") or result.get("requirement_name") or result)
        for result in (evaluation.results or [])
        if isinstance(result, Mapping) and not result.get("passed", True)
    ]
    return BundleEvaluation(status=str(evaluation.status or ""), failures=failures)


def trust_bundle_fetch(*, credentials: SubaccountCredentials, kind: str, sid: str) -> str:
    """The bundle's status: draft, pending-review, in-review, twilio-rejected, twilio-approved."""
    with _mapped_errors():
        return str(_bundles(credentials, kind)(sid).fetch().status or "")


def trust_bundle_submit(*, credentials: SubaccountCredentials, kind: str, sid: str) -> str:
    """Submit the bundle for Twilio's review; its new status."""
    with _mapped_errors():
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
    *, credentials: SubaccountCredentials, customer_profile_sid: str, a2p_profile_sid: str
) -> BrandInfo:
    """Register a Standard brand for the submitted customer profile and A2P trust product."""
    with _mapped_errors():
        brand = _subaccount(credentials).messaging.v1.brand_registrations.create(
            customer_profile_bundle_sid=customer_profile_sid,
            a2p_profile_bundle_sid=a2p_profile_sid,
            brand_type="STANDARD",
        )
    return _brand(brand)


def brand_registration_fetch(*, credentials: SubaccountCredentials, sid: str) -> BrandInfo:
    with _mapped_errors():
        return _brand(_subaccount(credentials).messaging.v1.brand_registrations(sid).fetch())


def brand_registration_resubmit(*, credentials: SubaccountCredentials, sid: str) -> BrandInfo:
    """Send a FAILED brand back to review, with its bundles' corrected information."""
    with _mapped_errors():
        return _brand(_subaccount(credentials).messaging.v1.brand_registrations(sid).update())


def brand_registrations_list(*, credentials: SubaccountCredentials) -> list[BrandInfo]:
    with _mapped_errors():
        brands = _subaccount(credentials).messaging.v1.brand_registrations.list(page_size=100)
        return [_brand(brand) for brand in brands]


# -- Messaging Services and Usa2p campaigns --


def messaging_service_create(
    *,
    credentials: SubaccountCredentials,
    friendly_name: str,
    inbound_request_url: str,
    status_callback: str,
) -> str:
    """A marketing Messaging Service whose inbound messages and statuses reach our webhooks."""
    with _mapped_errors():
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


def messaging_service_fetch(
    *, credentials: SubaccountCredentials, sid: str
) -> MessagingServiceWebhooks:
    with _mapped_errors():
        service = _subaccount(credentials).messaging.v1.services(sid).fetch()
    return MessagingServiceWebhooks(
        sid=service.sid or "",
        inbound_request_url=service.inbound_request_url or "",
        status_callback=service.status_callback or "",
    )


def messaging_service_update(
    *,
    credentials: SubaccountCredentials,
    sid: str,
    inbound_request_url: str,
    status_callback: str,
) -> None:
    with _mapped_errors():
        _subaccount(credentials).messaging.v1.services(sid).update(
            inbound_request_url=inbound_request_url,
            inbound_method="POST",
            status_callback=status_callback,
            use_inbound_webhook_on_number=False,
        )


def messaging_service_number_add(
    *, credentials: SubaccountCredentials, messaging_service_sid: str, phone_number_sid: str
) -> None:
    """Put a number in the Messaging Service; a number already in it is fine."""
    try:
        with _mapped_errors():
            _subaccount(credentials).messaging.v1.services(
                messaging_service_sid
            ).phone_numbers.create(phone_number_sid=phone_number_sid)
    except PermanentSendError as error:
        if error.code != ALREADY_IN_SERVICE:
            raise


def a2p_usecases(
    *, credentials: SubaccountCredentials, messaging_service_sid: str, brand_sid: str
) -> list[str]:
    """The A2P use-case codes (MARKETING, MIXED, ...) the brand may register on the service."""
    with _mapped_errors():
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
    credentials: SubaccountCredentials,
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
    with _mapped_errors():
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
    *, credentials: SubaccountCredentials, messaging_service_sid: str, sid: str
) -> CampaignInfo:
    with _mapped_errors():
        campaign = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person(sid)
            .fetch()
        )
    return _campaign(campaign)


def campaign_update(
    *,
    credentials: SubaccountCredentials,
    messaging_service_sid: str,
    sid: str,
    description: str,
    message_flow: str,
    message_samples: list[str],
    has_embedded_links: bool,
    has_embedded_phone: bool,
) -> CampaignInfo:
    """Edit a FAILED (or verified) campaign, which sends it back to review."""
    with _mapped_errors():
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


def campaigns_list(
    *, credentials: SubaccountCredentials, messaging_service_sid: str
) -> list[CampaignInfo]:
    with _mapped_errors():
        campaigns = (
            _subaccount(credentials)
            .messaging.v1.services(messaging_service_sid)
            .us_app_to_person.list(page_size=20)
        )
        return [_campaign(campaign) for campaign in campaigns]


# -- phone numbers --


def available_numbers_search(
    *,
    credentials: SubaccountCredentials,
    area_code: str,
    contains: str | None = None,
    limit: int = 20,
) -> list[AvailableNumber]:
    """SMS-capable local US numbers for sale in an area code."""
    with _mapped_errors():
        numbers = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.sid)
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
    *, credentials: SubaccountCredentials, phone_number: str, friendly_name: str = ""
) -> IncomingNumber:
    """Buy ``phone_number`` into the subaccount (its SMS go to the Messaging Service's URL)."""
    with _mapped_errors():
        number = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.sid)
            .incoming_phone_numbers.create(
                phone_number=phone_number, friendly_name=friendly_name or _UNSET
            )
        )
    return _incoming(number)


def incoming_numbers_list(
    *, credentials: SubaccountCredentials, phone_number: str | None = None
) -> list[IncomingNumber]:
    """The subaccount's numbers (those matching ``phone_number`` when given)."""
    with _mapped_errors():
        numbers = (
            _subaccount(credentials)
            .api.v2010.accounts(credentials.sid)
            .incoming_phone_numbers.list(phone_number=phone_number or _UNSET, limit=1000)
        )
        return [_incoming(number) for number in numbers]
