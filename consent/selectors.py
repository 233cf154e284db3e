"""Reads of consent: status for the contact page, set-based answers for fan-out and dispatch,
the ledger, keywords and replies waiting for review."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet, Subquery

from accounts.models import Account
from consent.models import (
    ConsentLedgerEntry,
    ConsentSource,
    ConsentState,
    ConsentStatus,
    KeywordKind,
    KeywordRule,
    OptInPage,
    ReplyReview,
    SubscriptionType,
)
from contacts.models import Contact, Engagement, EngagementKind
from contacts.timeline import TimelineItem, timeline_after_q

CHUNK = 5000


def subscription_types(*, account: Account) -> QuerySet[SubscriptionType]:
    return SubscriptionType.objects.filter(account=account).order_by("-is_default", "name")


def subscription_type_get(*, account: Account, public_id: str) -> SubscriptionType | None:
    return SubscriptionType.objects.filter(account=account, public_id=public_id).first()


def subscription_type_default(*, account: Account) -> SubscriptionType | None:
    return SubscriptionType.objects.filter(account=account, is_default=True).first()


@dataclass(frozen=True)
class ConsentRow:
    subscription_type: SubscriptionType
    phone_e164: str
    status: str
    source: str
    updated_at: object
    # A number the contact no longer has (changed, or a phone reformat reverted): its consent
    # stays recorded for that number, but this contact isn't texted there.
    former: bool = False

    @property
    def status_label(self) -> str:
        return ConsentState(self.status).label


def contact_consent(*, account: Account, contact: Contact) -> list[ConsentRow]:
    """Each subscription type x each of the contact's phones (and any phone with a recorded
    status), "not specified" where nothing was recorded."""
    statuses = {
        (s.subscription_type_id, s.phone_e164): s
        for s in ConsentStatus.objects.filter(account=account, contact=contact)
    }
    phones = [p for p in (contact.mobile_phone_e164, contact.phone_e164) if p]
    current = set(phones)
    phones += [phone for _, phone in statuses if phone not in phones]
    rows = []
    for subscription_type in subscription_types(account=account):
        for phone in dict.fromkeys(phones):
            status = statuses.get((subscription_type.pk, phone))
            rows.append(
                ConsentRow(
                    subscription_type=subscription_type,
                    phone_e164=phone,
                    status=status.status if status else ConsentState.NOT_SPECIFIED,
                    source=status.source if status else "",
                    updated_at=status.updated_at if status else None,
                    former=phone not in current,
                )
            )
    return rows


def contacts_in_consent_state_q(
    *, account: Account, subscription_type_public_id: str, state: str
) -> Q:
    """A Q over Contact: subscribed (on any phone), unsubscribed (on some phone and subscribed
    on none) or not specified (nothing recorded) for the subscription type."""
    statuses = ConsentStatus.objects.filter(
        account=account, subscription_type__public_id=subscription_type_public_id
    )
    subscribed = statuses.filter(status=ConsentState.SUBSCRIBED).values("contact_id")
    unsubscribed = statuses.filter(status=ConsentState.UNSUBSCRIBED).values("contact_id")
    if state == ConsentState.SUBSCRIBED:
        return Q(pk__in=subscribed)
    if state == ConsentState.UNSUBSCRIBED:
        return Q(pk__in=unsubscribed) & ~Q(pk__in=subscribed)
    return ~Q(pk__in=statuses.values("contact_id"))


def subscribed_pairs(
    *, account: Account, subscription_type: SubscriptionType, contact_ids: Iterable[int]
) -> set[tuple[int, str]]:
    """(contact id, phone) pairs subscribed to the type, for the given contacts."""
    ids = list(contact_ids)
    pairs: set[tuple[int, str]] = set()
    for start in range(0, len(ids), CHUNK):
        pairs.update(
            ConsentStatus.objects.filter(
                account=account,
                subscription_type=subscription_type,
                contact_id__in=ids[start : start + CHUNK],
                status=ConsentState.SUBSCRIBED,
            ).values_list("contact_id", "phone_e164")
        )
    return pairs


def consent_state_of(*, subscription_type_id: int | None, contact, phone) -> Subquery:
    """For fan-out: the consent status of a contact's phone for the type, as a subquery of a
    contact query (`contact` and `phone` are its OuterRefs), read in the same statement."""
    return Subquery(
        ConsentStatus.objects.filter(
            contact_id=contact, phone_e164=phone, subscription_type_id=subscription_type_id
        ).values("status")[:1]
    )


def phone_opt_outs(
    *, account_ids: Iterable[int], phones: Iterable[str]
) -> dict[tuple[int, str], list[tuple[int, datetime.datetime]]]:
    """For dispatch: every opt-out of these phones, as (subscription type id, when) per
    (account id, phone); one query. Opt-outs are account-wide: any contact's, any number's."""
    opt_outs: dict[tuple[int, str], list[tuple[int, datetime.datetime]]] = defaultdict(list)
    for account_id, phone, subscription_type_id, updated_at in ConsentStatus.objects.filter(
        account_id__in=set(account_ids),
        phone_e164__in=set(phones),
        status=ConsentState.UNSUBSCRIBED,
    ).values_list("account_id", "phone_e164", "subscription_type_id", "updated_at"):
        opt_outs[(account_id, phone)].append((subscription_type_id, updated_at))
    return dict(opt_outs)


def phones_opted_out(
    *,
    account: Account,
    phones: Iterable[str],
    subscription_type: SubscriptionType | None = None,
) -> set[str]:
    """The phones that opted out (a STOP, a carrier's opt-out, a manual one) of the type, or of
    any type when none is given (one-to-one texts and test sends have none)."""
    phones = set(phones)
    if not phones:
        return set()
    statuses = ConsentStatus.objects.filter(
        account=account, phone_e164__in=phones, status=ConsentState.UNSUBSCRIBED
    )
    if subscription_type is not None:
        statuses = statuses.filter(subscription_type=subscription_type)
    return set(statuses.values_list("phone_e164", flat=True))


def phones_subscribed(
    *, account: Account, subscription_type: SubscriptionType, phones: Iterable[str]
) -> set[tuple[int | None, str]]:
    """(contact id, phone) of each phone subscribed to the type, plus (None, phone) for a
    phone subscribed on any of its contacts (a record that is not a contact has only the
    phone)."""
    pairs: set[tuple[int | None, str]] = set()
    for contact_id, phone in ConsentStatus.objects.filter(
        account=account,
        subscription_type=subscription_type,
        phone_e164__in=set(phones),
        status=ConsentState.SUBSCRIBED,
    ).values_list("contact_id", "phone_e164"):
        pairs.update({(contact_id, phone), (None, phone)})
    return pairs


def consent_is_subscribed(
    *, account: Account, contact_id: int, phone_e164: str, subscription_type: SubscriptionType
) -> bool:
    """Whether one contact's phone is subscribed to the type."""
    return ConsentStatus.objects.filter(
        account=account,
        contact_id=contact_id,
        phone_e164=phone_e164,
        subscription_type=subscription_type,
        status=ConsentState.SUBSCRIBED,
    ).exists()


def consent_ledger(
    *, account: Account, contact: Contact | None = None
) -> QuerySet[ConsentLedgerEntry]:
    """Ledger entries, newest first, for the account or one contact."""
    entries = ConsentLedgerEntry.objects.filter(account=account).select_related("subscription_type")
    if contact is not None:
        entries = entries.filter(contact=contact)
    return entries.order_by("-occurred_at", "-id")


CONTACT_LEDGER_PAGE_SIZE = 50


def contact_ledger_page(*, account: Account, contact: Contact, page: str | int | None) -> Page:
    """One page of a contact's ledger, newest first, for the contact page. A contact's history
    is hundreds of rows at most, so numbered pages (a count and an offset on the contact's
    ledger index) cost little; a page number out of range shows the last page."""
    entries = consent_ledger(account=account, contact=contact).select_related("actor")
    return Paginator(entries, CONTACT_LEDGER_PAGE_SIZE).get_page(page)


LEDGER_CSV_HEADER = [
    "Entry id",
    "Occurred at (UTC)",
    "Contact id",
    "Contact",
    "Phone",
    "Subscription type",
    "Previous status",
    "New status",
    "Source",
    "Changed by",
    "Message SID",
    "IP address",
    "Evidence",
]


def consent_ledger_csv_rows(entries: QuerySet[ConsentLedgerEntry]):
    """Ledger rows for CSV export, streamed in id order in chunks."""
    for entry in entries.iterator(chunk_size=2000):
        yield [
            entry.public_id,
            entry.occurred_at.isoformat(),
            entry.contact_public_id,
            entry.contact_label,
            entry.phone_e164,
            entry.subscription_type.name,
            entry.get_previous_status_display(),
            entry.get_new_status_display(),
            entry.get_source_display(),
            entry.actor_label,
            entry.message_sid,
            entry.ip_address or "",
            entry.evidence,
        ]


def consent_change_summary(
    status: str, subscription_type_name: str, phone: str, source: str
) -> str:
    verb = {
        ConsentState.SUBSCRIBED: "Subscribed to",
        ConsentState.UNSUBSCRIBED: "Unsubscribed from",
    }.get(status, "Consent cleared for")
    return f"{verb} {subscription_type_name} on {phone} ({ConsentSource(source).label.lower()})"


def consent_timeline(
    *,
    account: Account,
    contact: Contact,
    kinds: set[str] | None = None,
    limit: int = 50,
    before: tuple[datetime.datetime, str] | None = None,
) -> list[TimelineItem]:
    """A contact's consent changes as timeline items (contacts/timeline.py; they are its one
    kind, so `kinds` asks nothing more)."""
    entries = (
        consent_ledger(account=account, contact=contact)
        .filter(timeline_after_q(before))
        .order_by("-occurred_at", "-public_id")[:limit]
    )
    return [
        TimelineItem(
            id=entry.public_id,
            kind=EngagementKind.CONSENT_CHANGE,
            occurred_at=entry.occurred_at,
            summary=consent_change_summary(
                entry.new_status, entry.subscription_type.name, entry.phone_e164, entry.source
            ),
            data={
                "subscription_type": entry.subscription_type.public_id,
                "phone": entry.phone_e164,
                "previous": entry.previous_status,
                "new": entry.new_status,
                "source": entry.source,
                "by": entry.actor_label or entry.message_sid,
                "evidence": entry.evidence[:500],
            },
        )
        for entry in entries
    ]


def keyword_rules(*, account: Account) -> QuerySet[KeywordRule]:
    return KeywordRule.objects.filter(account=account).order_by("kind", "word")


def keyword_rules_by_kind(*, account: Account) -> dict[str, list[KeywordRule]]:
    grouped: dict[str, list[KeywordRule]] = {kind: [] for kind in KeywordKind.values}
    for rule in keyword_rules(account=account):
        grouped[rule.kind].append(rule)
    return grouped


def replies_needing_review(*, account: Account) -> QuerySet[Engagement]:
    """Inbound texts that mention an opt-out word without being one ("please stop texting"),
    and that nobody has marked reviewed yet."""
    return (
        Engagement.objects.filter(
            account=account, kind=EngagementKind.SMS_REPLY, data__needs_review=True
        )
        .exclude(pk__in=ReplyReview.objects.filter(account=account).values("engagement_id"))
        .select_related("contact")
        .order_by("-occurred_at")
    )


def replies_reviewed(*, account: Account) -> QuerySet[ReplyReview]:
    """Flagged replies someone marked reviewed, most recent review first."""
    return (
        ReplyReview.objects.filter(account=account)
        .select_related("engagement", "engagement__contact")
        .order_by("-reviewed_at", "-id")
    )


@dataclass(frozen=True)
class ConsentStateCounts:
    """Contacts by where they stand for a subscription type. `subscribed` and `opted_out` are
    the contact index's "subscribed" and "unsubscribed" filters; of the contacts with nothing
    recorded, `not_sms_capable` have no phone that can take SMS and `not_specified` do. The
    four add up to the account's contacts."""

    subscribed: int = 0
    opted_out: int = 0
    not_specified: int = 0
    not_sms_capable: int = 0


def consent_state_counts(*, account: Account) -> dict[int, ConsentStateCounts]:
    """Subscription type id -> its ConsentStateCounts, in two statements whatever the number of
    types: one over the account's contacts, one over its status rows joined to their contacts.
    It reads every contact of the account: the worker runs it (analytics' snapshot), not a
    page."""
    sms_capable = Q(mobile_phone_e164__gt="", mobile_phone_sms_invalid_reason="") | Q(
        phone_e164__gt="", phone_sms_invalid_reason=""
    )
    totals = Contact.objects.filter(account=account).aggregate(
        everyone=Count("pk"), capable=Count("pk", filter=sms_capable)
    )
    counts = {
        pk: [0, 0, 0]  # subscribed, recorded, recorded and SMS-capable
        for pk in SubscriptionType.objects.filter(account=account).values_list("pk", flat=True)
    }
    contact = Contact._meta.db_table
    status = ConsentStatus._meta.db_table
    capable_sql = (
        "((c.mobile_phone_e164 <> '' AND c.mobile_phone_sms_invalid_reason = '') OR "
        "(c.phone_e164 <> '' AND c.phone_sms_invalid_reason = ''))"
    )
    with connection.cursor() as cursor:
        # Per (type, contact): subscribed on some phone?, can it take SMS?; then per type.
        # Table names and constant SQL only.
        cursor.execute(
            "SELECT subscription_type_id, count(*) FILTER (WHERE subscribed), count(*), "  # noqa: S608
            "count(*) FILTER (WHERE capable) FROM ("
            "  SELECT s.subscription_type_id, s.contact_id, "
            "  bool_or(s.status = %s) AS subscribed, "
            f"  bool_and({capable_sql}) AS capable "
            f"  FROM {status} s JOIN {contact} c ON c.id = s.contact_id "
            "  WHERE s.account_id = %s AND c.account_id = %s "
            "  GROUP BY s.subscription_type_id, s.contact_id"
            ") per_contact GROUP BY subscription_type_id",
            [ConsentState.SUBSCRIBED, account.pk, account.pk],
        )
        for type_id, subscribed, recorded, recorded_capable in cursor.fetchall():
            if type_id in counts:
                counts[type_id] = [subscribed, recorded, recorded_capable]
    return {
        type_id: ConsentStateCounts(
            subscribed=subscribed,
            opted_out=recorded - subscribed,
            not_specified=totals["capable"] - recorded_capable,
            not_sms_capable=(totals["everyone"] - totals["capable"])
            - (recorded - recorded_capable),
        )
        for type_id, (subscribed, recorded, recorded_capable) in counts.items()
    }


@dataclass(frozen=True)
class KeywordDeclaration:
    """The account's keywords and the replies it sends to them, as a registration declares
    them to the carriers: the words of each kind, and the reply of its usual word (START, STOP,
    HELP) or else of its first word."""

    opt_in_keywords: list[str]
    opt_in_message: str
    opt_out_keywords: list[str]
    opt_out_message: str
    help_keywords: list[str]
    help_message: str


_USUAL_WORD = {KeywordKind.OPT_IN: "START", KeywordKind.OPT_OUT: "STOP", KeywordKind.HELP: "HELP"}


def keyword_declaration(*, account: Account) -> KeywordDeclaration:
    grouped = keyword_rules_by_kind(account=account)
    words, replies = {}, {}
    for kind, usual in _USUAL_WORD.items():
        rules = sorted(grouped[kind], key=lambda r: (r.word != usual, r.word))
        words[kind] = [r.word for r in rules]
        replies[kind] = next((r.reply_text for r in rules if r.reply_text), "")
    return KeywordDeclaration(
        opt_in_keywords=words[KeywordKind.OPT_IN],
        opt_in_message=replies[KeywordKind.OPT_IN],
        opt_out_keywords=words[KeywordKind.OPT_OUT],
        opt_out_message=replies[KeywordKind.OPT_OUT],
        help_keywords=words[KeywordKind.HELP],
        help_message=replies[KeywordKind.HELP],
    )


def opt_in_page_for_registration(*, account: Account) -> OptInPage | None:
    """The opt-in page a registration names as its evidence: the default subscription type's
    if it is open, else the first open one."""
    return (
        OptInPage.objects.filter(account=account, enabled=True)
        .select_related("subscription_type")
        .order_by("-subscription_type__is_default", "subscription_type__name")
        .first()
    )
