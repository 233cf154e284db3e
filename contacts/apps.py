from django.apps import AppConfig


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"

    def ready(self):
        """Imports' and reformats' progress on the operator's /metrics."""
        from accounts.metrics import job_progress_register, jobs_running
        from contacts.models import ContactImport, PhoneReformat

        job_progress_register("import", lambda: jobs_running(ContactImport.objects.all()))
        job_progress_register("reformat", lambda: jobs_running(PhoneReformat.objects.all()))
