"""Static and active contact lists."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.bulk import rows_insert
from accounts.errors import FieldConflict
from accounts.models import Account, User
from accounts.names import unique_name_clean
from contacts.models import Contact, ContactList, ContactListMembership, ListKind
from contacts.selectors import rules_validate
from contacts.signals import announce, contacts_added_to_list

BATCH = 5000


def _name_clean(account: Account, name: str, exclude: ContactList | None = None) -> str:
    others = ContactList.objects.filter(account=account).exclude(pk=getattr(exclude, "pk", None))
    return unique_name_clean(name, noun="list", max_length=200, others=others)


@transaction.atomic
def contact_list_create(
    *,
    account: Account,
    name: str,
    kind: str = ListKind.STATIC,
    rules: dict | None = None,
    created_by: User | None = None,
) -> ContactList:
    if kind not in ListKind.values:
        raise ValidationError({"kind": "A list is static or active."})
    name = _name_clean(account, name)
    cleaned_rules: dict = {}
    if kind == ListKind.ACTIVE:
        try:
            cleaned_rules = rules_validate(account, rules or {})
        except FieldConflict:
            raise
        except ValidationError as exc:
            raise ValidationError({"rules": exc.messages}) from None
    now = timezone.now()
    return ContactList.objects.create(
        account=account,
        name=name,
        kind=kind,
        rules=cleaned_rules,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def contact_list_update(
    *, account: Account, contact_list: ContactList, name: str, rules: dict | None = None
) -> ContactList:
    """Rename a list, and for an active list replace its rules. A list's kind doesn't change."""
    contact_list = ContactList.objects.select_for_update().get(pk=contact_list.pk, account=account)
    contact_list.name = _name_clean(account, name, exclude=contact_list)
    if contact_list.is_active and rules is not None:
        try:
            contact_list.rules = rules_validate(
                account, rules, list_public_id=contact_list.public_id
            )
        except FieldConflict:
            raise
        except ValidationError as exc:
            raise ValidationError({"rules": exc.messages}) from None
    contact_list.updated_at = timezone.now()
    contact_list.save(update_fields=["name", "rules", "updated_at"])
    return contact_list


@transaction.atomic
def contact_list_delete(*, account: Account, contact_list: ContactList) -> None:
    """Delete a list (its contacts stay). Active lists that refer to it then match nobody."""
    ContactList.objects.filter(pk=contact_list.pk, account=account).delete()


def _static(account: Account, contact_list: ContactList) -> None:
    if contact_list.account_id != account.pk:
        raise ValueError("The list belongs to another account.")
    if contact_list.kind != ListKind.STATIC:
        raise ValidationError("Contacts are added to an active list by its rules, not by hand.")


@transaction.atomic
def contact_list_add(
    *, account: Account, contact_list: ContactList, contact_ids: Iterable[int], new: bool = False
) -> int:
    """Add the account's contacts with these ids to a static list; returns how many were added.

    `new=True` promises the contacts were just created (an import), so nothing can conflict and
    the rows go in by COPY.
    """
    _static(account, contact_list)
    ids = list(dict.fromkeys(contact_ids))
    now = timezone.now()
    if new:
        rows = [(account.pk, contact_list.pk, cid, now) for cid in ids]
        rows_insert(
            ContactListMembership,
            ("account_id", "contact_list_id", "contact_id", "added_at"),
            rows,
            return_ids=False,
        )
        _announce_added(account, contact_list, ids)
        return len(rows)
    added = 0
    added_ids: list[int] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        own = Contact.objects.filter(account=account, pk__in=chunk).values_list("pk", flat=True)
        present = set(
            ContactListMembership.objects.filter(
                contact_list=contact_list, contact_id__in=chunk
            ).values_list("contact_id", flat=True)
        )
        objects = [
            ContactListMembership(
                account=account, contact_list=contact_list, contact_id=cid, added_at=now
            )
            for cid in own
            if cid not in present
        ]
        ContactListMembership.objects.bulk_create(objects, ignore_conflicts=True, batch_size=1000)
        added += len(objects)
        added_ids += [o.contact_id for o in objects]
    _announce_added(account, contact_list, added_ids)
    return added


def _announce_added(account: Account, contact_list: ContactList, contact_ids: list[int]) -> None:
    if contact_ids:
        announce(
            contacts_added_to_list,
            account_id=account.pk,
            list_id=contact_list.pk,
            contact_ids=contact_ids,
        )


@transaction.atomic
def contact_list_remove(
    *, account: Account, contact_list: ContactList, contact_ids: Iterable[int]
) -> int:
    _static(account, contact_list)
    ids = list(contact_ids)
    removed = 0
    for start in range(0, len(ids), BATCH):
        count, _ = ContactListMembership.objects.filter(
            account=account, contact_list=contact_list, contact_id__in=ids[start : start + BATCH]
        ).delete()
        removed += count
    return removed
