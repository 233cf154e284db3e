"""The contact's timeline: one list of what happened to a contact, newest first.

Engagements (replies, phone reformats) are rows of contacts' own. What other apps keep in their
own tables is read where it is instead of being copied here: consent changes from the consent
ledger, texts and clicks from the outbound and click tables (an import with consent, or a
million-recipient send, must not write a row per contact here too). Those apps register a
source for their kinds at start-up (`timeline_source_register`, in their apps.py), and may
complete the lines of other kinds (`timeline_lines_register`: analytics links each reply to the
message it answered), so contacts reads them without importing them
(`contacts.selectors.contact_timeline`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from contacts.models import EngagementKind

TimelineCursor = tuple[datetime.datetime, str]


@dataclass(frozen=True)
class TimelineItem:
    """One line of the contact timeline, whichever table it comes from."""

    id: str
    kind: str
    occurred_at: datetime.datetime
    summary: str
    data: dict
    link_url: str = ""

    @property
    def kind_label(self) -> str:
        return EngagementKind(self.kind).label if self.kind in EngagementKind.values else self.kind

    @property
    def needs_review(self) -> bool:
        return bool(self.data.get("needs_review"))


def timeline_after_q(before: TimelineCursor | None) -> Q:
    """Items older than a (occurred_at, public id) cursor."""
    if before is None:
        return Q()
    at, public_id = before
    return Q(occurred_at__lt=at) | Q(occurred_at=at, public_id__lt=public_id)


# read(account=, contact=, kinds=, limit=, before=): the newest `limit` items of those kinds.
TimelineRead = Callable[..., list[TimelineItem]]
# complete(account=, items=): the items, some of them completed (a link added, say).
TimelineComplete = Callable[..., list[TimelineItem]]

_sources: list[tuple[frozenset[str], TimelineRead]] = []
_completers: list[tuple[str, TimelineComplete]] = []


def timeline_source_register(*, kinds: set[str], read: TimelineRead) -> None:
    """Read the timeline's lines of these kinds from another app's tables."""
    _sources.append((frozenset(kinds), read))


def timeline_lines_register(*, kind: str, complete: TimelineComplete) -> None:
    """Complete the timeline when it shows lines of `kind`."""
    _completers.append((kind, complete))


def timeline_sources() -> list[tuple[frozenset[str], TimelineRead]]:
    return list(_sources)


def timeline_completers() -> list[tuple[str, TimelineComplete]]:
    return list(_completers)
