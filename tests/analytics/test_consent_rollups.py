"""The Consent report's rollups: kept by the worker from the ledger, they hold exactly what the
ledger holds, per day (the account's), source, keyword and direction; and the snapshot of where
contacts stand adds up to the account's contacts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine

from analytics.models import ConsentDayStats, ConsentEvent, ConsentSnapshot
from analytics.services import consent_rollups
from analytics.tasks import rollups_apply_task
from consent import selectors as consent_selectors
from consent.models import ConsentState
from contacts import services as contact_services
from contacts.models import Contact
from tests.analytics.helpers import (
    LATE_EVENING_NEW_YORK,
    consent_history,
    keyword,
    ledger_counts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(sending):
    return consent_history(sending)


def rollup_counts(account) -> Counter:
    return Counter(
        {
            (row.day, row.source, row.keyword, row.direction): row.count
            for row in ConsentDayStats.objects.filter(account=account)
        }
    )


def test_rollups_hold_what_the_ledger_holds(sending, history):
    assert consent_rollups.consent_rollups_apply_all() > 0
    assert not ConsentEvent.objects.exists()
    expected = ledger_counts(sending.account)
    assert rollup_counts(sending.account) == expected
    june_1, june_2, june_3 = dt.date(2026, 6, 1), dt.date(2026, 6, 2), dt.date(2026, 6, 3)
    # What a marketer reads: the import and the reformat on the 1st (New York's day), two
    # keyword opt-outs and a carrier one on the 2nd, a START and a manual opt-in on the 3rd.
    assert expected[(june_1, "import", "", "opt_in")] == 4
    assert expected[(june_1, "reformat", "", "opt_in")] == 1
    assert expected[(june_2, "keyword", "STOP", "opt_out")] == 1
    assert expected[(june_2, "keyword", "QUIT", "opt_out")] == 1
    assert expected[(june_2, "carrier", "", "opt_out")] == 1
    assert expected[(june_3, "keyword", "START", "opt_in")] == 1
    assert expected[(june_3, "manual", "", "opt_in")] == 1


def test_a_second_run_counts_nothing_again_and_new_changes_add_up(sending, history):
    consent_rollups.consent_rollups_apply_all()
    assert consent_rollups.consent_rollups_apply_all() == 0
    with time_machine.travel(LATE_EVENING_NEW_YORK + dt.timedelta(days=1, hours=13), tick=False):
        keyword(sending, history[3].mobile_phone_e164, "STOP", "SM" + "4" * 32)
    consent_rollups.consent_rollups_apply_all()
    assert rollup_counts(sending.account) == ledger_counts(sending.account)


def test_a_run_rolled_back_loses_nothing(sending, history):
    """A worker killed mid-run: its transaction rolls back, the events wait for the next run."""
    with pytest.raises(RuntimeError), consent_rollups.transaction.atomic():
        consent_rollups.consent_rollups_apply()
        raise RuntimeError("killed")
    assert ConsentDayStats.objects.count() == 0
    consent_rollups.consent_rollups_apply_all()
    assert rollup_counts(sending.account) == ledger_counts(sending.account)


def test_snapshot_adds_up_to_the_contacts_and_matches_the_index_filters(sending, history):
    account = sending.account
    contact_services.contact_create(account=account, first_name="Landline only", phone="+1340")
    contact_services.contact_create(account=account, first_name="No phone", email="n@example.com")
    sending.contact("Never asked", mobile_phone="+14155552999", subscribed=None)
    consent_rollups.consent_rollups_apply_all()
    consent_rollups.consent_snapshots_refresh(account_ids=[account.pk])
    snapshot = ConsentSnapshot.objects.get(subscription_type=sending.subscription_type)
    public_id = sending.subscription_type.public_id

    def filtered(state: str) -> int:
        q = consent_selectors.contacts_in_consent_state_q(
            account=account, subscription_type_public_id=public_id, state=state
        )
        return Contact.objects.filter(account=account).filter(q).count()

    # contacts 0 (STOP then START), 3, 4, 5 subscribed; 1 (QUIT) and 2 (21610) opted out.
    assert (snapshot.subscribed, snapshot.opted_out) == (4, 2)
    assert snapshot.subscribed == filtered(ConsentState.SUBSCRIBED)
    assert snapshot.opted_out == filtered(ConsentState.UNSUBSCRIBED)
    assert (snapshot.not_specified, snapshot.not_sms_capable) == (1, 2)
    assert snapshot.not_specified + snapshot.not_sms_capable == filtered(ConsentState.NOT_SPECIFIED)
    total = snapshot.subscribed + snapshot.opted_out
    total += snapshot.not_specified + snapshot.not_sms_capable
    assert total == Contact.objects.filter(account=account).count()


def test_the_worker_recounts_the_snapshot_after_consent_changes(sending, history):
    consent_rollups.consent_rollups_apply_all()
    before = ConsentSnapshot.objects.get(subscription_type=sending.subscription_type)
    keyword(sending, history[3].mobile_phone_e164, "STOP", "SM" + "5" * 32)
    consent_rollups.consent_rollups_apply_all()
    after = ConsentSnapshot.objects.get(subscription_type=sending.subscription_type)
    assert (after.subscribed, after.opted_out) == (before.subscribed - 1, before.opted_out + 1)


def test_the_beat_task_folds_consent_changes_too(sending, history):
    """What beat runs every 10 s (analytics-rollups) keeps the Consent report current."""
    assert rollups_apply_task() > 0
    assert rollup_counts(sending.account) == ledger_counts(sending.account)
