"""Every contacts and consent route, walked by an outsider and by a viewer.

The project-wide walk (tests/smsapp/test_tenancy_walk.py) covers every app; this one runs the
same checks on our routes with objects of every kind they take, so it holds on its own.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.jobs import JobStatus
from accounts.services import api_token_create
from consent import api_urls as consent_api_urls
from consent import selectors as consent_selectors
from consent import services as consent_services
from consent import urls as consent_urls
from contacts import api_urls as contact_api_urls
from contacts import services
from contacts import urls as contact_urls
from tests.conftest import client_for
from tests.factories import ConsentBulkChangeFactory, PhoneReformatFactory

ROUTES = [
    ("/contacts/", contact_urls.urlpatterns),
    ("/consent/", consent_urls.urlpatterns),
    ("/api/v1/", contact_api_urls.urlpatterns),
    ("/api/v1/", consent_api_urls.urlpatterns),
]


def victim_objects(tenant) -> dict[str, str]:
    account = tenant.account
    contact = services.contact_create(account=account, first_name="Ada", phone="2125550123")
    contact_list = services.contact_list_create(account=account, name="Fair")
    services.contact_list_add(account=account, contact_list=contact_list, contact_ids=[contact.pk])
    contact_import = services.contact_import_create(
        account=account,
        created_by=tenant.bob,
        uploaded_file=SimpleUploadedFile("a.csv", b"Email\na@x.com\n"),
    )
    marketing = consent_selectors.subscription_type_default(account=account)
    return {
        "contact_id": contact.public_id,
        "property_id": services.contact_property_create(
            account=account, label="Tier", type="text"
        ).public_id,
        "list_id": contact_list.public_id,
        "import_id": contact_import.public_id,
        "reformat_id": PhoneReformatFactory(
            account=account,
            contact_list=contact_list,
            list_name="Fair",
            status=JobStatus.DONE,
            finished_at=timezone.now(),
        ).public_id,
        "subscription_type_id": marketing.public_id,
        "keyword_id": consent_services.keyword_rule_create(
            account=account, kind="custom", word="HOURS", reply_text="9-5"
        ).public_id,
        "bulk_change_id": ConsentBulkChangeFactory(
            account=account,
            subscription_type=marketing,
            action="opt_out",
            contact_ids=[contact.public_id],
            status=JobStatus.DONE,
        ).public_id,
    }


def paths(values: dict[str, str]):
    for prefix, patterns in ROUTES:
        for pattern in patterns:
            route = str(pattern.pattern)
            kwargs = re.findall(r"<(?:\w+:)?(\w+)>", route)
            path = prefix + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
            yield path, kwargs


def snapshot() -> dict:
    state = {}
    models = [
        m
        for app in ("accounts", "contacts", "consent")
        for m in apps.get_app_config(app).get_models()
    ]
    for model in models:
        label = model._meta.label_lower
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in ("last_used_at", "last_login")
        ]
        state[label] = list(model._default_manager.order_by("pk").values_list(*fields))
    return state


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def test_every_kwarg_is_known():
    known = set(victim_objects.__code__.co_consts) | {
        "contact_id",
        "property_id",
        "list_id",
        "import_id",
        "reformat_id",
        "subscription_type_id",
        "keyword_id",
        "bulk_change_id",
    }
    for _, kwargs in paths({k: "x" for k in known}):
        assert set(kwargs) <= known


@pytest.mark.django_db
def test_outsiders_get_404_and_change_nothing(tenant):
    values = victim_objects(tenant)
    charlie = client_for(tenant.charlie)
    _, token = api_token_create(account=tenant.other_account, user=tenant.charlie, name="x")
    before = snapshot()
    walked = 0
    for path, kwargs in paths(values):
        if not kwargs:
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/api/") else {}
            response = getattr(charlie, method)(path, **headers)
            assert response.status_code in (404, 405), f"{method} {path}: {response.status_code}"
            walked += 1
    assert walked > 100
    assert snapshot() == before


@pytest.mark.django_db
def test_viewers_change_nothing(tenant):
    values = victim_objects(tenant)
    vera = client_for(tenant.vera)
    before = snapshot()
    for path, _ in paths(values):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(vera, method)(path, {})
            assert response.status_code in (403, 404, 405), (
                f"{method} {path}: {response.status_code}"
            )
    assert snapshot() == before
