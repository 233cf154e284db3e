"""The contact timeline's SMS entries: clicks by contact, and replies linked to the message
they answered."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from analytics.models import MessageStats
from analytics.services import drift, rollups
from contacts import selectors as contact_selectors
from contacts.models import EngagementKind
from messaging.models import LinkClick, OutboundMessage
from messaging.services.inbound import inbound_receive
from tests.analytics.helpers import BODY, NOON_NEW_YORK, campaign_with_results, click, send
from tests.factories import PhoneNumberFactory

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


def test_a_contacts_clicks_are_found_through_an_index(sending):
    """Deleting a contact clears its clicks' contact, and the timeline reads them, by index."""
    table = LinkClick._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN UPDATE {table} SET contact_id = NULL WHERE contact_id IN (1, 2)"  # noqa: S608
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        # Clicks are partitioned by month: each partition answers through its own copy of
        # the index.
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'click_contact'::regclass"
        )
        copies = [row[0] for row in cursor.fetchall()]
    assert copies, "the index has a copy on every partition"
    assert "Seq Scan" not in plan, plan
    assert all(copy in plan for copy in copies), plan


def reply(sending, phone: str, body: str, sid: str, *, to: str = "") -> None:
    inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid="SM" + sid * 32,
        from_phone=phone,
        to_phone=to or sending.sender.e164,
        body=body,
    )


def test_replies_count_for_the_last_text_and_link_to_it_on_the_timeline(
    sending, emulator, client, bob_client
):
    message, rows, contacts = campaign_with_results(sending, client)
    ann, bo = rows["Ann"].to_phone, rows["Bo"].to_phone
    other_number = PhoneNumberFactory(account=sending.account, e164="+14155550177")
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=1), tick=False):
        reply(sending, ann, "Love it! Is the blue one back?", "1")
        reply(sending, ann, "Size M please", "2")
        reply(sending, bo, "HELP", "3")  # a keyword, not a reply
        reply(sending, bo, "Hi", "4", to=other_number.e164)  # that number never texted Bo
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(days=8), tick=False):
        reply(sending, rows["Di"].to_phone, "Late thanks", "5")  # a week after the text
    rollups.rollups_apply_all()

    stats = MessageStats.objects.get(message=message)
    assert stats.replies == 2
    page = bob_client.get(f"/analytics/messages/{message.public_id}/").content.decode()
    assert 'id="kpi-replies">2<' in page
    assert drift.message_rollup_check(message=message).drifted is False

    timeline = contact_selectors.contact_timeline(account=sending.account, contact=contacts["Ann"])
    replies = [item for item in timeline if item.kind == EngagementKind.SMS_REPLY]
    assert len(replies) == 2
    assert {item.link_url for item in replies} == {f"/analytics/messages/{message.public_id}/"}
    late = contact_selectors.contact_timeline(account=sending.account, contact=contacts["Di"])
    [late_reply] = [item for item in late if item.kind == EngagementKind.SMS_REPLY]
    assert late_reply.link_url == ""
    contact_page = bob_client.get(f"/contacts/{contacts['Ann'].public_id}/").content.decode()
    assert f'<a href="/analytics/messages/{message.public_id}/">Replied: Size M please' in (
        contact_page
    )
