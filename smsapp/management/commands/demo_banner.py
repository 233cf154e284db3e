from __future__ import annotations

from django.core.management.base import BaseCommand

from smsapp.demo import DEMO_EMAIL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print where the app runs and the demo login (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        line = "=" * 64
        self.stdout.write(
            f"\n{line}\n  smsapp is starting at http://127.0.0.1:{port}/\n"
            f"  Sign in with {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            f"  Twilio emulator: http://127.0.0.1:8010/_emulator/messages\n"
            f"  Stop everything with Ctrl-C.\n{line}\n"
        )
