"""SMS setup's step on the home page's checklist."""

from __future__ import annotations

from accounts.home import ChecklistStep
from accounts.models import Account
from registration.models import PhoneNumber


def sms_set_up(account: Account) -> bool:
    """Done once the account has a number it can send from."""
    return PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE).exists()


SET_UP_SMS = ChecklistStep(
    order=10,
    label="Set up SMS",
    description=(
        "Register your business and how you'll text people, then get a number. The business "
        "is usually approved within hours; carriers take days to a few weeks for the use case."
    ),
    url_name="registration:setup",
    done=sms_set_up,
    requires="may_setup_sms",
)
