"""Walk every URL pattern as someone who must not get in, and check nothing leaks or changes.

Routes are found from the URL resolver, so a new route is covered the day it is added: its URL
kwargs must be known to OBJECT_IDS below (the id of an object of the victim account), or the
route must be listed in NOT_WALKED with the reason it cannot be exercised this way.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Role
from accounts.services import api_token_create, invitation_create
from consent import services as consent_services
from contacts import services as contact_services
from messaging.services.compose import message_create
from tests.conftest import Tenant, client_for
from tests.factories import (
    ConsentBulkChangeFactory,
    ContactImportFactory,
    MessagePropertyFactory,
    PhoneNumberFactory,
    PhoneReformatFactory,
    TestPhoneFactory,
)
from workflows import services as workflow_services

# Route name (namespace:name) -> why it is not walked here.
NOT_WALKED = {
    "login": "public sign-in page",
    "logout": "ends only the caller's own session",
    "password_reset": "public; answers the same for every address",
    "password_reset_done": "public",
    "password_reset_confirm": "public; guarded by a signed one-time token (test_auth)",
    "password_reset_complete": "public",
    "invitation_accept": "guarded by a one-time token in the URL (test_accounts)",
    "signup": "public sign-up page; creates a new account of its own (test_signup)",
    "signup_confirm": "guarded by a signed one-time token in the URL (test_signup)",
    "healthz": "public by design: database and broker reachability only",
    "schema": "public API description, no data",
    "api_docs": "public API description, no data",
    "admin": "Django admin: staff only, not tenant users",
    "webhooks": "Twilio's webhooks: signature-checked, no session (messaging tests)",
    "static": "static files",
    "short_link": "public by design: a signed code, no session (tests/messaging/test_short_links)",
    "optin/": "public sign-up forms by design, named by an opaque id "
    "(tests/messaging/test_opt_in_page)",
}

# Routes a viewer (read-only role) may POST to, because they only touch the viewer's own things.
VIEWER_MAY_POST = {"account_switch", "api_tokens", "api_token_revoke", "logout"}

# URL kwarg -> builds the public id of an object that belongs to the victim account. A key
# "namespace:kwarg" wins over plain "kwarg" where two apps use the same kwarg name.
OBJECT_IDS: dict[str, Callable[[Tenant], str]] = {
    "account_id": lambda t: t.account.public_id,
    "membership_id": lambda t: t.membership(t.bob).public_id,
    "token_id": lambda t: api_token_create(account=t.account, user=t.bob, name="t")[0].public_id,
    "invitation_id": lambda t: (
        invitation_create(
            account=t.account, invited_by=t.alice, email="new@example.com", role=Role.VIEWER
        )[0].public_id
    ),
    "contact_id": lambda t: (
        contact_services.contact_create(
            account=t.account, first_name="Vic", phone="+12125550123"
        ).public_id
    ),
    "property_id": lambda t: (
        contact_services.contact_property_create(
            account=t.account, label="Shoe size", type="number"
        ).public_id
    ),
    "list_id": lambda t: (
        contact_services.contact_list_create(account=t.account, name="VIPs").public_id
    ),
    "import_id": lambda t: (
        ContactImportFactory(
            account=t.account, created_by=t.alice, original_filename="x.csv"
        ).public_id
    ),
    "reformat_id": lambda t: (
        PhoneReformatFactory(account=t.account, created_by=t.alice, list_name="VIPs").public_id
    ),
    "subscription_type_id": lambda t: (
        consent_services.subscription_type_create(account=t.account, name="Store news").public_id
    ),
    "keyword_id": lambda t: (
        consent_services.keyword_rule_create(
            account=t.account, kind="custom", word="HOURS", reply_text="Open 9-5"
        ).public_id
    ),
    "bulk_change_id": lambda t: (
        ConsentBulkChangeFactory(
            account=t.account,
            action="opt_out",
            subscription_type=consent_services.subscription_type_create(
                account=t.account, name="Bulk news"
            ),
        ).public_id
    ),
    "number_id": lambda t: PhoneNumberFactory(account=t.account, e164="+14155550142").public_id,
    "message_id": lambda t: message_create(account=t.account, owner=t.bob, name="M").public_id,
    "test_phone_id": lambda t: (
        TestPhoneFactory(account=t.account, user=t.vera, phone_e164="+12065550100").public_id
    ),
    "messaging:property_id": lambda t: (
        MessagePropertyFactory(account=t.account, key="k", label="K").public_id
    ),
    "workflow_id": lambda t: (
        workflow_services.workflow_create(
            account=t.account,
            user=t.alice,
            name="Welcome",
            trigger_type="record_created",
            steps=[{"type": "delay", "amount": 1, "unit": "days"}],
        ).public_id
    ),
}

# Rows that legitimately change on any request.
VOLATILE_MODELS = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "axes.accessattemptexpiration",
}
VOLATILE_FIELDS = {"last_used_at", "last_login"}


def iter_routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            app_label = getattr(entry.urlconf_module, "__name__", "")
            if app_label.startswith(("django.contrib.admin",)) or entry.app_name == "admin":
                yield ("admin", prefix + str(entry.pattern), [])
                continue
            yield from iter_routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or full)
            kwargs = re.findall(r"<(?:\w+:)?(\w+)>", full)
            yield (name, full, kwargs)


def route_key(name: str, pattern: str) -> str | None:
    for key in NOT_WALKED:
        if name == key or name.startswith(key + ":") or pattern.startswith(key):
            return key
    return None


def value_for(values: dict[str, str], name: str, kwarg: str) -> str:
    namespace = name.split(":")[0] if ":" in name else ""
    return values.get(f"{namespace}:{kwarg}") or values[kwarg]


def build_path(pattern: str, values: dict[str, str], name: str = "") -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value_for(values, name, m.group(1)), pattern)
    path = path.lstrip("^").rstrip("$").replace("\\Z", "")
    return "/" + path


def snapshot() -> dict:
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE_MODELS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in VOLATILE_FIELDS]
        state[label] = list(model._default_manager.order_by("pk").values_list(*fields))
    return state


def walkable_routes():
    routes = []
    for name, pattern, kwargs in iter_routes():
        if route_key(name, pattern):
            continue
        routes.append((name, pattern, kwargs))
    return routes


def test_every_route_is_walked_or_listed_with_a_reason():
    unknown = sorted(
        {
            kw
            for name, _, kwargs in walkable_routes()
            for kw in kwargs
            if kw not in OBJECT_IDS and f"{name.split(':')[0]}:{kw}" not in OBJECT_IDS
        }
    )
    assert not unknown, f"add these URL kwargs to OBJECT_IDS or the routes to NOT_WALKED: {unknown}"


@pytest.mark.django_db
def test_outsiders_get_404_on_every_object_route_and_change_nothing(tenant):
    values = {kw: build(tenant) for kw, build in OBJECT_IDS.items()}
    charlie = client_for(tenant.charlie)
    _, charlie_token = api_token_create(account=tenant.other_account, user=tenant.charlie, name="x")
    before = snapshot()
    walked = 0
    for name, pattern, kwargs in walkable_routes():
        if not kwargs:
            continue
        path = build_path(pattern, values, name)
        for method in ("get", "post", "put", "patch", "delete"):
            for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {charlie_token}"}):
                if headers and not path.startswith("/api/"):
                    continue
                response = getattr(charlie, method)(path, **headers)
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {path} ({name}) as an outsider answered "
                    f"{response.status_code}"
                )
                walked += 1
    assert walked > 0
    assert snapshot() == before, "an outsider's request changed the database"


@pytest.mark.django_db
def test_viewers_cannot_change_anything(tenant):
    values = {kw: build(tenant) for kw, build in OBJECT_IDS.items()}
    vera = client_for(tenant.vera)
    before = snapshot()
    for name, pattern, _ in walkable_routes():
        if name.split(":")[-1] in VIEWER_MAY_POST:
            continue
        path = build_path(pattern, values, name)
        for method in ("post", "put", "patch", "delete"):
            response = getattr(vera, method)(path, {})
            assert response.status_code in (403, 404, 405), (
                f"{method.upper()} {path} ({name}) as a viewer answered {response.status_code}"
            )
    assert snapshot() == before, "a viewer's request changed the database"
    assert Invitation.objects.filter(email="new@example.com").count() == 1
