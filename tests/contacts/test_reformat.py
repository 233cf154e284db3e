"""Bulk phone reformat: preview, run with optional subscription, change log and revert."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.jobs import JobStatus
from consent import selectors as consent_selectors
from consent.models import ConsentLedgerEntry
from contacts import services
from contacts.models import Contact, PhoneReformat
from contacts.services.reformat import phone_reformat_proposals


@pytest.fixture
def messy(tenant):
    """A list whose phones arrived from a spreadsheet."""
    account = tenant.account
    contacts = {
        "float": services.contact_create(account=account, first_name="Fl", phone="2125550101.0"),
        "pretty": services.contact_create(
            account=account, first_name="Pr", phone="(212) 555-0102", mobile_phone="+12125550112"
        ),
        "sci": services.contact_create(account=account, first_name="Sc", phone="2.12555E+09"),
        "usvi": services.contact_create(account=account, first_name="Vi", phone="340-712-3456"),
        "clean": services.contact_create(account=account, first_name="Cl", phone="+12125550105"),
        "ext": services.contact_create(
            account=account, first_name="Ex", phone="212.555.0106 ext 4"
        ),
    }
    contact_list = services.contact_list_create(account=account, name="Spreadsheet")
    services.contact_list_add(
        account=account, contact_list=contact_list, contact_ids=[c.pk for c in contacts.values()]
    )
    return contact_list, contacts


def test_proposals_show_changes_and_what_cant_be_fixed(tenant, messy):
    contact_list, contacts = messy
    proposals = {
        (p.contact.first_name, p.field): p
        for p in phone_reformat_proposals(account=tenant.account, contact_list=contact_list)
    }
    assert set(proposals) == {
        ("Fl", "phone"),
        ("Pr", "phone"),
        ("Sc", "phone"),
        ("Vi", "phone"),
        ("Ex", "phone"),
    }
    assert proposals[("Fl", "phone")].new_raw == "+12125550101"
    assert proposals[("Fl", "phone")].becomes_eligible
    assert proposals[("Pr", "phone")].changes and not proposals[("Pr", "phone")].becomes_eligible
    assert not proposals[("Sc", "phone")].fixable
    assert "scientific notation" in proposals[("Sc", "phone")].problem
    assert "Virgin Islands" in proposals[("Vi", "phone")].problem
    assert proposals[("Ex", "phone")].new_raw == "+12125550106"


def test_preview_page_and_csv(tenant, bob_client, messy):
    contact_list, _ = messy
    page = bob_client.get(reverse("contacts:reformat_preview"), {"list": contact_list.public_id})
    assert page.context["counts"] == {"changes": 4, "unfixable": 2, "eligible": 1}
    download = bob_client.get(
        reverse("contacts:reformat_preview_csv"), {"list": contact_list.public_id}
    )
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Contact id", "Contact", "Field"]
    assert len(rows) == 6
    assert any(r[3] == "2.12555E+09" and r[5] == "no" for r in rows)


def test_subscribing_needs_the_attestation(tenant, messy):
    contact_list, _ = messy
    marketing = consent_selectors.subscription_type_default(account=tenant.account)
    with pytest.raises(ValidationError) as exc:
        services.phone_reformat_start(
            account=tenant.account,
            created_by=tenant.bob,
            contact_list=contact_list,
            subscribe_eligible=True,
            subscription_type_id=marketing.public_id,
        )
    assert set(exc.value.message_dict) == {"consent_confirmed", "consent_evidence"}
    assert not PhoneReformat.objects.exists()


def test_run_then_revert(tenant, bob_client, messy, django_capture_on_commit_callbacks):
    contact_list, contacts = messy
    marketing = consent_selectors.subscription_type_default(account=tenant.account)
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            reverse("contacts:reformat_preview") + f"?list={contact_list.public_id}",
            {
                "list": contact_list.public_id,
                "subscribe_eligible": "on",
                "subscription_type": marketing.public_id,
                "consent_confirmed": "on",
                "consent_evidence": "Loyalty sign-up forms",
            },
        )
    reformat = PhoneReformat.objects.get()
    assert response.url == reverse("contacts:reformat_detail", args=[reformat.public_id])
    assert (reformat.status, reformat.changed_count, reformat.unfixable_count) == ("done", 4, 2)
    assert reformat.subscribed_count == 1
    fl = Contact.objects.get(pk=contacts["float"].pk)
    assert (fl.phone_raw, fl.phone_e164, fl.phone_sms_invalid_reason) == (
        "+12125550101",
        "+12125550101",
        "",
    )
    entry = ConsentLedgerEntry.objects.get()
    assert (entry.contact_id, entry.source, entry.evidence) == (
        fl.pk,
        "bulk",
        "Loyalty sign-up forms",
    )
    # Someone edits a contact after the reformat: the revert keeps the edit.
    services.contact_update(
        account=tenant.account, contact=contacts["ext"], data={"phone": "+1 212 555 0199"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post(reverse("contacts:reformat_revert", args=[reformat.public_id]))
    reformat.refresh_from_db()
    assert reformat.status == JobStatus.REVERTED
    assert (reformat.reverted_count, reformat.revert_conflicts) == (3, 1)
    fl.refresh_from_db()
    assert (fl.phone_raw, fl.phone_sms_invalid_reason) == ("2125550101.0", "invalid")
    assert Contact.objects.get(pk=contacts["pretty"].pk).phone_raw == "(212) 555-0102"
    assert Contact.objects.get(pk=contacts["ext"].pk).phone_raw == "+1 212 555 0199"
    changes = bob_client.get(reverse("contacts:reformat_changes", args=[reformat.public_id]))
    rows = list(csv.reader(io.StringIO(b"".join(changes.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 5 and {r[-1] for r in rows[1:]} == {"yes", "no"}
    # The timeline shows both.
    kinds = bob_client.get(reverse("contacts:detail", args=[fl.public_id])).content.decode()
    assert "Phone reformatted" in kinds and "reformat reverted" in kinds
    # The consent recorded for +12125550101 stays that number's, but the contact no longer has
    # it: the panel doesn't show it as the contact's subscription.
    consent = kinds.split('id="consent-status"', 1)[1].split("</table>", 1)[0]
    row = consent.split("+12125550101", 1)[1].split("</tr>", 1)[0]
    assert "No longer this contact's number: not texted" in row
    assert "Subscribed (former number)" in row and "badge ok" not in row


def test_viewers_cannot_run_it(tenant, vera_client, messy):
    contact_list, _ = messy
    response = vera_client.post(
        reverse("contacts:reformat_preview") + f"?list={contact_list.public_id}",
        {"list": contact_list.public_id},
    )
    assert response.status_code == 403
    assert not PhoneReformat.objects.exists()
