"""The contact page shows the whole consent history, a page at a time; the CSV has all of it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from consent import selectors
from consent.models import ConsentLedgerEntry
from contacts import services as contact_services
from tests.factories import ConsentLedgerEntryFactory

CHANGES = 120


@pytest.fixture
def ada(tenant):
    contact = contact_services.contact_create(
        account=tenant.account, first_name="Ada", phone="(212) 555-0123"
    )
    marketing = selectors.subscription_type_default(account=tenant.account)
    start = timezone.now() - dt.timedelta(days=CHANGES)
    states = ["subscribed", "unsubscribed"]
    ConsentLedgerEntry.objects.bulk_create(
        ConsentLedgerEntryFactory.build(
            account=tenant.account,
            contact=contact,
            contact_public_id=contact.public_id,
            phone_e164=contact.phone_e164,
            subscription_type=marketing,
            previous_status=states[(n + 1) % 2] if n else "not_specified",
            new_status=states[n % 2],
            source="manual",
            actor_label="bob@example.com",
            evidence=f"change number {n:03d}",
            occurred_at=start + dt.timedelta(days=n),
        )
        for n in range(CHANGES)
    )
    return contact


def test_the_oldest_changes_are_reachable_page_by_page(bob_client, ada):
    detail = reverse("contacts:detail", args=[ada.public_id])
    first = bob_client.get(detail).content.decode()
    assert "change number 119" in first and "change number 070" in first
    assert "change number 069" not in first
    assert f"Page 1 of 3 · {CHANGES} changes" in first
    # Without JavaScript the pager reloads the contact page; the oldest change is on the last.
    last = bob_client.get(detail, {"ledger_page": 3}).content.decode()
    assert "change number 000" in last and "change number 019" in last
    assert "change number 020" not in last
    assert "Newer" in last and "Older" not in last


def test_htmx_swaps_in_the_next_page_alone(bob_client, ada):
    fragment = bob_client.get(
        reverse("consent:contact_ledger", args=[ada.public_id]), {"page": 2}
    ).content.decode()
    assert fragment.startswith('<section id="ledger">')
    assert "change number 069" in fragment and "change number 020" in fragment
    assert "change number 070" not in fragment and "change number 019" not in fragment
    # A page past the end shows the last one rather than an error.
    past = bob_client.get(reverse("consent:contact_ledger", args=[ada.public_id]), {"page": 99})
    assert "change number 000" in past.content.decode()


def test_the_csv_export_still_has_every_change(vera_client, ada):
    export = vera_client.get(reverse("consent:contact_ledger_csv", args=[ada.public_id]))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == CHANGES + 1


def test_outsiders_cant_page_through_someone_elses_history(charlie_client, ada):
    response = charlie_client.get(reverse("consent:contact_ledger", args=[ada.public_id]))
    assert response.status_code == 404
