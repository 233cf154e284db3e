"""Where an import's columns go: the targets a column can be mapped to, a first guess at the
mapping, and the check of the mapping a user chose."""

from __future__ import annotations

from accounts.models import Account
from contacts.models import ContactProperty
from contacts.selectors import contact_import_last_mapping, header_key

CORE_TARGETS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "mobile_phone": "Mobile phone",
    "time_zone": "Time zone",
    "company_name": "Company name",
    "marketing_contact": "Marketing contact",
}
HEADER_GUESSES = {
    "firstname": "first_name",
    "first": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "phone": "phone",
    "phonenumber": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "mobile_phone",
    "mobilephone": "mobile_phone",
    "mobilephonenumber": "mobile_phone",
    "mobilenumber": "mobile_phone",
    "cell": "mobile_phone",
    "cellphone": "mobile_phone",
    "timezone": "time_zone",
    "company": "company_name",
    "companyname": "company_name",
    "organization": "company_name",
    "marketingcontact": "marketing_contact",
}
# Addresses this plain shape are valid for Django too; anything else gets Django's full check.
# (Django's validator costs ~15 us a call through its lazy regexes: a second per 100,000 rows.)


def import_targets(account: Account) -> list[tuple[str, str]]:
    """What a column can be mapped to: contact fields, then the account's properties."""
    targets = list(CORE_TARGETS.items())
    for prop in ContactProperty.objects.filter(account=account).order_by("label"):
        targets.append((f"property:{prop.key}", prop.label))
    return targets


def mapping_suggest(account: Account, headers: list[str]) -> dict[str, str]:
    """A first mapping: the account's last mapping for the same header, else a guess."""
    remembered = contact_import_last_mapping(account=account)
    valid = {value for value, _ in import_targets(account)}
    properties = {}
    for prop in ContactProperty.objects.filter(account=account):
        properties[header_key(prop.key)] = f"property:{prop.key}"
        properties[header_key(prop.label)] = f"property:{prop.key}"
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = header_key(header)
        target = remembered.get(key) or HEADER_GUESSES.get(key) or properties.get(key) or ""
        if target not in valid or target in used:
            target = ""
        if target:
            used.add(target)
        mapping[header] = target
    return mapping


def mapping_clean(
    account: Account, headers: list[str], mapping: dict[str, str] | None
) -> tuple[dict[str, str], set[str], list[str]]:
    """The chosen mapping checked against the file's headers: (header -> target, the targets
    used, what is wrong with it)."""
    errors: list[str] = []
    valid_targets = {value: label for value, label in import_targets(account)}
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for header in headers:
        target = (mapping or {}).get(header, "") or ""
        if target and target not in valid_targets:
            errors.append(f"“{header}”: unknown property “{target}”.")
            continue
        if target and target in used:
            errors.append(
                f"“{used[target]}” and “{header}” are both mapped to {valid_targets[target]}; "
                "map each property once."
            )
            continue
        if target:
            used[target] = header
        cleaned[header] = target
    unknown_headers = set(mapping or {}) - set(headers)
    if unknown_headers:
        errors.append(f"The file has no column named {', '.join(sorted(unknown_headers))}.")
    if not {"email", "phone", "mobile_phone"} & set(used):
        errors.append(
            "Map at least one column to Phone, Mobile phone or Email: contacts are matched and "
            "reached by them."
        )
    return cleaned, set(used), errors
