"""Staff views of contacts: read-mostly, for support. Changes go through the app's pages."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from contacts.models import Contact, ContactImport, ContactList, PhoneReformat


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "first_name", "last_name", "email", "phone_e164")
    list_filter = ("marketing_contact",)
    search_fields = ("public_id", "email", "phone_e164", "mobile_phone_e164")
    list_select_related = ("account",)
    show_full_result_count = False


@admin.register(ContactList)
class ContactListAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "name", "kind", "created_at")
    search_fields = ("public_id", "name")


@admin.register(ContactImport)
class ContactImportAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "original_filename", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("public_id",)


@admin.register(PhoneReformat)
class PhoneReformatAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "account", "list_name", "status", "created_at")
    list_filter = ("status",)
