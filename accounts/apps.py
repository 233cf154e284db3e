from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AccountsConfig(AppConfig):
    """The base app: tenancy, sign-in, API tokens and the helpers every other app may use."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.session_priority import session_priority_follow

        connection_created.connect(session_priority_follow, dispatch_uid="session_priority")
