"""The contact timeline: recording engagements, one at a time or by the thousand."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.bulk import public_ids_new, rows_insert
from accounts.models import Account
from contacts.models import Contact, Engagement, EngagementKind

SUMMARY_MAX = 300
# Consent changes reach the timeline from the consent ledger; they are never copied here.
KINDS = frozenset(EngagementKind.values) - {EngagementKind.CONSENT_CHANGE}


@dataclass
class EngagementDraft:
    """An engagement to write in bulk (fan-out, imports): ids, not instances."""

    contact_id: int
    kind: str
    summary: str
    occurred_at: datetime.datetime | None = None
    data: dict = field(default_factory=dict)
    link_url: str = ""
    dedupe_key: str = ""


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


@transaction.atomic
def engagement_record(
    *,
    account: Account,
    contact: Contact,
    kind: str,
    summary: str,
    occurred_at: datetime.datetime | None = None,
    data: dict | None = None,
    link_url: str = "",
    dedupe_key: str = "",
) -> Engagement:
    """Add one event to a contact's timeline.

    With a `dedupe_key` the write is idempotent: a second call with the same key raises
    IntegrityError (inside its own savepoint), which callers treat as "already recorded".
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown engagement kind {kind!r}")
    if contact.account_id != account.pk:
        raise ValueError("The contact belongs to another account.")
    now = timezone.now()
    with transaction.atomic():
        return Engagement.objects.create(
            account=account,
            contact=contact,
            kind=kind,
            summary=_summary(summary),
            occurred_at=occurred_at or now,
            data=data or {},
            link_url=link_url[:500],
            dedupe_key=dedupe_key[:100],
            created_at=now,
        )


ENGAGEMENT_FIELDS = (
    "account_id",
    "contact_id",
    "public_id",
    "kind",
    "occurred_at",
    "summary",
    "data",
    "link_url",
    "dedupe_key",
    "created_at",
)


@transaction.atomic
def engagements_record(*, account: Account, drafts: Sequence[EngagementDraft]) -> int:
    """Add many events at once (COPY on PostgreSQL). The contacts must be the account's: callers
    pass ids they read from this account's rows. Drafts with a dedupe key must be new."""
    now = timezone.now()
    rows = []
    public_ids = public_ids_new("eng", len(drafts))
    for position, draft in enumerate(drafts):
        if draft.kind not in KINDS:
            raise ValueError(f"Unknown engagement kind {draft.kind!r}")
        rows.append(
            (
                account.pk,
                draft.contact_id,
                public_ids[position],
                draft.kind,
                draft.occurred_at or now,
                _summary(draft.summary),
                draft.data,
                draft.link_url[:500],
                draft.dedupe_key[:100],
                now,
            )
        )
    rows_insert(Engagement, ENGAGEMENT_FIELDS, rows, return_ids=False)
    return len(rows)
