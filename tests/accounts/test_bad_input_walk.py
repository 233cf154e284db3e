"""Walk every URL pattern with input no request should carry, and check none answers a 5xx.

Routes come from the URL resolver (as in test_tenancy_walk), so a route added tomorrow is walked
too. Each is asked, as the account's super admin (so the views run, not just the sign-in
check), with a NUL character, an unpaired surrogate and a 100 kB string in its URL, query
parameters and form fields, and, under /api/, with JSON bodies: those strings, and a document
nested 1,000 deep. Text that can't be stored must be refused with a 400 (accounts.inputs)
and change nothing.

The query and form names tried are every name the apps read from a request (found in their
source), so a view's own parameter is probed the day it is added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.signals import got_request_exception
from django.test import Client

from accounts.services import api_token_create
from contacts.models import ContactImport
from tests.accounts.test_tenancy_walk import OBJECT_IDS, iter_routes, snapshot

pytestmark = pytest.mark.django_db

APPS = ("accounts", "contacts", "consent", "registration", "messaging", "analytics", "workflows")
# Parameter names read off a request in the apps' source: request.GET.get("q"), data["x"], ...
_READ = re.compile(
    r"""(?:GET|POST|query_params|data|FILES)(?:\.get|\.getlist|\.pop)?[\[(]\s*["']([a-z_0-9]+)["']"""
)
# Filter forms' fields bound to the query string, and the composer's and lists' form fields.
EXTRA_NAMES = {"start", "end", "name", "body", "email", "phone", "first_name", "last_name"}
# Routes that end the session or point it elsewhere: walked anonymously would test nothing.
NOT_POSTED = {"logout", "account_switch"}

LEAN_PATHS = ("/AbCdEfGhIj", "/webhooks/twilio/status")
NUL, SURROGATE, LONG = "bad\x00text", "bad\ud800text", "x" * 100_000


def names_read() -> list[str]:
    root = Path(settings.BASE_DIR)
    names = set(EXTRA_NAMES)
    for app in APPS:
        for source in (root / app).rglob("*.py"):
            names.update(_READ.findall(source.read_text()))
    return sorted(names)


def route_values(tenant) -> dict[str, str]:
    values = {kw: build(tenant) for kw, build in OBJECT_IDS.items()}
    # An uploaded import has its file (the factory's has none): its mapping page reads it.
    upload = ContactImport.objects.get(public_id=values["import_id"])
    upload.headers = ["Phone"]
    upload.file.save("walk.csv", ContentFile(b"Phone\n+12125550100\n"))
    # Kwargs of the routes the tenancy walk leaves out (public, token-guarded).
    values.update(token="not-a-token", uidb64="MQ", code="AbCdEfGhIj", public_id="oip_nothing")
    return values


def paths(values: dict[str, str], kwarg_value: str | None = None) -> list[tuple[str, str, str]]:
    """(name, pattern, path) for every route; `kwarg_value` in place of every URL kwarg."""
    out = []
    for name, pattern, kwargs in iter_routes():
        if kwarg_value is not None and not kwargs:
            continue
        if name == "admin":
            pattern = "admin/"
        namespace = name.split(":")[0] if ":" in name else ""

        def value(match, namespace=namespace):
            if kwarg_value is not None:
                return encoded(kwarg_value)
            kw = match.group(1)
            return values.get(f"{namespace}:{kw}") or values[kw]

        # Regular-expression routes' groups first, then path converters.
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)(\{\d+\})?", value, pattern)
        path = re.sub(r"<(?:\w+:)?(\w+)>", value, path)
        path = path.replace("^", "").replace("$", "").replace("\\Z", "")
        path = path.replace(".*", "nothing-here")
        out.append((name, pattern, "/" + path))
    return out


def encoded(value: str) -> str:
    # An unpaired surrogate can't be UTF-8: sent as the bytes a careless client would send.
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query(names: list[str], value: str) -> str:
    return "&".join(f"{name}={encoded(value)}" for name in names)


@pytest.fixture
def walker(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = Client(raise_request_exception=False)
    client.force_login(tenant.alice)
    _, token = api_token_create(account=tenant.account, user=tenant.alice, name="walk")
    errors: list[str] = []

    def record(sender, request=None, **kwargs):
        import sys

        errors.append(f"{request.method} {request.path[:80]}: {sys.exc_info()[1]!r}"[:300])

    got_request_exception.connect(record)
    yield client, token, errors, route_values(tenant)
    got_request_exception.disconnect(record)


def _failures(responses) -> list[str]:
    return [f"{label} answered {status}" for label, status in responses if status >= 500]


def test_nul_and_surrogates_anywhere_get_a_400_and_change_nothing(tenant, walker):
    client, token, errors, values = walker
    names = names_read()
    before = snapshot()
    refused_or_not = []  # (label, status) of requests that carry text that can't be stored
    for name, _, path in paths(values):
        if name.split(":")[-1] in NOT_POSTED:
            continue
        get = client.get(f"{path}?{query(names, NUL)}")
        refused_or_not.append((f"GET {path} query", get.status_code))
        form = client.post(
            path, query(names, NUL), content_type="application/x-www-form-urlencoded"
        )
        refused_or_not.append((f"POST {path} form", form.status_code))
        if path.startswith("/api/"):
            for bad in (NUL, SURROGATE):
                body = json.dumps({n: bad for n in names} | {bad: "x"})
                for method in (client.post, client.put, client.patch):
                    response = method(
                        path,
                        body,
                        content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {token}",
                    )
                    label = f"{method.__name__.upper()} {path} json {bad!r}"
                    refused_or_not.append((label, response.status_code))
    for _, _, path in paths(values, kwarg_value=NUL):
        refused_or_not.append((f"GET {path} path", client.get(path).status_code))
    assert not errors, errors
    # Each got the 400 that names the field; short links and the status callback are answered
    # before the check (a 404 for no such code, a 405 for a GET, a 403 for no signature).
    not_refused = [
        (label, status)
        for label, status in refused_or_not
        if status != 400 and not label.split()[1].startswith(LEAN_PATHS)
    ]
    assert not not_refused, not_refused
    assert snapshot() == before, "a refused request changed the database"

    # An unpaired surrogate can't travel in a URL or a form (it arrives as U+FFFD, which is
    # storable): asked anyway, nothing may fail.
    answered = []
    for _, _, path in paths(values):
        get = client.get(f"{path}?{query(names, SURROGATE)}")
        answered.append((f"GET {path} query", get.status_code))
    assert not _failures(answered) and not errors, _failures(answered) + errors


def test_a_json_body_nested_a_thousand_deep_gets_a_400_everywhere(tenant, walker):
    client, token, errors, values = walker
    deep = "[" * 1000 + "]" * 1000
    deep_object = '{"a":' * 1000 + "1" + "}" * 1000
    answered = []
    before = snapshot()
    for _, _, path in paths(values):
        # Pages take no JSON, but must not fail on it either; the API's writes take all three.
        methods = (client.post, client.put, client.patch) if "/api/" in path else (client.post,)
        for body in (deep, deep_object):
            for method in methods:
                response = method(
                    path,
                    body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
                answered.append((f"{method.__name__} {path}", response.status_code))
                if path.startswith("/api/") and response.status_code == 400:
                    assert response.json()["error"]["code"] == "invalid_input"
    assert not _failures(answered) and not errors, _failures(answered) + errors
    assert len(answered) > 200
    assert snapshot() == before


# The query walk in halves (every other route): each request carries megabytes, and each test
# must end well inside the suite's two-minute limit on a busy machine.
@pytest.mark.parametrize(
    ("carrier", "half"),
    [("query", 0), ("query", 1), ("form", None), ("json", None), ("path", None)],
)
def test_hundred_kilobyte_strings_anywhere_get_no_5xx(tenant, walker, carrier, half):
    client, token, errors, values = walker
    names = names_read()
    answered = []
    routes = paths(values, kwarg_value=LONG if carrier == "path" else None)
    for name, _, path in routes if half is None else routes[half::2]:
        if carrier == "query":
            response = client.get(f"{path}?{query(names, LONG)}")
        elif carrier == "path":
            response = client.get(path)
        elif name.split(":")[-1] in NOT_POSTED:
            continue
        elif carrier == "form":
            response = client.post(
                path, query(names, LONG), content_type="application/x-www-form-urlencoded"
            )
        elif path.startswith("/api/"):
            response = client.post(
                path,
                json.dumps({n: LONG for n in names}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        else:
            continue
        answered.append((f"{carrier} {path[:80]}", response.status_code))
    assert answered
    assert not _failures(answered) and not errors, _failures(answered) + errors
