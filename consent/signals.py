"""Accounts get their consent defaults the moment they exist.

A signal, not a call in `accounts.services.account_create`, because dependencies point one way:
smsapp can't import consent. The receiver holds no rule of its own; it calls the service.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Account


@receiver(post_save, sender=Account, dispatch_uid="consent_account_defaults")
def account_defaults_on_create(sender, instance: Account, created: bool, raw: bool = False, **kw):
    if created and not raw:
        from consent.services import account_defaults_ensure

        account_defaults_ensure(account=instance)
