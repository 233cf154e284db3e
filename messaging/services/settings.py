"""The account's sending rules (quiet hours, frequency cap, allotment), created on first use."""

from __future__ import annotations

from accounts.models import Account
from messaging.models import SendingSettings


def sending_settings(account: Account) -> SendingSettings:
    rules, _ = SendingSettings.objects.get_or_create(account=account)
    return rules
