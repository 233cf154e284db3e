"""The contact timeline's SMS entries: clicks by contact, and replies linked to the message
they answered."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection

from contacts import selectors as contact_selectors
from contacts.models import EngagementKind
from messaging.models import LinkClick, OutboundMessage
from tests.analytics.helpers import BODY, NOON_NEW_YORK, click, send

pytestmark = pytest.mark.django_db


def test_a_click_on_an_older_text_is_the_newest_line_of_the_timeline(sending, emulator, client):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        maya = sending.contact("Maya", phone="+12125550101")
        older = sending.message(body=BODY, name="Spring sale")
        send(sending, older)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=1), tick=True):
        newer = sending.message(body="No link here", name="Summer sale")
        send(sending, newer)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=2), tick=True):
        click(client, OutboundMessage.objects.get(message=older, contact=maya))

    [latest] = contact_selectors.contact_timeline(account=sending.account, contact=maya, limit=1)
    assert latest.kind == EngagementKind.SMS_CLICKED
    assert latest.summary == "Clicked link 1 in “Spring sale”"
    assert latest.link_url == f"/analytics/messages/{older.public_id}/"


def test_a_contacts_clicks_are_found_through_an_index(sending, postgresql):
    """Deleting a contact clears its clicks' contact, and the timeline reads them, by index."""
    table = LinkClick._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN UPDATE {table} SET contact_id = NULL WHERE contact_id IN (1, 2)"  # noqa: S608
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "click_contact" in plan, plan
