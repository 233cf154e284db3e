"""Workflow pages: the list, the builder (settings, trigger, steps one at a time) and the log."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from messaging import composer
from messaging import selectors as messaging_selectors
from workflows import definition, selectors, services
from workflows.forms import STEP_FORMS, LimitsForm, SendSmsForm, WorkflowForm
from workflows.models import LogEvent, Workflow

LOG_PAGE = 100


def _workflow(request: HttpRequest, workflow_id: str) -> Workflow:
    return get_for_account(Workflow, request.account, workflow_id)


@require_http_methods(["GET", "POST"])
@account_required
def index(request: HttpRequest) -> HttpResponse:
    account = request.account
    limits_form = LimitsForm(
        request.POST or None,
        initial={
            "daily_send_limit": selectors.workflow_settings(account).daily_send_limit,
            "monthly_send_limit": selectors.workflow_settings(account).monthly_send_limit,
        },
    )
    if request.method == "POST":
        if not request.membership.is_super_admin:
            raise PermissionDenied("Only super admins can change the limits.")
        if limits_form.is_valid():
            try:
                services.workflow_settings_update(account=account, **limits_form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(limits_form, exc)
            else:
                flash.success(request, "Workflow send limits saved.")
                return redirect("workflows:index")
    return render(
        request,
        "workflows/index.html",
        {
            "workflows": selectors.workflows_list(account=account, q=request.GET.get("q", "")),
            "q": request.GET.get("q", ""),
            "limits_form": limits_form,
        },
    )


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def new(request: HttpRequest) -> HttpResponse:
    form = WorkflowForm(request.POST or None, account=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            workflow = services.workflow_create(
                account=request.account,
                user=request.user,
                name=form.cleaned_data["name"],
                trigger_type=form.cleaned_data["trigger_type"],
                trigger=form.trigger(),
                allow_reenrollment=form.cleaned_data["allow_reenrollment"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect("workflows:edit", workflow.public_id)
    return render(request, "workflows/new.html", {"form": form})


@require_GET
@account_required
def trigger_fields(request: HttpRequest) -> HttpResponse:
    """The trigger's own fields, swapped in when the trigger type changes (htmx)."""
    form = WorkflowForm(request.GET, account=request.account)
    return render(request, "workflows/_trigger_fields.html", {"form": form})


@require_GET
@account_required
def number_users(request: HttpRequest) -> HttpResponse:
    """The sender-user options for the chosen From number (htmx)."""
    choices = SendSmsForm.user_choices(
        request.account,
        request.GET.get("from_number", ""),
        selectors.sending_numbers(account=request.account),
    )
    return render(request, "workflows/_user_options.html", {"choices": choices})


