from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Account, ApiToken, Invitation, Membership, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff read tenant data here; changes go through the services, which keep the rules (a
    message still sending can't lose its rows, a ledger entry is never changed)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class EmailUserAdmin(UserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff")
    search_fields = ("email", "first_name", "last_name")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "time_zone", "created_at")
    search_fields = ("name", "public_id")
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "account", "role", "created_at", "accepted_at")
    exclude = ("token_hash",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "account", "last_used_at")
    exclude = ("key_hash",)
