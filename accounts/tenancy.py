"""The current account of a request, and fetching tenant objects without leaking across tenants.

`request.account` and `request.membership` are resolved once per request: from the session's
chosen account for pages, from the API token for `/api/` calls (see `smsapp.api`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils import timezone

from accounts.logs import log_context_reset, log_context_set
from accounts.models import Account, Membership

SESSION_ACCOUNT_KEY = "account_public_id"

M = TypeVar("M", bound=models.Model)


def membership_for_session(request: HttpRequest) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("account").filter(user=user)
    chosen = request.session.get(SESSION_ACCOUNT_KEY)
    membership = None
    if chosen:
        membership = memberships.filter(account__public_id=chosen).first()
    if membership is None:
        # No choice yet, or the chosen account was left: fall back to the oldest membership.
        membership = memberships.order_by("created_at", "pk").first()
    return membership


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        membership = membership_for_session(request)
        request.membership = membership
        request.account = membership.account if membership else None
        # Every line logged for this request says whose it was (accounts/logs.py).
        token = log_context_set(account_id=request.account.pk if request.account else None)
        try:
            if request.account is not None and not request.path.startswith("/api/"):
                # Pages show times in the account's zone (templates render datetimes in the
                # active zone); the API keeps answering in UTC.
                with timezone.override(request.account.time_zone):
                    return self.get_response(request)
            return self.get_response(request)
        finally:
            log_context_reset(token)


def get_for_account(
    queryset: type[M] | models.QuerySet[M], account: Account | None, public_id: str, **filters
) -> M:
    """The object with this public id in this account; the same 404 when missing or foreign."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if account is None:
        raise Http404
    try:
        return queryset.get(account=account, public_id=public_id, **filters)
    except (queryset.model.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def account_required(
    view: Callable | None = None,
    *,
    edit: bool = False,
    super_admin: bool = False,
    sms_setup: bool = False,
):
    """Page decorator: signed in, member of an account, and (optionally) in a role.

    `edit` admits marketers and super admins, `super_admin` only super admins, `sms_setup`
    super admins and members granted the SMS-setup permission. Others get 403.
    """

    def decorator(view_func: Callable) -> Callable:
        @wraps(view_func)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None:
                return render(request, "accounts/no_account.html", status=403)
            if edit and not membership.can_edit:
                raise PermissionDenied("Viewers can't change anything.")
            if super_admin and not membership.is_super_admin:
                raise PermissionDenied("Only super admins can do this.")
            if sms_setup and not membership.may_setup_sms:
                raise PermissionDenied("You need the SMS setup permission.")
            return view_func(request, *args, **kwargs)

        return wrapper

    if view is not None:
        return decorator(view)
    return decorator
