"""Pages of the shell: home, account switching, team, API tokens, account settings, health."""

from __future__ import annotations

import logging

import kombu
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import home as home_page
from accounts import services
from accounts.forms import (
    AccountSettingsForm,
    ApiTokenForm,
    InvitationForm,
    InvitationSignupForm,
    MembershipForm,
    SignupForm,
    form_errors_from,
)
from accounts.models import ApiToken, Invitation, Membership, User
from accounts.tenancy import SESSION_ACCOUNT_KEY, account_required, get_for_account

logger = logging.getLogger(__name__)


@require_GET
@account_required
def home(request: HttpRequest) -> HttpResponse:
    steps = home_page.checklist(request)
    context = {
        "checklist": steps,
        "checklist_done": sum(step["done"] for step in steps),
        "panels": home_page.dashboard_panels(request),
    }
    return render(request, "accounts/home.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Self-serve sign-up: business name, work email, password; then the emailed link."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _ = services.signup_start(
                business_name=data["business_name"], email=data["email"], password=data["password"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return render(request, "accounts/signup_sent.html", {"email": user.email})
    return render(request, "accounts/signup.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The emailed link asks for a click: mail scanners open links, and must not confirm."""
    user = services.signup_user_for(uidb64, token)
    if user is None:
        return render(request, "accounts/signup_invalid.html", status=404)
    if request.method == "POST":
        user = services.signup_confirm(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        membership = user.memberships.select_related("account").first()
        request.session[SESSION_ACCOUNT_KEY] = membership.account.public_id
        messages.success(request, f"Email confirmed. Welcome to smsapp, {membership.account.name}!")
        return redirect("home")
    return render(request, "accounts/signup_confirm.html", {"signup_user": user})


@require_POST
@account_required
def account_switch(request: HttpRequest, account_id: str) -> HttpResponse:
    membership = (
        Membership.objects.select_related("account")
        .filter(user=request.user, account__public_id=account_id)
        .first()
    )
    if membership is None:
        return render(request, "404.html", status=404)
    request.session[SESSION_ACCOUNT_KEY] = membership.account.public_id
    messages.success(request, f"Switched to {membership.account.name}.")
    return redirect("home")


@require_http_methods(["GET", "POST"])
@account_required
def team(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = InvitationForm()
    if request.method == "POST":
        if not request.membership.is_super_admin:
            return render(request, "403.html", status=403)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, _ = services.invitation_create(
                    account=account, invited_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("team")
    context = {
        "form": form,
        "memberships": account.memberships.select_related("user").order_by("created_at"),
        "invitations": account.invitations.filter(accepted_at__isnull=True).order_by("-created_at"),
        "membership_form": MembershipForm(),
    }
    return render(request, "accounts/team.html", context)


@require_POST
@account_required(super_admin=True)
def membership_edit(request: HttpRequest, membership_id: str) -> HttpResponse:
    membership = get_for_account(Membership, request.account, membership_id)
    form = MembershipForm(request.POST)
    if form.is_valid():
        try:
            services.membership_update(
                account=request.account, membership=membership, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Updated {membership.user}.")
    else:
        messages.error(request, "Choose a role.")
    return redirect("team")


@require_POST
@account_required(super_admin=True)
def invitation_cancel(request: HttpRequest, invitation_id: str) -> HttpResponse:
    invitation = get_for_account(
        Invitation, request.account, invitation_id, accepted_at__isnull=True
    )
    invitation.delete()
    messages.success(request, f"Invitation to {invitation.email} cancelled.")
    return redirect("team")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if expired := services.invitation_expired(invitation):
        return render(request, "accounts/invitation_invalid.html", {"reason": expired}, status=410)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is None:
        # A newcomer sets a name and password; the user is created only when that form is valid.
        user = User(email=invitation.email, username=invitation.email)
        form = InvitationSignupForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                user = form.save()
                services.invitation_accept(invitation=invitation, user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_ACCOUNT_KEY] = invitation.account.public_id
            return redirect("home")
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
        )
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return render(
                request, "accounts/invitation_accept.html", {"invitation": invitation}, status=400
            )
        request.session[SESSION_ACCOUNT_KEY] = invitation.account.public_id
        messages.success(request, f"You joined {invitation.account.name}.")
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
@account_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.api_token_create(
            account=request.account, user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(account=request.account, user=request.user).order_by(
        "-created_at"
    )
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@require_POST
@account_required
def api_token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_for_account(ApiToken, request.account, token_id, user=request.user)
    services.api_token_revoke(account=request.account, user=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api_tokens")


@require_http_methods(["GET", "POST"])
@account_required(super_admin=True)
def account_settings(request: HttpRequest) -> HttpResponse:
    form = AccountSettingsForm(request.POST or None, instance=request.account)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Account settings saved.")
        return redirect("account_settings")
    return render(request, "accounts/account_settings.html", {"form": form})


def broker_is_reachable() -> bool:
    """Whether Celery's broker answers, asked as Celery would (its settings, not the project's
    Celery app: apps sit below the project package)."""
    broker = kombu.Connection(
        settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
    )
    try:
        with broker as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable", reported below
        logger.warning("broker unreachable", exc_info=True)
        return False


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the API's JSON, the admin)."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except Exception:  # noqa: BLE001
        logger.warning("database unreachable", exc_info=True)
        database = False
    broker = broker_is_reachable()
    healthy = database and broker
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
