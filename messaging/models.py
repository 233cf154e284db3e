"""SMS messages (campaigns), the outbound messages they fan out to, and what Twilio tells us."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account

BODY_MAX_LENGTH = 1600


class SendingSettings(models.Model):
    """Per-account rules for when marketing texts may go out, and the monthly allotment."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="sending")
    quiet_hours_start = models.TimeField(
        default=dt.time(8, 0), help_text="Earliest local time a recipient gets a marketing text."
    )
    quiet_hours_end = models.TimeField(
        default=dt.time(20, 0), help_text="Latest local time a recipient gets a marketing text."
    )
    frequency_cap = models.PositiveSmallIntegerField(
        default=3, help_text="Most marketing texts one contact gets in a rolling 24 hours."
    )
    # Set by staff (Django admin): the contract's figures, read-only to the tenant.
    monthly_segment_allotment = models.PositiveIntegerField(default=10_000)
    allotment_renewal_day = models.PositiveSmallIntegerField(
        default=1, help_text="Day of the month the allotment renews (the contract date)."
    )
    utm_source = models.CharField(max_length=100, default="smsapp")

    class Meta:
        # Django's default plural would be "sending settingss".
        verbose_name = "sending settings"
        verbose_name_plural = "sending settings"

    def __str__(self) -> str:
        return f"sending settings of {self.account}"


class SegmentPurchase(models.Model):
    """A limit increase bought for one allotment period; it counts in that period only."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(help_text="First day of the period it was bought for.")
    segments = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "period_start"])]

    def __str__(self) -> str:
        return f"{self.segments} segments for {self.account} from {self.period_start}"


class Campaign(models.Model):
    """A simple grouping of messages for analytics."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="campaigns")
    public_id = PublicIdField(prefix="cmp")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="campaign_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SmsMessageQuerySet(models.QuerySet):
    def going_out(self) -> SmsMessageQuerySet:
        return self.filter(status__in=SmsMessage.GOING_OUT)


