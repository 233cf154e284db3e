"""Tenancy: users, accounts (the tenants), memberships with roles, invitations and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.timezones import time_zone_validate


class EmailUserManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        user = self.model(email=email, username=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an email address; may belong to several accounts."""

    email = models.EmailField("email address", unique=True)
    public_id = PublicIdField(prefix="usr")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Account(models.Model):
    """A tenant: one business with its contacts, numbers and messages."""

    public_id = PublicIdField(prefix="acc")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[time_zone_validate]
    )
    default_region = models.CharField(
        max_length=2, default="US", help_text="Region used to read phone numbers typed without +."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Texts, clicks and the messages they belong to are deleted this many whole months after
    # the month they went out (beat's `messages-retention`); empty keeps them.
    message_retention_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Delete sent messages, their texts, clicks and results this many whole months "
        "after the month they went out. Leave empty to keep them.",
    )

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super admin"
    MARKETER = "marketer", "Marketer"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    public_id = PublicIdField(prefix="mem")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MARKETER)
    can_setup_sms = models.BooleanField(
        default=False, help_text="May register the business, the SMS use case and buy numbers."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.get_role_display()})"

    @property
    def is_super_admin(self) -> bool:
        return self.role == Role.SUPER_ADMIN

    @property
    def can_edit(self) -> bool:
        """Marketers and admins change data; viewers only read."""
        return self.role in (Role.SUPER_ADMIN, Role.MARKETER)

    @property
    def may_setup_sms(self) -> bool:
        return self.is_super_admin or self.can_setup_sms


class Invitation(models.Model):
    """An email invitation to join an account with a role; accepted through a one-time link."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    public_id = PublicIdField(prefix="inv")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MARKETER)
    can_setup_sms = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_unique_pending_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.account}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token of one user in one account. Only its hash is stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    public_id = PublicIdField(prefix="tok")
    name = models.CharField(max_length=100)
    # The first characters of the token, shown so a user can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the token stops working: API_TOKEN_MAX_AGE_DAYS after it was made (a policy
        for every token, old ones included), or never (0, the default)."""
        days = settings.API_TOKEN_MAX_AGE_DAYS
        return self.created_at + dt.timedelta(days=days) if days > 0 else None
