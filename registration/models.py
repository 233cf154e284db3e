"""What an account has at Twilio: its subaccount, its registrations and its sending numbers.

An account registers once: one BrandRegistration (the business, Twilio's Trust Hub customer
profile and A2P brand) and one UseCaseRegistration (the SMS use case, Twilio's Usa2p campaign on
the account's Messaging Service). Each keeps the wizard's draft, what was submitted, by whom and
when, Twilio's sids and the review's status. RegistrationEvent is the audit log of submissions
and outcomes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account
from twilio_gateway.client import Credentials


class TwilioSubaccount(models.Model):
    """The tenant's Twilio subaccount; every Twilio resource of the tenant lives in it."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="twilio")
    sid = models.CharField(max_length=34, unique=True)
    auth_token = models.CharField(max_length=64)
    # The account's one Messaging Service: its numbers, its Usa2p campaign, our webhooks.
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.sid

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.sid, self.auth_token)


class PhoneNumber(models.Model):
    """A number the account sends from, with the throughput its registration allows."""

    class Status(models.TextChoices):
        # Bought, waiting for the SMS use case to be approved (or for Twilio to answer).
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"

    # Before a brand is registered Twilio allows about one message per second on 10DLC.
    DEFAULT_MESSAGES_PER_SECOND = 1
    DEFAULT_TMOBILE_DAILY_CAP = 2000

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="phone_numbers")
    public_id = PublicIdField(prefix="num")
    e164 = models.CharField(max_length=16, unique=True)
    twilio_sid = models.CharField(max_length=34, blank=True)
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    sms_capable = models.BooleanField(default=True)
    mms_capable = models.BooleanField(default=False)
    voice_capable = models.BooleanField(default=False)
    messages_per_second = models.PositiveIntegerField(default=DEFAULT_MESSAGES_PER_SECOND)
    tmobile_daily_cap = models.PositiveIntegerField(default=DEFAULT_TMOBILE_DAILY_CAP)
    # A branded short-link host for this number; used once verified (see services/links.py).
    link_domain = models.CharField(max_length=253, blank=True)
    link_domain_verified = models.BooleanField(default=False)
    link_domain_checked_at = models.DateTimeField(null=True, blank=True)
    link_domain_error = models.CharField(max_length=300, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="phone_numbers",
        help_text="Who may send from this number (workflows, one-to-one replies).",
    )
    # The number `make run` seeds so the demo can send before any registration.
    is_demo = models.BooleanField(default=False)
    purchased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.e164


class RegistrationStatus(models.TextChoices):
    """Our statuses, after Twilio's: a draft is ours alone; submitted is accepted by us and on
    its way to Twilio (or waiting for the brand, for a use case); in review is with Twilio/TCR."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    FAILED = "failed", "Rejected"


# A draft or a rejected registration may be (re)submitted; the others are with Twilio.
SUBMITTABLE = (RegistrationStatus.DRAFT, RegistrationStatus.FAILED)


class Registration(models.Model):
    """What a brand registration and a use-case registration share (each has its account)."""

    status = models.CharField(
        max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    # The wizard's answers as typed, saved on every step (valid or not).
    draft = models.JSONField(default=dict, blank=True)
    # The cleaned answers of the latest submission: what Twilio was (or is being) sent.
    submitted_data = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_count = models.PositiveIntegerField(default=0)
    # Twilio's own status word (PENDING, IN_PROGRESS, VERIFIED, FAILED...), as last seen.
    twilio_status = models.CharField(max_length=32, blank=True)
    failure_reason = models.TextField(blank=True)
    # Sending to Twilio: when the current attempt started (a lease; see
    # services/provisioning.py) and the last transient error, shown while it is retried.
    provision_started_at = models.DateTimeField(null=True, blank=True)
    provision_error = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        return self.status in SUBMITTABLE


class BrandRegistration(Registration):
    """The business: eligibility answers, the wizard, the Trust Hub bundles and the A2P brand."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="brand_registration"
    )
    public_id = PublicIdField(prefix="brd")
    eligibility = models.JSONField(default=dict, blank=True)
    eligible_at = models.DateTimeField(null=True, blank=True)
    trust_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # Twilio resources, created once and updated on resubmission.
    business_end_user_sid = models.CharField(max_length=34, blank=True)
    representative_end_user_sid = models.CharField(max_length=34, blank=True)
    address_sid = models.CharField(max_length=34, blank=True)
    address_country = models.CharField(max_length=2, blank=True)
    address_document_sid = models.CharField(max_length=34, blank=True)
    customer_profile_sid = models.CharField(max_length=34, blank=True)
    messaging_profile_end_user_sid = models.CharField(max_length=34, blank=True)
    trust_product_sid = models.CharField(max_length=34, blank=True)
    brand_sid = models.CharField(max_length=34, blank=True)
    tcr_id = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"Brand registration of {self.account}"

    @property
    def legal_name(self) -> str:
        return (self.submitted_data or self.draft).get("legal_name", "")


class UseCaseRegistration(Registration):
    """The SMS use case: Twilio's Usa2p campaign on the account's Messaging Service."""

    USECASE = "MARKETING"

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="use_case_registration"
    )
    public_id = PublicIdField(prefix="ucr")
    campaign_sid = models.CharField(max_length=34, blank=True)
    campaign_id = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"SMS use case of {self.account}"


class RegistrationEvent(models.Model):
    """The audit log: every submission (who, when, what) and every outcome Twilio reported."""

    class Kind(models.TextChoices):
        ELIGIBILITY_PASSED = "eligibility_passed", "Eligibility confirmed"
        ELIGIBILITY_REFUSED = "eligibility_refused", "Eligibility refused"
        BRAND_SUBMITTED = "brand_submitted", "Business registration submitted"
        BRAND_IN_REVIEW = "brand_in_review", "Business registration sent to Twilio"
        BRAND_APPROVED = "brand_approved", "Business registration approved"
        BRAND_FAILED = "brand_failed", "Business registration rejected"
        USE_CASE_SUBMITTED = "use_case_submitted", "SMS use case submitted"
        USE_CASE_IN_REVIEW = "use_case_in_review", "SMS use case sent to Twilio"
        USE_CASE_APPROVED = "use_case_approved", "SMS use case approved"
        USE_CASE_FAILED = "use_case_failed", "SMS use case rejected"
        USE_CASE_RETURNED = "use_case_returned", "SMS use case back to draft (business rejected)"
        NUMBER_PURCHASED = "number_purchased", "Number bought"
        NUMBER_ACTIVATED = "number_activated", "Number activated"
        NUMBER_USERS_SET = "number_users_set", "Number users changed"
        LINK_DOMAIN_SET = "link_domain_set", "Branded link domain set"
        LINK_DOMAIN_REMOVED = "link_domain_removed", "Branded link domain removed"
        LINK_DOMAIN_VERIFIED = "link_domain_verified", "Branded link domain verified"
        LINK_DOMAIN_FAILED = "link_domain_failed", "Branded link domain not verified"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="registration_events"
    )
    public_id = PublicIdField(prefix="rev")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Who did it; None when Twilio's review or our poller did.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at"], name="regevent_account_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
