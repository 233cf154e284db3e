"""Pages about a message's audience cost in proportion to the audience, not to the account:
a one-contact draft in an account of 200,000 contacts reads its audience in one statement."""

from __future__ import annotations

import pytest
from django.db import connection

from contacts.models import Contact
from messaging.services import audience

pytestmark = pytest.mark.django_db

ACCOUNT_CONTACTS = 200_000


def contacts_fill(account, count: int) -> None:
    """`count` plain contacts in one INSERT ... SELECT: the server makes the rows (a second or
    two), copying every column from one contact made through the service."""
    from contacts import services as contact_services

    template = contact_services.contact_create(account=account, first_name="Filler")
    columns = [
        f.column for f in Contact._meta.concrete_fields if f.column not in ("id", "public_id")
    ]
    listed = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({listed}, public_id) "  # noqa: S608 - our own names
            f"SELECT {', '.join('t.' + connection.ops.quote_name(c) for c in columns)}, "
            "'con_fill' || lpad(n::text, 16, '0') FROM {table} t, generate_series(1, %s) n "
            "WHERE t.id = %s".replace("{table}", table),
            [count, template.pk],
        )
        cursor.execute(f"ANALYZE {table}")  # noqa: S608


@pytest.fixture
def crowded(sending):
    # The audience's one contact is the account's newest: the walk over every contact that
    # the page used to do found it last.
    contacts_fill(sending.account, ACCOUNT_CONTACTS)
    sending.contact("Ana", phone="+12125550100", time_zone="America/New_York")
    return sending


def test_the_time_zones_page_reads_a_small_audience_with_a_bounded_number_of_queries(
    crowded, alice_client, django_assert_max_num_queries
):
    message = crowded.message()
    assert Contact.objects.filter(account=crowded.account).count() == ACCOUNT_CONTACTS + 2

    with django_assert_max_num_queries(40):
        page = alice_client.get(f"/sms/{message.public_id}/send/time-zones/")

    assert page.status_code == 200
    assert "Ana" in page.content.decode()
    assert "America/New_York" in page.content.decode()


def test_a_small_audience_is_read_in_one_statement(crowded, django_assert_num_queries):
    message = crowded.message()

    with django_assert_num_queries(3):  # the message's lists twice (include, exclude), the rows
        (batch,) = list(audience.recipients(message))

    assert [r.values["first_name"] for r in batch] == ["Ana"]


def test_an_empty_audience_is_read_in_one_statement(crowded, django_assert_num_queries):
    message = crowded.message()
    message.include_lists.clear()

    with django_assert_num_queries(3):
        assert list(audience.recipients(message)) == []
