"""Static and active lists, and the filter language they share with the index."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import selectors as consent_selectors
from consent import services as consent_services
from contacts import selectors, services


@pytest.fixture
def people(tenant):
    account = tenant.account
    services.contact_property_create(account=account, label="Visits", type="number")
    services.contact_property_create(account=account, label="Joined", type="date")
    services.contact_property_create(
        account=account, label="Tier", type="choice", choices=["Gold", "Silver"]
    )
    make = services.contact_create
    return {
        "ada": make(
            account=account,
            first_name="Ada",
            email="ada@x.com",
            phone="2125550101",
            properties={"visits": 12, "joined": "2024-01-05", "tier": "Gold"},
        ),
        "bo": make(
            account=account,
            first_name="Bo",
            email="bo@y.com",
            phone="+44 7911 123456",
            properties={"visits": 3, "joined": "2025-06-01"},
        ),
        "cy": make(
            account=account, first_name="Cy", email="cy@x.com", properties={"tier": "Silver"}
        ),
    }


def matching(tenant, *conditions, match="all") -> set[str]:
    contact_filter = selectors.ContactFilter(
        conditions=[selectors.condition_validate(tenant.account, c) for c in conditions],
        match=match,
    )
    return {
        c.first_name
        for c in selectors.contacts_filtered(account=tenant.account, contact_filter=contact_filter)
    }


def test_property_conditions(tenant, people):
    assert matching(tenant, {"field": "property:visits", "op": "gt", "value": "5"}) == {"Ada"}
    assert matching(tenant, {"field": "property:visits", "op": "lt", "value": "5"}) == {"Bo"}
    assert matching(tenant, {"field": "property:joined", "op": "lt", "value": "2025-01-01"}) == {
        "Ada"
    }
    assert matching(tenant, {"field": "property:tier", "op": "eq", "value": "gold"}) == {"Ada"}
    assert matching(tenant, {"field": "property:tier", "op": "neq", "value": "Gold"}) == {
        "Bo",
        "Cy",
    }
    assert matching(tenant, {"field": "property:tier", "op": "is_unknown"}) == {"Bo"}
    assert matching(tenant, {"field": "email", "op": "contains", "value": "@X."}) == {"Ada", "Cy"}
    assert matching(tenant, {"field": "phone", "op": "sms_invalid"}) == {"Bo"}
    assert matching(tenant, {"field": "phone", "op": "is_unknown"}) == {"Cy"}
    assert matching(
        tenant,
        {"field": "property:tier", "op": "eq", "value": "Silver"},
        {"field": "property:visits", "op": "gt", "value": "10"},
        match="any",
    ) == {"Ada", "Cy"}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "property:nope", "op": "eq", "value": "1"}, "no contact property"),
        ({"field": "property:visits", "op": "gt", "value": "many"}, "must be a number"),
        ({"field": "property:tier", "op": "contains", "value": "G"}, "doesn't apply"),
        ({"field": "first_name", "op": "eq", "value": ""}, "needs a value"),
        ({"field": "list:lst_missing", "op": "in"}, "doesn't exist"),
        ({"field": "shoe", "op": "eq", "value": "1"}, "Unknown field"),
    ],
)
def test_bad_conditions_are_explained(tenant, people, condition, message):
    with pytest.raises(ValidationError, match=message):
        selectors.condition_validate(tenant.account, condition)


def test_active_lists_stay_current(tenant, people):
    gold = services.contact_list_create(
        account=tenant.account,
        name="Gold",
        kind="active",
        rules={"conditions": [{"field": "property:tier", "op": "eq", "value": "Gold"}]},
    )
    assert set(selectors.contact_list_members(gold).values_list("first_name", flat=True)) == {"Ada"}
    services.contact_update(
        account=tenant.account, contact=people["cy"], data={"properties": {"tier": "Gold"}}
    )
    newcomer = services.contact_create(
        account=tenant.account, email="new@x.com", properties={"tier": "Gold"}
    )
    members = set(selectors.contact_list_members(gold).values_list("pk", flat=True))
    assert members == {people["ada"].pk, people["cy"].pk, newcomer.pk}


def test_lists_of_lists_and_subscription_status(tenant, people):
    account = tenant.account
    marketing = consent_selectors.subscription_type_default(account=account)
    consent_services.contact_opt_in(
        account=account,
        contact=people["ada"],
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    static = services.contact_list_create(account=account, name="Fair")
    services.contact_list_add(
        account=account, contact_list=static, contact_ids=[people["ada"].pk, people["bo"].pk]
    )
    sub = f"subscription:{marketing.public_id}"
    assert matching(tenant, {"field": sub, "op": "subscribed"}) == {"Ada"}
    assert matching(tenant, {"field": sub, "op": "not_specified"}) == {"Bo", "Cy"}
    fair_subscribed = services.contact_list_create(
        account=account,
        name="Fair and subscribed",
        kind="active",
        rules={
            "conditions": [
                {"field": f"list:{static.public_id}", "op": "in"},
                {"field": sub, "op": "subscribed"},
            ]
        },
    )
    assert [c.first_name for c in selectors.contact_list_members(fair_subscribed)] == ["Ada"]
    not_fair = services.contact_list_create(
        account=account,
        name="Not at the fair",
        kind="active",
        rules={"conditions": [{"field": f"list:{fair_subscribed.public_id}", "op": "not_in"}]},
    )
    assert {c.first_name for c in selectors.contact_list_members(not_fair)} == {"Bo", "Cy"}
    consent_services.contact_opt_out(
        account=account, contact=people["ada"], subscription_type=marketing, actor=tenant.bob
    )
    assert matching(tenant, {"field": sub, "op": "unsubscribed"}) == {"Ada"}
    assert not selectors.contact_list_members(fair_subscribed).exists()


def test_a_list_cannot_contain_itself(tenant, people):
    a = services.contact_list_create(
        account=tenant.account,
        name="A",
        kind="active",
        rules={"conditions": [{"field": "first_name", "op": "is_known"}]},
    )
    b = services.contact_list_create(
        account=tenant.account,
        name="B",
        kind="active",
        rules={"conditions": [{"field": f"list:{a.public_id}", "op": "in"}]},
    )
    with pytest.raises(ValidationError, match="can't refer to itself"):
        services.contact_list_update(
            account=tenant.account,
            contact_list=a,
            name="A",
            rules={"conditions": [{"field": f"list:{b.public_id}", "op": "in"}]},
        )


def test_static_lists_add_and_remove(tenant, people):
    static = services.contact_list_create(account=tenant.account, name="Static")
    ids = [people["ada"].pk, people["bo"].pk]
    assert (
        services.contact_list_add(account=tenant.account, contact_list=static, contact_ids=ids) == 2
    )
    assert (
        services.contact_list_add(account=tenant.account, contact_list=static, contact_ids=ids) == 0
    )
    foreign = services.contact_create(account=tenant.other_account, email="f@x.com")
    assert (
        services.contact_list_add(
            account=tenant.account, contact_list=static, contact_ids=[foreign.pk]
        )
        == 0
    )
    assert (
        services.contact_list_remove(account=tenant.account, contact_list=static, contact_ids=ids)
        == 2
    )
    active = services.contact_list_create(
        account=tenant.account,
        name="Act",
        kind="active",
        rules={"conditions": [{"field": "first_name", "op": "is_known"}]},
    )
    with pytest.raises(ValidationError, match="by its rules"):
        services.contact_list_add(account=tenant.account, contact_list=active, contact_ids=ids)


def test_list_names_are_unique_per_account(tenant):
    services.contact_list_create(account=tenant.account, name="VIP")
    with pytest.raises(ValidationError, match="already exists"):
        services.contact_list_create(account=tenant.account, name="vip")
    services.contact_list_create(account=tenant.other_account, name="VIP")
