"""Branded link domains: pending until the domain resolves to our link host."""

from __future__ import annotations

import pytest

from registration import services
from registration.models import PhoneNumber, RegistrationEvent
from registration.selectors import link_preview
from tests.factories import PhoneNumberFactory

pytestmark = pytest.mark.django_db

LINK_HOST_ADDRESSES = {"203.0.113.10"}


def resolver_for(table: dict[str, set[str]]):
    return lambda host: table.get(host, set())


@pytest.fixture
def number(tenant, settings):
    settings.PUBLIC_LINK_DOMAIN = "links.smsapp.example:8443"
    return PhoneNumberFactory(
        account=tenant.account, e164="+14155550100", status=PhoneNumber.Status.ACTIVE
    )


def test_a_domain_is_stored_pending_and_normalised(tenant, number):
    number = services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="HTTPS://Go.Acme.com/x"
    )
    assert (number.link_domain, number.link_domain_verified) == ("go.acme.com", False)
    assert link_preview(number) == "https://go.acme.com/Ab3xY9kQ2m"
    assert RegistrationEvent.objects.get().kind == "link_domain_set"


@pytest.mark.parametrize("domain", ["acme", "acme..com", "-acme.com", "a cme.com", "1.2.3.4"])
def test_only_domain_names_are_accepted(tenant, number, domain):
    with pytest.raises(services.RegistrationError, match="domain name"):
        services.link_domain_set(
            account=tenant.account, user=tenant.alice, number=number, domain=domain
        )
    number.refresh_from_db()
    assert number.link_domain == ""


def test_verification_compares_with_the_link_host(tenant, number):
    services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="go.acme.com"
    )
    table = {"links.smsapp.example": LINK_HOST_ADDRESSES, "go.acme.com": {"198.51.100.7"}}

    wrong = services.link_domain_verify(
        account=tenant.account, user=tenant.alice, number=number, resolver=resolver_for(table)
    )
    assert not wrong.link_domain_verified
    assert "points to 198.51.100.7, not to our link host links.smsapp.example" in (
        wrong.link_domain_error
    )

    table["go.acme.com"] = {"203.0.113.10", "2001:db8::1"}
    right = services.link_domain_verify(
        account=tenant.account, user=tenant.alice, number=number, resolver=resolver_for(table)
    )
    assert right.link_domain_verified and right.link_domain_error == ""
    assert right.link_domain_checked_at is not None
    kinds = list(RegistrationEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["link_domain_set", "link_domain_failed", "link_domain_verified"]


def test_a_domain_that_does_not_resolve(tenant, number):
    services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="nowhere.acme.com"
    )
    checked = services.link_domain_verify(
        account=tenant.account,
        user=tenant.alice,
        number=number,
        resolver=resolver_for({"links.smsapp.example": LINK_HOST_ADDRESSES}),
    )
    assert "does not resolve" in checked.link_domain_error


def test_changing_or_removing_the_domain_resets_verification(tenant, number):
    PhoneNumber.objects.filter(pk=number.pk).update(
        link_domain="go.acme.com", link_domain_verified=True
    )
    number.refresh_from_db()
    changed = services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="l.acme.com"
    )
    assert not changed.link_domain_verified
    removed = services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain=""
    )
    assert removed.link_domain == ""
    with pytest.raises(services.RegistrationError, match="Add a branded link domain first"):
        services.link_domain_verify(account=tenant.account, user=tenant.alice, number=number)


def test_the_default_resolver_reads_the_system_resolver():
    # A numeric host needs no DNS (the test machine has none to the outside).
    assert services.resolve_addresses("127.0.0.1") == {"127.0.0.1"}


def test_removing_the_domain_is_logged_as_removed(tenant, number):
    services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="go.acme.com"
    )
    services.link_domain_set(account=tenant.account, user=tenant.alice, number=number, domain="")
    removed = RegistrationEvent.objects.order_by("created_at", "pk").last()
    assert removed.kind == "link_domain_removed"
    assert removed.get_kind_display() == "Branded link domain removed"
    assert removed.detail.get("domain") == "go.acme.com"


def test_a_link_host_that_is_an_address_asks_for_an_a_record(tenant, number, settings):
    settings.PUBLIC_LINK_DOMAIN = "127.0.0.1:8000"
    services.link_domain_set(
        account=tenant.account, user=tenant.alice, number=number, domain="go.acme.com"
    )
    checked = services.link_domain_verify(
        account=tenant.account, user=tenant.alice, number=number, resolver=resolver_for({})
    )
    assert checked.link_domain_error.endswith("Add an A record pointing to 127.0.0.1.")
    assert "CNAME" not in checked.link_domain_error
