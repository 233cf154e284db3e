"""Seed the demo login and accounts; safe to run any number of times."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, Membership, Role, User
from demo.constants import DEMO_ACCOUNT, DEMO_EMAIL, DEMO_PASSWORD, DEMO_SECOND_ACCOUNT
from demo.contacts import demo_contacts_seed, demo_opt_in_page_ensure
from demo.numbers import demo_number_ensure


class Command(BaseCommand):
    help = "Create (or refresh) the demo user and its two accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, first_name="Dana", last_name="Demo"
            )
        elif not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for name, role in ((DEMO_ACCOUNT, Role.SUPER_ADMIN), (DEMO_SECOND_ACCOUNT, Role.MARKETER)):
            account = Account.objects.filter(name=name, memberships__user=user).first()
            if account is None:
                account = Account.objects.create(name=name)
            Membership.objects.get_or_create(
                account=account,
                user=user,
                defaults={"role": role, "can_setup_sms": role == Role.SUPER_ADMIN},
            )
            if name == DEMO_ACCOUNT:
                # The demo can send before any SMS setup: an emulator number and consenting
                # contacts.
                demo_number_ensure(account)
                demo_contacts_seed(account=account, user=user)
                demo_opt_in_page_ensure(account=account)
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
