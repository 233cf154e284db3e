"""Rollups of what happened to messages, and the change feed they are built from.

Pages read only the rollups (`MessageStats`, `MessageHourStats`, `MessageDayStats`), never raw
outbound rows. The worker keeps them current from:

- `OutboundEvent`: every status change of a campaign or workflow text, written by database
  triggers on the outbound table (migration 0002_change_feed_triggers; what they read is on
  `messaging.OutboundMessage`): in the same transaction as the change
  itself, so no code path (fan-out, dispatch, reconciliation, callbacks, a STOP cancelling
  queued texts) can change a status without the rollups hearing of it, and a crash loses
  neither. On PostgreSQL the triggers are per statement and write one row per (message, old
  status, new status), so a 5,000-row fan-out batch adds a row or two, not 5,000.
- `messaging.LinkClick` rows not yet rolled up.
- `OptOutEvent`: personal opt-outs (keyword, carrier) from the consent ledger, also by trigger
  (see `consent.ConsentLedgerEntry`), attributed to the last text the phone got
  (`OptOutAttribution`).
- `ReplyEvent`: texts people send us that aren't an opt-out, opt-in or help keyword, also by
  trigger (on the inbound table, see `messaging.InboundMessage`), attributed to the last text
  that phone got from the number it wrote to (`ReplyAttribution`).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account

COUNTERS = (
    "recipients",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "not_sent",
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "opt_outs",
    "replies",
)


class Counters(models.Model):
    """What rollups count. `sent` is every text handed to Twilio (whatever became of it);
    `clicks` and `unique_clicks` are people's, `bot_clicks` previews' and scanners'."""

    recipients = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    undelivered = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    not_sent = models.IntegerField(default=0)
    clicks = models.IntegerField(default=0)
    unique_clicks = models.IntegerField(default=0)
    bot_clicks = models.IntegerField(default=0)
    opt_outs = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def counters(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


class MessageStats(Counters):
    """A message's totals."""

    message = models.OneToOneField(
        "messaging.SmsMessage", on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    # When the drift check last recomputed this message from raw rows.
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"stats of message {self.message_id}"


class MessageHourStats(Counters):
    """A message's counts per hour (UTC), for its performance page's time series."""

    message = models.ForeignKey(
        "messaging.SmsMessage", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "hour"], name="message_hour_stats_once")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.hour}"


class MessageDayStats(Counters):
    """A message's counts per day in its account's time zone: the Analyze tab sums these."""

    message = models.ForeignKey(
        "messaging.SmsMessage", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "day"], name="message_day_stats_once")
        ]
        indexes = [models.Index(fields=["account", "day"], name="day_stats_account_day")]

    def __str__(self) -> str:
        return f"{self.message_id} on {self.day}"


class OutboundEvent(models.Model):
    """`count` outbound texts of a message went from `old_status` ("" when new) to
    `new_status` at `occurred_at`. Written only by the triggers of migration
    0002_change_feed_triggers, which fill every column but `id` (renaming one means changing
    them); consumed (deleted) by the rollup."""

    id = models.BigAutoField(primary_key=True)
    # No foreign key: the trigger must stay cheap, and events of a deleted message are dropped.
    message_id = models.BigIntegerField()
    old_status = models.CharField(max_length=12, blank=True)
    new_status = models.CharField(max_length=12)
    count = models.IntegerField()
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.count} of {self.message_id}: {self.old_status} -> {self.new_status}"


class OptOutEvent(models.Model):
    """A personal opt-out written to the consent ledger; consumed by the rollup. Written only
    by the trigger of migration 0002_change_feed_triggers, which fills every column but `id`
    from the ledger entry (renaming one means changing it)."""

    id = models.BigAutoField(primary_key=True)
    ledger_entry_id = models.BigIntegerField()
    account_id = models.BigIntegerField()
    contact_id = models.BigIntegerField(null=True)
    phone_e164 = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"opt-out of {self.phone_e164}"


