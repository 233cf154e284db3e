"""Contacts, their account-defined properties, lists, the timeline, imports and phone reformats."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.jobs import Job, JobStatus
from accounts.models import Account
from accounts.timezones import time_zone_validate
from contacts.phones import PhoneIssue

# The contact's own fields as forms, the API and the services name them (a phone as typed).
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile_phone",
    "time_zone",
    "company_name",
    "marketing_contact",
)
# How a phone is stored: as typed, in E.164, its region and why it can't take SMS ("" if it can).
PHONE_COLUMNS = tuple(
    f"{prefix}_{part}"
    for prefix in ("phone", "mobile_phone")
    for part in ("raw", "e164", "region", "sms_invalid_reason")
)


class Contact(models.Model):
    """A person an account may text. Phones are kept as typed and in E.164, judged once."""

    # Every query starts with the account; the composite indexes below lead with it.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    public_id = PublicIdField(prefix="con")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    # Lower-cased on write: duplicate detection and search compare it as is.
    email = models.CharField(max_length=254, blank=True)
    phone_raw = models.CharField("phone", max_length=64, blank=True)
    phone_e164 = models.CharField(max_length=20, blank=True)
    phone_region = models.CharField(max_length=2, blank=True)
    phone_sms_invalid_reason = models.CharField(
        max_length=24, blank=True, choices=PhoneIssue.choices
    )
    mobile_phone_raw = models.CharField("mobile phone", max_length=64, blank=True)
    mobile_phone_e164 = models.CharField(max_length=20, blank=True)
    mobile_phone_region = models.CharField(max_length=2, blank=True)
    mobile_phone_sms_invalid_reason = models.CharField(
        max_length=24, blank=True, choices=PhoneIssue.choices
    )
    # Set by delivery errors (30003/30005/30006: unreachable, unknown or landline destination).
    phone_unreachable = models.BooleanField(default=False)
    mobile_phone_unreachable = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, blank=True, validators=[time_zone_validate])
    company_name = models.CharField(max_length=200, blank=True)
    marketing_contact = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Values of the account's ContactProperty definitions, by key.
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="contact_account_created"),
            # Pattern opclasses let these serve both equality and the index's prefix search: the
            # database collation isn't "C".
            models.Index(
                fields=["account", "phone_e164"],
                name="contact_account_phone",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["account", "mobile_phone_e164"],
                name="contact_account_mobile",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["account", "email"],
                name="contact_account_email",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # The index page's name search (`istartswith`, which Django writes as
            # UPPER(column::text) LIKE UPPER(...)).
            models.Index(
                F("account"),
                OpClass(Upper("first_name"), name="text_pattern_ops"),
                name="contact_first_name_prefix",
            ),
            models.Index(
                F("account"),
                OpClass(Upper("last_name"), name="text_pattern_ops"),
                name="contact_last_name_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone_raw or self.mobile_phone_raw or "Contact"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def sms_phones(self) -> list[str]:
        """The contact's phones that can take SMS, mobile first (the one campaigns prefer)."""
        phones = []
        for e164, reason in (
            (self.mobile_phone_e164, self.mobile_phone_sms_invalid_reason),
            (self.phone_e164, self.phone_sms_invalid_reason),
        ):
            if e164 and not reason and e164 not in phones:
                phones.append(e164)
        return phones


class PropertyType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Single choice"


class ContactProperty(models.Model):
    """An account-defined contact field; values live in `Contact.properties[key]`."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="prp")
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=PropertyType.choices, default=PropertyType.TEXT)
    choices = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="contact_property_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class ListKind(models.TextChoices):
    STATIC = "static", "Static"
    ACTIVE = "active", "Active"


class ContactList(models.Model):
    """A static list (members added and removed by hand or import) or an active one (rules)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    public_id = PublicIdField(prefix="lst")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ListKind.choices, default=ListKind.STATIC)
    # Active lists: {"match": "all"|"any", "conditions": [{"field", "op", "value"}, ...]}.
    rules = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="contact_list_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.kind == ListKind.ACTIVE


