"""Keeping every account's Messaging Service pointed at our webhooks.

A Messaging Service is given our inbound and status-callback URLs (built on PUBLIC_BASE_URL) when
it is created. Twilio keeps posting to those URLs for good: after PUBLIC_BASE_URL changes (a new
domain, a move), inbound texts and delivery statuses go to the old address until each service is
updated. ``manage.py messaging_services_sync`` compares every service Twilio holds with the
current settings and updates those that differ; ``manage.py check --deploy --database default``
reports the ones that still do (registration/checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registration.models import TwilioSubaccount
from registration.services.provisioning import logger
from twilio_gateway import provisioning as gateway
from twilio_gateway.errors import GatewayError
from twilio_gateway.messages import inbound_url, status_callback_url


@dataclass(frozen=True)
class ServiceWebhooks:
    """A Messaging Service's webhook URLs at Twilio, beside the ones the settings want."""

    account_name: str
    service_sid: str
    inbound_request_url: str
    status_callback: str
    wanted_inbound_request_url: str
    wanted_status_callback: str

    @property
    def differences(self) -> list[str]:
        return [
            f"{name} is {held!r}, not {wanted!r}"
            for name, held, wanted in (
                ("InboundRequestUrl", self.inbound_request_url, self.wanted_inbound_request_url),
                ("StatusCallback", self.status_callback, self.wanted_status_callback),
            )
            if held != wanted
        ]

    def __str__(self) -> str:
        return f"{self.service_sid} ({self.account_name}): {'; '.join(self.differences)}"


@dataclass
class WebhooksReport:
    checked: int = 0
    differing: list[ServiceWebhooks] = field(default_factory=list)
    updated: list[ServiceWebhooks] = field(default_factory=list)
    # (service sid and account, what went wrong): Twilio could not be read or refused.
    failed: list[tuple[str, str]] = field(default_factory=list)


def _services() -> list[TwilioSubaccount]:
    return list(
        TwilioSubaccount.objects.exclude(messaging_service_sid="")
        .select_related("account")
        .order_by("pk")
    )


def messaging_services_sync(*, dry_run: bool = False) -> WebhooksReport:
    """Read each account's Messaging Service from Twilio; update those whose webhook URLs differ
    from the current settings (only report them with ``dry_run``)."""
    report = WebhooksReport()
    wanted_inbound, wanted_status = inbound_url(), status_callback_url()
    for subaccount in _services():
        label = f"{subaccount.messaging_service_sid} ({subaccount.account.name})"
        credentials = subaccount.credentials
        try:
            held = gateway.messaging_service_fetch(
                credentials=credentials, sid=subaccount.messaging_service_sid
            )
        except GatewayError as error:
            report.failed.append((label, error.message))
            continue
        report.checked += 1
        webhooks = ServiceWebhooks(
            account_name=subaccount.account.name,
            service_sid=held.sid,
            inbound_request_url=held.inbound_request_url,
            status_callback=held.status_callback,
            wanted_inbound_request_url=wanted_inbound,
            wanted_status_callback=wanted_status,
        )
        if not webhooks.differences:
            continue
        report.differing.append(webhooks)
        if dry_run:
            continue
        try:
            gateway.messaging_service_update(
                credentials=credentials,
                sid=held.sid,
                inbound_request_url=wanted_inbound,
                status_callback=wanted_status,
            )
        except GatewayError as error:
            report.failed.append((label, error.message))
            continue
        report.updated.append(webhooks)
        logger.info("Messaging Service %s now posts to our current webhooks", webhooks)
    return report
