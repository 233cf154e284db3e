from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        """Its parts of the home page: the checklist's last step, usage, drafts, scheduled."""
        from accounts.home import checklist_step_register, dashboard_panel_register
        from messaging.home import SEND_FIRST_MESSAGE, dashboard_panel

        checklist_step_register(SEND_FIRST_MESSAGE)
        dashboard_panel_register(10, dashboard_panel)