class OptOutAttribution(models.Model):
    """A recipient who opted out after a message: the last text their phone got before the
    opt-out, within ATTRIBUTION_WINDOW (analytics.services.rollups)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey("messaging.SmsMessage", on_delete=models.CASCADE, related_name="+")
    # One per recipient of a message, however many times they opt out (or of how many types).
    outbound_id = models.BigIntegerField(unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    phone_e164 = models.CharField(max_length=20)
    opted_out_at = models.DateTimeField()
    ledger_entry_id = models.BigIntegerField()

    class Meta:
        # The Consent report counts an account's attributed opt-outs in a date range.
        indexes = [models.Index(fields=["account", "opted_out_at"], name="opt_out_attr_time")]

    def __str__(self) -> str:
        return f"{self.phone_e164} opted out after {self.message_id}"


class ReplyEvent(models.Model):
    """A text someone sent us that isn't an opt-out, opt-in or help keyword (a reply, a custom
    keyword, one flagged for review); consumed by the rollup. Written only by the trigger of
    migration 0002_change_feed_triggers, which fills every column but `id` from the inbound row
    (renaming one means changing it)."""

    id = models.BigAutoField(primary_key=True)
    account_id = models.BigIntegerField()
    message_sid = models.CharField(max_length=34)
    from_phone = models.CharField(max_length=16)
    to_phone = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reply {self.message_sid}"


class ReplyAttribution(models.Model):
    """A reply counted for a message: the last text the phone got from the number it wrote to,
    within ATTRIBUTION_WINDOW before the reply (analytics.services.rollups). Every reply
    counts; `message_sid` (the reply's) keeps it once, and is how the contact timeline links
    the reply to the message's performance page."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    message = models.ForeignKey("messaging.SmsMessage", on_delete=models.CASCADE, related_name="+")
    message_sid = models.CharField(max_length=34, unique=True)
    outbound_id = models.BigIntegerField()
    phone_e164 = models.CharField(max_length=20)
    replied_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.phone_e164} replied to {self.message_id}"


class ConsentDirection(models.TextChoices):
    OPT_IN = "opt_in", "Opt-ins"
    OPT_OUT = "opt_out", "Opt-outs"


class ConsentReportSource(models.TextChoices):
    """Where a consent change came from, as the Consent report names it: the ledger's source,
    except that a phone reformat's attested opt-ins (source bulk, `data.reformat` set) are
    told apart from bulk changes on the contact index."""

    KEYWORD = "keyword", "Keyword"
    OPT_IN_PAGE = "form", "Opt-in page"
    IMPORT = "import", "Import"
    MANUAL = "manual", "Manual"
    BULK = "bulk", "Bulk change"
    API = "api", "API"
    CARRIER = "carrier", "Carrier error 21610"
    REFORMAT = "reformat", "Phone reformat"


class ConsentEvent(models.Model):
    """`count` consent ledger entries with the same account, subscription type, change, source,
    keyword and time; consumed (deleted) by the consent rollup. Written only by the statement
    trigger of migration 0003_consent_rollups on the ledger, which fills every column but `id`
    (see `consent.ConsentLedgerEntry`): a 100,000-row import writes its entries in a few
    statements, all at one time, so it adds a handful of rows here, not 100,000."""

    id = models.BigAutoField(primary_key=True)
    account_id = models.BigIntegerField()
    subscription_type_id = models.BigIntegerField()
    previous_status = models.CharField(max_length=16)
    new_status = models.CharField(max_length=16)
    source = models.CharField(max_length=12)  # a ConsentReportSource
    keyword = models.CharField(max_length=30, blank=True)
    count = models.IntegerField()
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.count} x {self.previous_status} -> {self.new_status} ({self.source})"


class ConsentDayStats(models.Model):
    """Opt-ins or opt-outs of one subscription type per day (account time zone), source and
    keyword: the Consent report sums these (analytics.services.consent_rollups)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    subscription_type = models.ForeignKey(
        "consent.SubscriptionType", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    source = models.CharField(max_length=12, choices=ConsentReportSource.choices)
    keyword = models.CharField(max_length=30, blank=True)
    direction = models.CharField(max_length=8, choices=ConsentDirection.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "subscription_type", "day", "source", "keyword", "direction"],
                name="consent_day_stats_once",
            )
        ]
        indexes = [models.Index(fields=["account", "day"], name="consent_day_stats_day")]

    def __str__(self) -> str:
        return f"{self.count} {self.direction} on {self.day} ({self.source})"


class ConsentSnapshot(models.Model):
    """Where an account's contacts stand for a subscription type, counted by the worker from
    the status table (consent.selectors.consent_state_counts) after consent changes and when
    the report finds it older than SNAPSHOT_MAX_AGE: the report never counts contacts per
    request. The four numbers add up to the account's contacts."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    subscription_type = models.OneToOneField(
        "consent.SubscriptionType", on_delete=models.CASCADE, related_name="+"
    )
    subscribed = models.IntegerField(default=0)
    opted_out = models.IntegerField(default=0)
    not_specified = models.IntegerField(default=0)
    not_sms_capable = models.IntegerField(default=0)
    counted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account"], name="consent_snapshot_account")]

    def __str__(self) -> str:
        return f"snapshot of {self.subscription_type_id} at {self.counted_at}"
