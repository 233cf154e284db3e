from __future__ import annotations

import pytest
from django.core.management import call_command

from demo.constants import DEMO_ACCOUNT, DEMO_EMAIL, DEMO_PASSWORD, DEMO_SECOND_ACCOUNT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_the_demo_login_switch_account_and_sign_out(page):
    call_command("seed_demo")
    page.goto("/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=DEMO_ACCOUNT).wait_for()

    page.locator("#account-menu summary").click()
    page.get_by_role("button", name=DEMO_SECOND_ACCOUNT).click()
    page.get_by_role("heading", name=DEMO_SECOND_ACCOUNT).wait_for()
    assert page.get_by_text(f"Switched to {DEMO_SECOND_ACCOUNT}.").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to smsapp").wait_for()
    page.goto("/settings/team/")
    assert "/login/" in page.url


def test_seed_demo_is_idempotent(db):
    from accounts.models import Account, Membership, User

    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(email=DEMO_EMAIL).count() == 1
    assert Account.objects.filter(name__in=[DEMO_ACCOUNT, DEMO_SECOND_ACCOUNT]).count() == 2
    assert Membership.objects.filter(user__email=DEMO_EMAIL).count() == 2
