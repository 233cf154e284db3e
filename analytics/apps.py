from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"

    def ready(self):
        """The contact timeline's texts and clicks are read from messaging's tables here, and
        its replies linked to the message they answered (contacts can't import analytics)."""
        from accounts.metrics import metrics_source_register
        from analytics import metrics, selectors
        from contacts.models import EngagementKind
        from contacts.timeline import timeline_lines_register, timeline_source_register

        timeline_source_register(kinds=selectors.SMS_TIMELINE_KINDS, read=selectors.sms_timeline)
        timeline_lines_register(
            kind=EngagementKind.SMS_REPLY, complete=selectors.timeline_replies_linked
        )
        metrics_source_register("rollups", metrics.rollup_lag)
        from accounts.home import dashboard_panel_register
        from analytics.home import recent_sends_panel

        dashboard_panel_register(20, recent_sends_panel)
