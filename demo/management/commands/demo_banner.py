from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.constants import DEMO_EMAIL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print where the app runs and the demo login (used by `make run`)."

    def handle(self, *args, **options):
        line = "=" * 64
        self.stdout.write(
            f"\n{line}\n  smsapp is starting at http://127.0.0.1:{settings.APP_PORT}/\n"
            f"  Sign in with {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            f"  Twilio emulator: {settings.TWILIO_API_BASE_URL}/_emulator/messages\n"
            f"  Stop everything with Ctrl-C.\n{line}\n"
        )
