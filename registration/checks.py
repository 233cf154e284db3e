"""``manage.py check --deploy --database default``: Messaging Services posting to old URLs.

The check reads every account's Messaging Service from Twilio, so, as Django asks of checks that
use the database, it runs only when a database is named (``--database default``).
"""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError

from registration.services.messaging_services import messaging_services_sync

SHOWN = 5


@checks.register("twilio", deploy=True)
def messaging_service_webhooks_check(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    try:
        report = messaging_services_sync(dry_run=True)
    except DatabaseError:
        return []  # not migrated yet: no Messaging Service to check
    problems = []
    if report.differing:
        shown = "\n".join(str(webhooks) for webhooks in report.differing[:SHOWN])
        more = len(report.differing) - SHOWN
        problems.append(
            checks.Error(
                f"{len(report.differing)} Messaging Services post to webhook URLs other than the "
                f"current PUBLIC_BASE_URL's:\n{shown}"
                + (f"\n... and {more} more" if more > 0 else ""),
                hint="Run `python manage.py messaging_services_sync` to update them.",
                id="registration.E001",
            )
        )
    if report.failed:
        problems.append(
            checks.Warning(
                f"{len(report.failed)} Messaging Services could not be read from Twilio: "
                + "; ".join(f"{label}: {message}" for label, message in report.failed[:SHOWN]),
                hint="Check Twilio's credentials and reachability, then "
                "`python manage.py messaging_services_sync --check`.",
                id="registration.W001",
            )
        )
    return problems
