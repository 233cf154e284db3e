from django.apps import AppConfig


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"

    def ready(self) -> None:
        """Its step of the home page's getting-started checklist, and imports' and reformats'
        progress on the operator's /metrics."""
        from accounts.home import checklist_step_register
        from accounts.metrics import job_progress_register, jobs_running
        from contacts.home import IMPORT_CONTACTS
        from contacts.models import ContactImport, PhoneReformat

        checklist_step_register(IMPORT_CONTACTS)
        job_progress_register("import", lambda: jobs_running(ContactImport.objects.all()))
        job_progress_register("reformat", lambda: jobs_running(PhoneReformat.objects.all()))
