from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.conftest import client_for as client_signed_in


@pytest.mark.django_db
def test_sign_in_lands_on_the_account_home(tenant):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert b"Acme Outdoor" in response.content
    assert response.wsgi_request.user == tenant.alice


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(tenant):
    response = Client().post(reverse("login"), {"username": "alice@example.com", "password": "x"})
    assert response.status_code == 200
    assert b"Please enter a correct email" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.django_db
def test_sign_out_ends_the_session(alice_client):
    response = alice_client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert alice_client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_pages_require_sign_in(tenant):
    response = Client().get(reverse("team"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_repeated_failed_sign_ins_lock_the_login_even_with_the_right_password(tenant, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice@example.com", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out by alice's attempts.
    ok = client.post(reverse("login"), {"username": "bob@example.com", "password": PASSWORD})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_password_reset_by_email(tenant):
    client = Client()
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/[^\s]+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
        follow=True,
    )
    assert b"Password changed" in response.content
    tenant.alice.refresh_from_db()
    assert tenant.alice.check_password("a-new-long-passphrase")


@pytest.mark.django_db
def test_password_reset_for_unknown_email_reveals_nothing(tenant):
    response = Client().post(
        reverse("password_reset"), {"email": "nobody@example.com"}, follow=True
    )
    assert b"Check your email" in response.content
    assert mail.outbox == []


def sign_in(client: Client, email: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


@pytest.mark.django_db
def test_one_address_trying_many_emails_is_locked_out(tenant, settings):
    client = Client()
    answers = [
        sign_in(client, f"guess{n}@example.com", "wrong").status_code
        for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT)
    ]
    # Each email failed once: only the address's count reaches a limit, at the last one.
    assert answers == [200] * (settings.AXES_ADDRESS_FAILURE_LIMIT - 1) + [429]

    # Bob's right password from that address now waits too; from elsewhere it works.
    locked = sign_in(client, "bob@example.com", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert sign_in(Client(), "bob@example.com", PASSWORD, address="198.51.100.9").status_code == 302


@pytest.mark.django_db
def test_a_sign_in_on_ones_own_account_does_not_reset_the_addresss_count(tenant, settings):
    client = Client()
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        sign_in(client, f"guess{n}@example.com", "wrong")
    assert sign_in(Client(), "bob@example.com", PASSWORD).status_code == 302

    # Bob's sign-in cleared only his own failures: the next guess reaches the address's limit.
    assert sign_in(client, "another-guess@example.com", "wrong").status_code == 429
    assert sign_in(Client(), "vera@example.com", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_right_password_during_a_lockout_does_not_restart_it(tenant, settings):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(Client(), "alice@example.com", "wrong")
        clock.move_to(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC))
        assert sign_in(Client(), "alice@example.com", PASSWORD).status_code == 429
        # Fifteen minutes after the last failure, not after the refused right password.
        clock.move_to(dt.datetime(2026, 3, 2, 9, 16, tzinfo=dt.UTC))
        assert sign_in(Client(), "alice@example.com", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_trusted_proxies_the_forwarded_address_is_the_one_counted(tenant, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        Client().post(
            reverse("login"),
            {"username": f"guess{n}@example.com", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    # Another user behind the same proxy is not locked out with the guesser.
    ok = Client().post(
        reverse("login"),
        {"username": "bob@example.com", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert ok.status_code == 302


@pytest.mark.django_db
def test_api_tokens_expire_when_a_maximum_age_is_set(tenant, settings):
    from accounts.services import api_token_create

    settings.API_TOKEN_MAX_AGE_DAYS = 30
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False) as clock:
        _, raw = api_token_create(account=tenant.account, user=tenant.alice, name="CRM")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        assert Client().get("/api/v1/me", **auth).status_code == 200
        clock.move_to(dt.datetime(2026, 3, 31, 11, 59, tzinfo=dt.UTC))
        assert Client().get("/api/v1/me", **auth).status_code == 200

        clock.move_to(dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC))
        expired = Client().get("/api/v1/me", **auth)

        assert expired.status_code == 401
        assert "expired on 2026-03-31 12:00 UTC" in expired.json()["error"]["message"]
        # The tokens page says when each one expires.
        page = client_signed_in(tenant.alice).get(reverse("api_tokens")).content.decode()
        assert "Mar 31, 2026" in page


@pytest.mark.django_db
def test_api_tokens_never_expire_by_default(tenant, settings):
    from accounts.services import api_token_create

    assert settings.API_TOKEN_MAX_AGE_DAYS == 0
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False) as clock:
        _, raw = api_token_create(account=tenant.account, user=tenant.alice, name="CRM")
        clock.move_to(dt.datetime(2036, 3, 1, 12, 0, tzinfo=dt.UTC))
        me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert me.status_code == 200
