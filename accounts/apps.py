from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The base app: tenancy, sign-in, API tokens and the helpers every other app may use."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
