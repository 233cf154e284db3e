"""Forms of the contact pages. They check shapes; the services hold the rules."""

from __future__ import annotations

from django import forms

from accounts.models import Account
from accounts.timezones import time_zone_choices
from contacts.models import CONTACT_FIELDS, ContactProperty, DuplicatePolicy, ListKind, PropertyType
from contacts.selectors import OPS, PHONE_FIELDS, TEXT_FIELDS

MAX_RULE_ROWS = 8


def property_form_field(prop: ContactProperty) -> forms.Field:
    if prop.type == PropertyType.NUMBER:
        return forms.DecimalField(label=prop.label, required=False)
    if prop.type == PropertyType.DATE:
        return forms.DateField(
            label=prop.label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if prop.type == PropertyType.CHOICE:
        return forms.ChoiceField(
            label=prop.label, required=False, choices=[("", "—")] + [(c, c) for c in prop.choices]
        )
    return forms.CharField(label=prop.label, required=False, max_length=1000)


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=64, required=False)
    mobile_phone = forms.CharField(max_length=64, required=False)
    time_zone = forms.ChoiceField(
        choices=[("", "—"), *time_zone_choices()],
        required=False,
        widget=forms.Select(attrs={"data-picker": "", "data-placeholder": "Search time zones"}),
    )
    company_name = forms.CharField(max_length=200, required=False)
    marketing_contact = forms.BooleanField(required=False, initial=True)
    owner = forms.ChoiceField(required=False)

    def __init__(self, *args, account: Account, properties: list[ContactProperty], **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.properties = properties
        members = account.memberships.select_related("user").order_by("user__email")
        self.owners = {str(m.user.public_id): m.user for m in members}
        self.fields["owner"].choices = [("", "—")] + [
            (pid, str(user)) for pid, user in self.owners.items()
        ]
        for prop in properties:
            self.fields[f"property_{prop.key}"] = property_form_field(prop)

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.fields if name in CONTACT_FIELDS}
        data["owner"] = self.owners.get(self.cleaned_data.get("owner") or "")
        values = {}
        for prop in self.properties:
            value = self.cleaned_data.get(f"property_{prop.key}")
            values[prop.key] = "" if value is None else str(value)
        data["properties"] = values
        return data

    def property_fields(self):
        return [self[f"property_{prop.key}"] for prop in self.properties]


class PropertyForm(forms.Form):
    label = forms.CharField(max_length=100)
    key = forms.CharField(
        max_length=60, required=False, help_text="Used in tokens; made from the label if empty."
    )
    type = forms.ChoiceField(choices=PropertyType.choices)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Single choice only: one choice per line.",
    )

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


def rule_field_choices(account: Account, lists, subscription_types) -> list:
    fields = [(name, label) for name, label in TEXT_FIELDS.items()]
    fields += [(name, label) for name, label in PHONE_FIELDS.items()]
    fields.append(("marketing_contact", "Marketing contact"))
    groups = [("Contact", fields)]
    props = [
        (f"property:{p.key}", p.label)
        for p in ContactProperty.objects.filter(account=account).order_by("label")
    ]
    if props:
        groups.append(("Properties", props))
    if lists:
        groups.append(("List membership", [(f"list:{lst.public_id}", lst.name) for lst in lists]))
    if subscription_types:
        groups.append(
            (
                "Subscription",
                [(f"subscription:{t.public_id}", t.name) for t in subscription_types],
            )
        )
    return [("", "—")] + groups


def field_names(choices: list) -> list[str]:
    """The field values of rule_field_choices' groups."""
    return [value for _, options in choices if isinstance(options, list) for value, _ in options]


class RuleForm(forms.Form):
    field = forms.ChoiceField(required=False, widget=forms.Select(attrs={"aria-label": "Field"}))
    op = forms.ChoiceField(
        choices=[("", "—")] + list(OPS.items()),
        required=False,
        widget=forms.Select(attrs={"aria-label": "Operator"}),
    )
    value = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"aria-label": "Value", "placeholder": "Value"}),
    )

    def __init__(self, *args, field_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices


class ListForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ListKind.choices, initial=ListKind.STATIC, required=False)
    match = forms.ChoiceField(
        choices=[("all", "All conditions"), ("any", "Any condition")], required=False
    )


def rule_forms(data, *, field_choices, initial: list[dict] | None = None) -> list[RuleForm]:
    initial = list(initial or [])
    initial += [{}] * (MAX_RULE_ROWS - len(initial))
    return [
        RuleForm(data, prefix=f"rule{i}", initial=initial[i], field_choices=field_choices)
        for i in range(MAX_RULE_ROWS)
    ]


def rules_from_forms(forms_: list[RuleForm], match: str) -> dict:
    conditions = []
    for form in forms_:
        if form.is_valid() and form.cleaned_data.get("field"):
            conditions.append(
                {
                    "field": form.cleaned_data["field"],
                    "op": form.cleaned_data["op"],
                    "value": form.cleaned_data["value"],
                }
            )
    return {"match": match or "all", "conditions": conditions}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 CSV with a header row; up to 50 MB and 300,000 rows."
    )


class ImportOptionsForm(forms.Form):
    duplicate_policy = forms.ChoiceField(
        choices=DuplicatePolicy.choices,
        initial=DuplicatePolicy.SKIP,
        widget=forms.RadioSelect,
        label="When a row has the phone or email of an existing contact",
    )
    add_to_list = forms.ChoiceField(required=False, label="Add the contacts to a static list")
    new_list_name = forms.CharField(required=False, max_length=200, label="…or a new list named")
    consent_subscription_type = forms.ChoiceField(
        required=False, label="Subscribe them to (optional)"
    )
    consent_confirmed = forms.BooleanField(
        required=False,
        label="I confirm that every contact in this file gave express written consent to "
        "receive these text messages.",
    )
    consent_source = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How and where they gave consent",
        help_text="Goes into the consent ledger as the evidence of each subscription.",
    )

    def __init__(self, *args, lists, subscription_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add_to_list"].choices = [("", "— no list —")] + [
            (lst.public_id, lst.name) for lst in lists
        ]
        self.fields["consent_subscription_type"].choices = [("", "— don't subscribe —")] + [
            (t.public_id, t.name) for t in subscription_types
        ]


class ReformatForm(forms.Form):
    subscribe_eligible = forms.BooleanField(
        required=False, label="Subscribe the contacts whose phone becomes valid for SMS"
    )
    subscription_type = forms.ChoiceField(required=False)
    consent_confirmed = forms.BooleanField(
        required=False,
        label="I confirm these contacts gave express, verifiable consent to receive these texts.",
    )
    consent_evidence = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="How they gave consent"
    )

    def __init__(self, *args, subscription_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_type"].choices = [
            (t.public_id, t.name) for t in subscription_types
        ]


class BulkListForm(forms.Form):
    action = forms.ChoiceField(choices=[("add", "Add to list"), ("remove", "Remove from list")])
    contact_list = forms.CharField()
    contact = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any posted ids are acceptable here; the view scopes them to the account.
        self.fields["contact"].choices = [(c, c) for c in self.data.getlist("contact")]