class SmsMessage(models.Model):
    """What a marketer composes and sends: a body, an audience and a schedule.

    Its status changes only through ``messaging.services.lifecycle``, which records who changed
    it in ``MessageEvent``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    # Its rows may be written and sent (a paused message's wait).
    GOING_OUT = (Status.SCHEDULED, Status.SENDING)
    # Nothing of it is in flight, so it can be archived or deleted.
    AT_REST = (Status.DRAFT, Status.SENT, Status.CANCELLED)
    # What it became when it went out, for the list's tabs and the results.
    FINISHED = (Status.SENT, Status.CANCELLED)

    class ScheduleKind(models.TextChoices):
        NOW = "now", "Send now"
        AT = "at", "At a date and time (account's time zone)"
        CONTACT_TIME_ZONE = "contact_tz", "At that local time in each contact's time zone"
        # A workflow's "Send SMS" action: texts go out one by one as records enroll.
        AUTOMATED = "automated", "Automated by a workflow"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sms_messages")
    public_id = PublicIdField(prefix="msg")
    name = models.CharField(max_length=200)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    append_opt_out = models.BooleanField(default=True)
    subscription_type = models.ForeignKey(
        "consent.SubscriptionType", on_delete=models.PROTECT, null=True, blank=True
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    properties = models.JSONField(default=dict, blank=True)
    sender = models.ForeignKey(
        "registration.PhoneNumber", on_delete=models.PROTECT, null=True, blank=True
    )
    include_lists = models.ManyToManyField("contacts.ContactList", blank=True, related_name="+")
    exclude_lists = models.ManyToManyField("contacts.ContactList", blank=True, related_name="+")
    include_contacts = models.ManyToManyField("contacts.Contact", blank=True, related_name="+")
    exclude_contacts = models.ManyToManyField("contacts.Contact", blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    schedule_kind = models.CharField(
        max_length=16, choices=ScheduleKind.choices, default=ScheduleKind.NOW
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # For CONTACT_TIME_ZONE: the wall-clock time to send at in each recipient's zone.
    local_send_at = models.DateTimeField(null=True, blank=True)
    fanout_total = models.PositiveIntegerField(default=0)
    fanout_done = models.PositiveIntegerField(default=0)
    # When the audience is resolved and the rows written: at once for "send now", shortly
    # before the first recipient is due for a scheduled send, so that contacts who join the
    # lists (or opt in) until then are included.
    fanout_starts_at = models.DateTimeField(null=True, blank=True)
    fanout_started_at = models.DateTimeField(null=True, blank=True)
    fanout_completed_at = models.DateTimeField(null=True, blank=True)
    # The creation time of every campaign text of this message, fixed by its first fan-out:
    # the texts live in that month's partition and are unique per contact with it.
    texts_created_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SmsMessageQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def texts_q(self) -> Q:
        """This message's texts, narrowed to the one month partition a campaign's texts live in
        (they all carry `texts_created_at`): a query that names it reads one partition instead
        of probing every month's indexes. An automation's texts keep their own times."""
        if self.texts_created_at is None or self.schedule_kind == self.ScheduleKind.AUTOMATED:
            return Q(message=self)
        return Q(message=self, created_at=self.texts_created_at)


class MessageEvent(models.Model):
    """A change in a message's life and who made it (no user: the app itself, e.g. a scheduled
    send starting). Kept when the message is deleted, with its name."""

    class Kind(models.TextChoices):
        SENT = "sent", "Sent"
        SCHEDULED = "scheduled", "Scheduled"
        STARTED = "started", "Started sending"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        CANCELLED = "cancelled", "Cancelled"
        UNSCHEDULED = "unscheduled", "Unscheduled (back to draft)"
        COMPLETED = "completed", "Finished sending"
        ARCHIVED = "archived", "Archived"
        UNARCHIVED = "unarchived", "Restored from the archive"
        DELETED = "deleted", "Deleted"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        SmsMessage, on_delete=models.SET_NULL, null=True, related_name="events"
    )
    message_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["message", "-at"])]

    def __str__(self) -> str:
        return f"{self.message_name}: {self.get_kind_display()}"


class OutboundStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent"
    PENDING = "pending", "Pending"
    # Claimed by a dispatcher, the call to Twilio under way; DESIGN.md's "sending".
    CLAIMED = "claimed", "Sending"
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending to carrier"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Why a pending text waits (OutboundMessage.deferred_reason), in words.
DEFERRED_REASONS = {
    "quiet_hours": "Quiet hours",
    "frequency_cap": "Frequency cap",
    "daily_cap": "The number's daily cap",
    "retry": "A retry after a temporary error",
}


# Twilio's statuses only move forward; a callback that would move a message back is ignored.
STATUS_RANK = {
    OutboundStatus.CLAIMED: 1,
    OutboundStatus.ACCEPTED: 2,
    OutboundStatus.SCHEDULED: 2,
    OutboundStatus.QUEUED: 3,
    OutboundStatus.SENDING: 4,
    OutboundStatus.SENT: 5,
    OutboundStatus.DELIVERED: 9,
    OutboundStatus.UNDELIVERED: 9,
    OutboundStatus.FAILED: 9,
}
TERMINAL_STATUSES = (
    OutboundStatus.DELIVERED,
    OutboundStatus.UNDELIVERED,
    OutboundStatus.FAILED,
    OutboundStatus.NOT_SENT,
    OutboundStatus.CANCELLED,
)
# A text handed to Twilio, whatever became of it (the results' "Sent").
HANDED_TO_TWILIO = frozenset(
    {
        OutboundStatus.ACCEPTED,
        OutboundStatus.SCHEDULED,
        OutboundStatus.QUEUED,
        OutboundStatus.SENDING,
        OutboundStatus.SENT,
        OutboundStatus.DELIVERED,
        OutboundStatus.UNDELIVERED,
        OutboundStatus.FAILED,
    }
)
# Handed to Twilio, then refused or lost on the way.
NOT_DELIVERED = frozenset({OutboundStatus.UNDELIVERED, OutboundStatus.FAILED})
# Never handed to Twilio: skipped at fan-out or dispatch, or withdrawn.
NEVER_SENT = frozenset({OutboundStatus.NOT_SENT, OutboundStatus.CANCELLED})


class OutboundMessage(models.Model):
    """One text to one phone. Fan-out writes these in bulk; dispatch claims and sends them.

    Partitioned by month of `created_at` (messaging/partitions.py, migration 0004): the
    database's primary key is (id, created_at), `id` still unique from one sequence.

    Database triggers read this table (analytics/migrations/0002_change_feed_triggers.py), after
    every INSERT and UPDATE statement, in its transaction: rows with a `message_id` and a `kind`
    in MARKETING_KINDS become `analytics.OutboundEvent` rows, one per (message_id, old
    `status`, new `status`) with their count; a new row is timed by `created_at`, a changed one
    by `status_updated_at` when the statement changed it too, else by the database's clock. So
    every status change is counted whichever code makes it, one that sets `status_updated_at`
    with it is counted at that moment, and renaming these columns or the kinds means changing
    the triggers with them.
    """

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", "Campaign"
        TEST = "test", "Test send"
        REPLY = "reply", "One-to-one"
        WORKFLOW = "workflow", "Workflow"

    # Marketing texts: the ones quiet hours, the frequency cap and opt-outs of their
    # subscription type hold back, an inbound STOP withdraws, and analytics counts. The change
    # feed's trigger SQL (analytics/migrations/0002_change_feed_triggers.py, COUNTED_KINDS)
    # spells out the same two kinds; changing them means changing the triggers with them.
    MARKETING_KINDS = (Kind.CAMPAIGN, Kind.WORKFLOW)

    # The table a send writes a million rows into: no database foreign key constraints
    # (db_constraint=False), since each would check its parent row once per row written and
    # together they doubled the cost of a fan-out's COPY (bench fanout). The rows are written
    # only by our services, from parents they just read; deletes still cascade or set null
    # through Django's collector. Single-column indexes that a composite index below already
    # leads with are left out.
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    message = models.ForeignKey(
        SmsMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound",
        db_constraint=False,
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    sender = models.ForeignKey(
        "registration.PhoneNumber",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CAMPAIGN)
    to_phone = models.CharField(max_length=16, blank=True)
    body = models.TextField(blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    encoding = models.CharField(max_length=5, blank=True)
    status = models.CharField(
        max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    not_sent_reason = models.CharField(max_length=40, blank=True)
    deferred_reason = models.CharField(max_length=20, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    # Unique through a constraint rather than unique=True, which on PostgreSQL adds a second
    # index (for LIKE) that nothing uses.
    twilio_sid = models.CharField(max_length=34, null=True, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A unique index of a partitioned table must hold its partition key (created_at).
            # Every campaign text of a message carries one creation time
            # (SmsMessage.texts_created_at), so this still means once per message and contact,
            # which a re-run fan-out relies on.
            models.UniqueConstraint(
                fields=["message", "contact", "created_at"],
                condition=Q(message__isnull=False, contact__isnull=False),
                name="outbound_once_per_message_contact",
            ),
        ]
        indexes = [
            # Not unique (see above): Twilio's SIDs are unique by themselves.
            models.Index(fields=["twilio_sid"], name="outbound_twilio_sid"),
            models.Index(
                fields=["sender", "due_at"],
                condition=Q(status="pending"),
                name="outbound_due",
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="claimed"), name="outbound_claimed"
            ),
            models.Index(fields=["message", "status"], name="outbound_message_status"),
            models.Index(fields=["account", "to_phone", "sent_at"], name="outbound_phone_sent"),
            # The contact timeline and the inbox thread read a contact's texts newest first.
            models.Index(fields=["contact", "-created_at"], name="outbound_contact_created"),
        ]

    def __str__(self) -> str:
        return f"to {self.to_phone} ({self.status})"


class StatusCallback(models.Model):
    """Each (MessageSid, MessageStatus) Twilio reported, recorded once."""

    message_sid = models.CharField(max_length=34)
    status = models.CharField(max_length=12)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    account_sid = models.CharField(max_length=34)
    received_at = models.DateTimeField(default=timezone.now)
    applied = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_sid", "status"], name="status_callback_once")
        ]
        indexes = [models.Index(fields=["applied", "received_at"], name="status_unapplied")]

    def __str__(self) -> str:
        return f"{self.message_sid} {self.status}"


class InboundMessage(models.Model):
    """A text a contact sent us: a keyword, or a reply for the inbox.

    A database trigger (analytics/migrations/0002_change_feed_triggers.py) copies each new row
    whose `keyword_kind` is not opt_out, opt_in or help into `analytics.ReplyEvent`
    (`account_id`, `message_sid`, `from_phone`, `to_phone`, and `received_at` as its time), in
    the same transaction: renaming these columns or the keyword kinds means changing it too.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="in")
    message_sid = models.CharField(max_length=34, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_phone = models.CharField(max_length=16)
    to_phone = models.CharField(max_length=16)
    body = models.TextField(blank=True)
    keyword_kind = models.CharField(max_length=20, blank=True)
    flagged_for_review = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "from_phone", "to_phone", "-received_at"])]

    def __str__(self) -> str:
        return f"from {self.from_phone}: {self.body[:30]}"


