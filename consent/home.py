"""Consent's step on the home page's checklist."""

from __future__ import annotations

from accounts.home import ChecklistStep
from accounts.models import Account
from consent.models import ConsentState, ConsentStatus


def consent_collected(account: Account) -> bool:
    """Done once anyone may be texted: a phone subscribed to a subscription type."""
    return ConsentStatus.objects.filter(account=account, status=ConsentState.SUBSCRIBED).exists()


COLLECT_CONSENT = ChecklistStep(
    order=30,
    label="Collect consent",
    description=(
        "Only people who agreed to get your texts can receive them: attest their express "
        "written consent when you import them, or let them text your opt-in keyword (START)."
    ),
    url_name="contacts:imports",
    done=consent_collected,
)