class ContactListMembership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # Both covered by the composite unique constraint and index below.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_index=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact_list", "contact"], name="contact_list_membership_unique"
            )
        ]
        indexes = [models.Index(fields=["contact", "contact_list"], name="list_member_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.contact_list_id}"


class EngagementKind(models.TextChoices):
    """What happens on a contact's timeline. Engagement rows hold replies and phone reformats;
    consent changes, texts and clicks are read from their apps' own tables (contacts/timeline.py;
    no Engagement row has the consent kind)."""

    CONSENT_CHANGE = "consent_change", "Consent change"
    SMS_SENT = "sms_sent", "SMS sent"
    SMS_DELIVERED = "sms_delivered", "SMS delivered"
    SMS_CLICKED = "sms_clicked", "SMS link clicked"
    SMS_REPLY = "sms_reply", "SMS reply"
    PHONE_REFORMAT = "phone_reformat", "Phone reformatted"


class Engagement(models.Model):
    """One event on a contact's timeline."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # Covered by the timeline index.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_index=False)
    public_id = PublicIdField(prefix="eng")
    kind = models.CharField(max_length=32, choices=EngagementKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    link_url = models.CharField(max_length=500, blank=True)
    # Makes a write idempotent: e.g. "sms_reply:SM..." for a redelivered inbound webhook.
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="engagement_timeline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="engagement_unique_dedupe_key",
            )
        ]

    def __str__(self) -> str:
        return self.summary


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", "Skip the row and keep the existing contact"
    UPDATE = "update", "Update the existing contact with the row's non-empty values"
    CREATE = "create", "Create a new contact anyway"


class ContactImport(Job):
    """A CSV file on its way in: upload, mapping, then a worker run with progress and a report.
    `total` and `processed` count the file's rows."""

    public_id = PublicIdField(prefix="imp")
    # Uploaded until the mapping is chosen, then a job like the others.
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    file = models.FileField(upload_to="imports/")
    original_filename = models.CharField(max_length=255)
    headers = models.JSONField(default=list)
    delimiter = models.CharField(max_length=1, default=",")
    # Column header -> target ("first_name", "property:<key>", "" to skip).
    mapping = models.JSONField(default=dict, blank=True)
    duplicate_policy = models.CharField(
        max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    add_to_list = models.ForeignKey(
        ContactList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Consent attestation. Kept as the subscription type's public id: consent depends on
    # contacts, so contacts holds no foreign key into it.
    consent_subscription_type_id = models.CharField(max_length=32, blank=True)
    consent_source = models.TextField(blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    subscribed_count = models.PositiveIntegerField(default=0)
    rejection_reasons = models.JSONField(default=dict, blank=True)
    report = models.FileField(upload_to="imports/reports/", blank=True)

    def __str__(self) -> str:
        return self.original_filename


class PhoneField(models.TextChoices):
    PHONE = "phone", "Phone"
    MOBILE_PHONE = "mobile_phone", "Mobile phone"


class PhoneReformat(Job):
    """A run of the bulk phone reformat tool over one list; its changes can be reverted. `total`
    and `processed` count the list's contacts (the changes, while reverting)."""

    public_id = PublicIdField(prefix="rfm")
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    list_name = models.CharField(max_length=200)
    subscription_type_id = models.CharField(max_length=32, blank=True)
    consent_evidence = models.TextField(blank=True)
    changed_count = models.PositiveIntegerField(default=0)
    unfixable_count = models.PositiveIntegerField(default=0)
    subscribed_count = models.PositiveIntegerField(default=0)
    reverted_count = models.PositiveIntegerField(default=0)
    revert_conflicts = models.PositiveIntegerField(default=0)
    reverted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Reformat of {self.list_name}"


class PhoneReformatChange(models.Model):
    """The change log of a reformat: one phone field of one contact, before and after."""

    reformat = models.ForeignKey(PhoneReformat, on_delete=models.CASCADE, related_name="changes")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=12, choices=PhoneField.choices)
    old_raw = models.CharField(max_length=64, blank=True)
    old_e164 = models.CharField(max_length=20, blank=True)
    old_region = models.CharField(max_length=2, blank=True)
    old_reason = models.CharField(max_length=24, blank=True)
    new_raw = models.CharField(max_length=64, blank=True)
    new_e164 = models.CharField(max_length=20, blank=True)
    new_region = models.CharField(max_length=2, blank=True)
    new_reason = models.CharField(max_length=24, blank=True)
    reverted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reformat", "contact", "field"], name="phone_reformat_change_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_raw} -> {self.new_raw}"
