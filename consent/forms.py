"""Forms of the consent pages."""

from __future__ import annotations

from django import forms

from consent.models import BulkAction, ConsentState, KeywordKind
from contacts.models import Contact

CONFIRM_LABEL = (
    "I confirm that express, verifiable consent to receive these text messages was obtained."
)


class ConsentChangeForm(forms.Form):
    """Manual opt-in / opt-out on the contact page."""

    subscription_type = forms.ChoiceField()
    phone = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        choices=[(ConsentState.SUBSCRIBED, "Opt in"), (ConsentState.UNSUBSCRIBED, "Opt out")],
        widget=forms.RadioSelect,
        initial=ConsentState.SUBSCRIBED,
    )
    evidence = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How was consent given (or withdrawn)?",
    )
    consent_confirmed = forms.BooleanField(required=False, label=CONFIRM_LABEL)

    def __init__(self, *args, contact: Contact, subscription_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_type"].choices = [
            (t.public_id, t.name) for t in subscription_types
        ]
        phones = [p for p in (contact.mobile_phone_e164, contact.phone_e164) if p]
        self.fields["phone"].choices = [("", "All of the contact's phones")] + [
            (p, p) for p in dict.fromkeys(phones)
        ]


class SubscriptionTypeForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)


class KeywordRuleForm(forms.Form):
    kind = forms.ChoiceField(choices=KeywordKind.choices)
    word = forms.CharField(max_length=30)
    reply_text = forms.CharField(
        required=False,
        max_length=480,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Custom keywords send this. For the others it is sent only where Twilio "
        "doesn't answer itself (words you add, short-code opt-ins).",
    )


class KeywordReplyForm(forms.Form):
    reply_text = forms.CharField(
        required=False, max_length=480, widget=forms.Textarea(attrs={"rows": 3})
    )


class BulkConsentForm(forms.Form):
    action = forms.ChoiceField(choices=BulkAction.choices)
    subscription_type = forms.CharField()
    scope = forms.ChoiceField(
        choices=[("selected", "Selected contacts"), ("filter", "All matching the filter")]
    )
    contact = forms.MultipleChoiceField(required=False)
    filter_query = forms.CharField(required=False)
    evidence = forms.CharField(required=False, max_length=2000)
    consent_confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [(c, c) for c in self.data.getlist("contact")]


class OptInPageForm(forms.Form):
    program_name = forms.CharField(max_length=100, help_text="As people know it, e.g. your brand.")
    message_frequency = forms.CharField(
        max_length=100,
        initial="Message frequency varies",
        help_text="How often people get texts, e.g. “Up to 4 msgs/month”.",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Page open for sign-ups")
