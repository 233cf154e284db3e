"""What the setup pages tell a newcomer: the compliance notice, what they need, how long
approvals take; eligibility refusals that don't outlive the answers; numbers' real state."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registration.models import PhoneNumber
from tests.factories import PhoneNumberFactory

pytestmark = pytest.mark.django_db


def test_the_setup_page_states_the_rules_what_you_need_and_approval_times(alice_client):
    page = alice_client.get(reverse("registration:setup")).content.decode()
    notice = page.split('id="compliance-notice"', 1)[1].split("</article>", 1)[0]
    assert "acceptable-use policy" in notice and "fine" in notice
    need = page.split('id="what-you-need"', 1)[1].split("</div>", 1)[0]
    assert "EIN" in need and "sample messages" in need
    times = page.split('id="approval-times"', 1)[1].split("</article>", 1)[0]
    assert "hours" in times and "weeks" in times


def test_an_old_refusal_is_not_shown_beside_new_answers(alice_client):
    url = reverse("registration:eligibility")
    refused = alice_client.post(
        url, {"sole_proprietor": "yes", "categories": ["cannabis"], "sending_country": "US"}
    ).content.decode()
    assert "Sole proprietors can&#x27;t register" in refused
    # Corrected, but incomplete: the page says what is missing, not the old refusal.
    corrected = alice_client.post(url, {"sole_proprietor": "no", "sending_country": "US"})
    page = corrected.content.decode()
    assert "Choose at least one category." in page
    assert "Sole proprietors can&#x27;t register" not in page
    # Reopened later, the refusal of the stored answers shows, marked to go stale on change.
    page = alice_client.get(url).content.decode()
    assert 'data-stale-on-change="#eligibility-form"' in page


def test_an_active_demo_number_is_not_pending(tenant, alice_client):
    PhoneNumberFactory(
        account=tenant.account, e164="+14155550100", status=PhoneNumber.Status.ACTIVE, is_demo=True
    )
    page = alice_client.get(reverse("registration:setup")).content.decode()
    step = page.split('id="step-numbers"', 1)[1].split("</article>", 1)[0]
    assert "1 active (demo)" in step and "Pending" not in step


def test_stock_questions_wait_for_public(tenant, alice_client):
    alice_client.post(
        reverse("registration:eligibility"),
        {"sole_proprietor": "no", "categories": ["promotions"], "sending_country": "US"},
    )
    page = alice_client.get(reverse("registration:business_registration")).content.decode()
    assert '<div data-show-when="company_status=public">' in page
