"""Forms of the workflow builder. They read and shape input; the rules live in
workflows.definition and workflows.services."""

from __future__ import annotations

from django import forms

from accounts.models import Account
from contacts import selectors as contact_selectors
from contacts.models import ListKind
from registration.models import PhoneNumber
from workflows import definition, selectors
from workflows.models import DAILY_SEND_LIMIT, MONTHLY_SEND_LIMIT, TriggerType
from workflows.records import REGISTRY


class WorkflowForm(forms.Form):
    name = forms.CharField(max_length=200)
    trigger_type = forms.ChoiceField(label="Enroll when", choices=TriggerType.choices)
    property = forms.ChoiceField(label="Property", required=False)
    value = forms.CharField(
        label="Changes to (optional)",
        required=False,
        max_length=200,
        help_text="Leave empty to enroll on any change.",
    )
    list = forms.ChoiceField(label="List", required=False)
    keyword = forms.CharField(label="Keyword", required=False, max_length=30)
    allow_reenrollment = forms.BooleanField(
        label="Let records that went through before enroll again", required=False
    )

    # Which of the fields above each trigger reads.
    TRIGGER_FIELDS = {
        TriggerType.RECORD_CREATED: (),
        TriggerType.PROPERTY_CHANGED: ("property", "value"),
        TriggerType.LIST_ADDED: ("list",),
        TriggerType.INBOUND_KEYWORD: ("keyword",),
    }

    def __init__(self, *args, account: Account, record_type: str = "contact", **kwargs):
        super().__init__(*args, **kwargs)
        kind = REGISTRY[record_type]
        self.fields["property"].choices = [("", "—"), *kind.properties(account)]
        self.fields["list"].choices = [("", "—")] + [
            (lst.public_id, lst.name)
            for lst in contact_selectors.contact_lists(account=account).filter(kind=ListKind.STATIC)
        ]

    @classmethod
    def initial_for(cls, workflow) -> dict:
        return {
            "name": workflow.name,
            "trigger_type": workflow.trigger_type,
            "allow_reenrollment": workflow.allow_reenrollment,
            **(workflow.trigger or {}),
        }

    def trigger_type_value(self) -> str:
        value = self["trigger_type"].value()
        return value if value in TriggerType.values else TriggerType.RECORD_CREATED

    def trigger_fields(self):
        return [self[name] for name in self.TRIGGER_FIELDS[self.trigger_type_value()]]

    def trigger(self) -> dict:
        kind = self.cleaned_data["trigger_type"]
        return {name: self.cleaned_data.get(name) or "" for name in self.TRIGGER_FIELDS[kind]}


class StepForm(forms.Form):
    """Base of the step forms: `step()` is the step as the definition stores it."""

    type = ""

    def __init__(self, *args, account: Account, record_type: str = "contact", **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.record_type = REGISTRY[record_type]

    def step(self) -> dict:
        return {"type": self.type, **self.cleaned_data}


class DelayForm(StepForm):
    type = "delay"
    amount = forms.IntegerField(label="Wait", min_value=1)
    unit = forms.ChoiceField(
        choices=[("minutes", "minutes"), ("hours", "hours"), ("days", "days")], initial="days"
    )


class WaitUntilForm(StepForm):
    type = "wait_until"
    time = forms.CharField(
        label="Until this time of day (record's time zone)",
        max_length=5,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )


class BranchForm(StepForm):
    type = "branch"
    property = forms.ChoiceField(label="If")
    operator = forms.ChoiceField(choices=list(definition.BRANCH_OPERATORS.items()))
    value = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].choices = [("", "—"), *self.record_type.properties(self.account)]


class SendSmsForm(StepForm):
    type = "send_sms"
    from_number = forms.ChoiceField(
        label="From number",
        required=False,
        help_text="Active, SMS-capable numbers with an approved use case.",
    )
    sender_user = forms.ChoiceField(
        label="Send as",
        required=False,
        help_text=(
            "A user linked to the chosen number. Users are linked to numbers under Settings > "
            "SMS setup > Numbers."
        ),
    )
    phone_property = forms.ChoiceField(label="To the record's", required=False)
    body = forms.CharField(
        label="Message",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 1600}),
        help_text='Tokens: {{ contact.first_name | default: "there" }}.',
    )
    append_opt_out = forms.BooleanField(
        label="Append “Reply STOP to opt out”", required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = selectors.sending_numbers(account=self.account)
        self.fields["from_number"].choices = [("", "—")] + [
            (n.public_id, n.e164) for n in self.numbers
        ]
        self.fields["phone_property"].choices = self.record_type.phone_properties(self.account)
        self.fields["sender_user"].choices = self.user_choices(
            self.account, self["from_number"].value(), self.numbers
        )

    @staticmethod
    def user_choices(account: Account, number_id: str | None, numbers: list[PhoneNumber]):
        number = next((n for n in numbers if n.public_id == number_id), None)
        if number is None:
            return [("", "— choose a number first —")]
        users = selectors.number_users(account=account, number=number)
        if not users:
            return [("", "— no user is linked to this number yet (SMS setup > Numbers) —")]
        return [("", "—")] + [(u.public_id, u.get_full_name() or u.email) for u in users]

    def tokens(self) -> list[tuple[str, str]]:
        return self.record_type.properties(self.account)


STEP_FORMS: dict[str, type[StepForm]] = {
    "delay": DelayForm,
    "wait_until": WaitUntilForm,
    "branch": BranchForm,
    "send_sms": SendSmsForm,
}


class LimitsForm(forms.Form):
    daily_send_limit = forms.IntegerField(
        label="Per user and number, per day", min_value=1, max_value=DAILY_SEND_LIMIT
    )
    monthly_send_limit = forms.IntegerField(
        label="Per user and number, per month", min_value=1, max_value=MONTHLY_SEND_LIMIT
    )
