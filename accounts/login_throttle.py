"""Sign-in throttling: django-axes with a limit per (email, address) and one per address.

Axes counts failures per lockout parameter and compares the largest count with one limit. One
limit can't serve both: five failures for one email from one address is a guess at a password,
while five from an office's shared address across its staff is a normal morning. So the
address gets a limit of its own (`AXES_ADDRESS_FAILURE_LIMIT`, for one address trying many
emails), and this handler reports "at the limit" when either count reaches its own.

A successful sign-in clears only that email's failures from that address: clearing the whole
address's would let anyone with one account reset the counter between guesses at others.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        # In the order of AXES_LOCKOUT_PARAMETERS: (email, address), then the address alone.
        per_email, per_address = (
            _failures(attempts) for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(per_email, settings.AXES_FAILURE_LIMIT)
        return per_email

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count
