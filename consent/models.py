"""SMS consent: subscription types, the status per contact and phone, the append-only ledger, and
keyword rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.jobs import Job
from accounts.models import Account
from contacts.models import Contact


class SubscriptionType(models.Model):
    """What a contact subscribes to, e.g. "Marketing SMS". Every account has a default one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="sbt")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="subscription_type_unique"),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_default=True),
                name="subscription_type_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConsentState(models.TextChoices):
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    NOT_SPECIFIED = "not_specified", "Not specified"


class ConsentSource(models.TextChoices):
    KEYWORD = "keyword", "Keyword reply"
    MANUAL = "manual", "Manual change"
    BULK = "bulk", "Bulk change"
    IMPORT = "import", "Import"
    API = "api", "API"
    CARRIER = "carrier", "Carrier error"
    FORM = "form", "Opt-in page"


# Opt-outs the person made themselves: a bulk or import opt-in never overrides them.
PERSONAL_OPT_OUT_SOURCES = (ConsentSource.KEYWORD, ConsentSource.CARRIER)


class ConsentStatus(models.Model):
    """Where a contact's phone stands for a subscription type. No row means "not specified"."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Covered by the unique constraint, which leads with it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_index=False)
    phone_e164 = models.CharField(max_length=20)
    subscription_type = models.ForeignKey(
        SubscriptionType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=16, choices=ConsentState.choices)
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "phone_e164", "subscription_type"],
                name="consent_status_unique",
            )
        ]
        indexes = [
            # Account-wide keyword changes and fan-out look phones up by type.
            models.Index(
                fields=["account", "subscription_type", "phone_e164"], name="consent_status_phone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone_e164} {self.status}"


class ConsentLedgerEntry(models.Model):
    """One change of consent, kept for good: who or what, when, how, and the evidence.

    Rows are never updated or deleted by the application. Two database triggers read the table:

    - consent/migrations/0002_ledger_append_only.py refuses any UPDATE except the one that
      unlinks a deleted contact (`contact_id` set to NULL, every other column unchanged): the
      entry stays, as proof;
    - analytics/migrations/0002_change_feed_triggers.py copies each new entry with `new_status`
      "unsubscribed" and a `source` of keyword or carrier (PERSONAL_OPT_OUT_SOURCES) into
      `analytics.OptOutEvent` (`id` as its ledger_entry_id, `account_id`, `contact_id`,
      `phone_e164`, `occurred_at`), in the same transaction.

    Renaming those columns, states or sources means changing the triggers with them.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    public_id = PublicIdField(prefix="cle")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    # The contact's id and name when the entry was written, for after it is deleted.
    contact_public_id = models.CharField(max_length=32)
    contact_label = models.CharField(max_length=300, blank=True)
    phone_e164 = models.CharField(max_length=20)
    # RESTRICT, not PROTECT: a type the ledger refers to can't be deleted on its own, but goes
    # with its account.
    subscription_type = models.ForeignKey(
        SubscriptionType, on_delete=models.RESTRICT, related_name="+", db_index=False
    )
    previous_status = models.CharField(max_length=16, choices=ConsentState.choices)
    new_status = models.CharField(max_length=16, choices=ConsentState.choices)
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    message_sid = models.CharField(max_length=64, blank=True)
    evidence = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"], name="ledger_account_time"),
            models.Index(fields=["contact", "-occurred_at", "-id"], name="ledger_contact_time"),
            models.Index(
                fields=["account", "subscription_type", "phone_e164", "-occurred_at"],
                name="ledger_phone_time",
            ),
            # The opt-outs people made themselves, which bulk and import opt-ins respect.
            models.Index(
                fields=["account", "subscription_type", "phone_e164"],
                condition=models.Q(new_status="unsubscribed", source__in=["keyword", "carrier"]),
                name="ledger_personal_opt_outs",
            ),
        ]
        verbose_name_plural = "consent ledger entries"

    def __str__(self) -> str:
        return f"{self.phone_e164}: {self.previous_status} -> {self.new_status} ({self.source})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Consent ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent ledger entries are append-only.")


class KeywordKind(models.TextChoices):
    OPT_OUT = "opt_out", "Opt-out"
    OPT_IN = "opt_in", "Opt-in"
    HELP = "help", "Help"
    CUSTOM = "custom", "Custom"


