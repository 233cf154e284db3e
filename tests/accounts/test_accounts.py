from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.forms import AccountSettingsForm
from accounts.models import Invitation, Membership, Role, User
from accounts.services import account_create, invitation_accept
from tests.conftest import client_for


@pytest.mark.django_db
def test_switching_accounts_changes_what_the_pages_show(tenant, alice_client):
    second = account_create(name="Alice's Side Shop", owner=tenant.alice)
    assert b"Acme Outdoor</h1>" in alice_client.get(reverse("home")).content
    response = alice_client.post(reverse("account_switch", args=[second.public_id]), follow=True)
    assert b"Alice&#x27;s Side Shop</h1>" in response.content
    assert b"Switched to" in response.content
    # The choice sticks for later requests.
    assert b"Alice&#x27;s Side Shop</h1>" in alice_client.get(reverse("home")).content


@pytest.mark.django_db
def test_cannot_switch_into_an_account_you_do_not_belong_to(tenant, alice_client):
    response = alice_client.post(reverse("account_switch", args=[tenant.other_account.public_id]))
    assert response.status_code == 404
    assert b"Acme Outdoor</h1>" in alice_client.get(reverse("home")).content


@pytest.mark.django_db
def test_invite_a_new_teammate_who_sets_a_password_and_joins(tenant, alice_client):
    response = alice_client.post(
        reverse("team"),
        {"email": "Nina@Example.com", "role": Role.MARKETER, "can_setup_sms": "on"},
        follow=True,
    )
    assert b"Invitation sent to nina@example.com" in response.content
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[0].body).group(1)

    newcomer = Client()
    page = newcomer.get(link)
    assert b"Join Acme Outdoor" in page.content
    bad = newcomer.post(link, {"first_name": "Nina", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200
    assert not User.objects.filter(email="nina@example.com").exists()
    joined = newcomer.post(
        link,
        {
            "first_name": "Nina",
            "last_name": "Nguyen",
            "new_password1": "correct-horse-battery",
            "new_password2": "correct-horse-battery",
        },
        follow=True,
    )
    assert b"Acme Outdoor</h1>" in joined.content
    membership = Membership.objects.get(account=tenant.account, user__email="nina@example.com")
    assert membership.role == Role.MARKETER
    assert membership.can_setup_sms is True
    # The link works once.
    assert Client().get(link).status_code == 404


@pytest.mark.django_db
def test_an_existing_user_accepts_an_invitation_after_signing_in(tenant, alice_client):
    alice_client.post(reverse("team"), {"email": "charlie@example.com", "role": Role.VIEWER})
    link = re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[0].body).group(1)
    charlie = client_for(tenant.charlie)
    assert b"Join Acme Outdoor" in charlie.get(link).content
    charlie.post(link)
    membership = Membership.objects.get(account=tenant.account, user=tenant.charlie)
    assert membership.role == Role.VIEWER
    assert membership.may_setup_sms is False


@pytest.mark.django_db
def test_invitation_is_for_the_invited_address_only(tenant, alice_client):
    alice_client.post(reverse("team"), {"email": "charlie@example.com", "role": Role.VIEWER})
    link = re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[0].body).group(1)
    # bob is signed in but the invitation is charlie's.
    response = client_for(tenant.bob).post(link)
    assert response.status_code == 400
    assert b"This invitation is for charlie@example.com" in response.content
    assert Invitation.objects.get(email="charlie@example.com").accepted_at is None


@pytest.mark.django_db
def test_inviting_a_current_member_says_so(tenant, alice_client):
    response = alice_client.post(reverse("team"), {"email": "bob@example.com", "role": Role.VIEWER})
    assert b"bob@example.com is already a member of Acme Outdoor" in response.content
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["bob", "vera"])
def test_only_super_admins_invite_and_change_roles(tenant, user):
    client = client_for(getattr(tenant, user))
    response = client.post(reverse("team"), {"email": "x@example.com", "role": Role.SUPER_ADMIN})
    assert response.status_code == 403
    bob_membership = tenant.membership(tenant.bob)
    response = client.post(
        reverse("membership_edit", args=[bob_membership.public_id]), {"role": Role.SUPER_ADMIN}
    )
    assert response.status_code == 403
    bob_membership.refresh_from_db()
    assert bob_membership.role == Role.MARKETER
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_super_admin_grants_the_sms_setup_permission(tenant, alice_client):
    bob_membership = tenant.membership(tenant.bob)
    alice_client.post(
        reverse("membership_edit", args=[bob_membership.public_id]),
        {"role": Role.MARKETER, "can_setup_sms": "on"},
    )
    bob_membership.refresh_from_db()
    assert bob_membership.may_setup_sms is True


