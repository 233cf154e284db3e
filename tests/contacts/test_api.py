"""The contacts API: contacts, properties, lists and imports, with token auth."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import api_token_create
from contacts import services
from contacts.csvfiles import TYPED_NOT_FORMULA
from contacts.models import Contact, ContactImport, ContactList


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def api(tenant, user=None, account=None) -> Client:
    _, raw = api_token_create(
        account=account or tenant.account, user=user or tenant.bob, name="test"
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_create_read_update_delete_a_contact(tenant):
    client = api(tenant)
    response = client.post(
        "/api/v1/contacts/create",
        {
            "first_name": "Ada",
            "phone": "(212) 555-0123",
            "mobile_phone": "+1 340 712 3456",
            "owner": "alice@example.com",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"].startswith("con_")
    assert body["phone"] == {
        "raw": "(212) 555-0123",
        "e164": "+12125550123",
        "valid_for_sms": True,
        "sms_issue": None,
        "unreachable": False,
    }
    assert body["mobile_phone"]["valid_for_sms"] is False
    assert "Virgin Islands" in body["mobile_phone"]["sms_issue"]
    assert body["owner"] == "alice@example.com"
    contact_id = body["id"]
    assert client.get(f"/api/v1/contacts/{contact_id}").json()["first_name"] == "Ada"
    updated = client.patch(
        f"/api/v1/contacts/{contact_id}/update",
        {"email": "ADA@x.com"},
        content_type="application/json",
    )
    assert updated.json()["email"] == "ada@x.com"
    assert client.delete(f"/api/v1/contacts/{contact_id}/delete").status_code == 204
    assert not Contact.objects.exists()


def test_errors_name_the_fields(tenant):
    """A body the schema refuses is a 400; a member, property or phone the account doesn't
    have (or another contact has) is about the account, not the body: 404 or 409."""
    client = api(tenant)
    response = client.post(
        "/api/v1/contacts/create",
        {"email": "nope", "properties": {"ghost": 1}, "owner": "charlie@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "email address such as" in error["fields"]["email"][0]
    not_member = client.post(
        "/api/v1/contacts/create",
        {"email": "ada@x.com", "owner": "charlie@example.com"},
        content_type="application/json",
    )
    assert not_member.status_code == 404
    assert "charlie@example.com is not a member" in not_member.json()["error"]["fields"]["owner"][0]
    ghost = client.post(
        "/api/v1/contacts/create",
        {"email": "ada@x.com", "properties": {"ghost": 1}},
        content_type="application/json",
    )
    assert ghost.status_code == 409
    assert ghost.json()["error"]["code"] == "contact_properties"
    assert "no contact property" in ghost.json()["error"]["fields"]["properties.ghost"][0]
    assert not Contact.objects.exists()


def test_a_phone_or_email_another_contact_has_is_a_conflict(tenant):
    services.contact_create(account=tenant.account, email="ada@x.com")
    response = api(tenant).post(
        "/api/v1/contacts/create", {"email": "ADA@x.com"}, content_type="application/json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_contact"
    assert "already has this email" in error["fields"]["email"][0]


def test_text_a_spreadsheet_would_run_is_refused_as_the_schema_says(tenant):
    response = api(tenant).post(
        "/api/v1/contacts/create",
        {"first_name": "=HYPERLINK(1)", "phone": "+1 (212) 555-0101"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "formula" in response.json()["error"]["fields"]["first_name"][0]
    schema = Client().get("/api/schema/?format=json").json()
    first_name = schema["components"]["schemas"]["ContactCreateInput"]["properties"]["first_name"]
    assert first_name["pattern"] == TYPED_NOT_FORMULA.replace("\\Z", "$")


def test_list_filters_and_paginates(tenant):
    for i in range(5):
        services.contact_create(account=tenant.account, first_name=f"N{i}", email=f"n{i}@x.com")
    services.contact_create(account=tenant.account, first_name="Zed", email="zed@x.com")
    client = api(tenant)
    page = client.get("/api/v1/contacts", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    seen = [c["id"] for c in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [c["id"] for c in page["results"]]
    assert len(set(seen)) == 6
    found = client.get("/api/v1/contacts", {"q": "zed"}).json()["results"]
    assert [c["first_name"] for c in found] == ["Zed"]
    bad = client.get("/api/v1/contacts", {"field": "nope", "op": "eq", "value": "1"})
    assert bad.status_code == 400 and "Unknown field" in bad.json()["error"]["message"]


def test_viewers_read_and_outsiders_get_404(tenant):
    contact = services.contact_create(account=tenant.account, first_name="Ada")
    viewer = api(tenant, user=tenant.vera)
    assert viewer.get(f"/api/v1/contacts/{contact.public_id}").status_code == 200
    assert viewer.post("/api/v1/contacts/create", {"first_name": "X"}).status_code == 403
    outsider = api(tenant, user=tenant.charlie, account=tenant.other_account)
    for path in ("", "/update", "/delete", "/timeline"):
        assert outsider.get(f"/api/v1/contacts/{contact.public_id}{path}").status_code in (404, 405)
    assert outsider.delete(f"/api/v1/contacts/{contact.public_id}/delete").status_code == 404
    assert outsider.get("/api/v1/contacts").json()["results"] == []
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_properties_and_lists(tenant):
    client = api(tenant)
    prop = client.post(
        "/api/v1/contact-properties/create",
        {"label": "Tier", "type": "choice", "choices": ["Gold", "Silver"]},
        content_type="application/json",
    ).json()
    assert prop["key"] == "tier"
    ada = services.contact_create(
        account=tenant.account, first_name="Ada", properties={"tier": "Gold"}
    )
    static = client.post(
        "/api/v1/lists/create", {"name": "Fair"}, content_type="application/json"
    ).json()
    added = client.post(
        f"/api/v1/lists/{static['id']}/contacts/add",
        {"contacts": [ada.public_id]},
        content_type="application/json",
    )
    assert added.json() == {"added": 1}
    missing = client.post(
        f"/api/v1/lists/{static['id']}/contacts/add",
        {"contacts": ["con_nope"]},
        content_type="application/json",
    )
    assert (
        missing.status_code == 404
        and "con_nope" in missing.json()["error"]["fields"]["contacts"][0]
    )
    active = client.post(
        "/api/v1/lists/create",
        {
            "name": "Gold",
            "kind": "active",
            "rules": {"conditions": [{"field": "property:tier", "op": "eq", "value": "Gold"}]},
        },
        content_type="application/json",
    )
    assert active.status_code == 201 and active.json()["size"] == 1
    members = client.get(f"/api/v1/lists/{active.json()['id']}/contacts").json()["results"]
    assert [m["id"] for m in members] == [ada.public_id]
    bad = client.post(
        "/api/v1/lists/create",
        {"name": "Bad", "kind": "active", "rules": {"conditions": []}},
        content_type="application/json",
    )
    assert "at least one condition" in bad.json()["error"]["fields"]["rules"][0]
    assert ContactList.objects.count() == 2


def test_import_through_the_api(tenant, django_capture_on_commit_callbacks):
    client = api(tenant)
    csv_file = SimpleUploadedFile(
        "people.csv", b"Cell,Email\n212 555 0101,a@x.com\nbad,not-email\n", content_type="text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/create",
            {"file": csv_file, "mapping": json.dumps({"Cell": "mobile_phone", "Email": "email"})},
        )
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    body = client.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert body["status"] == "done"  # tests run the worker eagerly
    assert (body["created_count"], body["rejected_count"]) == (1, 1)
    assert body["report_url"] == f"/api/v1/imports/{body['id']}/report"
    # What only the file can tell fails the import, which says why (the upload was taken).
    unmapped = client.post(
        "/api/v1/imports/create",
        {
            "file": SimpleUploadedFile("x.csv", b"A,B\n1,2\n"),
            "mapping": json.dumps({"A": "first_name"}),
        },
    )
    assert unmapped.status_code == 202
    assert unmapped.json()["status"] == "failed"
    assert "Map at least one column" in unmapped.json()["error"]
    empty = client.post("/api/v1/imports/create", {"file": SimpleUploadedFile("e.csv", b"")})
    assert (empty.status_code, empty.json()["status"]) == (202, "failed")
    assert "empty" in empty.json()["error"]
    not_json = client.post(
        "/api/v1/imports/create",
        {"file": SimpleUploadedFile("p.csv", b"Email\na@x.com\n"), "mapping": "Email=email"},
    )
    assert not_json.status_code == 400
    assert "JSON object" in not_json.json()["error"]["fields"]["mapping"][0]
    assert ContactImport.objects.filter(status="failed").count() == 2


def test_timeline_merges_engagements_and_consent_and_pages(tenant):
    from consent import selectors as consent_selectors
    from consent import services as consent_services

    contact = services.contact_create(account=tenant.account, phone="2125550123")
    for i in range(3):
        services.engagement_record(
            account=tenant.account, contact=contact, kind="sms_sent", summary=f"Sent {i}"
        )
    consent_services.contact_opt_in(
        account=tenant.account,
        contact=contact,
        subscription_type=consent_selectors.subscription_type_default(account=tenant.account),
        actor=tenant.bob,
        consent_confirmed=True,
    )
    client = api(tenant)
    url = f"/api/v1/contacts/{contact.public_id}/timeline"
    page = client.get(url, {"page_size": 2}).json()
    seen = [item["summary"] for item in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [item["summary"] for item in page["results"]]
    assert seen[0].startswith("Subscribed to Marketing SMS")
    assert sorted(seen[1:]) == ["Sent 0", "Sent 1", "Sent 2"]
    only = client.get(url, {"kind": "consent_change"}).json()["results"]
    assert [item["kind"] for item in only] == ["consent_change"]
    assert client.get(url, {"cursor": "garbage"}).status_code == 400


def test_the_import_report_downloads_with_an_api_token(tenant, django_capture_on_commit_callbacks):
    client = api(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/imports/create",
            {
                "file": SimpleUploadedFile("people.csv", b"Email\na@x.com\nnot-email\n"),
                "mapping": json.dumps({"Email": "email"}),
            },
        ).json()
    report_url = client.get(f"/api/v1/imports/{created['id']}").json()["report_url"]

    for accept in ("*/*", "text/csv"):
        response = client.get(report_url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"].startswith("text/csv")
        assert f"import-report-{created['id']}.csv" in response["Content-Disposition"]
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert body.splitlines()[0] == "Line,Outcome,Reason,Email"
        assert "rejected" in body and "not-email" in body

    outsider = api(tenant, user=tenant.charlie, account=tenant.other_account)
    refused = outsider.get(report_url)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert Client().get(report_url).status_code in (401, 403)


def test_an_import_without_a_report_yet_has_none_to_download(tenant):
    contact_import = services.contact_import_create(
        account=tenant.account,
        created_by=tenant.bob,
        uploaded_file=SimpleUploadedFile("p.csv", b"Email\na@x.com\n"),
    )
    client = api(tenant)
    assert client.get(f"/api/v1/imports/{contact_import.public_id}").json()["report_url"] is None
    response = client.get(f"/api/v1/imports/{contact_import.public_id}/report")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_failed_api_import_keeps_no_file(tenant, tmp_path):
    response = api(tenant).post(
        "/api/v1/imports/create",
        {
            "file": SimpleUploadedFile("x.csv", b"A,B\n1,2\n"),
            "mapping": json.dumps({"A": "first_name"}),
        },
    )
    assert (response.status_code, response.json()["status"]) == (202, "failed")
    assert ContactImport.objects.get().file.name == ""
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_import_options_the_account_refuses_are_404_and_409(tenant):
    active = services.contact_list_create(
        account=tenant.account,
        name="Gold",
        kind="active",
        rules={"conditions": [{"field": "first_name", "op": "is_known"}]},
    )
    client = api(tenant)
    upload = {"file": SimpleUploadedFile("p.csv", b"Email\na@x.com\n")}
    missing = client.post("/api/v1/imports/create", {**upload, "list": "lst_nope"})
    assert missing.status_code == 404
    upload = {"file": SimpleUploadedFile("p.csv", b"Email\na@x.com\n")}
    conflict = client.post("/api/v1/imports/create", {**upload, "list": active.public_id})
    assert conflict.status_code == 409
    assert "static lists" in conflict.json()["error"]["fields"]["add_to_list"][0]
    assert not ContactImport.objects.exists()
