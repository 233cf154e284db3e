"""Django admin for staff: read-mostly views of messages and what they sent. Messages are
changed through the composer (its rules live in messaging.services), not here."""

from __future__ import annotations

from django.contrib import admin

from messaging.models import (
    Campaign,
    InboundMessage,
    MessageProperty,
    OutboundMessage,
    SendingSettings,
    SmsMessage,
    StatusCallback,
    TestPhone,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(SendingSettings)
class SendingSettingsAdmin(admin.ModelAdmin):
    """Staff may adjust an account's allotment (e.g. after a contract change)."""

    list_display = (
        "account",
        "monthly_segment_allotment",
        "purchased_segments",
        "allotment_renewal_day",
    )
    search_fields = ("account__name",)
    raw_id_fields = ("account",)

    def has_add_permission(self, request) -> bool:
        return False


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