@require_http_methods(["GET", "POST"])
@account_required
def edit(request: HttpRequest, workflow_id: str) -> HttpResponse:
    workflow = _workflow(request, workflow_id)
    form = WorkflowForm(
        request.POST or None,
        account=request.account,
        record_type=workflow.record_type,
        initial=WorkflowForm.initial_for(workflow),
    )
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied("Viewers can't change anything.")
        if form.is_valid():
            try:
                services.workflow_update(
                    account=request.account,
                    workflow=workflow,
                    name=form.cleaned_data["name"],
                    trigger_type=form.cleaned_data["trigger_type"],
                    trigger=form.trigger(),
                    allow_reenrollment=form.cleaned_data["allow_reenrollment"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                flash.success(request, "Workflow saved.")
                return redirect("workflows:edit", workflow.public_id)
    return render(
        request,
        "workflows/edit.html",
        {
            "workflow": workflow,
            "form": form,
            "step_types": definition.STEP_TYPES,
            "steps": selectors.steps_labelled(account=request.account, workflow=workflow),
            "active": selectors.active_enrollments(account=request.account, workflow=workflow),
        },
    )


@require_POST
@account_required(edit=True)
def toggle(request: HttpRequest, workflow_id: str) -> HttpResponse:
    workflow = _workflow(request, workflow_id)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.workflow_toggle(account=request.account, workflow=workflow, enabled=enabled)
    except ValidationError as exc:
        problems = [m for messages in exc.message_dict.values() for m in messages]
        flash.error(request, "It can't be turned on: " + " ".join(problems))
    else:
        flash.success(request, "Workflow is on." if enabled else "Workflow is off.")
    return redirect("workflows:edit", workflow.public_id)


@require_POST
@account_required(edit=True)
def delete(request: HttpRequest, workflow_id: str) -> HttpResponse:
    workflow = _workflow(request, workflow_id)
    services.workflow_delete(account=request.account, workflow=workflow)
    flash.success(request, f"Deleted “{workflow.name}”.")
    return redirect("workflows:index")


@require_http_methods(["GET", "POST"])
@account_required
def step(request: HttpRequest, workflow_id: str) -> HttpResponse:
    """Add a step (?type=…&after=… or &parent=…&path=yes|no) or edit one (?step=…)."""
    workflow = _workflow(request, workflow_id)
    if request.method == "POST" and not request.membership.can_edit:
        raise PermissionDenied("Viewers can't change anything.")
    params = request.POST if request.method == "POST" else request.GET
    step_id = params.get("step", "")
    existing = definition.step_find(workflow.steps, step_id) if step_id else None
    if step_id and existing is None:
        flash.error(request, "That step was deleted meanwhile.")
        return redirect("workflows:edit", workflow.public_id)
    kind = existing["type"] if existing else params.get("type", "")
    if kind not in STEP_FORMS:
        flash.error(request, "Choose a kind of step to add.")
        return redirect("workflows:edit", workflow.public_id)
    form_class = STEP_FORMS[kind]
    initial = {k: v for k, v in (existing or {}).items() if k not in ("yes", "no", "id")}
    form = form_class(
        request.POST or None,
        account=request.account,
        record_type=workflow.record_type,
        initial=initial or None,
    )
    if request.method == "POST" and form.is_valid():
        # A new step gets its id here, so the errors of the whole definition can be told
        # apart: this step's go next to its fields, any other step's above the form.
        step_data = {**form.step(), "id": step_id or definition.new_step_id()}
        try:
            services.workflow_step_save(
                account=request.account,
                workflow=workflow,
                step=step_data,
                after=params.get("after", ""),
                parent=params.get("parent", ""),
                path=params.get("path", ""),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                own = f"steps.{step_data['id']}."
                for key, messages in exc.message_dict.items():
                    for message in messages:
                        if key.startswith(own):
                            field = key.removeprefix(own)
                            form.add_error(field if field in form.fields else None, message)
                        else:
                            form.add_error(None, f"Another step needs fixing first: {message}")
            else:
                for message in exc.messages:
                    form.add_error(None, message)
        else:
            flash.success(request, f"{definition.STEP_TYPES[kind]} step saved.")
            return redirect("workflows:edit", workflow.public_id)
    context = {
        "workflow": workflow,
        "form": form,
        "kind": kind,
        "kind_label": definition.STEP_TYPES[kind],
        "step_id": step_id,
        "after": params.get("after", ""),
        "parent": params.get("parent", ""),
        "path": params.get("path", ""),
    }
    if kind == "send_sms":
        context.update(_composer_parts(request, form))
    return render(request, "workflows/step.html", context)


def _composer_parts(request: HttpRequest, form) -> dict:
    """The composer's counter, preview and insert menus for the Send SMS step's message."""
    editable = request.membership.can_edit
    sender = next((n for n in form.numbers if n.public_id == form["from_number"].value()), None)
    sender = sender or (form.numbers[0] if form.numbers else None)
    return {
        "editable": editable,
        "token_types": composer.token_types(contact_fields=form.tokens(), message_tokens=False),
        "emoji": composer.EMOJI,
        "special_characters": composer.SPECIAL_CHARACTERS,
        "preview": messaging_selectors.message_preview(
            account=request.account,
            body=form["body"].value() or "",
            append_opt_out=bool(form["append_opt_out"].value()),
            sender=sender,
        ),
        "config": composer.composer_config(
            account=request.account,
            sender=sender,
            editable=editable,
            body_id="id_body",
            form_id="step-form",
            message_tokens=False,
        ),
    }


@require_POST
@account_required(edit=True)
def step_delete(request: HttpRequest, workflow_id: str) -> HttpResponse:
    workflow = _workflow(request, workflow_id)
    try:
        services.workflow_step_delete(
            account=request.account, workflow=workflow, step_id=request.POST.get("step", "")
        )
    except ValidationError as exc:
        problems = [m for messages in exc.message_dict.values() for m in messages]
        flash.error(request, "The step can't be removed: " + " ".join(problems))
    else:
        flash.success(request, "Step removed.")
    return redirect("workflows:edit", workflow.public_id)


@require_GET
@account_required
def logs(request: HttpRequest, workflow_id: str) -> HttpResponse:
    workflow = _workflow(request, workflow_id)
    outcome = request.GET.get("outcome", "")
    event = request.GET.get("event", "")
    record = request.GET.get("record", "").strip()
    queryset = selectors.workflow_logs(
        account=request.account, workflow=workflow, outcome=outcome, event=event, record=record
    )
    before = request.GET.get("before", "")
    if before.isdigit():
        queryset = queryset.filter(id__lt=int(before))
    page = list(queryset[: LOG_PAGE + 1])
    more = len(page) > LOG_PAGE
    page = page[:LOG_PAGE]
    return render(
        request,
        "workflows/logs.html",
        {
            "workflow": workflow,
            "lines": selectors.log_lines(page, account=request.account, workflow=workflow),
            "outcomes": selectors.LOG_OUTCOMES,
            "events": LogEvent.choices,
            "outcome": outcome,
            "event": event,
            "record": record,
            "next_before": page[-1].id if more and page else "",
        },
    )
