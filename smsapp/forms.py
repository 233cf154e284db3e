from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from smsapp.models import Account, Role


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


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "time_zone", "default_region"]


class InvitationSignupForm(SetPasswordForm):
    """Set a name and password to create the user an invitation was sent to."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def save(self, commit: bool = True):
        self.user.first_name = self.cleaned_data["first_name"]
        self.user.last_name = self.cleaned_data["last_name"]
        return super().save(commit=commit)
