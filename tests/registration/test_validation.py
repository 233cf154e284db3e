"""Every rule of the business registration and the SMS use case, with the message it shows."""

from __future__ import annotations

import pytest

from registration.validation import business_names, business_validate, use_case_validate
from tests.registration.conftest import BUSINESS, USE_CASE

NAMES = business_names("Acme Outdoor", "Acme Outdoor LLC")


def business_errors(**changes) -> dict[str, list[str]]:
    return business_validate({**BUSINESS, **changes})[1]


def use_case_errors(**changes) -> dict[str, list[str]]:
    return use_case_validate({**USE_CASE, **changes}, business_names=NAMES)[1]


def test_the_example_business_is_valid_and_cleaned():
    cleaned, errors = business_validate(
        {**BUSINESS, "registration_number": "123456789", "website": "acme-outdoor.example.com"}
    )
    assert errors == {}
    assert cleaned["registration_number"] == "12-3456789"
    assert cleaned["website"] == "https://acme-outdoor.example.com"
    assert cleaned["contact_phone"] == "+14155550142"


@pytest.mark.parametrize(
    "field",
    [
        "legal_name",
        "website",
        "business_type",
        "industry",
        "regions",
        "street",
        "city",
        "region",
        "postal_code",
        "country",
        "company_status",
        "registration_number",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        "contact_job_title",
        "contact_job_position",
    ],
)
def test_every_business_field_is_required(field):
    empty = [] if field == "regions" else ""
    assert business_errors(**{field: empty})[field] == ["This field is required."]


def test_optional_business_fields():
    assert business_errors(street2="", stock_exchange="", stock_ticker="") == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"legal_name": "A"}, "legal_name", "2 to 255 characters"),
        ({"website": "https://localhost"}, "website", "domain name"),
        ({"website": "not a url"}, "website", "full web address"),
        ({"business_type": "sole_proprietorship"}, "business_type", "Sole proprietors"),
        ({"business_type": "pirate"}, "business_type", "Choose a business type"),
        ({"industry": "GAMBLING"}, "industry", "Choose an industry"),
        ({"regions": ["MARS"]}, "regions", "Unknown region: MARS"),
        ({"region": "ZZ"}, "region", "Choose a state"),
        ({"postal_code": "9410"}, "postal_code", "ZIP code"),
        ({"country": "MX"}, "country", "United States or Canada"),
        ({"registration_number": "12-345678"}, "registration_number", "EIN"),
        ({"registration_number": "AB-CDEFGHI"}, "registration_number", "NN-NNNNNNN"),
        ({"company_status": "public"}, "stock_exchange", "stock exchange"),
        ({"company_status": "public"}, "stock_ticker", "stock ticker"),
        (
            {"company_status": "public", "stock_exchange": "NYSE", "stock_ticker": "ac me!"},
            "stock_ticker",
            "ticker symbol",
        ),
        ({"company_status": "listed"}, "company_status", "public or private"),
        ({"contact_email": "alice@"}, "contact_email", "valid email"),
        ({"contact_phone": "555"}, "contact_phone", "valid phone number"),
        ({"contact_job_position": "Wizard"}, "contact_job_position", "Choose a position"),
    ],
)
def test_business_rules(changes, field, message):
    errors = business_errors(**changes)
    assert any(message in m for m in errors.get(field, [])), errors


def test_canadian_address_and_business_number():
    changes = {
        "country": "CA",
        "region": "ON",
        "postal_code": "k1a 0b1",
        "registration_number": "123456789",
    }
    cleaned, errors = business_validate({**BUSINESS, **changes})
    assert errors == {}
    assert cleaned["postal_code"] == "K1A 0B1"
    assert "Choose a province." in business_errors(country="CA", region="CA")["region"]


def test_a_public_company_keeps_its_exchange_and_ticker():
    cleaned, errors = business_validate(
        {**BUSINESS, "company_status": "public", "stock_exchange": "NYSE", "stock_ticker": "acme"}
    )
    assert errors == {}
    assert (cleaned["stock_exchange"], cleaned["stock_ticker"]) == ("NYSE", "ACME")


def test_a_step_checks_only_its_fields():
    cleaned, errors = business_validate({"legal_name": "Acme"}, fields=["legal_name"])
    assert (cleaned, errors) == ({"legal_name": "Acme"}, {})


def test_the_example_use_case_is_valid():
    assert use_case_errors() == {}


