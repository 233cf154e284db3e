"""Replies flagged for review can be marked reviewed, with who and when, so the list shrinks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consent import selectors, services
from consent.models import ReplyReview


def text(tenant, body, sid, phone="+12125550123"):
    return services.inbound_keyword_apply(
        account=tenant.account,
        phone_e164=phone,
        body=body,
        received_by_number="+13125550000",
        message_sid=sid,
    ).engagement


def test_a_marketer_marks_a_flagged_reply_reviewed_and_it_leaves_the_list(
    tenant, bob_client, alice_client
):
    flagged = text(tenant, "please stop texting me", "SM" + "1" * 32)
    text(tenant, "can you stop by the store?", "SM" + "2" * 32, phone="+12125550124")
    page = alice_client.get(reverse("consent:keywords")).content.decode()
    assert "please stop texting me" in page and "Mark reviewed" in page

    response = bob_client.post(reverse("consent:reply_reviewed"), {"reply": flagged.public_id})
    assert response.status_code == 302
    page = bob_client.get(response.url).content.decode()
    assert "marked reviewed" in page
    pending = [e.data["body"] for e in selectors.replies_needing_review(account=tenant.account)]
    assert pending == ["can you stop by the store?"]
    review = ReplyReview.objects.get()
    assert (review.reviewed_by, review.reviewed_by_label) == (tenant.bob, "bob@example.com")
    # The page keeps a record of it: who reviewed what.
    reviewed = page[page.index('id="reviewed"') :]
    assert "bob@example.com" in reviewed and "please stop texting me" in reviewed


def test_marking_again_keeps_the_first_reviewer(tenant):
    flagged = text(tenant, "stop it please", "SM" + "3" * 32)
    first = services.reply_review_mark(account=tenant.account, engagement=flagged, user=tenant.bob)
    again = services.reply_review_mark(
        account=tenant.account, engagement=flagged, user=tenant.alice
    )
    assert again.pk == first.pk and again.reviewed_by == tenant.bob
    assert ReplyReview.objects.count() == 1


def test_only_flagged_replies_can_be_marked(tenant):
    plain = text(tenant, "see you Sunday", "SM" + "4" * 32)
    with pytest.raises(ValidationError, match="wasn't flagged"):
        services.reply_review_mark(account=tenant.account, engagement=plain, user=tenant.bob)


def test_viewers_and_outsiders_cant_mark_replies(tenant, vera_client, charlie_client):
    flagged = text(tenant, "please stop", "SM" + "5" * 32)
    url = reverse("consent:reply_reviewed")
    assert vera_client.post(url, {"reply": flagged.public_id}).status_code == 403
    assert charlie_client.post(url, {"reply": flagged.public_id}).status_code == 404
    assert not ReplyReview.objects.exists()
