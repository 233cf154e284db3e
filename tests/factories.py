"""factory_boy factories for the rows tests write directly, one per model, by app.

They write the row as given (the model's `objects.create`), for tests that need a state the
services would not make, or want none of their side effects; a test that exercises a service
calls it instead. Defaults are plain and deterministic: a test names what it relies on.
"""

from __future__ import annotations

import factory

from accounts.models import Account, Membership, Role, User

# --- accounts ---


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


# --- contacts ---


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact row as given: phones are not parsed (contacts.services.contact_create does)."""

    class Meta:
        model = "contacts.Contact"

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Contact {n}")


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


class ContactImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.ContactImport"

    account = factory.SubFactory(AccountFactory)
    original_filename = "contacts.csv"


class PhoneReformatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.PhoneReformat"

    account = factory.SubFactory(AccountFactory)
    list_name = factory.Sequence(lambda n: f"List {n}")


# --- consent ---


class KeywordRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "consent.KeywordRule"

    account = factory.SubFactory(AccountFactory)
    kind = "custom"
    word = factory.Sequence(lambda n: f"WORD{n}")


class ConsentLedgerEntryFactory(factory.django.DjangoModelFactory):
    """An entry as the ledger keeps it; `subscription_type` must be given (the account's)."""

    class Meta:
        model = "consent.ConsentLedgerEntry"

    account = factory.SubFactory(AccountFactory)
    contact = None
    contact_public_id = factory.LazyAttribute(lambda e: e.contact.public_id if e.contact else "")
    phone_e164 = "+12125550100"
    previous_status = "not_specified"
    new_status = "subscribed"
    source = "manual"


class ConsentBulkChangeFactory(factory.django.DjangoModelFactory):
    """A bulk change; `subscription_type` must be given (the account's)."""

    class Meta:
        model = "consent.ConsentBulkChange"

    account = factory.SubFactory(AccountFactory)
    action = "opt_out"


# --- registration ---


class TwilioSubaccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "registration.TwilioSubaccount"

    account = factory.SubFactory(AccountFactory)
    sid = factory.Sequence(lambda n: f"AC{n:032d}")
    auth_token = factory.Sequence(lambda n: f"{n:032x}")


class UseCaseRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "registration.UseCaseRegistration"

    account = factory.SubFactory(AccountFactory)


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    """A number as owned, without buying it (registration.services.number_purchase does)."""

    class Meta:
        model = "registration.PhoneNumber"

    account = factory.SubFactory(AccountFactory)
    e164 = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")


# --- messaging ---


class SmsMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.SmsMessage"

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Message {n}")


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    """One text as fan-out or a one-to-one reply would store it; nothing is sent."""

    class Meta:
        model = "messaging.OutboundMessage"

    account = factory.SubFactory(AccountFactory)


class InboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.InboundMessage"

    account = factory.SubFactory(AccountFactory)
    message_sid = factory.Sequence(lambda n: f"SM{n:032d}")
    from_phone = "+12125550100"
    to_phone = "+14155550100"


class TestPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.TestPhone"

    __test__ = False  # not a pytest test class, despite its name

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    phone_e164 = factory.Sequence(lambda n: f"+1206555{n % 10000:04d}")


class MessagePropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.MessageProperty"

    account = factory.SubFactory(AccountFactory)
    key = factory.Sequence(lambda n: f"key_{n}")
    label = factory.Sequence(lambda n: f"Property {n}")


# --- workflows ---


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "workflows.Workflow"

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Workflow {n}")
    trigger_type = "record_created"


class WorkflowLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "workflows.WorkflowLog"

    account = factory.SubFactory(AccountFactory)
    workflow = factory.SubFactory(WorkflowFactory, account=factory.SelfAttribute("..account"))
    record_type = "contact"


class SendCountFactory(factory.django.DjangoModelFactory):
    """A sender's count of workflow texts for a day or month; `number` must be given."""

    class Meta:
        model = "workflows.SendCount"

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    period = "day"
