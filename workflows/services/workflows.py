"""Building workflows: create, change, switch on and off, edit steps one at a time, limits.

Every save checks the whole definition (`workflows.definition`); nothing invalid is stored.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import FieldConflict
from accounts.models import Account, User
from workflows import definition
from workflows.models import (
    DAILY_SEND_LIMIT,
    MONTHLY_SEND_LIMIT,
    Workflow,
    WorkflowSettings,
)
from workflows.services.action_messages import action_messages_finish

NAME_MAX_LENGTH = 200
EDITABLE_FIELDS = frozenset({"name", "trigger_type", "trigger", "steps", "allow_reenrollment"})


def _name_clean(name: str, errors: dict) -> str:
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append("Give the workflow a name.")
    elif len(name) > NAME_MAX_LENGTH:
        errors.setdefault("name", []).append(f"At most {NAME_MAX_LENGTH} characters.")
    return name


def _definition_check(
    *, account: Account, record_type: str, trigger_type: str, trigger: dict, steps: list
) -> tuple[dict, list, dict, dict]:
    """The trigger and steps cleaned, with their errors and their conflicts with the account
    (workflows.definition)."""
    kind = definition.record_type_get(record_type)
    trigger, errors, conflicts = definition.trigger_clean(
        account=account, record_type=kind, trigger_type=trigger_type, trigger=trigger
    )
    steps, step_errors, step_conflicts = definition.steps_clean(
        account=account, record_type=kind, steps=steps
    )
    errors.update(step_errors)
    conflicts.update(step_conflicts)
    return trigger, steps, errors, conflicts


def _refuse(errors: dict, conflicts: dict) -> None:
    """Refuse a save that has problems: as a conflict with the account (FieldConflict, 409 in
    the API) when any of them is one, every problem listed; else as invalid (ValidationError)."""
    if conflicts:
        raise FieldConflict(_merged(errors, conflicts), code="workflow_definition")
    if errors:
        raise ValidationError(errors)


def _merged(*problems: dict) -> dict:
    """Problems by field, a field's messages from each in turn."""
    merged: dict = {}
    for found in problems:
        for field, messages in found.items():
            merged.setdefault(field, []).extend(messages)
    return merged


@transaction.atomic
def workflow_create(
    *,
    account: Account,
    user: User | None,
    name: str,
    trigger_type: str,
    trigger: dict | None = None,
    steps: list | None = None,
    record_type: str = "contact",
    allow_reenrollment: bool = False,
) -> Workflow:
    """A new workflow, switched off until someone turns it on."""
    errors: dict = {}
    name = _name_clean(name, errors)
    trigger, steps, definition_errors, conflicts = _definition_check(
        account=account,
        record_type=record_type,
        trigger_type=trigger_type,
        trigger=trigger or {},
        steps=steps or [],
    )
    _refuse(_merged(errors, definition_errors), conflicts)
    now = timezone.now()
    return Workflow.objects.create(
        account=account,
        name=name,
        record_type=record_type,
        trigger_type=trigger_type,
        trigger=trigger,
        steps=steps,
        allow_reenrollment=bool(allow_reenrollment),
        created_by=user,
        created_at=now,
        updated_at=now,
    )


def _locked(account: Account, workflow: Workflow) -> Workflow:
    return Workflow.objects.select_for_update().get(pk=workflow.pk, account=account)


