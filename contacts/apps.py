from django.apps import AppConfig


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"

    def ready(self) -> None:
        """Its step of the home page's getting-started checklist."""
        from accounts.home import checklist_step_register
        from contacts.home import IMPORT_CONTACTS

        checklist_step_register(IMPORT_CONTACTS)
