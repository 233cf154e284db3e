"""The monthly allotment: periods in the account's time zone, limit increases bought for one
period, set by staff only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from messaging.models import OutboundMessage, SegmentPurchase
from messaging.services import allotment
from messaging.services.settings import sending_settings
from tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


def sent(account, segments: int, at: dt.datetime) -> OutboundMessage:
    return OutboundMessageFactory(
        account=account,
        kind=OutboundMessage.Kind.TEST,
        to_phone="+12065550177",
        segments=segments,
        status="delivered",
        created_at=at,
    )


# Periods in the account's time zone -------------------------------------------------------------


def test_a_text_sent_on_the_evening_of_the_last_day_counts_in_that_period(tenant):
    account = tenant.account
    account.time_zone = "America/Los_Angeles"
    account.save()
    # June 30, 8 pm in Los Angeles is already July 1 on the server's clock (UTC).
    evening = dt.datetime(2026, 7, 1, 3, 0, tzinfo=dt.UTC)
    sent(account, 2, dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC))
    sent(account, 3, evening)

    june = allotment.usage(account=account, now=evening)

    assert (june.period_start, june.period_end) == (dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    assert june.used == 5
    # July begins at midnight in Los Angeles, not at midnight UTC.
    july = allotment.usage(account=account, now=dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC))
    assert (july.period_start, july.used) == (dt.date(2026, 7, 1), 0)


# Limit increases -------------------------------------------------------------------------------


def test_a_limit_increase_counts_in_the_period_it_was_bought_for_only(tenant):
    account = tenant.account
    rules = sending_settings(account)
    rules.monthly_segment_allotment = 1000
    rules.allotment_renewal_day = 15
    rules.save()
    june_20 = dt.datetime(2026, 6, 20, 16, 0, tzinfo=dt.UTC)

    purchase = allotment.segment_purchase_create(
        account=account, segments=500, created_by=None, now=june_20
    )

    assert purchase.period_start == dt.date(2026, 6, 15)
    assert allotment.usage(account=account, now=june_20).total == 1500
    next_period = dt.datetime(2026, 7, 16, 16, 0, tzinfo=dt.UTC)
    assert allotment.usage(account=account, now=next_period).total == 1000


def test_a_purchase_names_a_real_period_and_adds_segments(tenant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        allotment.segment_purchase_create(
            account=tenant.account, segments=0, created_by=None, period_start=dt.date(2026, 6, 3)
        )
    assert set(excinfo.value.message_dict) == {"segments", "period_start"}


@pytest.fixture
def staff_client(tenant) -> Client:
    staff = User.objects.create_superuser(email="staff@smsapp.example", password="x" * 12)
    client = Client()
    client.force_login(staff)
    return client


def test_staff_add_a_purchase_in_the_admin_for_the_accounts_current_period(tenant, staff_client):
    with time_machine.travel(dt.datetime(2026, 6, 20, 16, 0, tzinfo=dt.UTC), tick=False):
        response = staff_client.post(
            "/admin/messaging/segmentpurchase/add/",
            {"account": tenant.account.pk, "segments": "2500", "period_start": "", "note": "PO 7"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        purchase = SegmentPurchase.objects.get()
        assert (purchase.period_start, purchase.segments) == (dt.date(2026, 6, 1), 2500)
        assert purchase.created_by.email == "staff@smsapp.example"
        assert allotment.usage(account=tenant.account).total == 10_000 + 2500

        refused = staff_client.post(
            "/admin/messaging/segmentpurchase/add/",
            {"account": tenant.account.pk, "segments": "10", "period_start": "2026-06-07"},
        )
        assert refused.status_code == 200
        assert "Choose the first day of a period" in refused.content.decode()
        assert SegmentPurchase.objects.count() == 1


def test_the_tenants_own_admin_cant_reach_the_django_admin(tenant, alice_client):
    response = alice_client.get("/admin/messaging/segmentpurchase/add/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = alice_client.get("/admin/messaging/sendingsettings/")
    assert response.status_code == 302


def test_staff_set_the_allotment_in_the_admin_within_the_same_legal_limits(tenant, staff_client):
    rules = sending_settings(tenant.account)
    url = f"/admin/messaging/sendingsettings/{rules.pk}/change/"
    form = {
        "account": tenant.account.pk,
        "monthly_segment_allotment": "25000",
        "allotment_renewal_day": "12",
        "quiet_hours_start": "07:00",
        "quiet_hours_end": "20:00",
        "frequency_cap": "3",
        "utm_source": "smsapp",
    }
    refused = staff_client.post(url, form)
    assert "from 08:00 at the earliest" in refused.content.decode()
    assert staff_client.post(url, {**form, "quiet_hours_start": "08:00"}).status_code == 302
    rules.refresh_from_db()
    assert (rules.monthly_segment_allotment, rules.allotment_renewal_day) == (25_000, 12)
