"""Composing: the rules a draft must meet on every save, counting with short links and tokens,
message properties, the messages list, archiving, and the SMS usage settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.errors import FieldConflict, StateConflict
from messaging import links, segments, selectors, tokens
from messaging.models import BODY_MAX_LENGTH, Campaign, MessageProperty, SmsMessage
from messaging.services import compose, lifecycle
from messaging.services.settings import sending_settings
from registration.models import PhoneNumber
from tests.factories import (
    ContactFactory,
    ContactPropertyFactory,
    KeywordRuleFactory,
    PhoneNumberFactory,
)

TOKEN = '{{ contact.first_name | default: "there" }}'


def create(tenant, **kwargs) -> SmsMessage:
    kwargs.setdefault("name", "Spring sale")
    return compose.message_create(account=tenant.account, owner=tenant.bob, **kwargs)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sale at https://shop.example.com/spring?x=1 today",
            ["https://shop.example.com/spring?x=1"],
        ),
        ("See www.example.com/tents.", ["www.example.com/tents"]),
        (
            "(http://a.example/b) and HTTPS://B.EXAMPLE/c!",
            ["http://a.example/b", "HTTPS://B.EXAMPLE/c"],
        ),
        ("mail me at bob@www.example.com or visit awww.example.com", []),
        ("just https:// alone", []),
        ("no links here", []),
    ],
)
def test_links_are_found_without_trailing_punctuation(text, expected):
    assert links.links_in(text) == expected


def test_each_link_is_replaced_by_the_placeholder_keeping_punctuation():
    text = "Tents: https://shop.example.com/a-very-long/path?utm=1. Boots: www.example.com!"
    assert links.links_replace(text, "<L>") == "Tents: <L>. Boots: <L>!"


def test_the_short_link_has_the_exact_length_of_the_domain_plus_a_ten_character_code(settings):
    settings.PUBLIC_LINK_DOMAIN = "sms.example"
    assert links.short_link_placeholder() == "https://sms.example/xxxxxxxxxx"
    branded = PhoneNumber(e164="+14155550100", link_domain="go.acme.com", link_domain_verified=True)
    assert len(links.short_link_placeholder(sender=branded)) == len("https://go.acme.com/") + 10
    unverified = PhoneNumber(e164="+14155550100", link_domain="go.acme.com")
    assert links.short_link_placeholder(sender=unverified) == "https://sms.example/xxxxxxxxxx"


# Preview and counting --------------------------------------------------------------------------


def test_the_count_uses_short_links_rendered_tokens_and_the_opt_out_line():
    body = f"Hi {TOKEN}! 20% off tents: https://shop.example.com/{'x' * 150}"
    preview = selectors.preview_build(
        body=body, append_opt_out=True, values={}, link_placeholder="https://s.example/0123456789"
    )
    assert preview.text.startswith("Hi there! 20% off tents: https://shop.example.com/")
    assert preview.text.endswith("\n" + tokens.OPT_OUT_LINE)
    assert preview.counted_text == (
        "Hi there! 20% off tents: https://s.example/0123456789\n" + tokens.OPT_OUT_LINE
    )
    assert preview.links == 1
    # The long URL as typed would take two segments; its short link fits in one.
    assert segments.estimate(preview.text).segments == 2
    assert preview.estimate == segments.estimate(preview.counted_text)
    assert preview.estimate.segments == 1


@pytest.mark.django_db
def test_the_preview_renders_the_chosen_contacts_values(tenant):
    ContactPropertyFactory(account=tenant.account, key="shoe_size", label="Shoe size")
    contact = ContactFactory(account=tenant.account, first_name="Zoë", properties={"shoe_size": 42})
    body = f'Hi {TOKEN}, size {{{{ contact.shoe_size | default: "?" }}}} is back'
    for_contact = selectors.message_preview(
        account=tenant.account, body=body, append_opt_out=False, contact=contact
    )
    with_defaults = selectors.message_preview(
        account=tenant.account, body=body, append_opt_out=False
    )
    assert for_contact.text == "Hi Zoë, size 42 is back"
    assert with_defaults.text == "Hi there, size ? is back"
    # "ë" is not GSM: the contact's own name decides the encoding.
    assert for_contact.estimate.encoding == segments.UCS2
    assert with_defaults.estimate.encoding == segments.GSM7


# Creating and updating -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_message_gets_the_default_subscription_type_and_a_campaign_by_name(tenant):
    message = create(tenant, body=f"Hi {TOKEN}", campaign_name="Spring 2027")
    again = create(tenant, name="Second", campaign_name="spring 2027")
    assert message.status == SmsMessage.Status.DRAFT
    assert message.subscription_type.is_default
    assert message.owner == tenant.bob
    assert message.append_opt_out is True
    assert again.campaign == message.campaign
    assert Campaign.objects.filter(account=tenant.account).count() == 1


@pytest.mark.django_db
def test_the_body_is_limited_to_1600_characters_opt_out_line_included(tenant):
    room = BODY_MAX_LENGTH - len("\n" + tokens.OPT_OUT_LINE)
    create(tenant, body="a" * room)
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, body="a" * (room + 1))
    assert errors_of(excinfo)["body"] == [
        "A message is limited to 1,600 characters; this one has 1,601 with the opt-out line."
    ]
    # Emoji count as one character each, as Twilio counts them.
    create(tenant, body="😀" * room)


@pytest.mark.django_db
def test_the_opt_out_line_goes_off_only_when_the_body_has_opt_out_wording(tenant):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, body="Spring sale!", append_opt_out=False)
    assert "append_opt_out" in errors_of(excinfo)
    message = create(tenant, body="Spring sale! Text STOP to unsubscribe.", append_opt_out=False)
    assert message.append_opt_out is False
    # A draft keeps what it is given (the API's update, like the composer) and says why it
    # can't be sent as it is.
    saved = compose.message_draft_update(
        account=tenant.account, message=message, body="Spring sale!"
    )
    assert saved.message.body == "Spring sale!"
    assert "append_opt_out" in saved.problems


@pytest.mark.django_db
def test_the_opt_out_line_goes_off_with_the_accounts_own_keyword_or_curly_quotes(tenant):

    with pytest.raises(ValidationError) as excinfo:
        create(tenant, body="Spring sale! Visit example.com to opt out", append_opt_out=False)
    assert "append_opt_out" in errors_of(excinfo)
    create(tenant, body="Spring sale! Reply “STOP” to opt out", append_opt_out=False)
    with pytest.raises(ValidationError):
        create(tenant, body="Spring sale! Reply BASTA to opt out", append_opt_out=False)
    KeywordRuleFactory(account=tenant.account, kind="opt_out", word="BASTA")
    create(tenant, body="Spring sale! Reply BASTA to opt out", append_opt_out=False)


@pytest.mark.django_db
def test_tokens_must_parse_and_name_a_real_contact_property(tenant):
    ContactPropertyFactory(account=tenant.account, key="store", label="Store")
    create(tenant, body='See you at {{ contact.store | default: "our shop" }}')
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, body="Hi {{ contact.nickname }}")
    assert errors_of(excinfo)["body"] == ["There is no contact property “nickname”."]
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, body="Hi {{ first_name }}")
    assert "can't be read" in errors_of(excinfo)["body"][0]


@pytest.mark.django_db
def test_a_name_is_required(tenant):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, name="  ")
    assert errors_of(excinfo) == {"name": ["Give the message a name."]}


@pytest.mark.django_db
def test_only_drafts_that_are_not_archived_can_change(tenant):
    message = create(tenant)
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENDING)
    with pytest.raises(StateConflict, match="only drafts can be changed"):
        compose.message_draft_update(account=tenant.account, message=message, body="Changed")
    SmsMessage.objects.filter(pk=message.pk).update(
        status=SmsMessage.Status.DRAFT, archived_at=timezone.now()
    )
    with pytest.raises(StateConflict, match="restore it"):
        compose.message_draft_update(account=tenant.account, message=message, body="Changed")


@pytest.mark.django_db
def test_another_accounts_subscription_type_or_number_is_refused(tenant):
    from consent.selectors import subscription_type_default

    foreign_type = subscription_type_default(account=tenant.other_account)
    foreign_number = PhoneNumberFactory(
        account=tenant.other_account, e164="+14155550199", status="active"
    )
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, subscription_type=foreign_type, sender=foreign_number)
    assert set(errors_of(excinfo)) == {"subscription_type", "sender"}


# Message properties -----------------------------------------------------------------------------


@pytest.fixture
def message_properties(tenant):
    account = tenant.account
    return [
        compose.message_property_create(account=account, label="Cost center", required=True),
        compose.message_property_create(account=account, label="Budget", type="number"),
        compose.message_property_create(
            account=account, label="Region", type="choice", choices=["East", "West"]
        ),
    ]


@pytest.mark.django_db
def test_required_message_properties_are_needed_at_creation(tenant, message_properties):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant, properties={"budget": "12.5", "region": "North", "colour": "red"})
    assert errors_of(excinfo) == {
        "properties.cost_center": ["Cost center is required."],
        "properties.region": ["Region: choose one of East, West."],
        "properties.colour": ["There is no message property “colour”."],
    }
    message = create(tenant, properties={"cost_center": "MKT-1", "budget": "12.5"})
    assert message.properties == {"cost_center": "MKT-1", "budget": 12.5}


@pytest.mark.django_db
def test_properties_merge_on_update_and_a_required_one_cant_be_cleared(tenant, message_properties):
    message = create(tenant, properties={"cost_center": "MKT-1"})
    message = compose.message_draft_update(
        account=tenant.account, message=message, properties={"region": "West", "budget": "3"}
    ).message
    assert message.properties == {"cost_center": "MKT-1", "region": "West", "budget": 3}
    # What the account's properties refuse is a conflict (the API's 409), and changes nothing.
    with pytest.raises(FieldConflict) as excinfo:
        compose.message_draft_update(
            account=tenant.account, message=message, properties={"cost_center": ""}
        )
    assert errors_of(excinfo) == {"properties.cost_center": ["Cost center is required."]}
    with pytest.raises(FieldConflict):
        compose.message_draft_update(
            account=tenant.account, message=message, properties={"budget": "x"}
        )
    message.refresh_from_db()
    assert message.properties == {"cost_center": "MKT-1", "region": "West", "budget": 3}


@pytest.mark.django_db
def test_a_property_key_is_made_from_its_label_and_is_unique(tenant):
    prop = compose.message_property_create(account=tenant.account, label="Team name")
    assert (prop.key, prop.type) == ("team_name", MessageProperty.Type.TEXT)
    with pytest.raises(ValidationError) as excinfo:
        compose.message_property_create(account=tenant.account, label="Team name")
    assert "already exists" in errors_of(excinfo)["key"][0]
    with pytest.raises(ValidationError) as excinfo:
        compose.message_property_create(account=tenant.account, label="Tier", type="choice")
    assert "choices" in errors_of(excinfo)


# The messages list ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_filters_by_status_searches_by_name_and_sorts(tenant):
    account = tenant.account
    draft = create(tenant, name="Boots draft")
    sent = create(tenant, name="Tents sent")
    scheduled = create(tenant, name="Winter scheduled")
    sending = create(tenant, name="Paused boots")
    archived = create(tenant, name="Old boots")
    SmsMessage.objects.filter(pk=sent.pk).update(status=SmsMessage.Status.SENT)
    SmsMessage.objects.filter(pk=scheduled.pk).update(status=SmsMessage.Status.SCHEDULED)
    SmsMessage.objects.filter(pk=sending.pk).update(status=SmsMessage.Status.PAUSED)
    lifecycle.message_archive(account=account, message=archived, user=None)

    def names(**kwargs):
        return [m.name for m in selectors.messages_list(account=account, sort="name", **kwargs)]

    assert names() == ["Boots draft", "Paused boots", "Tents sent", "Winter scheduled"]
    assert names(tab="draft") == ["Boots draft"]
    assert names(tab="scheduled") == ["Winter scheduled"]
    assert names(tab="sending") == ["Paused boots"]
    assert names(tab="sent") == ["Tents sent"]
    assert names(tab="archived") == ["Old boots"]
    assert names(q="BOOTS") == ["Boots draft", "Paused boots"]
    assert [m.pk for m in selectors.messages_list(account=account, sort="created")][0] == draft.pk
    counts = selectors.message_counts_by_tab(account=account)
    assert counts == {
        "": 4,
        "archived": 1,
        "draft": 1,
        "scheduled": 1,
        "sending": 1,
        "sent": 1,
        "cancelled": 0,
    }


@pytest.mark.django_db
def test_a_cancelled_message_is_not_listed_as_sent(tenant):
    cancelled = create(tenant, name="Called off")
    sent = create(tenant, name="Went out")
    SmsMessage.objects.filter(pk=cancelled.pk).update(status=SmsMessage.Status.CANCELLED)
    SmsMessage.objects.filter(pk=sent.pk).update(status=SmsMessage.Status.SENT)

    def names(tab):
        return [m.name for m in selectors.messages_list(account=tenant.account, tab=tab)]

    assert names("sent") == ["Went out"]
    assert names("cancelled") == ["Called off"]
    counts = selectors.message_counts_by_tab(account=tenant.account)
    assert (counts["sent"], counts["cancelled"]) == (1, 1)


@pytest.mark.django_db
def test_the_list_sorts_by_scheduled_and_sent_time_with_the_unset_last(tenant):
    june = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    times = {
        "Soon": {"schedule_kind": "at", "scheduled_at": june + dt.timedelta(days=1)},
        "Later": {"schedule_kind": "at", "scheduled_at": june + dt.timedelta(days=5)},
        # In each contact's time zone: the wall-clock time it goes out at.
        "Local": {"schedule_kind": "contact_tz", "local_send_at": june + dt.timedelta(days=3)},
        "Sent early": {"status": "sent", "started_at": june - dt.timedelta(days=9)},
        "Sent late": {"status": "sent", "started_at": june - dt.timedelta(days=2)},
        "Draft": {},
    }
    for name, fields in times.items():
        message = create(tenant, name=name)
        SmsMessage.objects.filter(pk=message.pk).update(**fields)

    def names(sort):
        return [m.name for m in selectors.messages_list(account=tenant.account, sort=sort)]

    assert names("scheduled")[:3] == ["Soon", "Local", "Later"]
    assert names("-scheduled")[:3] == ["Later", "Local", "Soon"]
    assert names("-sent")[:2] == ["Sent late", "Sent early"]
    assert names("sent")[:2] == ["Sent early", "Sent late"]


@pytest.mark.django_db
def test_the_list_never_shows_another_accounts_messages(tenant):
    compose.message_create(account=tenant.other_account, owner=tenant.charlie, name="Cafe promo")
    assert list(selectors.messages_list(account=tenant.account)) == []


@pytest.mark.django_db
def test_sending_messages_cant_be_archived_and_sent_ones_cant_be_deleted(tenant):
    message = create(tenant)
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENDING)
    with pytest.raises(ValidationError, match="can't be archived"):
        lifecycle.message_archive(account=tenant.account, message=message, user=None)
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENT)
    with pytest.raises(ValidationError, match="Only a draft"):
        lifecycle.draft_delete(account=tenant.account, message=message, user=None)
    archived = lifecycle.message_archive(account=tenant.account, message=message, user=None)
    assert archived.archived_at is not None
    assert (
        lifecycle.message_unarchive(account=tenant.account, message=message, user=None).archived_at
        is None
    )
    draft = create(tenant, name="Scrap")
    lifecycle.draft_delete(account=tenant.account, message=draft, user=None)
    assert not SmsMessage.objects.filter(pk=draft.pk).exists()


# Sending rules -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_quiet_hours_stay_inside_the_legal_window_and_the_cap_is_bounded(tenant):
    def update(start, end, cap):
        return compose.sending_rules_update(
            account=tenant.account, quiet_hours_start=start, quiet_hours_end=end, frequency_cap=cap
        )

    with pytest.raises(ValidationError) as excinfo:
        update(dt.time(7, 30), dt.time(21, 30), 0)
    assert errors_of(excinfo) == {
        "quiet_hours_start": [
            "Marketing texts may go out from 08:00 at the earliest (the legal window is "
            "08:00-21:00 recipient time)."
        ],
        "quiet_hours_end": [
            "Marketing texts must stop by 21:00 (the legal window is 08:00-21:00 recipient time)."
        ],
        "frequency_cap": ["Between 1 and 10 texts per contact in 24 hours."],
    }
    with pytest.raises(ValidationError) as excinfo:
        update(dt.time(12, 0), dt.time(9, 0), 3)
    assert errors_of(excinfo) == {"quiet_hours_end": ["The end must be after the start."]}
    update(dt.time(9, 0), dt.time(21, 0), 2)
    rules = sending_settings(tenant.account)
    assert (rules.quiet_hours_start, rules.quiet_hours_end, rules.frequency_cap) == (
        dt.time(9, 0),
        dt.time(21, 0),
        2,
    )
