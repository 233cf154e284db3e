"""Settings > SMS setup: eligibility, the business wizard, the SMS use case, numbers.

Every page needs the SMS-setup permission (super admins, or members granted it); the rest of
the account gets 403. Views parse forms, call one service or selector, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.tenancy import account_required, get_for_account
from registration import selectors, services
from registration.areacodes import area_code_pick, us_area_codes
from registration.eligibility import DESTINATION_NOTICE, EligibilityResult
from registration.forms import (
    BUSINESS_STEP_FORMS,
    EligibilityForm,
    LinkDomainForm,
    NumberPurchaseForm,
    NumberSearchForm,
    NumberUsersForm,
    UseCaseForm,
)
from registration.models import PhoneNumber
from registration.services.brand import ELIGIBILITY_LOCKED
from registration.services.use_case import use_case_business_names
from registration.throughput import TRUST_SCORE_TIERS, throughput_for
from registration.validation import BUSINESS_STEPS, business_validate, use_case_validate

STEP_ORDER = list(BUSINESS_STEPS)
STEP_TITLES = {step: form.title for step, form in BUSINESS_STEP_FORMS.items()}


def _status_context(request: HttpRequest) -> dict:
    overview = selectors.setup_overview(request.account)
    brand = overview.brand
    throughput = throughput_for(brand.trust_score if brand and brand.trust_score else None)
    return {
        "overview": overview,
        "throughput": throughput,
        "destination_notice": DESTINATION_NOTICE,
    }


@require_GET
@account_required(sms_setup=True)
def setup(request: HttpRequest) -> HttpResponse:
    context = _status_context(request)
    context["events"] = selectors.registration_events(request.account, limit=20)
    context["tiers"] = TRUST_SCORE_TIERS
    return render(request, "registration/setup/setup.html", context)


@require_POST
@account_required(sms_setup=True)
def refresh(request: HttpRequest) -> HttpResponse:
    """Ask Twilio how the reviews are going (the page calls this while something is under way)."""
    services.registration_status_poll(account=request.account)
    if request.htmx:
        return render(request, "registration/setup/_status.html", _status_context(request))
    return redirect("registration:setup")


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def eligibility(request: HttpRequest) -> HttpResponse:
    brand = selectors.brand_registration_for(request.account)
    locked = brand is not None and not brand.is_editable
    initial = EligibilityForm.initial_from(brand.eligibility if brand else {})
    form = EligibilityForm(request.POST if request.method == "POST" else None, initial=initial)
    result = None
    if locked:
        form = EligibilityForm(initial=initial)
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and locked:
        messages.error(request, ELIGIBILITY_LOCKED)
        return redirect("registration:eligibility")
    if request.method == "POST" and form.is_valid():
        result = services.eligibility_record(
            account=request.account, user=request.user, answers=form.answers()
        )
        if result.eligible:
            messages.success(request, "You can register for US 10DLC messaging.")
            return redirect("registration:business_company")
    elif request.method == "GET" and brand and brand.eligibility and not brand.eligible_at:
        # The last answers' refusal, shown again only beside those answers: a POST whose new
        # answers don't validate says what is missing, not why the old ones were refused.
        result = EligibilityResult(eligible=False, reasons=brand.eligibility.get("reasons", []))
    return render(
        request,
        "registration/setup/eligibility.html",
        {
            "form": form,
            "result": result,
            "locked_reason": ELIGIBILITY_LOCKED if locked else "",
            "destination_notice": DESTINATION_NOTICE,
        },
    )


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def business_step(request: HttpRequest, step: str) -> HttpResponse:
    """One page of the business wizard; every POST saves the draft, valid or not."""
    account = request.account
    brand = services.brand_registration_get_or_create(account=account)
    if not brand.eligible_at:
        messages.warning(request, "Answer the eligibility questions first.")
        return redirect("registration:eligibility")
    if not brand.is_editable:
        return redirect("registration:business_review")
    form_class = BUSINESS_STEP_FORMS[step]
    if request.method == "POST":
        form = form_class(request.POST, draft=brand.draft)
        valid = form.is_valid()
        answers = form.values if valid else form.answers()
        services.brand_draft_save(account=account, user=request.user, data=answers)
        if request.POST.get("action") == "save":
            messages.success(request, "Draft saved.")
            return redirect("registration:setup")
        if valid:
            following = STEP_ORDER.index(step) + 1
            if following < len(STEP_ORDER):
                return redirect(f"registration:business_{STEP_ORDER[following]}")
            return redirect("registration:business_review")
    else:
        form = form_class(initial=brand.draft, draft=brand.draft)
    return render(
        request,
        "registration/setup/business_step.html",
        {
            "form": form,
            "step": step,
            "steps": [(s, STEP_TITLES[s]) for s in STEP_ORDER],
            "step_number": STEP_ORDER.index(step) + 1,
            "brand": brand,
        },
    )


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def business_review(request: HttpRequest) -> HttpResponse:
    account = request.account
    brand = services.brand_registration_get_or_create(account=account)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            brand, submitted = services.brand_registration_submit(
                account=account, user=request.user
            )
        except services.RegistrationInvalid as error:
            errors = error.errors
            messages.error(request, error.summary)
        except services.RegistrationError as error:
            messages.error(request, error.message)
            return redirect("registration:eligibility")
        else:
            if submitted:
                messages.success(request, "Your business registration was submitted.")
            else:
                messages.info(request, "Your business registration was already submitted.")
            return redirect("registration:setup")
    data = brand.draft if brand.is_editable else brand.submitted_data
    if brand.is_editable and request.method == "GET":
        _, errors = business_validate(brand.draft)
    sections = [
        (step, STEP_TITLES[step], _review_rows(BUSINESS_STEP_FORMS[step](), data))
        for step in STEP_ORDER
    ]
    return render(
        request,
        "registration/setup/business_review.html",
        {
            "brand": brand,
            "sections": sections,
            "errors": errors,
            "steps": [(s, STEP_TITLES[s]) for s in STEP_ORDER],
        },
    )


def _review_rows(form, data: dict) -> list[tuple[str, str, str]]:
    """(field name, label, value as shown) for a review page."""
    rows = []
    for name, field in form.fields.items():
        value = data.get(name, "")
        choices = dict(_flat_choices(getattr(field, "choices", [])))
        if isinstance(value, list):
            shown = ", ".join(str(choices.get(v, v)) for v in value)
        else:
            shown = str(choices.get(value, value)) if value != "" else ""
        rows.append((name, field.label, shown))
    return rows


def _flat_choices(choices):
    for key, value in choices:
        if isinstance(value, list | tuple):
            yield from value
        else:
            yield key, value


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def use_case(request: HttpRequest) -> HttpResponse:
    account = request.account
    overview = selectors.setup_overview(account)
    if not overview.can_start_use_case:
        messages.warning(request, "Register your business (step 1) first.")
        return redirect("registration:setup")
    registration = services.use_case_get_or_create(account=account)
    if not registration.is_editable:
        return redirect("registration:use_case_review")
    names = use_case_business_names(account)
    if request.method == "POST":
        form = UseCaseForm(request.POST, business_names=names)
        valid = form.is_valid()
        answers = form.values if valid else form.answers()
        services.use_case_draft_save(account=account, user=request.user, data=answers)
        if request.POST.get("action") == "save":
            messages.success(request, "Draft saved.")
            return redirect("registration:setup")
        if valid:
            return redirect("registration:use_case_review")
    else:
        form = UseCaseForm(
            initial=UseCaseForm.initial_from(registration.draft), business_names=names
        )
    return render(
        request,
        "registration/setup/use_case.html",
        {
            "form": form,
            "registration": registration,
            "business_name": min(names, key=len) if names else "",
        },
    )


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def use_case_review(request: HttpRequest) -> HttpResponse:
    account = request.account
    registration = services.use_case_get_or_create(account=account)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            registration, submitted = services.use_case_submit(account=account, user=request.user)
        except services.RegistrationInvalid as error:
            errors = error.errors
            messages.error(request, error.summary)
        except services.RegistrationError as error:
            messages.error(request, error.message)
            return redirect("registration:setup")
        else:
            if submitted:
                messages.success(request, "Your SMS use case was submitted.")
            else:
                messages.info(request, "Your SMS use case was already submitted.")
            return redirect("registration:setup")
    data = registration.draft if registration.is_editable else registration.submitted_data
    if registration.is_editable and request.method == "GET":
        _, errors = use_case_validate(data, business_names=use_case_business_names(account))
    return render(
        request,
        "registration/setup/use_case_review.html",
        {"registration": registration, "data": data, "errors": errors},
    )


def _numbers_context(request: HttpRequest, **extra) -> dict:
    account = request.account
    members = [
        (m.user.public_id, str(m.user))
        for m in Membership.objects.select_related("user")
        .filter(account=account)
        .order_by("user__email")
    ]
    numbers = []
    for number in selectors.phone_numbers_for(account):
        numbers.append(
            {
                "number": number,
                "preview": selectors.link_preview(number),
                "link_form": LinkDomainForm(
                    initial={"link_domain": number.link_domain}, prefix=number.public_id
                ),
                "users_form": NumberUsersForm(
                    members=members,
                    initial={"users": [u.public_id for u in number.users.all()]},
                    prefix=number.public_id,
                ),
            }
        )
    context = {
        "overview": selectors.setup_overview(account),
        "numbers": numbers,
        "area_codes": us_area_codes(),
        "search_form": NumberSearchForm(request.GET or None),
        "destination_notice": DESTINATION_NOTICE,
        "results": None,
    }
    context.update(extra)
    return context


@require_GET
@account_required(sms_setup=True)
def numbers(request: HttpRequest) -> HttpResponse:
    """The numbers page: the account's numbers, and a search when an area code is given."""
    context = _numbers_context(request)
    search_form = context["search_form"]
    if request.GET and search_form.is_valid():
        typed = search_form.cleaned_data["area_code"].strip()
        pick = area_code_pick(typed)
        if pick.code is None and not pick.choices:
            search_form.add_error(
                "area_code",
                f"“{typed}” is not a US area code or state; type an area code such as 415, or "
                "a state such as California or CA.",
            )
        elif pick.code is None:
            context["area_code_choices"] = pick.choices
        else:
            try:
                context["results"] = services.available_numbers_search(
                    account=request.account,
                    area_code=pick.code,
                    contains=search_form.cleaned_data["contains"],
                )
            except services.RegistrationError as error:
                search_form.add_error(
                    "area_code" if error.code == "area_code" else None, error.message
                )
    template = (
        "registration/setup/_number_results.html"
        if request.htmx and request.htmx.target == "number-results"
        else "registration/setup/numbers.html"
    )
    return render(request, template, context)


