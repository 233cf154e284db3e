"""Reads of the registration app: where an account is in its SMS setup, its numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from accounts.models import Account, User
from registration.models import (
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    RegistrationStatus,
    TwilioSubaccount,
    UseCaseRegistration,
)
from twilio_gateway.client import Credentials, platform_credentials


@dataclass(frozen=True)
class SetupOverview:
    """The three steps of SMS setup and how far the account is."""

    brand: BrandRegistration | None
    use_case: UseCaseRegistration | None
    numbers: list[PhoneNumber]

    @property
    def eligible(self) -> bool:
        return bool(self.brand and self.brand.eligible_at)

    @property
    def eligibility_refused(self) -> bool:
        return bool(self.brand and self.brand.eligibility and not self.brand.eligible_at)

    @property
    def brand_status(self) -> str:
        return self.brand.status if self.brand else RegistrationStatus.DRAFT

    @property
    def use_case_status(self) -> str:
        return self.use_case.status if self.use_case else RegistrationStatus.DRAFT

    @property
    def brand_submitted(self) -> bool:
        return bool(self.brand and self.brand.submission_count)

    @property
    def use_case_submitted(self) -> bool:
        return bool(self.use_case and self.use_case.submission_count)

    @property
    def can_start_use_case(self) -> bool:
        return self.brand_submitted

    @property
    def can_get_numbers(self) -> bool:
        """Step 3 opens once the use case is submitted (it may still be in review)."""
        return self.use_case_submitted

    @property
    def active_numbers(self) -> list[PhoneNumber]:
        return [n for n in self.numbers if n.status == PhoneNumber.Status.ACTIVE and not n.is_demo]

    @property
    def demo_numbers_active(self) -> list[PhoneNumber]:
        """The demo's numbers that can send (they count as active, not as pending)."""
        return [n for n in self.numbers if n.status == PhoneNumber.Status.ACTIVE and n.is_demo]

    @property
    def under_way(self) -> bool:
        """Something waits for Twilio: the page keeps refreshing while this is true."""
        waiting = (RegistrationStatus.SUBMITTED, RegistrationStatus.IN_REVIEW)
        # A submitted use case waits for the brand, unless the brand was rejected.
        use_case_waiting = self.use_case_status == RegistrationStatus.IN_REVIEW or (
            self.use_case_status == RegistrationStatus.SUBMITTED
            and self.brand_status != RegistrationStatus.FAILED
        )
        numbers_waiting = self.use_case_status == RegistrationStatus.APPROVED and any(
            n.status == PhoneNumber.Status.PENDING and not n.is_demo for n in self.numbers
        )
        return self.brand_status in waiting or use_case_waiting or numbers_waiting

    @property
    def complete(self) -> bool:
        return (
            self.brand_status == RegistrationStatus.APPROVED
            and self.use_case_status == RegistrationStatus.APPROVED
            and bool(self.active_numbers)
        )

    @property
    def current_step(self) -> int:
        if not self.brand_submitted or self.brand_status == RegistrationStatus.FAILED:
            return 1
        # A draft may have been submitted before: back to draft after its brand was rejected.
        if self.use_case_status in (RegistrationStatus.DRAFT, RegistrationStatus.FAILED):
            return 2
        return 3


def brand_registration_for(account: Account) -> BrandRegistration | None:
    return BrandRegistration.objects.filter(account=account).first()


def use_case_for(account: Account) -> UseCaseRegistration | None:
    return UseCaseRegistration.objects.filter(account=account).first()


def phone_numbers_for(account: Account) -> QuerySet[PhoneNumber]:
    return (
        PhoneNumber.objects.filter(account=account)
        .exclude(status=PhoneNumber.Status.RELEASED)
        .prefetch_related(Prefetch("users", queryset=User.objects.order_by("email")))
        .order_by("created_at", "pk")
    )


def setup_overview(account: Account) -> SetupOverview:
    return SetupOverview(
        brand=brand_registration_for(account),
        use_case=use_case_for(account),
        numbers=list(phone_numbers_for(account)),
    )


def registration_events(account: Account, *, limit: int = 50) -> QuerySet[RegistrationEvent]:
    return (
        RegistrationEvent.objects.filter(account=account)
        .select_related("user")
        .order_by("-created_at", "-pk")[:limit]
    )


def link_preview(number: PhoneNumber) -> str:
    """An example short link as this number's recipients will see it (messaging/links.py makes
    them: ``https://{domain}/{10-character code}``), on its branded domain even while pending."""
    domain = number.link_domain or settings.PUBLIC_LINK_DOMAIN
    return f"https://{domain}/Ab3xY9kQ2m"


# Subaccount auth tokens by SID, kept in the process for a minute: a callback burst would
# otherwise spend a query per request on a value that almost never changes.
_TOKEN_TTL_SECONDS = 60.0
_tokens_by_sid: dict[str, tuple[float, str]] = {}


def twilio_credentials(account: Account) -> Credentials:
    """What the account's Twilio calls are signed with: its subaccount's credentials, or the
    platform's while it has none (the demo account's number belongs to the platform)."""
    subaccount = getattr(account, "twilio", None)
    return subaccount.credentials if subaccount is not None else platform_credentials()


def twilio_credentials_by_sid(account_sid: str) -> Credentials | None:
    """The credentials of the (sub)account a webhook names, None for a SID that isn't ours."""
    if account_sid == settings.TWILIO_ACCOUNT_SID:
        return platform_credentials()
    now = time.monotonic()
    cached = _tokens_by_sid.get(account_sid)
    if cached is not None and cached[0] > now:
        return Credentials(account_sid, cached[1])
    token = (
        TwilioSubaccount.objects.filter(sid=account_sid)
        .values_list("auth_token", flat=True)
        .first()
    )
    if token is None:  # unknown SIDs are not remembered: a new subaccount works at once
        return None
    _tokens_by_sid[account_sid] = (now + _TOKEN_TTL_SECONDS, token)
    return Credentials(account_sid, token)
