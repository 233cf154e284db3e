from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        """Its parts of the home page (the checklist's last step, usage, drafts, scheduled),
        and its figures on the operator's /metrics (accounts can't import messaging)."""
        from accounts.home import checklist_step_register, dashboard_panel_register
        from accounts.metrics import job_progress_register, metrics_source_register
        from messaging import metrics
        from messaging.home import SEND_FIRST_MESSAGE, dashboard_panel

        checklist_step_register(SEND_FIRST_MESSAGE)
        dashboard_panel_register(10, dashboard_panel)
        metrics_source_register("sends", metrics.sends)
        metrics_source_register("status_callbacks", metrics.status_callbacks)
        metrics_source_register("stranded_claims", metrics.stranded_claims)
        job_progress_register("fanout", metrics.fanouts_running)
