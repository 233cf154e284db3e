from __future__ import annotations

import functools

import phonenumbers
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError

from accounts.models import Account, Role
from accounts.timezones import time_zone_choices


def form_errors_from(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, each message on the field it names, the rest
    above the form. A service names a contact or message property "properties.<key>" (the
    form's field for it is `property_field_prefix` + key, "property_" unless the form says
    otherwise) and a nested answer "<part>.<name>" (the form's field `name`)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        form.add_error(_field_named(form, name), messages)


def _field_named(form: forms.Form, name: str) -> str | None:
    part, _, key = name.rpartition(".")
    if part == "properties":
        key = getattr(form, "property_field_prefix", "property_") + key
    for candidate in (name, key):
        if candidate in form.fields:
            return candidate
    return None


class SignupForm(forms.Form):
    business_name = forms.CharField(
        max_length=200, help_text="Your company's name, as customers know it."
    )
    email = forms.EmailField(label="Work email", help_text="We'll send a link to confirm it.")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MARKETER)
    can_setup_sms = forms.BooleanField(
        required=False,
        label="May set up SMS",
        help_text="Register the business and the SMS use case, buy numbers.",
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    can_setup_sms = forms.BooleanField(required=False, label="May set up SMS")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “CRM sync”.")


@functools.cache
def region_choices() -> list[tuple[str, str]]:
    """The regions phonenumbers can read national numbers for, by name: "United Kingdom (GB,
    +44)". The names come with phonenumbers' geocoder, whose data takes a second to load: so
    on first use, not at import."""
    from phonenumbers import geocoder

    labels = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        name = geocoder._region_display_name(region, "en") or region
        labels[region] = f"{name} ({region}, +{phonenumbers.country_code_for_region(region)})"
    return sorted(labels.items(), key=lambda item: item[1])


class RegionField(forms.ChoiceField):
    """A region code in upper case, as phonenumbers wants it ("us" is read as "US")."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class AccountSettingsForm(forms.ModelForm):
    # Phones typed without + are read in this region: one phonenumbers doesn't know ("XX") or
    # in lower case ("us") would leave every such phone unparseable.
    default_region = RegionField(
        label="Default region",
        choices=region_choices,
        help_text="Phone numbers typed without + (and a country code) are read as this region's.",
        widget=forms.Select(attrs={"data-picker": ""}),
    )

    time_zone = forms.ChoiceField(
        choices=time_zone_choices, widget=forms.Select(attrs={"data-picker": ""})
    )

    class Meta:
        model = Account
        fields = ["name", "time_zone", "default_region", "message_retention_months"]


class InvitationSignupForm(SetPasswordForm):
    """Set a name and password to create the user an invitation was sent to."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def save(self, commit: bool = True):
        self.user.first_name = self.cleaned_data["first_name"]
        self.user.last_name = self.cleaned_data["last_name"]
        return super().save(commit=commit)
