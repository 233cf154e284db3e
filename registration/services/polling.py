"""The poller: carries every registration forward until Twilio gives a final answer.

Run by ``registration_status_poll_task`` (Celery beat) for every account, and by the SMS setup
page for its own account while something is under way. Each row is handled on its own: one
account's Twilio trouble does not hold up the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Account
from registration.models import BrandRegistration, RegistrationStatus, UseCaseRegistration
from registration.services.brand import brand_registration_provision, brand_status_refresh
from registration.services.numbers import phone_numbers_reconcile
from registration.services.provisioning import lease_claim, logger
from registration.services.use_case import use_case_provision, use_case_status_refresh
from twilio_gateway.errors import GatewayError

UNDER_WAY = (RegistrationStatus.SUBMITTED, RegistrationStatus.IN_REVIEW)


@dataclass
class PollReport:
    brands: int = 0
    use_cases: int = 0
    numbers: int = 0
    errors: list[str] = field(default_factory=list)


def registration_status_poll(*, account: Account | None = None) -> PollReport:
    """Send stranded submissions, fetch review outcomes, finish half-done number purchases."""
    report = PollReport()
    brands = BrandRegistration.objects.select_related("account").filter(status__in=UNDER_WAY)
    use_cases = UseCaseRegistration.objects.select_related("account").filter(status__in=UNDER_WAY)
    if account is not None:
        brands, use_cases = brands.filter(account=account), use_cases.filter(account=account)
    for brand in brands.order_by("pk"):
        try:
            if brand.status == RegistrationStatus.SUBMITTED:
                if lease_claim(BrandRegistration, brand.pk, status=brand.status):
                    brand_registration_provision(registration_id=brand.pk)
            else:
                brand_status_refresh(registration=brand)
            report.brands += 1
        except GatewayError as error:
            logger.warning("polling brand %s failed: %s", brand.public_id, error)
            report.errors.append(f"{brand.public_id}: {error}")
    # After the brands: a brand approved just now lets its waiting use case go to Twilio.
    for use_case in use_cases.order_by("pk"):
        try:
            if use_case.status == RegistrationStatus.SUBMITTED:
                if lease_claim(UseCaseRegistration, use_case.pk, status=use_case.status):
                    use_case_provision(registration_id=use_case.pk)
            else:
                use_case_status_refresh(registration=use_case)
            report.use_cases += 1
        except GatewayError as error:
            logger.warning("polling use case %s failed: %s", use_case.public_id, error)
            report.errors.append(f"{use_case.public_id}: {error}")
    accounts = [account] if account is not None else _accounts_with_pending_numbers()
    for each in accounts:
        try:
            report.numbers += phone_numbers_reconcile(account=each)
        except GatewayError as error:
            logger.warning("reconciling numbers of %s failed: %s", each.public_id, error)
            report.errors.append(f"{each.public_id}: {error}")
    return report


def _accounts_with_pending_numbers() -> list[Account]:
    return list(
        Account.objects.filter(
            phone_numbers__status="pending", phone_numbers__messaging_service_sid=""
        ).distinct()
    )