@require_POST
@account_required(sms_setup=True)
def number_buy(request: HttpRequest) -> HttpResponse:
    form = NumberPurchaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a number to buy.")
        return redirect("registration:numbers")
    try:
        number = services.number_purchase(
            account=request.account,
            user=request.user,
            phone_number=form.cleaned_data["phone_number"],
        )
    except services.RegistrationError as error:
        messages.error(request, error.message)
    else:
        state = "active" if number.status == PhoneNumber.Status.ACTIVE else "pending"
        messages.success(request, f"{number.e164} is yours ({state}).")
    return redirect("registration:numbers")


@require_POST
@account_required(sms_setup=True)
def number_link_domain(request: HttpRequest, number_id: str) -> HttpResponse:
    number = get_for_account(PhoneNumber, request.account, number_id)
    form = LinkDomainForm(request.POST, prefix=number.public_id)
    if form.is_valid():
        try:
            number = services.link_domain_set(
                account=request.account,
                user=request.user,
                number=number,
                domain=form.cleaned_data["link_domain"],
            )
        except services.RegistrationError as error:
            messages.error(request, error.message)
        else:
            if number.link_domain:
                messages.success(
                    request, f"{number.link_domain} saved; it is pending until verified."
                )
            else:
                messages.success(request, f"Branded link domain removed from {number.e164}.")
    return redirect(reverse("registration:numbers") + f"#{number.public_id}")


@require_POST
@account_required(sms_setup=True)
def number_link_domain_verify(request: HttpRequest, number_id: str) -> HttpResponse:
    number = get_for_account(PhoneNumber, request.account, number_id)
    try:
        number = services.link_domain_verify(
            account=request.account, user=request.user, number=number
        )
    except services.RegistrationError as error:
        messages.error(request, error.message)
    else:
        if number.link_domain_verified:
            messages.success(request, f"{number.link_domain} is verified.")
        else:
            messages.error(request, number.link_domain_error)
    return redirect(reverse("registration:numbers") + f"#{number.public_id}")


@require_POST
@account_required(sms_setup=True)
def number_users(request: HttpRequest, number_id: str) -> HttpResponse:
    number = get_for_account(PhoneNumber, request.account, number_id)
    try:
        services.phone_number_users_set(
            account=request.account,
            user=request.user,
            number=number,
            user_ids=request.POST.getlist(f"{number.public_id}-users"),
        )
    except services.RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Users of {number.e164} saved.")
    return redirect(reverse("registration:numbers") + f"#{number.public_id}")
