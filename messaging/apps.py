from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self):
        """Messaging's figures on the operator's /metrics (accounts can't import messaging)."""
        from accounts.metrics import job_progress_register, metrics_source_register
        from messaging import metrics

        metrics_source_register("sends", metrics.sends)
        metrics_source_register("status_callbacks", metrics.status_callbacks)
        metrics_source_register("stranded_claims", metrics.stranded_claims)
        job_progress_register("fanout", metrics.fanouts_running)
