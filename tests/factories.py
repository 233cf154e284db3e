from __future__ import annotations

import factory

from accounts.models import Account, Membership, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.SelfAttribute("email")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "password-123")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MARKETER


# --- contacts and consent (issue #3) ---


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact written through the service, so phones are parsed as in the app."""

    class Meta:
        model = "contacts.Contact"

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1212555{n % 10000:04d}")

    @classmethod
    def _create(cls, model_class, *args, account, **kwargs):
        from contacts.services import contact_create

        return contact_create(account=account, **kwargs)


class ContactListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.ContactList"

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"List {n}")
    kind = "static"


class ContactPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.ContactProperty"

    account = factory.SubFactory(AccountFactory)
    key = factory.Sequence(lambda n: f"prop_{n}")
    label = factory.Sequence(lambda n: f"Property {n}")
    type = "text"
