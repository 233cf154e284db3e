"""Demo contacts for `make run`: about fifty people with consent, lists and a property.

Numbers are in the 555-01XX range, which North American numbering keeps for fiction.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account, User
from consent import selectors as consent_selectors
from consent import services as consent_services
from consent.models import OptInPage
from contacts import services
from contacts.models import Contact, ContactList, ContactProperty

DEMO_DOMAIN = "demo-contacts.test"
FIRST = [
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jordan",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Riley", "Sage", "Taylor",
    "Umi", "Val", "Wren", "Xen", "Yael",
]  # fmt: skip
LAST = ["Rivera", "Chen", "Okafor", "Novak", "Haddad"]
AREA_CODES = ["212", "312", "415", "617", "206"]
TIERS = ["Gold", "Silver", "Bronze"]


@transaction.atomic
def demo_contacts_seed(*, account: Account, user: User, count: int = 50) -> int:
    """Create the demo contacts once; returns how many were created (0 when already there)."""
    if Contact.objects.filter(account=account, email__endswith=f"@{DEMO_DOMAIN}").exists():
        return 0
    if not ContactProperty.objects.filter(account=account, key="loyalty_tier").exists():
        services.contact_property_create(
            account=account, label="Loyalty tier", key="loyalty_tier", type="choice", choices=TIERS
        )
    marketing = consent_selectors.subscription_type_default(account=account)
    fair = ContactList.objects.filter(account=account, name="Spring fair").first()
    if fair is None:
        fair = services.contact_list_create(account=account, name="Spring fair", created_by=user)
    if not ContactList.objects.filter(account=account, name="Gold members").exists():
        services.contact_list_create(
            account=account,
            name="Gold members",
            kind="active",
            rules={"conditions": [{"field": "property:loyalty_tier", "op": "eq", "value": "Gold"}]},
            created_by=user,
        )
    created = []
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
        phone = f"({AREA_CODES[i % len(AREA_CODES)]}) 555-01{i % 100:02d}"
        if i == 7:
            phone = "340-712-3456"  # US Virgin Islands: shows why a phone can't take SMS
        if i == 11:
            phone = "2125550111.0"  # a spreadsheet's float, for the reformat tool
        created.append(
            services.contact_create(
                account=account,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}{i}@{DEMO_DOMAIN}",
                mobile_phone=phone,
                time_zone=["America/New_York", "America/Chicago", "America/Los_Angeles"][i % 3],
                owner=user,
                properties={"loyalty_tier": TIERS[i % 3]},
            )
        )
    services.contact_list_add(
        account=account, contact_list=fair, contact_ids=[c.pk for c in created[::2]]
    )
    for contact in created[: int(count * 0.8)]:
        if contact.sms_phones:
            consent_services.contact_opt_in(
                account=account,
                contact=contact,
                subscription_type=marketing,
                actor=user,
                consent_confirmed=True,
                evidence="Demo data: signed up at the store counter",
            )
    # Two people replied STOP, one wrote a sentence that needs a human.
    for n, contact in enumerate(created[:3]):
        body = ["STOP", "stop.", "please stop texting me"][n]
        consent_services.inbound_keyword_apply(
            account=account,
            phone_e164=contact.mobile_phone_e164,
            body=body,
            received_by_number="+13125550000",
            message_sid=f"SMdemo{account.pk}x{n}",
        )
    return len(created)


def demo_opt_in_page_ensure(*, account: Account) -> None:
    """An open opt-in page for the default subscription type, so the demo has one to try
    (Settings > Subscription types > Opt-in page gives its link)."""
    marketing = consent_selectors.subscription_type_default(account=account)
    if marketing is not None and not OptInPage.objects.filter(subscription_type=marketing).exists():
        consent_services.opt_in_page_save(
            account=account,
            subscription_type=marketing,
            program_name=account.name,
            message_frequency="Up to 4 msgs/month",
        )