@pytest.mark.django_db
def test_the_last_super_admin_cannot_demote_themselves(tenant, alice_client):
    alice_membership = tenant.membership(tenant.alice)
    response = alice_client.post(
        reverse("membership_edit", args=[alice_membership.public_id]),
        {"role": Role.VIEWER},
        follow=True,
    )
    assert b"An account needs at least one super admin" in response.content
    alice_membership.refresh_from_db()
    assert alice_membership.role == Role.SUPER_ADMIN


@pytest.mark.django_db
def test_navigation_shows_only_sections_the_user_may_use(tenant, alice_client, vera_client):
    alice_page = alice_client.get(reverse("home")).content.decode()
    vera_page = vera_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("account_settings")}"' in alice_page
    assert f'href="{reverse("account_settings")}"' not in vera_page
    assert f'href="{reverse("team")}"' in vera_page


@pytest.mark.django_db
def test_public_ids_are_opaque(tenant):
    ids = [tenant.account.public_id, tenant.other_account.public_id, tenant.alice.public_id]
    for public_id in ids:
        assert re.fullmatch(r"[a-z]{3}_[a-z2-7]{20}", public_id)
    assert len(set(ids)) == len(ids)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["XX", "U", "", "usa"])
def test_the_default_region_must_be_one_phonenumbers_reads(tenant, alice_client, typed):
    url = reverse("account_settings")
    response = alice_client.post(
        url, {"name": "Acme Outdoor", "time_zone": "America/New_York", "default_region": typed}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["default_region"]
    tenant.account.refresh_from_db()
    assert tenant.account.default_region == "US"


@pytest.mark.django_db
def test_the_default_region_is_chosen_from_the_supported_regions(tenant, alice_client):
    import phonenumbers

    url = reverse("account_settings")
    page = alice_client.get(url).content.decode()
    assert '<option value="GB">United Kingdom (GB, +44)</option>' in page
    assert '<option value="US" selected>United States (US, +1)</option>' in page
    response = alice_client.post(
        url, {"name": "Acme Outdoor", "time_zone": "America/New_York", "default_region": "ca"}
    )
    assert response.status_code == 302
    tenant.account.refresh_from_db()
    assert tenant.account.default_region == "CA"
    choices = [value for value, _ in AccountSettingsForm().fields["default_region"].choices]
    assert set(choices) == phonenumbers.SUPPORTED_REGIONS


def invite(alice_client, email: str) -> str:
    alice_client.post(reverse("team"), {"email": email, "role": Role.MARKETER})
    return re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[-1].body).group(1)


def age_invitation(email: str, age: datetime.timedelta) -> None:
    Invitation.objects.filter(email=email).update(created_at=timezone.now() - age)


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["nina@example.com", "charlie@example.com"])
def test_an_invitation_expires_after_seven_days(tenant, alice_client, email):
    link = invite(alice_client, email)
    assert "The link works for 7 days." in mail.outbox[-1].body
    age_invitation(email, datetime.timedelta(days=7, minutes=1))
    visitor = client_for(tenant.charlie) if email.startswith("charlie") else Client()

    for response in (
        visitor.get(link),
        visitor.post(
            link,
            {
                "first_name": "Nina",
                "new_password1": "correct-horse-battery",
                "new_password2": "correct-horse-battery",
            },
        ),
    ):
        assert response.status_code == 410
        body = response.content.decode()
        assert "This invitation expired on" in body
        assert "invitations are valid for 7 days" in body
        assert f"Ask {escape(str(tenant.alice))} to send you a new one." in body

    assert not User.objects.filter(email="nina@example.com").exists()
    assert not Membership.objects.filter(account=tenant.account, user__email=email).exists()
    invitation = Invitation.objects.get(email=email)
    with pytest.raises(ValidationError, match="expired"):
        invitation_accept(invitation=invitation, user=tenant.charlie)


@pytest.mark.django_db
def test_an_invitation_works_until_its_seventh_day_ends_and_a_new_one_replaces_it(
    tenant, alice_client
):
    link = invite(alice_client, "charlie@example.com")
    age_invitation("charlie@example.com", datetime.timedelta(days=6, hours=23))
    assert b"Join Acme Outdoor" in client_for(tenant.charlie).get(link).content

    age_invitation("charlie@example.com", datetime.timedelta(days=8))
    fresh = invite(alice_client, "charlie@example.com")
    client_for(tenant.charlie).post(fresh)
    assert Membership.objects.filter(account=tenant.account, user=tenant.charlie).exists()
