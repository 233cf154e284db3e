"""Staff views of registrations and numbers: read-mostly (changes go through the services)."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from registration.models import (
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    TwilioSubaccount,
    UseCaseRegistration,
)


@admin.register(TwilioSubaccount)
class TwilioSubaccountAdmin(ReadOnlyAdmin):
    list_display = ("account", "sid", "messaging_service_sid", "created_at")
    exclude = ("auth_token",)


@admin.register(BrandRegistration)
class BrandRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "trust_score", "submitted_at", "submitted_by")
    list_filter = ("status",)
    search_fields = ("account__name", "brand_sid", "customer_profile_sid")


@admin.register(UseCaseRegistration)
class UseCaseRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("account", "status", "campaign_sid", "submitted_at", "submitted_by")
    list_filter = ("status",)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(ReadOnlyAdmin):
    list_display = ("e164", "account", "status", "messages_per_second", "link_domain", "is_demo")
    list_filter = ("status", "is_demo")
    search_fields = ("e164", "account__name")


@admin.register(RegistrationEvent)
class RegistrationEventAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "user", "created_at")
    list_filter = ("kind",)
