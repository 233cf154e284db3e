"""Consent's answers to contacts' questions about subscriptions (contacts/subscriptions.py),
registered in consent/apps.py."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Account
from consent import selectors, services
from consent.models import ConsentSource, ConsentState
from contacts.subscriptions import Attestation, AttestedBy, SubscriptionChoice, Subscriptions

# How the ledger names the consent a contacts job's user attested.
LEDGER_SOURCE = {AttestedBy.IMPORT: ConsentSource.IMPORT, AttestedBy.REFORMAT: ConsentSource.BULK}


def types(*, account: Account) -> list[SubscriptionChoice]:
    return [
        SubscriptionChoice(t.public_id, t.name, t.is_default)
        for t in selectors.subscription_types(account=account)
    ]


def contacts_in_state_q(*, account: Account, subscription_type_id: str, state: str) -> Q:
    return selectors.contacts_in_consent_state_q(
        account=account, subscription_type_public_id=subscription_type_id, state=state
    )


def subscribed_contact_ids(
    *, account: Account, subscription_type_id: str, contact_ids: Iterable[int]
) -> set[int]:
    subscription_type = selectors.subscription_type_get(
        account=account, public_id=subscription_type_id
    )
    if subscription_type is None:
        return set()
    pairs = selectors.subscribed_pairs(
        account=account, subscription_type=subscription_type, contact_ids=contact_ids
    )
    return {contact_id for contact_id, _ in pairs}


def attested_subscribe(
    *,
    account: Account,
    attestation: Attestation,
    pairs: list[tuple[int, str]],
    new_contact_ids: set[int] | None = None,
) -> int:
    subscription_type = selectors.subscription_type_get(
        account=account, public_id=attestation.subscription_type_id
    )
    if subscription_type is None:
        raise ValidationError("The subscription type chosen for consent was deleted.")
    result = services.consent_bulk_set(
        account=account,
        subscription_type=subscription_type,
        pairs=pairs,
        status=ConsentState.SUBSCRIBED,
        source=LEDGER_SOURCE[attestation.attested_by],
        actor=attestation.actor,
        evidence=attestation.evidence,
        data=attestation.data,
        new_contact_ids=new_contact_ids or frozenset(),
    )
    return result.changed


CONSENT_SUBSCRIPTIONS = Subscriptions(
    types=types,
    contacts_in_state_q=contacts_in_state_q,
    subscribed_contact_ids=subscribed_contact_ids,
    attested_subscribe=attested_subscribe,
)
