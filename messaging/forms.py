"""Forms of the composer, test phones, message properties and sending rules. They read and
shape input; the rules live in messaging.services."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Account
from messaging import selectors
from messaging.models import MessageProperty
from messaging.services.test_sends import MAX_TEST_RECIPIENTS

PROPERTY_PREFIX = "prop_"


def property_field(prop: MessageProperty, *, for_creation: bool) -> forms.Field:
    required = prop.required and for_creation
    if prop.type == MessageProperty.Type.CHOICE:
        choices = [("", "—")] + [(c, c) for c in prop.choices]
        return forms.ChoiceField(label=prop.label, choices=choices, required=required)
    if prop.type == MessageProperty.Type.NUMBER:
        return forms.DecimalField(label=prop.label, required=required)
    return forms.CharField(label=prop.label, required=required, max_length=500)


class _MessageFieldsMixin:
    """Fields shared by the new-message form and the composer, bound to one account."""

    # A service's errors on "properties.<key>" go on these fields (accounts.forms).
    property_field_prefix = PROPERTY_PREFIX

    def _setup(self, account: Account, *, for_creation: bool) -> None:
        self.account = account
        self.fields["subscription_type"] = forms.ModelChoiceField(
            queryset=selectors.subscription_types(account=account),
            to_field_name="public_id",
            required=False,
            empty_label=None,
            help_text="Only contacts subscribed to this type receive the message.",
        )
        self.fields["campaign_name"] = forms.CharField(
            label="Campaign",
            required=False,
            max_length=200,
            help_text="Groups messages for analytics; a new name creates the campaign.",
            widget=forms.TextInput(attrs={"list": "campaign-names", "autocomplete": "off"}),
        )
        self.property_definitions = list(selectors.message_properties(account=account))
        for prop in self.property_definitions:
            self.fields[PROPERTY_PREFIX + prop.key] = property_field(
                prop, for_creation=for_creation
            )

    def property_fields(self):
        return [self[PROPERTY_PREFIX + prop.key] for prop in self.property_definitions]

    def property_values(self, *, only_valid: bool = False) -> dict[str, object]:
        """The property values as posted (as the service takes them); `only_valid` leaves out
        those the form itself refused, which the autosave reports and doesn't store."""
        values = {}
        for prop in self.property_definitions:
            if only_valid and PROPERTY_PREFIX + prop.key in self.errors:
                continue
            value = self.cleaned_data.get(PROPERTY_PREFIX + prop.key)
            values[prop.key] = "" if value is None else str(value)
        return values


class MessageCreateForm(_MessageFieldsMixin, forms.Form):
    name = forms.CharField(max_length=200)

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup(account, for_creation=True)


class MessageForm(_MessageFieldsMixin, forms.Form):
    """The composer's form; posted whole on every autosave, which saves what it can."""

    # Not required here: an emptied name is reported by the service, and the rest still saved.
    name = forms.CharField(max_length=200, required=False)
    body = forms.CharField(
        required=False,
        # Not max_length: a browser's maxlength counts UTF-16 units, the limit counts
        # characters (composer.js shows the count, the service refuses what is over).
        widget=forms.Textarea(
            attrs={"rows": 8, "id": "message-body", "spellcheck": "true", "dir": "auto"}
        ),
        strip=False,
    )
    append_opt_out = forms.BooleanField(
        required=False, label="Add the opt-out line (“Reply STOP to opt out”)"
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup(account, for_creation=False)
        self.fields["sender"] = forms.ModelChoiceField(
            queryset=selectors.senders(account=account),
            to_field_name="public_id",
            required=False,
            empty_label="The account's default number",
            label="Send from",
        )

    def clean_body(self) -> str:
        # Browsers post textarea line breaks as CR LF; a text message has LF.
        return self.cleaned_data["body"].replace("\r\n", "\n")


class TestSendForm(forms.Form):
    __test__ = False

    test_phones = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Team test phones"
    )
    phone_numbers = forms.CharField(
        required=False,
        label="Or type numbers",
        help_text="With the country code, e.g. +1 206 555 0100; separate several with commas.",
    )
    # One contact whose values fill the test's tokens: it follows the preview's contact until
    # one is chosen here (static/js/composer.js); empty, every token shows its default.
    as_contact = forms.CharField(
        required=False,
        label="Personalize the test as",
        help_text="Tokens render with this contact's values; leave empty for the defaults.",
        widget=forms.TextInput(
            attrs={"data-picker": "contacts", "data-max-items": "1", "placeholder": "A contact"}
        ),
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["test_phones"].choices = [
            (p.public_id, f"{p.phone_e164} ({p.user})")
            for p in selectors.test_phones_verified(account=account)
        ]

    def clean_phone_numbers(self) -> list[str]:
        raw = self.cleaned_data["phone_numbers"]
        numbers = [part.strip() for part in re.split(r"[,;\n]+", raw) if part.strip()]
        if len(numbers) > MAX_TEST_RECIPIENTS:
            raise ValidationError(f"At most {MAX_TEST_RECIPIENTS} numbers.")
        return numbers


class TestPhoneForm(forms.Form):
    __test__ = False

    phone = forms.CharField(
        max_length=32,
        label="Your mobile number",
        help_text="With the country code, e.g. +1 206 555 0100. We text it a code.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class TestPhoneVerifyForm(forms.Form):
    __test__ = False

    code = forms.CharField(
        max_length=12,
        label="Code",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class MessagePropertyForm(forms.Form):
    label = forms.CharField(max_length=100)
    key = forms.CharField(
        max_length=60, required=False, help_text="Left empty, made from the label."
    )
    type = forms.ChoiceField(choices=MessageProperty.Type.choices)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a single choice: one choice per line.",
    )
    required = forms.BooleanField(required=False, help_text="Needed to create a message.")

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class SendingRulesForm(forms.Form):
    """Quiet hours and the frequency cap; the legal limits are checked by the service."""

    quiet_hours_start = forms.TimeField(
        label="Send from",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Recipient's local time; 08:00 at the earliest.",
    )
    quiet_hours_end = forms.TimeField(
        label="Send until",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Recipient's local time; 21:00 at the latest. Texts due outside wait for "
        "the next opening.",
    )
    frequency_cap = forms.IntegerField(
        label="Frequency cap",
        help_text="Most marketing texts one contact gets in a rolling 24 hours.",
    )
