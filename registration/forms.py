"""The SMS setup wizard's forms: widgets and choices only; the rules are validation.py's."""

from __future__ import annotations

from typing import Any

from django import forms

from registration import catalog, validation
from registration.eligibility import MESSAGE_CATEGORIES, PROHIBITED_CATEGORIES, SENDING_COUNTRIES

YES_NO = [("yes", "Yes"), ("no", "No")]
SAMPLE_SLOTS = 5


def _yes_no(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value if value in ("yes", "no") else ""


class RuleForm(forms.Form):
    """A form whose rules live in validation.py: ``rule_check`` returns (values, errors)."""

    def __init__(self, *args, draft: dict[str, Any] | None = None, **kwargs):
        self.draft = draft or {}
        super().__init__(*args, **kwargs)
        self.values: dict[str, Any] = {}

    def answers(self) -> dict[str, Any]:
        """The answers as typed (bound form) in the draft's shape, valid or not."""
        answers = {}
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                answers[name] = self.data.getlist(self.add_prefix(name))
            else:
                answers[name] = self.data.get(self.add_prefix(name), "")
        return answers

    def rule_check(self, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        values, errors = self.rule_check(self.answers())
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        self.values = values
        return cleaned


class EligibilityForm(forms.Form):
    sole_proprietor = forms.ChoiceField(
        label="Is the business a sole proprietorship (no EIN, one owner)?",
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    categories = forms.MultipleChoiceField(
        label="What will your messages be about? Choose all that apply.",
        choices=list(MESSAGE_CATEGORIES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one category."},
    )
    sending_country = forms.ChoiceField(
        label="Where are the phone numbers you want to send from?",
        choices=list(SENDING_COUNTRIES.items()),
        widget=forms.RadioSelect,
    )

    prohibited = frozenset(PROHIBITED_CATEGORIES)

    def answers(self) -> dict[str, Any]:
        return {
            "sole_proprietor": self.cleaned_data["sole_proprietor"] == "yes",
            "categories": self.cleaned_data["categories"],
            "sending_country": self.cleaned_data["sending_country"],
        }

    @classmethod
    def initial_from(cls, eligibility: dict[str, Any]) -> dict[str, Any]:
        if not eligibility:
            return {}
        return {
            "sole_proprietor": _yes_no(eligibility.get("sole_proprietor")),
            "categories": eligibility.get("categories", []),
            "sending_country": eligibility.get("sending_country", ""),
        }


class BusinessStepForm(RuleForm):
    step = ""
    title = ""

    def rule_check(self, answers):
        return validation.business_validate(
            {**self.draft, **answers}, fields=validation.BUSINESS_STEPS[self.step]
        )


def _text(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, **kwargs)


def _select(label: str, options: list[tuple[str, str]], **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, required=False, choices=[("", "Choose…"), *options], **kwargs
    )


class CompanyForm(BusinessStepForm):
    step = "company"
    title = "Company"

    legal_name = _text(
        "Legal business name",
        max_length=255,
        help_text="Exactly as on your tax registration (IRS records for an EIN).",
    )
    website = _text("Website URL", max_length=300, widget=forms.URLInput)
    business_type = _select("Business type", catalog.choices(catalog.BUSINESS_TYPES))
    industry = _select("Industry", catalog.choices(catalog.INDUSTRIES))
    regions = forms.MultipleChoiceField(
        label="Regions of operation",
        required=False,
        choices=catalog.choices(catalog.REGIONS),
        widget=forms.CheckboxSelectMultiple,
    )


class AddressForm(BusinessStepForm):
    step = "address"
    title = "Address"

    street = _text("Street address", max_length=200)
    street2 = _text("Apartment, suite, floor (optional)", max_length=200)
    city = _text("City", max_length=100)
    region = forms.ChoiceField(
        label="State or province",
        required=False,
        choices=[
            ("", "Choose…"),
            ("United States", catalog.choices(catalog.US_STATES)),
            ("Canada", catalog.choices(catalog.CA_PROVINCES)),
        ],
    )
    postal_code = _text("ZIP or postal code", max_length=12)
    country = _select("Country", catalog.choices(catalog.COUNTRIES))


class RegistrationNumberForm(BusinessStepForm):
    step = "registration"
    title = "Registration"

    company_status = forms.ChoiceField(
        label="Company status",
        required=False,
        choices=catalog.choices(catalog.COMPANY_STATUSES),
        widget=forms.RadioSelect,
        help_text="Non-profits and government entities choose private.",
    )
    stock_exchange = _select(
        "Stock exchange (public companies)", catalog.choices(catalog.STOCK_EXCHANGES)
    )
    stock_ticker = _text("Stock ticker (public companies)", max_length=10)
    registration_number = _text(
        "Business registration number",
        max_length=20,
        help_text="US: your EIN, as NN-NNNNNNN. Canada: your 9-digit business number.",
    )


class ContactForm(BusinessStepForm):
    step = "contact"
    title = "Point of contact"

    contact_first_name = _text("First name", max_length=100)
    contact_last_name = _text("Last name", max_length=100)
    contact_email = _text("Business email", max_length=254, widget=forms.EmailInput)
    contact_phone = _text("Phone", max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    contact_job_title = _text("Job title", max_length=100)
    contact_job_position = _select("Position", catalog.choices(catalog.JOB_POSITIONS))


BUSINESS_STEP_FORMS: dict[str, type[BusinessStepForm]] = {
    form.step: form for form in (CompanyForm, AddressForm, RegistrationNumberForm, ContactForm)
}


class UseCaseForm(RuleForm):
    description = _text(
        "Campaign description",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"What you send and why, {validation.DESCRIPTION_MIN} to "
            f"{validation.DESCRIPTION_MAX:,} characters. No end-user data (phone numbers, "
            "emails)."
        ),
    )
    samples = forms.CharField(required=False, widget=forms.HiddenInput)  # carries sample errors
    consent_methods = forms.MultipleChoiceField(
        label="How do people give consent to receive your texts?",
        required=False,
        choices=catalog.choices(catalog.CONSENT_METHODS),
        widget=forms.CheckboxSelectMultiple,
    )
    consent_description = _text(
        "Describe how consent is collected",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where people opt in, what they are told, and that they can reply STOP.",
    )
    opt_in_url = _text(
        "Opt-in page URL",
        widget=forms.URLInput,
        help_text="Required when consent is collected on a website or at checkout. With our "
        "hosted opt-in page and this left empty, the page's address is declared.",
    )
    has_links = forms.ChoiceField(
        label="Will your messages contain links?",
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    has_phone_numbers = forms.ChoiceField(
        label="Will your messages contain phone numbers?",
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    acknowledged = forms.BooleanField(
        label="Got it: I have read the checklist above.", required=False
    )

    def __init__(self, *args, business_names: list[str] | None = None, **kwargs):
        self.business_names = business_names or []
        super().__init__(*args, **kwargs)
        for slot in range(1, SAMPLE_SLOTS + 1):
            self.fields[f"sample_{slot}"] = _text(
                f"Sample message {slot}" + ("" if slot <= 2 else " (optional)"),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def sample_fields(self):
        return [self[f"sample_{slot}"] for slot in range(1, SAMPLE_SLOTS + 1)]

    def answers(self) -> dict[str, Any]:
        answers = super().answers()
        answers["samples"] = [
            answers.pop(f"sample_{slot}", "") for slot in range(1, SAMPLE_SLOTS + 1)
        ]
        answers["samples"] = [s for s in answers["samples"] if s.strip()]
        answers["acknowledged"] = bool(answers.get("acknowledged"))
        return answers

    def rule_check(self, answers):
        return validation.use_case_validate(answers, business_names=self.business_names)

    @classmethod
    def initial_from(cls, draft: dict[str, Any]) -> dict[str, Any]:
        initial = {k: v for k, v in draft.items() if k != "samples"}
        for slot, sample in enumerate(draft.get("samples", [])[:SAMPLE_SLOTS], start=1):
            initial[f"sample_{slot}"] = sample
        for field in ("has_links", "has_phone_numbers"):
            initial[field] = _yes_no(draft.get(field))
        return initial


class NumberSearchForm(forms.Form):
    # An area code, or a state by name or abbreviation (registration.areacodes.area_code_pick).
    area_code = forms.CharField(
        label="Area code or state",
        max_length=60,
        widget=forms.TextInput(
            attrs={"list": "area-codes", "placeholder": "415, California or CA"}
        ),
    )
    # The browser is told the limits; clean_contains says what is wrong in words.
    contains = forms.CharField(
        label="Digits the number contains (optional)",
        required=False,
        help_text=f"{validation.CONTAINS_MIN} to {validation.CONTAINS_MAX} digits, such as 555.",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "minlength": validation.CONTAINS_MIN,
                "maxlength": validation.CONTAINS_MAX,
                "pattern": r"[0-9 ().\-]*",
            }
        ),
    )

    def clean_contains(self) -> str:
        digits, problem = validation.contains_clean(self.cleaned_data["contains"])
        if problem:
            raise forms.ValidationError(problem)
        return digits


class NumberPurchaseForm(forms.Form):
    phone_number = forms.CharField(max_length=16)


class LinkDomainForm(forms.Form):
    link_domain = forms.CharField(
        label="Branded link domain",
        max_length=253,
        required=False,
        help_text="A domain you own, such as links.example.com; leave empty to remove it.",
    )


class NumberUsersForm(forms.Form):
    users = forms.MultipleChoiceField(
        label="Who may send from this number", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = members
