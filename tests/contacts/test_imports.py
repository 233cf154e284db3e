"""CSV import: file checks, mapping, the worker run, duplicates, consent, lists and the report."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import bulk, exports
from accounts.jobs import JobStatus
from consent import selectors as consent_selectors
from consent.models import ConsentLedgerEntry, ConsentStatus
from contacts import csvfiles, services
from contacts.models import Contact, ContactImport, ContactListMembership
from contacts.services import import_rows
from contacts.services import imports as import_services


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def upload(content: str | bytes, name: str = "contacts.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def create(tenant, content, **kw) -> ContactImport:
    return services.contact_import_create(
        account=tenant.account, created_by=tenant.bob, uploaded_file=upload(content, **kw)
    )


def run(tenant, contact_import, capture, **options) -> ContactImport:
    with capture(execute=True):
        services.contact_import_start(
            account=tenant.account,
            contact_import=contact_import,
            mapping=options.pop("mapping", contact_import.mapping),
            started_by=tenant.bob,
            **options,
        )
    contact_import.refresh_from_db()
    return contact_import


def report_rows(contact_import) -> list[list[str]]:
    with contact_import.report.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))


GOOD_AND_BAD = (
    "First name,Last name,Email,Phone,Tier\n"
    "Ada,Lovelace,ada@example.com,(212) 555-0101,Gold\n"
    '=HYPERLINK("http://evil.example"),X,evil@example.com,212 555 0102,Gold\n'
    "Bob,,not-an-email,212 555 0103,\n"
    "Cy,,,,\n"
    "Di,,di@example.com,+1 340 712 3456,Platinum\n"
    "Ed,,ed@example.com,212 555 0105,Silver,extra\n"
    "Flo,,flo@example.com,(212) 555-0101,\n"
    "Gus,,gus@example.com,hello,\n"
    "\n"
    "Hal,,hal@example.com,+1 (212) 555-0108,silver\n"
)


@pytest.fixture
def tier(tenant):
    return services.contact_property_create(
        account=tenant.account, label="Tier", type="choice", choices=["Gold", "Silver"]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        ("Name,Email\nJosé,j@x.com\n".encode("latin-1"), "isn't UTF-8 text: line 2"),
        ("Name,Email\n".encode("utf-16"), "UTF-16"),
        (b"PK\x03\x04rest-of-a-zip", "Excel or other zipped file"),
        (b"\x00\x01\x02binary", "binary data"),
        ("ada@example.com,212 555 0101\nbo@example.com,212 555 0102\n", "looks like a contact"),
        ("Email,email\na@x.com,b@x.com\n", "both named “email”"),
        (",,\na,b,c\n", "The first row is empty"),
        ("Email,Phone\n", "no contacts below it"),
        # A NUL far down the file (a binary file shows one in its first bytes).
        ("Email,Name\n" + "a@x.com,Ann\n" * 7000 + "b@x.com,B\x00b\n", "Line 7002 contains a NUL"),
        ("=cmd|' /C calc'!A0,Email\nx,a@x.com\n", "would run as a formula"),
    ],
)
def test_bad_files_get_clear_errors_and_nothing_is_kept(tenant, content, message):
    with pytest.raises(ValidationError) as exc:
        create(tenant, content)
    assert message in " ".join(exc.value.messages)
    assert not ContactImport.objects.exists()


def test_too_large_is_refused_before_reading(tenant, monkeypatch):
    monkeypatch.setattr(csvfiles, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError, match="the limit is"):
        create(tenant, "Email\n" + "a@x.com\n" * 50)


def test_utf8_bom_and_semicolons_are_understood(tenant):
    contact_import = create(tenant, "\ufeffE-mail;Mobile\nana@x.com;212 555 0101\n")
    assert contact_import.headers == ["E-mail", "Mobile"]
    assert contact_import.delimiter == ";"
    assert contact_import.mapping == {"E-mail": "email", "Mobile": "mobile_phone"}


def test_the_last_mapping_is_remembered(tenant, tier, django_capture_on_commit_callbacks):
    first = create(tenant, "Fav level,Contact email\nGold,a@x.com\n")
    assert first.mapping == {"Fav level": "", "Contact email": ""}
    run(
        tenant,
        first,
        django_capture_on_commit_callbacks,
        mapping={"Fav level": "property:tier", "Contact email": "email"},
    )
    second = create(tenant, "Contact Email,FAV LEVEL,Other\nb@x.com,Silver,x\n")
    assert second.mapping == {
        "Contact Email": "email",
        "FAV LEVEL": "property:tier",
        "Other": "",
    }


def test_mapping_errors_are_specific(tenant):
    contact_import = create(tenant, "Name,Email,Phone\na,a@x.com,2125550101\n")
    with pytest.raises(ValidationError) as exc:
        services.contact_import_start(
            account=tenant.account,
            contact_import=contact_import,
            mapping={"Name": "first_name", "Email": "first_name", "Phone": ""},
        )
    text = " ".join(exc.value.messages)
    assert "both mapped to First name" in text
    assert "Map at least one column to Phone, Mobile phone or Email" in text
    with pytest.raises(ValidationError) as exc:
        services.contact_import_start(
            account=tenant.account,
            contact_import=contact_import,
            mapping={"Name": "first_name", "Email": "email", "Phone": "phone"},
            consent_subscription_type_id=consent_selectors.subscription_type_default(
                account=tenant.account
            ).public_id,
        )
    errors = exc.value.message_dict
    assert "express written consent" in errors["consent_confirmed"][0]
    assert "where and how" in errors["consent_source"][0]
    contact_import.refresh_from_db()
    assert contact_import.status == JobStatus.UPLOADED


def test_good_rows_are_kept_and_bad_rows_reported(tenant, tier, django_capture_on_commit_callbacks):
    contact_import = create(tenant, GOOD_AND_BAD)
    assert contact_import.mapping["Tier"] == "property:tier"
    contact_import = run(tenant, contact_import, django_capture_on_commit_callbacks)
    assert contact_import.status == JobStatus.DONE
    assert contact_import.total == 9
    assert contact_import.processed == 9
    names = set(Contact.objects.filter(account=tenant.account).values_list("first_name", flat=True))
    assert names == {"Ada", "Gus", "Hal"}
    assert contact_import.created_count == 3 and contact_import.rejected_count == 6
    hal = Contact.objects.get(first_name="Hal")
    assert hal.phone_e164 == "+12125550108" and hal.properties == {"tier": "Silver"}
    gus = Contact.objects.get(first_name="Gus")
    assert gus.phone_sms_invalid_reason == "unparseable"  # kept; the page says why
    assert gus.owner == tenant.bob
    rows = report_rows(contact_import)
    assert rows[0][:4] == ["Line", "Outcome", "Reason", "First name"]
    reasons = {row[3]: row[2] for row in rows[1:]}
    assert "would run as a formula" in reasons['\'=HYPERLINK("http://evil.example")']
    assert "is not an email address" in reasons["Bob"]
    assert "needs one of them" in reasons["Cy"]
    assert "must be one of: Gold, Silver" in reasons["Di"]
    assert "unquoted comma" in reasons["Ed"]
    assert "Same phone or email as line 2" in reasons["Flo"]
    assert rows[1][0] == "3"  # file line numbers, header = line 1


def test_the_page_flow_with_progress_and_report(
    tenant, bob_client, tier, django_capture_on_commit_callbacks
):
    response = bob_client.post(reverse("contacts:imports"), {"file": upload(GOOD_AND_BAD)})
    contact_import = ContactImport.objects.get()
    assert response.url == reverse("contacts:import_map", args=[contact_import.public_id])
    page = bob_client.get(response.url)
    assert b"Lovelace" in page.content  # the preview
    data = {
        f"map_{i}": target
        for i, target in enumerate(["first_name", "last_name", "email", "phone", "property:tier"])
    }
    data.update(duplicate_policy="skip", new_list_name="Spring fair")
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(page.request["PATH_INFO"], data)
    progress = bob_client.get(reverse("contacts:import_progress", args=[contact_import.public_id]))
    html = progress.content.decode()
    assert "Import finished" in html and "hx-trigger" not in html
    assert 'id="rejected-count">6<' in html
    report = bob_client.get(reverse("contacts:import_report", args=[contact_import.public_id]))
    assert report["Content-Disposition"].startswith("attachment")
    spring = contact_import.__class__.objects.get().add_to_list
    assert spring.name == "Spring fair"
    assert ContactListMembership.objects.filter(contact_list=spring).count() == 3


def test_progress_is_committed_while_reading(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    original = import_services.job_heartbeat

    def spy(contact_import, **fields):
        seen.append(fields)
        original(contact_import, **fields)

    monkeypatch.setattr(import_services, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(import_services, "job_heartbeat", spy)
    rows = "".join(f"p{i}@x.com\n" for i in range(7))
    contact_import = run(
        tenant, create(tenant, "Email\n" + rows), django_capture_on_commit_callbacks
    )
    assert {"total": 7} in seen
    assert [f["processed"] for f in seen if "processed" in f] == [2, 4, 6, 7]
    assert contact_import.created_count == 7


def test_running_twice_imports_once(tenant, django_capture_on_commit_callbacks):
    contact_import = run(
        tenant, create(tenant, "Email\na@x.com\n"), django_capture_on_commit_callbacks
    )
    services.contact_import_run(account=tenant.account, contact_import=contact_import)
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("policy", "created", "updated", "skipped"),
    [("skip", 1, 0, 2), ("update", 1, 2, 0), ("create", 3, 0, 0)],
)
def test_duplicate_policies(
    tenant, policy, created, updated, skipped, django_capture_on_commit_callbacks
):
    by_phone = services.contact_create(
        account=tenant.account, first_name="Old", phone="2125550101", company_name="Keep Co"
    )
    by_email = services.contact_create(account=tenant.account, email="b@x.com")
    content = (
        "First name,Email,Mobile phone,Company\n"
        "New,,+1 212 555 0101,\n"  # matches by_phone's phone through the mobile column
        "Bea,B@X.com,,Acme\n"
        "Cat,c@x.com,,\n"
    )
    contact_import = run(
        tenant, create(tenant, content), django_capture_on_commit_callbacks, duplicate_policy=policy
    )
    assert (
        contact_import.created_count,
        contact_import.updated_count,
        contact_import.skipped_count,
    ) == (
        created,
        updated,
        skipped,
    )
    by_phone.refresh_from_db()
    by_email.refresh_from_db()
    if policy == "update":
        assert by_phone.first_name == "New" and by_phone.company_name == "Keep Co"
        assert by_phone.mobile_phone_e164 == "+12125550101"
        assert (by_email.first_name, by_email.company_name) == ("Bea", "Acme")
    else:
        assert by_phone.first_name == "Old" and by_email.first_name == ""
    if policy == "skip":
        reasons = [row[2] for row in report_rows(contact_import)[1:]]
        assert all("left unchanged" in r for r in reasons)
        assert by_phone.public_id in reasons[0]


def test_attested_consent_is_recorded_for_sms_phones(tenant, django_capture_on_commit_callbacks):
    marketing = consent_selectors.subscription_type_default(account=tenant.account)
    content = "Email,Phone\na@x.com,212 555 0101\nb@x.com,+44 7911 123456\nc@x.com,\n"
    contact_import = run(
        tenant,
        create(tenant, content),
        django_capture_on_commit_callbacks,
        consent_subscription_type_id=marketing.public_id,
        consent_confirmed=True,
        consent_source="Web store checkout box, 2025",
    )
    assert contact_import.subscribed_count == 1
    status = ConsentStatus.objects.get()
    assert (status.phone_e164, status.status, status.source) == (
        "+12125550101",
        "subscribed",
        "import",
    )
    entry = ConsentLedgerEntry.objects.get()
    assert entry.source == "import" and entry.evidence == "Web store checkout box, 2025"
    assert entry.actor == tenant.bob and entry.data["import"] == contact_import.public_id
    assert contact_import.rejection_reasons["_no_sms_phone"] == {"not_plus_one": 1, "missing": 1}


def test_file_errors_found_by_the_worker_fail_the_import_cleanly(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(import_services, "MAX_ROWS", 2)
    contact_import = run(
        tenant,
        create(tenant, "Email\na@x.com\nb@x.com\nc@x.com\n"),
        django_capture_on_commit_callbacks,
    )
    assert contact_import.status == JobStatus.FAILED
    assert "the limit is 2" in contact_import.error
    assert not Contact.objects.exists()


def test_sweeper_requeues_stranded_imports(tenant, django_capture_on_commit_callbacks):
    contact_import = create(tenant, "Email\na@x.com\n")
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=JobStatus.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.contact_imports_sweep() == 1
    contact_import.refresh_from_db()
    assert contact_import.status == JobStatus.DONE
    assert Contact.objects.count() == 1


def test_postgresql_imports_through_copy(tenant, monkeypatch, django_capture_on_commit_callbacks):
    copied = []
    original = bulk._copy

    def spy(model, columns, rows):
        rows = list(rows)
        copied.append((model._meta.db_table, len(rows)))
        original(model, columns, rows)

    monkeypatch.setattr(bulk, "_copy", spy)
    marketing = consent_selectors.subscription_type_default(account=tenant.account)
    content = "Email,Phone\n" + "".join(f"p{i}@x.com,212 555 {i:04d}\n" for i in range(200, 230))
    contact_import = run(
        tenant,
        create(tenant, content),
        django_capture_on_commit_callbacks,
        consent_subscription_type_id=marketing.public_id,
        consent_confirmed=True,
        consent_source="Shop",
        new_list_name="Copied",
    )
    assert contact_import.created_count == 30 and contact_import.subscribed_count == 30
    tables = dict(copied)
    assert tables["contacts_contact"] == 30
    assert tables["contacts_contactlistmembership"] == 30
    assert tables["consent_consentstatus"] == 30
    assert tables["consent_consentledgerentry"] == 30
    assert "contacts_engagement" not in tables  # the timeline reads consent from the ledger
    # The rows written by COPY are ordinary rows: the ORM reads them back.
    contact = Contact.objects.get(email="p200@x.com")
    assert contact.phone_e164 == "+12125550200" and contact.properties == {}
    assert consent_selectors.consent_is_subscribed(
        account=tenant.account,
        contact_id=contact.pk,
        phone_e164="+12125550200",
        subscription_type=marketing,
    )


@pytest.mark.parametrize(
    "email",
    [
        "a@b.co",
        "first.last+tag@mail.example.com",
        "o'neil@example.ie",
        "x@bücher.de",
        "a@[127.0.0.1]",
        "not-an-email",
        "a@b",
        "a..b@example.com",
        "a@-b.com",
        "@example.com",
        "a b@example.com",
    ],
)
def test_the_fast_email_check_agrees_with_django(email):
    from django.core.validators import validate_email

    try:
        validate_email(email)
        django_says = True
    except ValidationError:
        django_says = False
    assert import_rows.email_is_valid(email) is django_says


def test_formulas_in_phone_columns_are_refused(tenant, django_capture_on_commit_callbacks):
    contact_import = create(
        tenant,
        "First name,Phone,Mobile phone\n"
        'Eve,"=HYPERLINK(""http://evil.example"",""call"")",\n'
        "Mal,212 555 0102,@SUM(1+1)\n"
        "Tab,\t=1+1,\n"
        "Ada,+1 (212) 555-0101,+12125550104\n",
    )
    contact_import = run(tenant, contact_import, django_capture_on_commit_callbacks)
    assert (contact_import.created_count, contact_import.rejected_count) == (1, 3)
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ada"]
    reasons = {row[3]: row[2] for row in report_rows(contact_import)[1:]}
    assert reasons["Eve"].startswith("Phone: “=HYPERLINK(")
    assert "starts with '=', which a spreadsheet would run as a formula" in reasons["Eve"]
    assert reasons["Mal"] == (
        "Mobile phone: “@SUM(1+1)” starts with '@', which a spreadsheet would run as a formula."
    )
    assert "would run as a formula" in reasons["Tab"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        # An E.164 number is the one thing starting with + that is written as it is.
        ("+12125550100", "+12125550100"),
        ("+447911123456", "+447911123456"),
        # Everything else starting with = + - @ tab or CR gets the apostrophe, arithmetic too:
        ("+1-2", "'+1-2"),  # Excel shows -1
        ("-12.5", "'-12.5"),
        ("+1 212 555 0100", "'+1 212 555 0100"),
        ("+1-212-555-0100", "'+1-212-555-0100"),
        ("+1", "'+1"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        # Text that doesn't start with a trigger, and numbers our own code writes, are left.
        ("Ada", "Ada"),
        ("212 555 0100", "212 555 0100"),
        ("a=1", "a=1"),
        (-3, "-3"),
        (-0.25, "-0.25"),
        (None, ""),
    ],
)
def test_exported_cells_are_neutralised(value, written):
    assert exports.cell_neutralise(value) == written
