"""Drafts are saved as typed; the review and the send refuse what the composer's rules don't
allow, including a message property made required after the message was created."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from messaging.models import OutboundMessage, SmsMessage
from messaging.services import compose
from messaging.services import sending as sending_service
from tests.conftest import client_for
from tests.messaging.test_send_pages import send_form

pytestmark = pytest.mark.django_db
NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def review(sending, message):
    bob = client_for(sending.tenant.bob)
    page = bob.post(reverse("messaging:send", args=[message.public_id]), send_form(sending))
    return bob, page


def draft_saved(sending, **changes) -> SmsMessage:
    message = sending.message()
    saved = compose.message_draft_save(account=sending.account, message=message, **changes)
    assert saved.problems  # saved, with what blocks sending
    return saved.message


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"body": "Hi {{ contact.first_na"}, "This token can't be read"),
        ({"body": "x" * 1700}, "A message is limited to 1,600 characters"),
        ({"body": "Tents on sale", "append_opt_out": False}, "opt-out line can be switched off"),
    ],
)
@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_the_review_and_the_send_refuse_a_draft_that_breaks_the_rules(sending, changes, error):
    sending.contact("Ana", phone="+12125552801")
    message = draft_saved(sending, **changes)

    bob, page = review(sending, message)

    assert any(error in text for text in page.context["review"].errors), page.context["review"]
    assert 'id="send-button"' not in page.content.decode()
    bob.post(reverse("messaging:send_confirm", args=[message.public_id]))
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DRAFT
    assert not OutboundMessage.objects.filter(message=message).exists()


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_a_property_made_required_after_creation_is_needed_to_send(sending):
    sending.contact("Ana", phone="+12125552802")
    message = sending.message()
    compose.message_property_create(account=sending.account, label="Cost center", required=True)

    bob, page = review(sending, message)
    assert "Cost center is required." in page.context["review"].errors
    with pytest.raises(ValidationError, match="Cost center is required"):
        sending_service.message_send(account=sending.account, message=message, user=None)

    compose.message_draft_save(
        account=sending.account, message=message, properties={"cost_center": "MKT-7"}
    )
    _, page = review(sending, message)
    assert page.context["review"].errors == []
    assert 'id="send-button"' in page.content.decode()
