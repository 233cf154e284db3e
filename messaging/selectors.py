"""Reads for the composer and the messages list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from consent import selectors as consent_selectors
from contacts import selectors as contact_selectors
from contacts.models import Contact
from messaging import links, segments, tokens
from messaging.models import Campaign, MessageProperty, SmsMessage, TestPhone
from registration.models import PhoneNumber
from smsapp.models import Account, Membership, User

# The tabs of the messages list -> the statuses they hold (archived is its own tab).
LIST_TABS: dict[str, tuple[str, ...]] = {
    "draft": (SmsMessage.Status.DRAFT,),
    "scheduled": (SmsMessage.Status.SCHEDULED,),
    "sending": (SmsMessage.Status.SENDING, SmsMessage.Status.PAUSED),
    "sent": (SmsMessage.Status.SENT, SmsMessage.Status.CANCELLED),
}
LIST_TAB_LABELS = {
    "": "All",
    "draft": "Drafts",
    "scheduled": "Scheduled",
    "sending": "Sending",
    "sent": "Sent",
    "archived": "Archived",
}
LIST_SORTS = {
    "-updated": ("-updated_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
}
LIST_SORT_LABELS = {
    "-updated": "Last updated",
    "-created": "Newest",
    "created": "Oldest",
    "name": "Name A-Z",
    "-name": "Name Z-A",
}


# How a message goes out -> the schedule kinds that mean it (the messages list's filter).
SEND_METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "regular": ("Regular", (SmsMessage.ScheduleKind.NOW, SmsMessage.ScheduleKind.AT)),
    "contact_tz": (
        "Scheduled in contacts' time zones",
        (SmsMessage.ScheduleKind.CONTACT_TIME_ZONE,),
    ),
    "automated": ("Automated by a workflow", (SmsMessage.ScheduleKind.AUTOMATED,)),
}


def messages_list(
    *,
    account: Account,
    tab: str = "",
    q: str = "",
    sort: str = "-updated",
    campaign: str = "",
    method: str = "",
    owner: str = "",
) -> QuerySet[SmsMessage]:
    """The account's messages in one tab (all but archived when none), searched by name and
    filtered by campaign (public id), send method (SEND_METHODS) and owner (membership id)."""
    queryset = SmsMessage.objects.filter(account=account).select_related("campaign", "owner")
    if tab == "archived":
        queryset = queryset.filter(archived_at__isnull=False)
    else:
        queryset = queryset.filter(archived_at__isnull=True)
        if tab in LIST_TABS:
            queryset = queryset.filter(status__in=LIST_TABS[tab])
    q = (q or "").strip()[:200]
    if q:
        queryset = queryset.filter(name__icontains=q)
    if campaign:
        queryset = queryset.filter(campaign__public_id=campaign)
    if method in SEND_METHODS:
        queryset = queryset.filter(schedule_kind__in=SEND_METHODS[method][1])
    if owner:
        # By membership, so only users of this account can be named.
        queryset = queryset.filter(
            owner__memberships__account=account, owner__memberships__public_id=owner
        )
    return queryset.order_by(*LIST_SORTS.get(sort, LIST_SORTS["-updated"]))


def message_owners(*, account: Account) -> QuerySet[Membership]:
    """The account's members, for the messages list's "by user" filter."""
    return Membership.objects.filter(account=account).select_related("user").order_by("user__email")


def personalization_fields(*, account: Account) -> list[tuple[str, str]]:
    """(key, label) of every contact property a token may name: built-in fields, then the
    account's own properties."""
    fields = {**contact_selectors.TEXT_FIELDS, **contact_selectors.PHONE_FIELDS}
    for prop in contact_selectors.contact_properties(account=account):
        fields.setdefault(prop.key, prop.label)
    return list(fields.items())


def token_values(contact: Contact | None) -> dict[str, object]:
    """What tokens render with: the contact's values, or nothing (so every default shows)."""
    return contact_selectors.contact_token_values(contact) if contact is not None else {}


def contact_for_preview(*, account: Account, public_id: str) -> Contact | None:
    if not public_id:
        return None
    return Contact.objects.filter(account=account, public_id=public_id).first()


