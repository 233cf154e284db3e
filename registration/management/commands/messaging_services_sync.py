"""``manage.py messaging_services_sync [--check]``: point every Messaging Service at our webhooks.

Run it after PUBLIC_BASE_URL changes (part of a deploy): it reads each account's Messaging
Service from Twilio and updates those whose InboundRequestUrl or StatusCallback differ from the
URLs the current settings give. ``--check`` only reports them. Exits 1 when a service still
differs (with ``--check``) or could not be read or updated.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from registration.services import messaging_services_sync
from twilio_gateway.messages import inbound_url, status_callback_url


class Command(BaseCommand):
    help = "Update Messaging Services whose webhook URLs differ from the current settings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only report the services that differ"
        )

    def handle(self, *args, check: bool = False, **options):
        report = messaging_services_sync(dry_run=check)
        for webhooks in report.differing:
            verb = "differs" if check else ("updated" if webhooks in report.updated else "failed")
            self.stdout.write(f"{verb}: {webhooks}")
        for label, message in report.failed:
            self.stderr.write(f"could not sync {label}: {message}")
        wanted = f"{inbound_url()} and {status_callback_url()}"
        if check:
            summary = (
                f"{len(report.differing)} of {report.checked} Messaging Services differ from "
                f"{wanted}."
            )
        else:
            summary = (
                f"{len(report.updated)} of {report.checked} Messaging Services updated; all "
                f"checked now post to {wanted}."
            )
        self.stdout.write(summary)
        if report.failed or (check and report.differing):
            raise CommandError(
                f"{len(report.failed)} could not be read or updated"
                if report.failed
                else "Run `manage.py messaging_services_sync` to update them."
            )
