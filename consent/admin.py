"""Staff views of consent: read-only. The ledger in particular is never edited by hand."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from consent.models import (
    ConsentBulkChange,
    ConsentLedgerEntry,
    KeywordRule,
    ReplyReview,
    SubscriptionType,
)


@admin.register(SubscriptionType)
class SubscriptionTypeAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "name", "is_default")


@admin.register(ConsentLedgerEntry)
class ConsentLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "account",
        "phone_e164",
        "previous_status",
        "new_status",
        "source",
        "occurred_at",
    )
    list_filter = ("source", "new_status")
    search_fields = ("public_id", "phone_e164", "contact_public_id", "message_sid")
    show_full_result_count = False


@admin.register(KeywordRule)
class KeywordRuleAdmin(ReadOnlyAdmin):
    list_display = ("word", "kind", "account")
    list_filter = ("kind",)


@admin.register(ConsentBulkChange)
class ConsentBulkChangeAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "action", "status", "created_at")


@admin.register(ReplyReview)
class ReplyReviewAdmin(ReadOnlyAdmin):
    list_display = ("engagement", "account", "reviewed_by_label", "reviewed_at")
