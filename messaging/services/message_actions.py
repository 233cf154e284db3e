"""Actions on a message from its performance page: clone it, delete it with its results."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, User
from messaging.models import SmsMessage
from messaging.services.compose import message_create

# A message still going out can't lose its rows under the dispatcher's feet.
DELETABLE = (SmsMessage.Status.DRAFT, SmsMessage.Status.SENT, SmsMessage.Status.CANCELLED)


@transaction.atomic
def message_clone(*, account: Account, message: SmsMessage, owner: User) -> SmsMessage:
    """A new draft with the same content, audience and settings (not the schedule)."""
    message = SmsMessage.objects.get(pk=message.pk, account=account)
    copy = message_create(
        account=account,
        owner=owner,
        name=f"{message.name} (copy)"[:200],
        body=message.body,
        append_opt_out=message.append_opt_out,
        subscription_type=message.subscription_type,
        campaign_name=message.campaign.name if message.campaign_id else "",
        sender=message.sender,
        properties=message.properties,
    )
    copy.include_lists.set(message.include_lists.all())
    copy.exclude_lists.set(message.exclude_lists.all())
    copy.include_contacts.set(message.include_contacts.all())
    copy.exclude_contacts.set(message.exclude_contacts.all())
    return copy


@transaction.atomic
def message_destroy(*, account: Account, message: SmsMessage) -> None:
    """Delete a message that went out, with its texts, clicks and analytics.

    Every table that refers to a message either cascades in one statement per table (Django
    deletes rows without loading them when nothing further hangs off them) or, like the
    analytics change feed, drops the rows of messages that no longer exist.
    """
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status not in DELETABLE:
        raise ValidationError(
            f"A {message.get_status_display().lower()} message can't be deleted; cancel it or "
            "let it finish first."
        )
    message.delete()
