"""`next` ("go back to") parameters lead only to a path on this site (accounts.navigation.
next_url), and no view reads one any other way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import TestPhoneFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
]


@pytest.fixture
def verify_url(tenant) -> str:
    phone = TestPhoneFactory(account=tenant.account, user=tenant.alice, phone_e164="+12065550100")
    return f"/sms/test-phones/{phone.public_id}/verify/"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_next_is_neither_linked_nor_followed(alice_client, verify_url, target):
    page = alice_client.get("/sms/test-phones/", {"next": target})

    assert page.status_code == 200
    assert "Back to the message" not in page.content.decode()
    posted = alice_client.post(verify_url, {"code": "", "next": target})
    assert posted.status_code == 302
    assert posted["Location"] == "/sms/test-phones/"


def test_a_path_on_this_site_is_linked_and_followed(alice_client, verify_url):
    page = alice_client.get("/sms/test-phones/", {"next": "/sms/msg_x/"})

    assert '<a href="/sms/msg_x/">Back to the message</a>' in page.content.decode()
    posted = alice_client.post(verify_url, {"code": "", "next": "/sms/x/"})
    assert posted["Location"] == "/sms/x/"


def test_no_view_reads_next_but_the_one_helper():
    root = Path(settings.BASE_DIR)
    readers = re.compile(r"""(GET|POST|query_params|data)(\.get)?[\[(]\s*["']next["']""")
    found = [
        str(path.relative_to(root))
        for app in ("accounts", "contacts", "consent", "registration", "messaging", "analytics")
        + ("workflows",)
        for path in (root / app).rglob("*.py")
        if readers.search(path.read_text())
    ]
    assert found == ["accounts/navigation.py"]
