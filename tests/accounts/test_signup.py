"""Self-serve sign-up: business name, work email, password; the emailed link confirms the
address and opens the account, its owner a super admin; the home page then says what to do
first and ticks each step as it gets done."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Membership, Role, User

pytestmark = pytest.mark.django_db

FORM = {
    "business_name": "Harbor Bikes",
    "email": "Owner@HarborBikes.example",
    "password": "Tandem-ride-2026",
}


def confirmation_link() -> str:
    assert len(mail.outbox) == 1
    return re.search(r"https?://\S+/signup/confirm/\S+/", mail.outbox[0].body).group()


def test_sign_up_confirm_and_land_on_a_home_that_says_what_to_do_first():
    client = Client()
    assert b'id="signup-link"' in client.get(reverse("login")).content
    response = client.post(reverse("signup"), FORM)
    assert "Check your email" in response.content.decode()
    assert "owner@harborbikes.example" in response.content.decode()
    user = User.objects.get(email="owner@harborbikes.example")
    # Nothing works before the address is confirmed.
    assert not user.is_active
    signed_in = client.post(
        reverse("login"), {"username": user.email, "password": FORM["password"]}
    )
    assert signed_in.status_code == 200 and "_auth_user_id" not in client.session
    assert mail.outbox[0].to == ["owner@harborbikes.example"]

    path = confirmation_link().split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert "Confirm and continue" in page.content.decode()
    assert not User.objects.get(pk=user.pk).is_active  # a mail scanner's GET confirms nothing
    home = client.post("/" + path, follow=True)
    assert home.redirect_chain[-1][0] == reverse("home")
    membership = Membership.objects.get(user=user)
    assert membership.account.name == "Harbor Bikes"
    assert membership.role == Role.SUPER_ADMIN and membership.may_setup_sms
    page = home.content.decode()
    assert "Welcome to smsapp, Harbor Bikes!" in page
    checklist = page.split('id="getting-started"', 1)[1].split("</article>", 1)[0]
    assert "0 of 4 done" in checklist
    for step in ("Set up SMS", "Import contacts", "Collect consent", "Send a first message"):
        assert step in checklist
    assert "hours" in checklist and "weeks" in checklist  # how long approvals take
    assert 'id="usage-panel"' in page and 'id="recent-sends"' in page

    # The link works once.
    assert client.post("/" + path).status_code == 404
    assert Client().get("/" + path).status_code == 404


def test_bad_input_is_named_and_creates_nothing():
    client = Client()
    response = client.post(reverse("signup"), {**FORM, "password": "12345678"})
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    response = client.post(reverse("signup"), {**FORM, "email": "not-an-email"})
    assert "Enter a valid email address." in response.content.decode()
    response = client.post(reverse("signup"), {**FORM, "business_name": ""})
    assert "This field is required." in response.content.decode()
    assert not User.objects.exists() and not Account.objects.exists()
    assert mail.outbox == []


def test_an_address_with_a_login_is_refused_and_an_unconfirmed_one_gets_a_new_link(tenant):
    response = Client().post(reverse("signup"), {**FORM, "email": tenant.alice.email})
    assert "That email already has a login" in response.content.decode()
    assert mail.outbox == []

    Client().post(reverse("signup"), FORM)
    Client().post(reverse("signup"), {**FORM, "business_name": "Other"})
    assert len(mail.outbox) == 2
    assert Account.objects.filter(name="Harbor Bikes").count() == 1
    assert not Account.objects.filter(name="Other").exists()


def test_a_bad_link_is_refused():
    assert Client().get("/signup/confirm/MQ/abc-def/").status_code == 404
    assert Client().get("/signup/confirm/%%%/abc/").status_code == 404
