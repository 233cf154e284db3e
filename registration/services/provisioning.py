"""Provisioning at Twilio, shared by the registration services: the subaccount, the lease a
submission holds while it calls Twilio, sids saved as they come; and the errors and audit log
every step uses.

Sending a registration to Twilio takes several calls. A submission first claims its row with a
conditional UPDATE (draft/rejected -> submitted), which also takes the row's provisioning lease;
only the holder of the lease calls Twilio, saving each Twilio sid as soon as it exists, so an
attempt cut short (a crash, a timeout) is resumed later by the poller without creating anything
twice. A lease older than PROVISION_LEASE is presumed abandoned.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.errors import FieldConflict, StateConflict
from accounts.models import Account, User
from registration.models import RegistrationEvent, TwilioSubaccount
from twilio_gateway import provisioning as gateway
from twilio_gateway.errors import GatewayError

logger = logging.getLogger("registration")

PROVISION_LEASE = dt.timedelta(minutes=5)


class RegistrationError(StateConflict):
    """A step the user cannot take now; the message says why, in their words (409 in the API)."""

    def __init__(self, message: str, *, code: str = "registration"):
        super().__init__(message, code=code)


class RegistrationInvalid(ValidationError):
    """Answers that break the rules, each on its field (400 in the API)."""

    summary = "Some answers need fixing before this can be submitted."

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.message_dict


class RegistrationIncomplete(FieldConflict, RegistrationInvalid):
    """A saved draft that can't be submitted yet, each answer to fix on its field: the pages
    show them like any RegistrationInvalid; the API answers 409, since what is wrong is the
    draft as saved, not the request that submits it."""

    def __init__(self, errors: dict[str, list[str]]):
        FieldConflict.__init__(self, errors, code="incomplete")
        self.message = self.summary


def event_record(
    *, account: Account, kind: str, user: User | None = None, **detail: Any
) -> RegistrationEvent:
    return RegistrationEvent.objects.create(account=account, kind=kind, user=user, detail=detail)


def subaccount_get(account: Account) -> TwilioSubaccount | None:
    return TwilioSubaccount.objects.filter(account=account).first()


def subaccount_ensure(*, account: Account) -> TwilioSubaccount:
    """The account's Twilio subaccount, created on first need.

    Called only by the holder of the brand registration's lease, so one account never gets two.
    """
    existing = subaccount_get(account)
    if existing is not None:
        return existing
    created = gateway.subaccount_create(friendly_name=f"{account.name} ({account.public_id})"[:64])
    return TwilioSubaccount.objects.create(
        account=account, sid=created.account_sid, auth_token=created.auth_token
    )


def lease_claim(model: type[models.Model], pk: int, *, status: str) -> bool:
    """Take the provisioning lease of a row in ``status`` if nobody holds a live one."""
    now = timezone.now()
    return (
        model._default_manager.filter(pk=pk, status=status)
        .filter(
            Q(provision_started_at__isnull=True) | Q(provision_started_at__lt=now - PROVISION_LEASE)
        )
        .update(provision_started_at=now)
        == 1
    )


def lease_release(model: type[models.Model], pk: int, **fields: Any) -> None:
    model._default_manager.filter(pk=pk).update(provision_started_at=None, **fields)


def sid_save(registration: models.Model, field: str, value: str) -> str:
    """Record a Twilio sid the moment it exists, outside any longer transaction."""
    setattr(registration, field, value)
    type(registration)._default_manager.filter(pk=registration.pk).update(**{field: value})
    return value


def transient_message(error: GatewayError) -> str:
    return f"Twilio could not be reached ({error.message}); we'll retry in a minute."
