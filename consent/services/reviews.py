"""Replies flagged for review: a person on our side marks them dealt with."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, User
from consent.models import ReplyReview
from contacts.models import Engagement, EngagementKind


@transaction.atomic
def reply_review_mark(*, account: Account, engagement: Engagement, user: User) -> ReplyReview:
    """Mark a flagged reply reviewed. Marking it again keeps the first reviewer and time: the
    record says who dealt with it, not who clicked last."""
    if engagement.account_id != account.pk:
        raise ValueError("The reply belongs to another account.")
    if engagement.kind != EngagementKind.SMS_REPLY or not engagement.data.get("needs_review"):
        raise ValidationError("This reply wasn't flagged for review.")
    review, _ = ReplyReview.objects.get_or_create(
        engagement=engagement,
        defaults={"account": account, "reviewed_by": user, "reviewed_by_label": user.email},
    )
    return review
