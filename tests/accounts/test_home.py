"""The home page: a getting-started checklist that ticks itself as each step gets done, and a
dashboard of usage, drafts, scheduled sends and recent sends with their rates."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analytics.services import rollups
from messaging.models import SmsMessage
from tests.analytics.helpers import campaign_with_results
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def steps_done(page: str) -> dict[str, bool]:
    checklist = page.split('id="getting-started"', 1)[1].split("</article>", 1)[0]
    return {
        label: done == "yes"
        for done, label in re.findall(
            r'data-done="(yes|no)">.*?<strong>([^<]+)</strong>', checklist, re.S
        )
    }


def test_the_checklist_ticks_itself_step_by_step(sending):
    alice = client_for(sending.tenant.alice)
    # The number of the fixture sets SMS up; nothing else is done yet.
    assert steps_done(alice.get(reverse("home")).content.decode()) == {
        "Set up SMS": True,
        "Import contacts": False,
        "Collect consent": False,
        "Send a first message": False,
    }
    sending.contact("Ann", phone="+12125550101", subscribed=None)
    page = alice.get(reverse("home")).content.decode()
    assert steps_done(page)["Import contacts"] and not steps_done(page)["Collect consent"]
    assert "2 of 4 done" in page
    sending.subscribe("+12125550101")
    assert steps_done(alice.get(reverse("home")).content.decode())["Collect consent"]
    # A step the member can't do isn't a link: a viewer sees what's left, without links.
    page = client_for(sending.tenant.vera).get(reverse("home")).content.decode()
    assert f'href="{reverse("messaging:new")}"><strong>Send a first message' not in page


def test_the_dashboard_shows_usage_drafts_scheduled_and_recent_sends_with_rates(
    sending, emulator, client
):
    sent, _, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    sending.message(name="Summer teaser", status=SmsMessage.Status.DRAFT)
    sending.message(name="Fall preview", status=SmsMessage.Status.SCHEDULED)
    page = client_for(sending.tenant.bob).get(reverse("home")).content.decode()
    # Every step done: the checklist gives way to the dashboard.
    assert 'id="getting-started"' not in page
    usage = page.split('id="usage-panel"', 1)[1].split("</article>", 1)[0]
    assert re.search(r'id="usage-used">\d+</strong> of [\d,]+ segments used', usage)
    assert "Summer teaser" in page.split('id="drafts-panel"', 1)[1].split("</article>", 1)[0]
    assert "Fall preview" in page.split('id="scheduled-panel"', 1)[1].split("</article>", 1)[0]
    recent = page.split('id="recent-sends"', 1)[1].split("</article>", 1)[0]
    assert "Spring sale" in recent
    assert '<td class="delivery-rate">60.0%</td>' in recent  # 3 of 5
    assert '<td class="click-rate">66.7%</td>' in recent  # 2 unique of 3 delivered