class KeywordRule(models.Model):
    """A word that, sent alone, opts out, opts in, asks for help, or gets a custom reply."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    public_id = PublicIdField(prefix="kwd")
    kind = models.CharField(max_length=10, choices=KeywordKind.choices)
    # Stored normalized (upper case, no surrounding space or punctuation).
    word = models.CharField(max_length=30)
    reply_text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "word"], name="keyword_rule_unique_word")
        ]

    def __str__(self) -> str:
        return self.word


class BulkAction(models.TextChoices):
    OPT_IN = "opt_in", "Opt in"
    OPT_OUT = "opt_out", "Opt out"


class ConsentBulkChange(Job):
    """A bulk opt-in or opt-out from the contact index, run by the worker. `total` and
    `processed` count the chosen contacts."""

    public_id = PublicIdField(prefix="cbc")
    subscription_type = models.ForeignKey(
        SubscriptionType, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=10, choices=BulkAction.choices)
    # Either the chosen contacts' public ids, or the index's filter (its query string).
    contact_ids = models.JSONField(default=list, blank=True)
    filter_query = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    changed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    kept_opted_out_count = models.PositiveIntegerField(default=0)
    no_sms_phone_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.status})"


class ReplyReview(models.Model):
    """Someone read a reply flagged for review ("please stop texting me") and dealt with it:
    who and when, so the review list shrinks and the decision can be traced."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    engagement = models.OneToOneField(
        "contacts.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The reviewer's email when they reviewed, for after the user is deleted.
    reviewed_by_label = models.CharField(max_length=254, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "-reviewed_at"], name="reply_review_recent")]

    def __str__(self) -> str:
        return f"reviewed by {self.reviewed_by_label} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class OptInPage(models.Model):
    """A subscription type's hosted opt-in page: a public form at /optin/<public_id>/ (and an
    iframe-able /embed/ variant) that a business links to or embeds on its site.

    The consent language shown is built from the program name and message frequency (see
    `consent_text`); `version` goes up whenever that text changes, and each request keeps the
    version and the very text the person saw, as evidence."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    public_id = PublicIdField(prefix="oip")
    subscription_type = models.OneToOneField(
        SubscriptionType, on_delete=models.CASCADE, related_name="opt_in_page"
    )
    enabled = models.BooleanField(default=True)
    program_name = models.CharField(max_length=100)
    message_frequency = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"opt-in page of {self.subscription_type_id}"

    @property
    def consent_text(self) -> str:
        """What the person agrees to by ticking the box: the carriers' required elements
        (program name, frequency, "Msg & data rates may apply", STOP and HELP)."""
        return (
            f"I agree to receive recurring automated marketing text messages from "
            f"{self.program_name} at the phone number provided. {self.message_frequency}. "
            "Msg & data rates may apply. Reply HELP for help, STOP to cancel. Consent is not a "
            "condition of purchase."
        )


class OptInRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for YES"
    CONFIRMED = "confirmed", "Confirmed"


class OptInRequest(models.Model):
    """Someone filled in an opt-in page. Nothing is subscribed until the phone texts YES (or
    another opt-in word) back within CONFIRM_WITHIN: then the ledger entry carries what is
    kept here (the page's URL, the consent text and its version, address, user agent, time)
    with the SID of the confirming text."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    public_id = PublicIdField(prefix="oir")
    page = models.ForeignKey(OptInPage, on_delete=models.CASCADE, related_name="+", db_index=False)
    subscription_type = models.ForeignKey(
        SubscriptionType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    phone_e164 = models.CharField(max_length=20)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    page_url = models.CharField(max_length=500)
    consent_text = models.TextField()
    consent_version = models.PositiveIntegerField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=OptInRequestStatus.choices, default=OptInRequestStatus.PENDING
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirming_message_sid = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # The YES lookup and the per-phone rate limit.
            models.Index(
                fields=["account", "phone_e164", "-requested_at"], name="opt_in_request_phone"
            ),
            # The per-address rate limit.
            models.Index(fields=["ip_address", "-requested_at"], name="opt_in_request_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_e164} ({self.status})"
