from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


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
