"""Step 3: area codes, searching and buying numbers, their users and their throughput."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from registration import services
from registration.areacodes import area_code_get, area_codes_search, us_area_codes
from registration.models import PhoneNumber, RegistrationEvent, TwilioSubaccount
from registration.throughput import throughput_for
from tests.factories import MembershipFactory, PhoneNumberFactory, UserFactory
from tests.registration.conftest import review_control
from twilio_gateway import provisioning as gateway
from twilio_gateway.errors import TransientSendError

pytestmark = pytest.mark.django_db


def test_us_area_codes_come_with_their_state():
    assert area_code_get("415").state == "California"
    assert area_code_get("212").state == "New York"
    assert area_code_get("202").state == "District of Columbia"
    assert area_code_get("713").state == "Texas"
    assert area_code_get("340") is None  # US Virgin Islands
    assert area_code_get("416") is None  # Toronto
    assert area_code_get("800") is None  # toll-free, not local
    assert len(us_area_codes()) > 300
    assert [a.code for a in area_codes_search("41")][:2] == ["410", "412"]
    assert {a.state for a in area_codes_search("vermont")} == {"Vermont"}


@pytest.mark.parametrize(
    ("score", "mps", "cap"),
    [
        (None, 1, 2_000),
        (1, 4, 2_000),
        (24, 4, 2_000),
        (25, 4, 10_000),
        (49, 4, 10_000),
        (50, 40, 40_000),
        (74, 40, 40_000),
        (75, 75, 200_000),
        (100, 75, 200_000),
    ],
)
def test_throughput_by_trust_score(score, mps, cap):
    throughput = throughput_for(score)
    assert (throughput.messages_per_second, throughput.tmobile_daily_cap) == (mps, cap)


def test_searching_needs_a_subaccount_and_a_us_area_code(setup_flow):
    with pytest.raises(services.RegistrationError, match="step 1"):
        services.available_numbers_search(account=setup_flow.account, area_code="415")
    setup_flow.brand_submit()
    with pytest.raises(services.RegistrationError, match="not a US area code"):
        services.available_numbers_search(account=setup_flow.account, area_code="340")


def test_search_finds_sms_capable_local_numbers(setup_flow):
    setup_flow.brand_submit()
    found = services.available_numbers_search(account=setup_flow.account, area_code="415")
    assert [n.phone_number for n in found][:2] == ["+14155550100", "+14155550101"]
    assert all(n.sms for n in found) and len(found) == 20
    assert found[0].friendly_name == "(415) 555-0100"
    narrowed = services.available_numbers_search(
        account=setup_flow.account, area_code="415", contains="0199"
    )
    assert narrowed == []  # the emulator's 0199 is voice-only
    PhoneNumberFactory(account=setup_flow.tenant.other_account, e164="+14155550100")
    again = services.available_numbers_search(account=setup_flow.account, area_code="415")
    assert again[0].phone_number == "+14155550101"  # a number we hold is not offered


@pytest.mark.parametrize(
    ("contains", "problem"),
    [
        ("5", "Type 2 to 16 digits"),  # Twilio: "between 2 and 16 characters long"
        ("1" * 17, "Type 2 to 16 digits"),
        ("55a", "Use digits only"),
    ],
)
def test_contains_must_be_2_to_16_digits_before_twilio_is_asked(
    setup_flow, emulator, contains, problem
):
    setup_flow.brand_submit()

    with pytest.raises(services.RegistrationInvalid) as refused:
        services.available_numbers_search(
            account=setup_flow.account, area_code="415", contains=contains
        )

    assert problem in refused.value.errors["contains"][0]
    assert "ListAvailablePhoneNumberLocal" not in emulator.emulator.operations_report()


def test_contains_may_hold_separators_and_up_to_16_digits(setup_flow):
    setup_flow.brand_submit()

    found = services.available_numbers_search(
        account=setup_flow.account, area_code="415", contains="555-0101"
    )
    long_pattern = services.available_numbers_search(
        account=setup_flow.account, area_code="415", contains="1" * 16
    )

    assert [n.phone_number for n in found] == ["+14155550101"]
    assert long_pattern == []


def test_buying_needs_the_use_case(setup_flow):
    setup_flow.brand_submit()
    with pytest.raises(services.RegistrationError, match="step 2"):
        setup_flow.number_buy()


def test_a_number_bought_during_review_waits_then_sends(setup_flow, emulator):
    review_control(emulator, BrandScore="90")
    setup_flow.use_case_in_review()

    number = setup_flow.number_buy("+1 (415) 555-0100")

    subaccount = TwilioSubaccount.objects.get(account=setup_flow.account)
    twilio_number = emulator.state.numbers[number.twilio_sid]
    assert twilio_number["account_sid"] == subaccount.sid
    assert twilio_number["messaging_service_sid"] == subaccount.messaging_service_sid
    assert number.e164 == "+14155550100"
    assert number.messaging_service_sid == subaccount.messaging_service_sid
    assert number.status == PhoneNumber.Status.PENDING
    assert (number.sms_capable, number.mms_capable, number.voice_capable) == (True, True, True)
    assert (number.messages_per_second, number.tmobile_daily_cap) == (75, 200_000)
    assert list(number.users.all()) == [setup_flow.tenant.alice]
    event = RegistrationEvent.objects.get(kind="number_purchased")
    assert (event.user, event.detail["e164"]) == (setup_flow.tenant.alice, "+14155550100")

    setup_flow.poll()
    number.refresh_from_db()
    assert number.status == PhoneNumber.Status.ACTIVE


def test_a_number_bought_after_approval_is_active_at_once(setup_flow):
    number = setup_flow.complete()
    assert number.status == PhoneNumber.Status.ACTIVE


def test_buying_twice_buys_once(setup_flow, emulator):
    setup_flow.use_case_in_review()
    first = setup_flow.number_buy()
    second = setup_flow.number_buy()
    assert first.pk == second.pk
    assert PhoneNumber.objects.count() == 1
    assert len(emulator.state.numbers) == 1


def test_numbers_outside_the_us_are_refused(setup_flow):
    setup_flow.use_case_in_review()
    for phone in ("+14165550100", "+13405550100", "+442071838750"):
        with pytest.raises(services.RegistrationError, match="Only US phone numbers"):
            setup_flow.number_buy(phone)
    assert not PhoneNumber.objects.exists()


def test_a_number_someone_else_has_is_refused(setup_flow, tenant):
    setup_flow.use_case_in_review()
    PhoneNumberFactory(account=tenant.other_account, e164="+14155550100")
    with pytest.raises(services.RegistrationError, match="no longer available"):
        setup_flow.number_buy("+14155550100")


def test_twilio_refusing_a_purchase_drops_the_claim(setup_flow, emulator):
    setup_flow.use_case_in_review()
    requests.post(
        f"{emulator.url}/_emulator/numbers", data={"PhoneNumber": "+14155550105"}, timeout=5
    )
    with pytest.raises(services.RegistrationError, match="Twilio could not sell"):
        setup_flow.number_buy("+14155550105")
    assert not PhoneNumber.objects.exists()


def test_a_purchase_whose_answer_was_lost_is_reconciled(setup_flow, emulator, monkeypatch):
    setup_flow.use_case_in_review()
    real_buy = gateway.incoming_number_buy

    def lost_answer(**kwargs):
        real_buy(**kwargs)
        raise TransientSendError(20504, "Gateway Timeout", outcome_unknown=True)

    monkeypatch.setattr(gateway, "incoming_number_buy", lost_answer)
    with pytest.raises(services.RegistrationError, match="did not confirm"):
        setup_flow.number_buy()
    number = PhoneNumber.objects.get()
    assert (number.status, number.twilio_sid) == ("pending", "")

    setup_flow.poll()  # too recent to look up yet
    assert PhoneNumber.objects.get().twilio_sid == ""
    PhoneNumber.objects.update(created_at=number.created_at - dt.timedelta(minutes=10))
    setup_flow.poll()

    number.refresh_from_db()
    (twilio_number,) = emulator.state.numbers.values()
    assert number.twilio_sid == twilio_number["sid"]
    assert twilio_number["messaging_service_sid"] == number.messaging_service_sid != ""


def test_a_claim_twilio_never_sold_is_dropped(setup_flow, monkeypatch):
    setup_flow.use_case_in_review()

    def timeout(**kwargs):
        raise TransientSendError(None, "Read timed out", outcome_unknown=True)

    monkeypatch.setattr(gateway, "incoming_number_buy", timeout)
    with pytest.raises(services.RegistrationError):
        setup_flow.number_buy()
    PhoneNumber.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    setup_flow.poll()
    assert not PhoneNumber.objects.exists()


def test_who_may_send_from_a_number(setup_flow, tenant):
    setup_flow.use_case_in_review()
    number = setup_flow.number_buy()
    services.phone_number_users_set(
        account=tenant.account,
        user=tenant.alice,
        number=number,
        user_ids=[tenant.bob.public_id, tenant.vera.public_id],
    )
    assert set(number.users.all()) == {tenant.bob, tenant.vera}
    outsider = UserFactory(email="mallory@example.com")
    MembershipFactory(account=tenant.other_account, user=outsider)
    with pytest.raises(services.RegistrationError, match="Only members"):
        services.phone_number_users_set(
            account=tenant.account, user=tenant.alice, number=number, user_ids=[outsider.public_id]
        )
    assert set(number.users.all()) == {tenant.bob, tenant.vera}


def test_a_number_twilio_would_not_add_to_the_service_waits_for_the_poller(
    setup_flow, emulator, monkeypatch
):
    setup_flow.use_case_in_review()
    real_add = gateway.messaging_service_number_add

    def timeout(**kwargs):
        raise TransientSendError(None, "Read timed out", outcome_unknown=True)

    monkeypatch.setattr(gateway, "messaging_service_number_add", timeout)
    number = setup_flow.number_buy()
    assert number.twilio_sid and number.messaging_service_sid == ""

    monkeypatch.setattr(gateway, "messaging_service_number_add", real_add)
    setup_flow.poll()

    number.refresh_from_db()
    assert number.messaging_service_sid != "" and number.status == PhoneNumber.Status.ACTIVE
