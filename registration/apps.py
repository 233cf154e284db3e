from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"

    def ready(self) -> None:
        from accounts.home import checklist_step_register
        from registration import checks  # noqa: F401  (registers the deploy check)
        from registration.home import SET_UP_SMS

        checklist_step_register(SET_UP_SMS)
