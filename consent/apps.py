from django.apps import AppConfig


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consent"

    def ready(self):
        """Connect the receivers, and answer for subscriptions on contacts' pages and jobs
        (contacts sits below consent and can't import it)."""
        from consent import panels, selectors, signals  # noqa: F401 - signals connects receivers
        from consent.subscriptions import CONSENT_SUBSCRIPTIONS
        from contacts.models import EngagementKind
        from contacts.panels import Place, panel_register
        from contacts.subscriptions import subscriptions_register
        from contacts.timeline import timeline_source_register

        subscriptions_register(CONSENT_SUBSCRIPTIONS)
        timeline_source_register(
            kinds={EngagementKind.CONSENT_CHANGE}, read=selectors.consent_timeline
        )
        panel_register(Place.CONTACT_BESIDE, panels.contact_consent_panel)
        panel_register(Place.CONTACT_BELOW, panels.contact_ledger_panel)
        panel_register(Place.INDEX_BULK_ACTIONS, panels.index_bulk_change_panel)

        from accounts.metrics import job_progress_register, jobs_running
        from consent.models import ConsentBulkChange

        job_progress_register(
            "consent_bulk_change", lambda: jobs_running(ConsentBulkChange.objects.all())
        )

        from accounts.home import checklist_step_register
        from consent.home import COLLECT_CONSENT

        checklist_step_register(COLLECT_CONSENT)
