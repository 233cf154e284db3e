"""The send review weighs a campaign against what is left of the period's allotment: a send
needing more is refused with the numbers, one reaching 60% is warned about."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from messaging.models import OutboundMessage, SmsMessage
from messaging.services.settings import sending_settings
from tests.conftest import client_for
from tests.messaging.test_send_pages import send_form

pytestmark = pytest.mark.django_db
NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)
# Two segments with the opt-out line: 153 < length <= 306.
TWO_SEGMENT_BODY = "Spring sale! " + "Tents, boots and packs are 20% off this week. " * 4


def review_page(sending, allotment_total: int, recipients: int = 3):
    rules = sending_settings(sending.account)
    rules.monthly_segment_allotment = allotment_total
    rules.save()
    for n in range(recipients):
        sending.contact(f"Ana{n}", phone=f"+1212555{2700 + n}")
    message = sending.message(body=TWO_SEGMENT_BODY)
    bob = client_for(sending.tenant.bob)
    page = bob.post(reverse("messaging:send", args=[message.public_id]), send_form(sending))
    return bob, message, page


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_a_send_needing_more_segments_than_are_left_is_refused_with_the_numbers(sending):
    bob, message, page = review_page(sending, allotment_total=5)

    html = page.content.decode()
    assert page.context["review"].segments_total == 6
    assert "This send needs 6 segments but only 5 are left this period." in html
    assert 'id="send-button"' not in html

    # Posting the confirmation anyway changes nothing.
    response = bob.post(reverse("messaging:send_confirm", args=[message.public_id]), follow=True)
    assert "This send needs 6 segments but only 5 are left this period." in (
        response.content.decode()
    )
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DRAFT
    assert not OutboundMessage.objects.filter(message=message).exists()


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_a_send_taking_usage_to_60_percent_is_warned_about_and_may_go(sending):
    _, _, page = review_page(sending, allotment_total=10)

    html = page.content.decode()
    assert "After this send 6 of 10 segments (60%) will be used this period." in html
    assert 'id="send-button"' in html


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_a_send_below_60_percent_gets_no_usage_warning(sending):
    _, _, page = review_page(sending, allotment_total=11)

    assert "will be used this period" not in page.content.decode()
    assert page.context["review"].errors == []


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_an_audience_no_one_can_receive_gets_no_usage_warning(sending):
    from tests.factories import OutboundMessageFactory

    # 7 of 10 segments already used this period, but this send would use none.
    OutboundMessageFactory(
        account=sending.account, to_phone="+12125550100", segments=7, status="delivered"
    )
    sending.contact("Out", phone="+12125552799", subscribed=False)
    _, _, page = review_page(sending, allotment_total=10, recipients=0)
    html = page.content.decode()
    assert page.context["review"].sendable == 0
    assert "No one in this audience can receive the message." in html
    assert "will be used this period" not in html
