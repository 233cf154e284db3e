"""The account's sending rules (quiet hours, frequency cap, allotment), created on first use."""

from __future__ import annotations

from messaging.models import SendingSettings
from smsapp.models import Account


def sending_settings(account: Account) -> SendingSettings:
    rules, _ = SendingSettings.objects.get_or_create(account=account)
    return rules
