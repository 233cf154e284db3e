"""Contact and inbound-text events, turned into enrollment work for the worker.

Receivers hold no rule: each names the trigger the event is and calls `event_announce`, which
asks whether any enabled workflow cares before queueing anything.
"""

from __future__ import annotations

from django.dispatch import receiver

from contacts import selectors as contact_selectors
from contacts.signals import contacts_added_to_list, contacts_changed, contacts_created
from messaging.services.inbound import inbound_received
from workflows.models import TriggerType
from workflows.services.enroll import event_announce, keyword_of


@receiver(contacts_created, dispatch_uid="workflows_contacts_created")
def contacts_created_enroll(sender, account_id: int, contact_ids: list[int], **kwargs):
    event_announce(
        account_id=account_id,
        record_type="contact",
        trigger_type=TriggerType.RECORD_CREATED,
        record_ids=contact_ids,
    )


@receiver(contacts_changed, dispatch_uid="workflows_contacts_changed")
def contacts_changed_enroll(sender, account_id: int, changes: dict[int, list[str]], **kwargs):
    event_announce(
        account_id=account_id,
        record_type="contact",
        trigger_type=TriggerType.PROPERTY_CHANGED,
        record_ids=list(changes),
        detail={"changes": changes},
    )


@receiver(contacts_added_to_list, dispatch_uid="workflows_contacts_added_to_list")
def contacts_added_enroll(sender, account_id: int, list_id: int, contact_ids: list[int], **kw):
    public_id = (
        contact_selectors.contact_lists(account=account_id)
        .filter(pk=list_id)
        .values_list("public_id", flat=True)
        .first()
    )
    if public_id:
        event_announce(
            account_id=account_id,
            record_type="contact",
            trigger_type=TriggerType.LIST_ADDED,
            record_ids=contact_ids,
            detail={"list": public_id},
        )


@receiver(inbound_received, dispatch_uid="workflows_inbound_received")
def inbound_keyword_enroll(
    sender, account_id: int, contact_id: int | None, body: str, keyword_kind: str, **kwargs
):
    # Whoever texted an opt-out word can't be texted back; nothing to enroll.
    if contact_id is None or keyword_kind == "opt_out":
        return
    keyword = keyword_of(body)
    if keyword:
        event_announce(
            account_id=account_id,
            record_type="contact",
            trigger_type=TriggerType.INBOUND_KEYWORD,
            record_ids=[contact_id],
            detail={"keyword": keyword},
        )
