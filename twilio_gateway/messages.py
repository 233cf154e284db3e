"""Texts: send one, read one or a page of them, and the webhooks Twilio posts about them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from twilio.request_validator import RequestValidator
from twilio.rest.api.v2010.account.message import MessageInstance

from twilio_gateway.client import Credentials, client_for
from twilio_gateway.errors import mapped_errors


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


def message_send(
    *,
    credentials: Credentials,
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
    client = client_for(credentials)
    with mapped_errors():
        message = client.api.v2010.accounts(credentials.account_sid).messages.create(
            to=to,
            body=body,
            from_=from_,
            messaging_service_sid=messaging_service_sid,
            status_callback=status_callback,
        )
    return SentMessage.from_instance(message)


def message_fetch(*, credentials: Credentials, sid: str) -> SentMessage:
    client = client_for(credentials)
    with mapped_errors():
        message = client.api.v2010.accounts(credentials.account_sid).messages(sid).fetch()
    return SentMessage.from_instance(message)


def messages_list(
    *,
    credentials: Credentials,
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
    client = client_for(credentials)
    with mapped_errors():
        messages = client.api.v2010.accounts(credentials.account_sid).messages.list(
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