@transaction.atomic
def workflow_update(*, account: Account, workflow: Workflow, **changes) -> Workflow:
    """Change the given fields; the result is checked as a whole. A step removed while records
    wait on it ends their enrollment when they reach it (logged)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"workflow_update() got unexpected fields: {sorted(unknown)}")
    workflow = _locked(account, workflow)
    errors: dict = {}
    if "name" in changes:
        workflow.name = _name_clean(changes["name"], errors)
    if "allow_reenrollment" in changes:
        workflow.allow_reenrollment = bool(changes["allow_reenrollment"])
    trigger_type = changes.get("trigger_type", workflow.trigger_type)
    trigger = changes.get(
        "trigger", workflow.trigger if trigger_type == workflow.trigger_type else {}
    )
    workflow.trigger, workflow.steps, definition_errors, conflicts = _definition_check(
        account=account,
        record_type=workflow.record_type,
        trigger_type=trigger_type,
        trigger=trigger or {},
        steps=changes.get("steps", workflow.steps),
    )
    errors.update(definition_errors)
    if workflow.enabled and not workflow.steps and not errors:
        # Refused for the workflow being on, not for the steps asked for.
        conflicts.setdefault("steps", []).append("A workflow that is on needs at least one step.")
    _refuse(errors, conflicts)
    workflow.trigger_type = trigger_type
    workflow.updated_at = timezone.now()
    workflow.save()
    # An edited or removed Send SMS action's message is done; its next text starts a new one.
    action_messages_finish(workflow=workflow)
    return workflow


@transaction.atomic
def workflow_toggle(*, account: Account, workflow: Workflow, enabled: bool) -> Workflow:
    """Switch a workflow on (its definition must still be valid: a number may have lost its
    approval since) or off. While off, records in it wait where they are."""
    workflow = _locked(account, workflow)
    if enabled:
        # What is refused here is the workflow as saved: a conflict, whatever the problem.
        _, _, errors, conflicts = _definition_check(
            account=account,
            record_type=workflow.record_type,
            trigger_type=workflow.trigger_type,
            trigger=workflow.trigger,
            steps=workflow.steps,
        )
        if not workflow.steps:
            conflicts.setdefault("steps", []).append("Add at least one step before turning it on.")
        if errors or conflicts:
            raise FieldConflict(_merged(errors, conflicts), code="workflow_cannot_run")
    workflow.enabled = bool(enabled)
    workflow.updated_at = timezone.now()
    workflow.save(update_fields=["enabled", "updated_at"])
    return workflow


@transaction.atomic
def workflow_delete(*, account: Account, workflow: Workflow) -> None:
    """Delete a workflow, its enrollments and log. Texts it sent stay in messaging, their
    messages finished (sent once what they queued went out)."""
    workflow = _locked(account, workflow)
    action_messages_finish(workflow=workflow, everything=True)
    workflow.delete()


@transaction.atomic
def workflow_step_save(
    *,
    account: Account,
    workflow: Workflow,
    step: dict,
    after: str = "",
    parent: str = "",
    path: str = "",
) -> tuple[Workflow, str]:
    """Replace the step with `step["id"]`, or add it (after step `after`, or first in branch
    `parent`'s `path`, or first of all; under the id it has, else a new one). Returns the
    workflow and the step's id."""
    workflow = _locked(account, workflow)
    steps = copy.deepcopy(workflow.steps)
    step_id = step.get("id") or ""
    found = definition.locate(steps, step_id) if step_id else None
    if found is not None:
        holder, position = found
        existing = holder[position]
        if existing.get("type") == "branch" and step.get("type") == "branch":
            step = {**step, "yes": existing.get("yes", []), "no": existing.get("no", [])}
        holder[position] = step
    else:
        step_id = step_id or definition.new_step_id()
        step = {**step, "id": step_id}
        if after:
            found = definition.locate(steps, after)
            if found is None:
                raise ValidationError("The step to add after was deleted meanwhile.")
            found[0].insert(found[1] + 1, step)
        elif parent:
            branch = definition.step_find(steps, parent)
            if branch is None or branch.get("type") != "branch" or path not in ("yes", "no"):
                raise ValidationError("Add the step to the yes or the no path of a branch.")
            branch.setdefault(path, []).insert(0, step)
        else:
            steps.insert(0, step)
    workflow = workflow_update(account=account, workflow=workflow, steps=steps)
    return workflow, step_id


@transaction.atomic
def workflow_step_delete(*, account: Account, workflow: Workflow, step_id: str) -> Workflow:
    """Remove a step (a branch with both its paths)."""
    workflow = _locked(account, workflow)
    steps = copy.deepcopy(workflow.steps)
    found = definition.locate(steps, step_id)
    if found is None:
        return workflow
    del found[0][found[1]]
    return workflow_update(account=account, workflow=workflow, steps=steps)


@transaction.atomic
def workflow_settings_update(
    *, account: Account, daily_send_limit: int, monthly_send_limit: int
) -> WorkflowSettings:
    """Lower (or restore) the per-user-and-number send limits; never above the ceilings."""
    errors: dict = {}
    for field, value, ceiling in (
        ("daily_send_limit", daily_send_limit, DAILY_SEND_LIMIT),
        ("monthly_send_limit", monthly_send_limit, MONTHLY_SEND_LIMIT),
    ):
        if not isinstance(value, int) or value < 1 or value > ceiling:
            errors[field] = [f"Between 1 and {ceiling:,}."]
    if not errors and daily_send_limit > monthly_send_limit:
        errors["daily_send_limit"] = ["The daily limit can't exceed the monthly one."]
    if errors:
        raise ValidationError(errors)
    settings_row, _ = WorkflowSettings.objects.update_or_create(
        account=account,
        defaults={"daily_send_limit": daily_send_limit, "monthly_send_limit": monthly_send_limit},
    )
    return settings_row