@pytest.mark.parametrize(
    ("length", "valid"), [(39, False), (40, True), (4096, True), (4097, False)]
)
def test_description_length(length, valid):
    errors = use_case_errors(description="x" * length)
    assert ("description" not in errors) is valid
    if not valid:
        assert f"it has {length:,}" in errors["description"][0]


@pytest.mark.parametrize(
    "data",
    ["call Ann at (415) 555-0142 about her order today please", "send to ann@example.com now"],
)
def test_description_holds_no_end_user_data(data):
    description = f"Acme Outdoor marketing texts about sales and events; {data}."
    assert "end-user data" in use_case_errors(description=description)["description"][-1]


SAMPLE = "Acme Outdoor: sale this weekend. Reply STOP to opt out."


@pytest.mark.parametrize(("count", "valid"), [(1, False), (2, True), (5, True), (6, False)])
def test_two_to_five_samples(count, valid):
    errors = use_case_errors(samples=[SAMPLE] * count)
    assert ("samples" not in errors) is valid
    if not valid:
        assert errors["samples"][0] == f"Give 2 to 5 sample messages; you gave {count}."


@pytest.mark.parametrize(
    ("length", "valid"), [(19, False), (20, True), (1024, True), (1025, False)]
)
def test_sample_length_names_the_sample(length, valid):
    second = ("Acme Outdoor news " + "x" * length)[:length]
    errors = use_case_errors(samples=[SAMPLE, second])
    assert ("samples" not in errors) is valid
    if not valid:
        assert errors["samples"] == [
            f"Sample 2 has {length:,} characters; each sample needs 20 to 1,024."
        ]


def test_a_sample_must_name_the_business():
    errors = use_case_errors(
        samples=[
            "Big sale this weekend only. Reply STOP to opt out.",
            "New boots are in store now!",
        ]
    )
    assert errors["samples"] == ["At least one sample must name your business (“Acme Outdoor”)."]


def test_the_legal_suffix_is_optional_in_samples():
    assert business_names("Acme Outdoor LLC") == ["Acme Outdoor LLC", "Acme Outdoor"]
    assert business_names("Acme, Inc.") == ["Acme, Inc.", "Acme"]


@pytest.mark.parametrize(
    "opt_out",
    ["Reply STOP to opt out", "Text END to unsubscribe", "reply stop to cancel", "Opt-out: reply"],
)
def test_opt_out_wording_is_recognised(opt_out):
    samples = [f"Acme Outdoor sale today only. {opt_out}.", "New boots are in store this week!"]
    assert "samples" not in use_case_errors(samples=samples)


def test_a_sample_must_carry_opt_out_wording():
    samples = ["Acme Outdoor: sale today only!", "New boots are in store this week!"]
    assert use_case_errors(samples=samples)["samples"] == [
        "At least one sample must tell people how to opt out, such as “Reply STOP to opt out”."
    ]


def test_samples_must_agree_with_the_links_and_phone_answers():
    samples = [SAMPLE, "Shop the sale at https://acme.example.com or call 415-555-0142 now"]
    errors = use_case_errors(samples=samples)["samples"]
    assert "Sample 2 contains a link, but you said your messages contain no links." in errors
    assert "Sample 2 contains a phone number, but you said your messages contain none." in errors
    assert "samples" not in use_case_errors(samples=samples, has_links=True, has_phone_numbers=True)


def test_consent_rules():
    assert (
        "Choose how people give consent"
        in use_case_errors(consent_methods=[])["consent_methods"][0]
    )
    assert "40 to 2,048" in use_case_errors(consent_description="We ask.")["consent_description"][0]
    assert "opt-in form" in use_case_errors(opt_in_url="")["opt_in_url"][0]
    # In person, no URL is needed.
    assert "opt_in_url" not in use_case_errors(consent_methods=["in_person"], opt_in_url="")
    assert "full web address" in use_case_errors(opt_in_url="acme")["opt_in_url"][0]


def test_links_and_phone_questions_and_the_acknowledgement():
    errors = use_case_errors(has_links=None, has_phone_numbers="maybe", acknowledged=False)
    assert errors["has_links"] == ["Answer yes or no."]
    assert errors["has_phone_numbers"] == ["Answer yes or no."]
    assert errors["acknowledged"] == ["Confirm that you have read the checklist (“Got it”)."]
    assert use_case_errors(has_links="yes", has_phone_numbers="no", acknowledged="on") == {}
