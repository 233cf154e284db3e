"""The page shell's navigation: a section appears only once its app's URL exists; and where a
"go back to" parameter may lead."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    # A Membership property that must be true to see the item ("" = every member).
    requires: str = ""


MAIN_SECTIONS = (
    NavItem("Home", "home"),
    NavItem("Contacts", "contacts:index"),
    NavItem("Lists", "contacts:lists"),
    NavItem("SMS", "messaging:index"),
    NavItem("Inbox", "messaging:inbox"),
    NavItem("Analytics", "analytics:overview"),
    NavItem("Workflows", "workflows:index"),
)

SETTINGS_SECTIONS = (
    NavItem("Team", "team"),
    NavItem("API tokens", "api_tokens"),
    NavItem("Contact properties", "contacts:properties"),
    NavItem("Subscription types", "consent:subscription_types"),
    NavItem("Keywords", "consent:keywords"),
    NavItem("SMS setup", "registration:setup", requires="may_setup_sms"),
    NavItem("SMS tools", "contacts:reformat"),
    NavItem("Test phones", "messaging:test_phones"),
    NavItem("SMS usage", "messaging:usage_settings", requires="is_super_admin"),
    NavItem("Sending settings", "messaging:sending_rules", requires="may_setup_sms"),
    NavItem("Message properties", "messaging:properties", requires="is_super_admin"),
    NavItem("Account", "account_settings", requires="is_super_admin"),
)


def _visible(items, membership, path: str) -> list[dict]:
    visible = []
    for item in items:
        if item.requires and not (membership and getattr(membership, item.requires)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        visible.append({"label": item.label, "url": url, "active": active})
    return visible


def navigation(request) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "nav_main": _visible(MAIN_SECTIONS, membership, request.path),
        "nav_settings": _visible(SETTINGS_SECTIONS, membership, request.path),
        "user_memberships": membership.user.memberships.select_related("account").order_by(
            "account__name"
        ),
    }


def next_url(request: HttpRequest, default: str = "") -> str:
    """The request's `next` (form first, then query) when it is a path on this site, else
    `default`: the one check of every "go back to" parameter. A `javascript:` or
    another site's URL would otherwise run, or send the user away, from our own link."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
