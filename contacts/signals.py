"""Contact events other apps react to, announced in batches once the change has committed.

Contacts can't import the apps that react (workflows depends on contacts, not the other way),
so its services announce with these signals. Each carries the ids of every contact the call
touched, so an import of 100,000 rows is one announcement, not 100,000. Receivers must stay
cheap: they decide whether anything cares and hand the work to the worker.

- `contacts_created`: account_id, contact_ids
- `contacts_changed`: account_id, changes ({contact id: [changed field or property keys]})
- `contacts_added_to_list`: account_id, list_id, contact_ids
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

contacts_created = Signal()
contacts_changed = Signal()
contacts_added_to_list = Signal()


def announce(signal: Signal, **payload) -> None:
    """Send `signal` after the current transaction commits (at once outside one).

    A receiver's failure is logged, never raised: the change it reacts to is already committed
    and the caller must not see an error for it.
    """

    def send() -> None:
        for receiver, result in signal.send_robust(sender=None, **payload):
            if isinstance(result, Exception):
                logger.error("contact event receiver %s failed", receiver, exc_info=result)

    transaction.on_commit(send)