def contacts_for_picker(*, account: Account, q: str, limit: int = 20) -> list[Contact]:
    """Contacts whose name, email or phone starts with `q`, for the preview's contact picker."""
    queryset = Contact.objects.filter(account=account)
    if q.strip():
        queryset = queryset.filter(contact_selectors.search_q(account, q))
    return list(queryset.order_by("-created_at", "-pk")[:limit])


def sender_for(*, account: Account, message: SmsMessage | None = None) -> PhoneNumber | None:
    """The number a message (or a test send) goes out from: the message's own while it is
    active, else the account's first active number."""
    if (
        message is not None
        and message.sender_id
        and message.sender.status == PhoneNumber.Status.ACTIVE
    ):
        return message.sender
    return (
        PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE)
        .order_by("created_at", "pk")
        .first()
    )


def senders(*, account: Account) -> QuerySet[PhoneNumber]:
    return PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE).order_by(
        "created_at", "pk"
    )


@dataclass(frozen=True)
class Preview:
    """A body as one recipient gets it, and what it costs.

    `text` is what the recipient reads (links as typed until short links exist); `counted_text`
    has each link replaced by a string as long as its short link, and `estimate` is of that.
    """

    text: str
    counted_text: str
    estimate: segments.SegmentEstimate
    links: int
    short_link_length: int
    values: Mapping[str, object]


def preview_build(
    *,
    body: str,
    append_opt_out: bool,
    values: Mapping[str, object],
    link_placeholder: str,
) -> Preview:
    """Append the opt-out line, number the links fan-out shortens, render tokens, then count
    with those links at short-link length.

    The links are found in the body as written, as fan-out finds them (links.links_number):
    a link holding a token, and any past the 16th, goes out as typed and counts as rendered.
    """
    template, found = links.links_number(
        tokens.body_with_opt_out(body, append_opt_out=append_opt_out),
        limit=links.MAX_SHORT_LINKS,
    )
    rendered = tokens.render(template, values)
    counted = links.markers_fill(rendered, [link_placeholder] * len(found))
    return Preview(
        text=links.markers_fill(rendered, found),
        counted_text=counted,
        estimate=segments.estimate(counted),
        links=len(found),
        short_link_length=len(link_placeholder),
        values=values,
    )


def message_preview(
    *,
    account: Account,
    body: str,
    append_opt_out: bool = True,
    contact: Contact | None = None,
    sender: PhoneNumber | None = None,
) -> Preview:
    """The body rendered for `contact` (or with every default) and its exact segment count."""
    return preview_build(
        body=body,
        append_opt_out=append_opt_out,
        values=token_values(contact),
        link_placeholder=links.short_link_placeholder(account, sender=sender),
    )


def test_phones(*, account: Account, user: User) -> QuerySet[TestPhone]:
    return TestPhone.objects.filter(account=account, user=user).order_by("created_at", "pk")


def test_phones_verified(*, account: Account) -> QuerySet[TestPhone]:
    """Every teammate's verified test phone: test sends may go to any of them."""
    return (
        TestPhone.objects.filter(account=account, verified_at__isnull=False)
        .select_related("user")
        .order_by("user__email", "phone_e164")
    )


def message_properties(*, account: Account) -> QuerySet[MessageProperty]:
    return MessageProperty.objects.filter(account=account).order_by("-required", "label")


def campaigns(*, account: Account) -> QuerySet[Campaign]:
    return Campaign.objects.filter(account=account).order_by("name")


def subscription_types(*, account: Account):
    return consent_selectors.subscription_types(account=account)


def message_counts_by_tab(*, account: Account) -> dict[str, int]:
    """How many messages each tab of the list holds, in one query."""
    live = Q(archived_at__isnull=True)
    counts = {"": Count("pk", filter=live), "archived": Count("pk", filter=~live)}
    for tab, statuses in LIST_TABS.items():
        counts[tab] = Count("pk", filter=live & Q(status__in=statuses))
    aggregated = SmsMessage.objects.filter(account=account).aggregate(
        **{f"tab_{key}": value for key, value in counts.items()}
    )
    return {key: aggregated[f"tab_{key}"] for key in counts}
