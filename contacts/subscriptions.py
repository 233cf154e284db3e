"""Subscriptions as contacts speaks of them, answered by consent.

Consent sits above contacts (its rows point at contacts), yet contacts' pages and jobs speak of
subscriptions: the filter language has "subscription:<id>" conditions, the index shows who is
subscribed, and a CSV import or a phone reformat may carry the user's statement that the
contacts consented, which the consent ledger must record in the same transaction as the
contacts. Contacts asks through `subscriptions()`; consent answers, having registered itself at
start-up (consent/apps.py), so contacts never imports consent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

if TYPE_CHECKING:
    from accounts.models import Account, User


@dataclass(frozen=True)
class SubscriptionChoice:
    """A subscription type, as forms and filters offer it."""

    public_id: str
    name: str
    is_default: bool = False


class AttestedBy(StrEnum):
    """The contacts job whose user attested the consent (the ledger records how it came)."""

    IMPORT = "import"
    REFORMAT = "reformat"


@dataclass(frozen=True)
class Attestation:
    """A user's statement, made on an import or a reformat, that the contacts consented to a
    subscription type: who, on which job, with what evidence (`data` names the job)."""

    subscription_type_id: str
    attested_by: AttestedBy
    actor: User | None
    evidence: str
    data: dict


@dataclass(frozen=True)
class Subscriptions:
    """What consent answers, each called with keyword arguments."""

    # (account) -> the account's subscription types, the default first.
    types: Callable[..., list[SubscriptionChoice]]
    # (account, subscription_type_id, state) -> a Q over Contact for the filter language: the
    # contacts "subscribed", "unsubscribed" or "not_specified" for the type.
    contacts_in_state_q: Callable[..., Q]
    # (account, subscription_type_id, contact_ids) -> those subscribed to it on some phone.
    subscribed_contact_ids: Callable[..., set[int]]
    # (account, attestation, pairs, new_contact_ids=None) -> how many (contact id, phone) pairs
    # it subscribed, in the caller's transaction; `new_contact_ids` were created in it.
    # ValidationError when the subscription type is gone.
    attested_subscribe: Callable[..., int]


_registered: Subscriptions | None = None


def subscriptions_register(provider: Subscriptions) -> None:
    global _registered
    _registered = provider


def subscriptions() -> Subscriptions:
    if _registered is None:
        raise ImproperlyConfigured("No app answers for subscriptions: is consent installed?")
    return _registered


def subscription_type_exists(*, account: Account, subscription_type_id: str) -> bool:
    return any(t.public_id == subscription_type_id for t in subscriptions().types(account=account))
