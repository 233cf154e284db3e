"""Recording a short-link click: one statement, so the redirect answers at the database's pace.

The redirect's whole database work is a single round trip: find the recipient's outbound row,
the link at that position of its message and what the UTM parameters need, check that the host
is one of ours for that account, and append the click, all in one statement (a
data-modifying CTE). Rolling clicks up into analytics
is the worker's job (analytics.services.rollups).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from accounts.db import prepared_execute
from messaging.models import (
    Campaign,
    LinkClick,
    MessageLink,
    OutboundMessage,
    SendingSettings,
    SmsMessage,
)
from registration.models import PhoneNumber

USER_AGENT_MAX = 300


@dataclass(frozen=True)
class ClickTarget:
    url: str
    message_name: str  # utm_campaign: the campaign's name when the message has one
    message_public_id: str
    utm_source: str


@lru_cache(maxsize=1)
def _recording_sql() -> str:
    """Find the link, check the host, append the click, in one statement (typed parameters,
    as a prepared statement needs)."""
    outbound = OutboundMessage._meta.db_table
    link = MessageLink._meta.db_table
    message = SmsMessage._meta.db_table
    sending = SendingSettings._meta.db_table
    number = PhoneNumber._meta.db_table
    campaign = Campaign._meta.db_table
    target = (
        "SELECT o.id AS outbound_id, o.account_id, o.message_id, o.contact_id, l.url, "  # noqa: S608
        # utm_campaign: the message's campaign when it has one, else the message's name.
        "COALESCE(c.name, m.name) AS name, m.public_id, s.utm_source "
        f"FROM {outbound} o JOIN {link} l ON l.message_id = o.message_id "
        "AND l.position = %s::smallint "
        f"JOIN {message} m ON m.id = o.message_id "
        f"LEFT JOIN {campaign} c ON c.id = m.campaign_id "
        f"LEFT JOIN {sending} s ON s.account_id = o.account_id "
        "WHERE o.id = %s::bigint AND (%s::text = %s::text OR EXISTS (SELECT 1 FROM "
        f"{number} p WHERE p.account_id = o.account_id AND lower(p.link_domain) = %s::text "
        "AND p.link_domain_verified))"
    )
    return (
        f"WITH target AS ({target}), clicked AS ("  # noqa: S608
        f"INSERT INTO {LinkClick._meta.db_table} (account_id, message_id, outbound_id, "
        "contact_id, position, clicked_at, user_agent, is_bot, rolled_up) "
        "SELECT account_id, message_id, outbound_id, contact_id, %s::smallint, "
        "%s::timestamptz, %s::text, %s::boolean, %s::boolean FROM target) "
        "SELECT url, name, public_id, utm_source, "
        # This statement's transaction commits without waiting for its WAL flush, as status
        # callbacks do (messaging.services.delivery): a crash of PostgreSQL itself could drop
        # the last fraction of a second of clicks, a killed web or Celery worker none, and the
        # redirect isn't held up by an fsync per tap.
        "set_config('synchronous_commit', 'off', true) FROM target"
    )


def link_click_record(
    *, outbound_id: int, position: int, host: str, user_agent: str, is_bot: bool
) -> ClickTarget | None:
    """Append a click and answer where it goes; None when no such link exists on this host."""
    host = host.lower().rstrip(".")
    default = settings.PUBLIC_LINK_DOMAIN.lower()
    user_agent = user_agent[:USER_AGENT_MAX]
    now = timezone.now()
    target_params = [position, outbound_id, host, default, host]
    click_params = [position, now, user_agent, is_bot, False]
    # Prepared once per connection: planning these joins on every tap costs PostgreSQL five
    # times more than running them (accounts.db).
    _, found = prepared_execute(_recording_sql(), target_params + click_params, fetch=True)
    row = found[:4] if found else None
    if row is None:
        return None
    url, name, public_id, utm_source = row
    if utm_source is None:  # the account never saved its sending settings
        utm_source = SendingSettings._meta.get_field("utm_source").default
    return ClickTarget(url, name, public_id, utm_source)
