"""Django admin for staff: read-mostly views of messages and what they sent. Messages are
changed through the composer (its rules live in messaging.services), not here."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from messaging.models import (
    Campaign,
    InboundMessage,
    MessageProperty,
    OutboundMessage,
    SegmentPurchase,
    SendingSettings,
    SmsMessage,
    StatusCallback,
    TestPhone,
)
from messaging.services import allotment, compose


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("name", "public_id", "account", "status", "archived_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("name", "public_id", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("include_lists", "exclude_lists", "include_contacts", "exclude_contacts")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "public_id", "account", "created_at")
    search_fields = ("name", "account__name")


@admin.register(MessageProperty)
class MessagePropertyAdmin(ReadOnlyAdmin):
    list_display = ("label", "key", "type", "required", "account")
    search_fields = ("label", "key", "account__name")


class SendingSettingsAdminForm(forms.ModelForm):
    class Meta:
        model = SendingSettings
        fields = (
            "account",
            "monthly_segment_allotment",
            "allotment_renewal_day",
            "quiet_hours_start",
            "quiet_hours_end",
            "frequency_cap",
            "utm_source",
        )

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("allotment_renewal_day")
        if day is not None and not 1 <= day <= 31:
            self.add_error("allotment_renewal_day", "A day of the month, 1 to 31.")
        if all(
            cleaned.get(name) is not None
            for name in ("quiet_hours_start", "quiet_hours_end", "frequency_cap")
        ):
            for name, errors in compose.sending_rules_errors(
                quiet_hours_start=cleaned["quiet_hours_start"],
                quiet_hours_end=cleaned["quiet_hours_end"],
                frequency_cap=cleaned["frequency_cap"],
            ).items():
                self.add_error(name, errors)
        return cleaned


@admin.register(SendingSettings)
class SendingSettingsAdmin(admin.ModelAdmin):
    """Staff set an account's allotment and renewal day (its contract); tenants only read them.
    Quiet hours and the cap are the tenant's own (Settings > Sending settings), shown here
    with the same legal limits."""

    form = SendingSettingsAdminForm
    list_display = ("account", "monthly_segment_allotment", "allotment_renewal_day")
    search_fields = ("account__name",)
    raw_id_fields = ("account",)

    def has_add_permission(self, request) -> bool:
        return False


class SegmentPurchaseAdminForm(forms.ModelForm):
    period_start = forms.DateField(
        required=False,
        help_text="First day of the period it is for; left empty, the account's current period.",
    )

    class Meta:
        model = SegmentPurchase
        fields = ("account", "segments", "period_start", "note")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("account") is not None and cleaned.get("segments") is not None:
            if cleaned.get("period_start") is None:
                cleaned["period_start"], _ = allotment.current_period(account=cleaned["account"])
            for name, errors in allotment.segment_purchase_errors(
                account=cleaned["account"],
                segments=cleaned["segments"],
                period_start=cleaned.get("period_start"),
            ).items():
                self.add_error(name, errors)
        return cleaned


@admin.register(SegmentPurchase)
class SegmentPurchaseAdmin(admin.ModelAdmin):
    """Limit increases: each is bought for one period and counts in that period only. A
    purchase is a record: added, never edited."""

    form = SegmentPurchaseAdminForm
    list_display = ("account", "period_start", "segments", "created_by", "created_at")
    search_fields = ("account__name",)
    raw_id_fields = ("account",)
    readonly_fields = ("created_by", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Through the service, which dates the purchase in the account's current period.
        saved = allotment.segment_purchase_create(
            account=form.cleaned_data["account"],
            segments=form.cleaned_data["segments"],
            period_start=form.cleaned_data.get("period_start"),
            note=form.cleaned_data.get("note", ""),
            created_by=request.user,
        )
        obj.pk, obj.period_start, obj.created_by = saved.pk, saved.period_start, saved.created_by


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "kind", "to_phone", "status", "segments", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("to_phone", "twilio_sid")
    raw_id_fields = ("message", "contact", "sender", "account")
    show_full_result_count = False


@admin.register(TestPhone)
class TestPhoneAdmin(ReadOnlyAdmin):
    list_display = ("phone_e164", "user", "account", "verified_at")
    search_fields = ("phone_e164", "user__email")
    exclude = ("code_hash",)


@admin.register(StatusCallback)
class StatusCallbackAdmin(ReadOnlyAdmin):
    list_display = ("message_sid", "status", "error_code", "received_at", "applied")
    search_fields = ("message_sid",)
    show_full_result_count = False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("from_phone", "to_phone", "account", "keyword_kind", "received_at")
    search_fields = ("from_phone", "message_sid")
    show_full_result_count = False
