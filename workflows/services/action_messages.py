"""The automated SmsMessages behind Send SMS actions, and when each one is finished.

An action's message takes its texts while the action stays as it was. Once the action's text,
opt-out line, number or user changes, its step is removed or its workflow deleted, the message
is finished: it takes no new texts (the next one starts a new version, see
`workflows.services.run`) and messaging's life-cycle sweep (`lifecycle.messages_progress`)
marks it sent as soon as the texts it already queued went out (until then dispatch still sends
them).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from messaging.models import SmsMessage
from workflows import definition
from workflows.models import ActionMessage, Workflow


def action_message_matches(message: SmsMessage, step: dict) -> bool:
    """Whether `message` still stands for the Send SMS `step` as it is defined now."""
    return (
        message.body == step.get("body")
        and message.append_opt_out == step.get("append_opt_out")
        and message.sender is not None
        and message.sender.public_id == step.get("from_number")
        and message.owner is not None
        and message.owner.public_id == step.get("sender_user")
    )


@transaction.atomic
def action_messages_finish(*, workflow: Workflow, everything: bool = False) -> int:
    """Finish the workflow's open action messages whose action changed or is gone (all of them
    with `everything`, as when the workflow is deleted); returns how many."""
    steps = {step["id"]: step for step in definition.walk(workflow.steps)}
    finished = []
    for action in ActionMessage.objects.filter(
        workflow=workflow, message__fanout_completed_at__isnull=True
    ).select_related("message__sender", "message__owner"):
        step = steps.get(action.step_id)
        if (
            everything
            or step is None
            or step.get("type") != "send_sms"
            or not action_message_matches(action.message, step)
        ):
            finished.append(action.message_id)
    if finished:
        SmsMessage.objects.filter(pk__in=finished, fanout_completed_at__isnull=True).update(
            fanout_completed_at=timezone.now()
        )
    return len(finished)
