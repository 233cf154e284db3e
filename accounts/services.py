"""Writes for accounts, memberships, invitations and API tokens."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import Account, ApiToken, Invitation, Membership, Role, User, token_digest

INVITATION_LIFETIME = datetime.timedelta(days=7)


@transaction.atomic
def account_create(*, name: str, owner: User, time_zone: str = "America/New_York") -> Account:
    """A new account whose creator is its first super admin."""
    account = Account.objects.create(name=name, time_zone=time_zone)
    Membership.objects.create(account=account, user=owner, role=Role.SUPER_ADMIN)
    return account


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Email confirmation links: valid for PASSWORD_RESET_TIMEOUT (3 days), and only once,
    since the user's activation is part of what the token signs."""

    key_salt = "accounts.services.SignupTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.is_active}{user.email}{user.password}{timestamp}"


signup_tokens = SignupTokenGenerator()


def signup_start(*, business_name: str, email: str, password: str) -> tuple[User, str]:
    """A business signs itself up: its account, and its owner as super admin, who can sign in
    once the emailed link confirms the address. Returns the owner and the confirmation URL.

    Signing up again with an address not yet confirmed sends a new link to the same account
    (the email's owner chooses the password they can reset later); an address with a login is
    refused, and told how to get in.
    """
    email = User.objects.normalize_email(email).strip().lower()
    business_name = business_name.strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        # Signed up before and never confirmed (never signed in): the same account, a new link.
        if existing.is_active or existing.last_login is not None:
            raise ValidationError(
                {"email": "That email already has a login: sign in, or reset your password."}
            )
        user = existing
        business_name = user.memberships.select_related("account").first().account.name
    else:
        user = User(email=email, username=email, is_active=False)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        with transaction.atomic():
            user.set_password(password)
            user.save()
            account_create(name=business_name, owner=user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    confirm_url = settings.PUBLIC_BASE_URL + reverse(
        "signup_confirm", args=[uid, signup_tokens.make_token(user)]
    )
    send_mail(
        subject="Confirm your email to start using smsapp",
        message=(
            f"Welcome to smsapp! Confirm {email} to open {business_name}'s account:\n\n"
            f"{confirm_url}\n\nThe link works for 3 days. If you didn't sign up, ignore this "
            "email: nothing happens without the confirmation.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return user, confirm_url


def signup_user_for(uidb64: str, token: str) -> User | None:
    """The signed-up, still unconfirmed user a confirmation link names, or None for a link
    that is wrong, expired or already used."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=False).first()
    if user is None or not signup_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def signup_confirm(*, user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    return user


def invitation_create(
    *, account: Account, invited_by: User, email: str, role: str, can_setup_sms: bool = False
) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and the accept URL sent to them."""
    email = User.objects.normalize_email(email).lower()
    if Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {account.name}."})
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A new invitation to the same address replaces the pending one (and its link).
        Invitation.objects.filter(account=account, email=email, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            can_setup_sms=can_setup_sms or role == Role.SUPER_ADMIN,
            token_hash=token_digest(raw),
            invited_by=invited_by,
        )
    accept_url = settings.PUBLIC_BASE_URL + reverse("invitation_accept", args=[raw])
    send_mail(
        subject=f"You're invited to {account.name} on smsapp",
        message=(
            f"{invited_by} invited you to join {account.name} on smsapp as "
            f"{invitation.get_role_display()}.\n\nAccept the invitation: {accept_url}\n\n"
            f"The link works for {INVITATION_LIFETIME.days} days.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation, accept_url


def invitation_for_token(raw: str) -> Invitation | None:
    """The pending invitation with this link, expired or not (see invitation_expired)."""
    return (
        Invitation.objects.select_related("account", "invited_by")
        .filter(token_hash=token_digest(raw), accepted_at__isnull=True)
        .first()
    )


def invitation_expired(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be accepted, or None while it can. A link sent by email
    is a credential: it stops working INVITATION_LIFETIME after it was sent, and the team page
    can send a new one (which replaces it)."""
    expires_at = invitation.created_at + INVITATION_LIFETIME
    if timezone.now() < expires_at:
        return None
    inviter = str(invitation.invited_by) if invitation.invited_by else "the person who invited you"
    local = timezone.localtime(expires_at)
    return (
        f"This invitation expired on {local:%b} {local.day}, {local:%Y} (invitations are valid "
        f"for {INVITATION_LIFETIME.days} days). Ask {inviter} to send you a new one."
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the account; an invitation is used once."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if expired := invitation_expired(locked):
        raise ValidationError(expired)
    if user.email.lower() != locked.email.lower():
        raise ValidationError(f"This invitation is for {locked.email}; sign in with that address.")
    membership, _ = Membership.objects.get_or_create(
        account=locked.account,
        user=user,
        defaults={"role": locked.role, "can_setup_sms": locked.can_setup_sms},
    )
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def membership_update(
    *, account: Account, membership: Membership, role: str, can_setup_sms: bool
) -> Membership:
    """Change a teammate's role; an account always keeps at least one super admin."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk, account=account)
    if membership.role == Role.SUPER_ADMIN and role != Role.SUPER_ADMIN:
        others = Membership.objects.filter(account=account, role=Role.SUPER_ADMIN).exclude(
            pk=membership.pk
        )
        if not others.exists():
            raise ValidationError("An account needs at least one super admin.")
    membership.role = role
    membership.can_setup_sms = can_setup_sms or role == Role.SUPER_ADMIN
    membership.save(update_fields=["role", "can_setup_sms"])
    return membership


def api_token_create(*, account: Account, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the raw value is returned once and never stored."""
    raw = "sms_" + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        account=account, user=user, name=name, prefix=raw[:10], key_hash=token_digest(raw)
    )
    return token, raw


def api_token_revoke(*, account: Account, user: User, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, account=account, user=user).delete()
