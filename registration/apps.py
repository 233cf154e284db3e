from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"

    def ready(self) -> None:
        from registration import checks  # noqa: F401  (registers the deploy check)
