"""The rules of when a marketing text may go: quiet hours and the frequency cap.

Quiet hours (`QuietHours`): fan-out and workflows set each text's due time with them, dispatch
checks them again at claim and at slot time.

The frequency cap (how many marketing texts one contact may get in a rolling 24 hours): dispatch
asks when it claims rows and again when each row's rate-limiter slot comes
(`frequency_cap_reserve`), the review when it counts who will be deferred
(`contacts_at_frequency_cap`), and deleting a message when its texts stop counting
(`frequency_cap_counted_until`).

A text counts from the moment its slot check lets it through, not from Twilio's answer: the
check writes the row's `sent_at` (overwritten by the real one when Twilio answers, cleared when
the text ends up not going). Two numbers reaching one contact at the same moment therefore see
each other's texts, and the check and the write are serialized per contact by an advisory lock,
so the cap holds across every number and campaign of the account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Min

from accounts.models import Account
from messaging.models import OutboundMessage, SendingSettings, SmsMessage
from messaging.schedule import next_allowed, recipient_zone
from messaging.services.settings import sending_settings

FREQUENCY_WINDOW = dt.timedelta(hours=24)
# pg_advisory_xact_lock's first key for the cap's per-contact lock ("fcap").
_CAP_LOCK_NAMESPACE = 0x66636170


def frequency_caps(account_ids: Iterable[int]) -> dict[int, int]:
    """Each account's cap; an account that never saved its settings has the model's default."""
    account_ids = set(account_ids)
    caps = dict(
        SendingSettings.objects.filter(account_id__in=account_ids).values_list(
            "account_id", "frequency_cap"
        )
    )
    default = SendingSettings._meta.get_field("frequency_cap").default
    return {account_id: caps.get(account_id, default) for account_id in account_ids}


def _counted(contact_ids: set[int], *, now: dt.datetime) -> dict[int, tuple[int, dt.datetime]]:
    """(texts in the window, the oldest one's time) per contact that had any."""
    return {
        contact_id: (n, oldest)
        for contact_id, n, oldest in OutboundMessage.objects.filter(
            contact_id__in=contact_ids,
            kind__in=OutboundMessage.MARKETING_KINDS,
            sent_at__gte=now - FREQUENCY_WINDOW,
        )
        .values("contact_id")
        .annotate(n=Count("id"), oldest=Min("sent_at"))
        .values_list("contact_id", "n", "oldest")
    }


def frequency_capped(
    rows: Iterable[OutboundMessage], *, now: dt.datetime
) -> dict[int, dt.datetime]:
    """The rows whose contact reached the cap, each with when the cap lets it go (the oldest
    counted text's 24 hours later). Rows that fit count against the cap in order, so a batch
    can't overshoot it by itself. Texts that are not marketing never count and never wait."""
    rows = [row for row in rows if row.kind in OutboundMessage.MARKETING_KINDS and row.contact_id]
    if not rows:
        return {}
    caps = frequency_caps({row.account_id for row in rows})
    counted = _counted({row.contact_id for row in rows}, now=now)
    capped: dict[int, dt.datetime] = {}
    for row in rows:
        n, oldest = counted.get(row.contact_id, (0, now))
        if n >= caps[row.account_id]:
            capped[row.id] = oldest + FREQUENCY_WINDOW
        else:
            counted[row.contact_id] = (n + 1, oldest)
    return capped


def frequency_cap_reserve(
    rows: Iterable[OutboundMessage], *, now: dt.datetime
) -> dict[int, dt.datetime]:
    """At the moment of sending: the capped rows as `frequency_capped` finds them, and every
    other marketing row counted at once (its `sent_at` written), under a per-contact lock, so
    that a text of another number checked a moment later sees this one."""
    rows = [row for row in rows if row.kind in OutboundMessage.MARKETING_KINDS and row.contact_id]
    if not rows:
        return {}
    with transaction.atomic(), connection.cursor() as cursor:
        # In id order, so two dispatchers locking overlapping contacts can't deadlock.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, (c %% 2147483647)::int) "
            "FROM unnest(%s::bigint[]) AS c",
            [_CAP_LOCK_NAMESPACE, sorted({row.contact_id for row in rows})],
        )
        capped = frequency_capped(rows, now=now)
        OutboundMessage.objects.filter(
            id__in=[row.id for row in rows if row.id not in capped], sent_at__isnull=True
        ).update(sent_at=now)
    return capped


def frequency_cap_counted_until(message: SmsMessage, *, now: dt.datetime) -> dt.datetime | None:
    """Until when a sent message's texts still count toward its contacts' frequency cap; None
    once they no longer do. The cap counts texts, so deleting them sooner would let the next
    send reach those contacts over it. A send's last text goes out before it completes."""
    if message.status != SmsMessage.Status.SENT or message.completed_at is None:
        return None
    until = message.completed_at + FREQUENCY_WINDOW
    return until if until > now else None


def contacts_at_frequency_cap(*, account: Account, now: dt.datetime) -> set[int]:
    """The account's contacts who already had as many marketing texts in the window as its
    cap allows: dispatch would defer a text to them now."""
    cap = sending_settings(account).frequency_cap
    return set(
        OutboundMessage.objects.filter(
            account=account,
            kind__in=OutboundMessage.MARKETING_KINDS,
            contact__isnull=False,
            sent_at__gte=now - FREQUENCY_WINDOW,
        )
        .values("contact_id")
        .annotate(n=Count("id"))
        .filter(n__gte=cap)
        .values_list("contact_id", flat=True)
    )


@dataclass(frozen=True)
class QuietHours:
    """When a marketing text may reach its recipient: inside the account's sending window
    (08:00-20:00 unless the account narrowed it) in the recipient's zone (the contact's, else
    the phone's, else the account's: `messaging.schedule.recipient_zone`). Fan-out, dispatch
    and workflows all ask here; a deferred text goes at the next opening."""

    account_zone: str
    start: dt.time
    end: dt.time

    @classmethod
    def of(cls, account: Account) -> QuietHours:
        rules = sending_settings(account)
        return cls(account.time_zone, rules.quiet_hours_start, rules.quiet_hours_end)

    def zone_of(self, *, contact_zone: str | None, phone_e164: str) -> dt.tzinfo:
        zone, _ = recipient_zone(
            contact_zone=contact_zone, phone_e164=phone_e164, account_zone=self.account_zone
        )
        return zone

    def opening(self, when: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
        """The earliest moment at or after `when` that a text may reach someone in `zone`."""
        return next_allowed(when, zone, start=self.start, end=self.end)

    def due(
        self, when: dt.datetime, *, contact_zone: str | None, phone_e164: str
    ) -> tuple[dt.datetime, str]:
        """(when the text may go, "quiet_hours" if that is later than `when`, else "")."""
        due = self.opening(when, self.zone_of(contact_zone=contact_zone, phone_e164=phone_e164))
        return due, ("quiet_hours" if due != when else "")
