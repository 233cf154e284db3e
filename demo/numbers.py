"""The demo account's number: `make run` seeds it so the demo can send before any setup."""

from __future__ import annotations

from accounts.models import Account
from registration.models import PhoneNumber

DEMO_NUMBER_PREFIX = "+1415555"
# Usable for a demo, but well under a registered brand's rates.
DEMO_MESSAGES_PER_SECOND = 10
DEMO_TMOBILE_DAILY_CAP = 2000


def demo_number_ensure(account: Account) -> PhoneNumber:
    """The account's ACTIVE demo number, created once (+1 415 555 01xx, fictional numbers).

    The emulator accepts sends From any number of the platform account, so nothing is bought.
    """
    existing = PhoneNumber.objects.filter(account=account, is_demo=True).first()
    if existing is not None:
        return existing
    taken = set(
        PhoneNumber.objects.filter(e164__startswith=DEMO_NUMBER_PREFIX + "01").values_list(
            "e164", flat=True
        )
    )
    e164 = next(
        candidate
        for candidate in (f"{DEMO_NUMBER_PREFIX}01{n:02d}" for n in range(99, -1, -1))
        if candidate not in taken
    )
    return PhoneNumber.objects.create(
        account=account,
        e164=e164,
        status=PhoneNumber.Status.ACTIVE,
        sms_capable=True,
        mms_capable=True,
        is_demo=True,
        messages_per_second=DEMO_MESSAGES_PER_SECOND,
        tmobile_daily_cap=DEMO_TMOBILE_DAILY_CAP,
    )