class MessageProperty(models.Model):
    """An account-defined field every SMS message carries (e.g. "Cost center"), some required
    when a message is created; values live in `SmsMessage.properties[key]`."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        CHOICE = "choice", "Single choice"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="mpr")
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(
        default=False, help_text="A message can't be created without a value."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="message_property_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class TestPhone(models.Model):
    """A teammate's own phone that test sends may go to, once a code texted to it came back."""

    __test__ = False  # not a pytest test class, despite its name

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="tph")
    phone_e164 = models.CharField(max_length=16)
    # HMAC of the current verification code; cleared once verified.
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user", "phone_e164"], name="test_phone_unique"
            )
        ]

    def __str__(self) -> str:
        return self.phone_e164

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class MessageLink(models.Model):
    """A link of a message as its author typed it, stored once per message (not per recipient):
    a short link's code names the recipient's outbound row and this link's position."""

    message = models.ForeignKey(SmsMessage, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="message_link_once")
        ]

    def __str__(self) -> str:
        return self.url


class LinkClick(models.Model):
    """One fetch of a short link, as the redirect recorded it. Partitioned by month of
    `clicked_at` (messaging/partitions.py).

    The redirect only appends this row; analytics rolls it up later (`rolled_up`), so a worker
    that dies mid-rollup leaves the click here to be counted by the next run. `outbound_id` is
    a plain column, not a foreign key: deleting a message then deletes its clicks in one
    statement instead of Django collecting every outbound row first.
    """

    # No database foreign key constraints (db_constraint=False): each would run a
    # `SELECT ... FOR KEY SHARE` on the message and account rows per click, and concurrent
    # taps on one message would queue on that row's lock. The redirect only inserts rows it
    # just read from those tables, and deletes still cascade (Django's collector).
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    message = models.ForeignKey(
        SmsMessage, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    outbound_id = models.BigIntegerField()
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    position = models.PositiveSmallIntegerField()
    clicked_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=300, blank=True)
    # A link preview, crawler or security scanner rather than a person
    # (messaging.shortlinks.fetch_is_bot).
    is_bot = models.BooleanField(default=False)
    rolled_up = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["outbound_id"], name="click_outbound"),
            models.Index(fields=["id"], condition=Q(rolled_up=False), name="click_not_rolled_up"),
            # A contact's clicks, newest first (the timeline); deleting a contact clears its
            # clicks' contact through it instead of scanning every click.
            models.Index(fields=["contact", "-clicked_at"], name="click_contact"),
        ]

    def __str__(self) -> str:
        return f"click on {self.outbound_id}/{self.position}"


class TestLink(models.Model):
    """A link of a test send, so the short link a tester taps redirects like the real one.

    Test texts name no message (they are no part of its audience or its analytics), so their
    short links can't be found through MessageLink; a test's code names `code_id` instead, an
    id drawn from the outbound table's own sequence, which no outbound row will ever hold, so a
    test code never resolves to someone's campaign text. Taps on it are not counted as clicks.
    """

    __test__ = False  # not a pytest test class, despite its name

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(SmsMessage, on_delete=models.CASCADE, related_name="+")
    code_id = models.BigIntegerField()
    position = models.PositiveSmallIntegerField()
    url = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code_id", "position"], name="test_link_once")
        ]

    def __str__(self) -> str:
        return self.url
