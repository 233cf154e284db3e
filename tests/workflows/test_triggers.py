"""Each trigger enrolls the records its event touched, in bulk, and only those."""

from __future__ import annotations

import pytest
from django.conf import settings

from contacts import services as contact_services
from messaging.models import OutboundStatus, SmsMessage
from messaging.services.inbound import inbound_receive
from tests.conftest import emulated_texts
from workflows.models import Enrollment, LogEvent, LogOutcome

pytestmark = pytest.mark.django_db

WAIT = {"type": "delay", "amount": 1, "unit": "days"}


def test_added_to_a_list_texts_the_contact_through_dispatch(
    flows, emulator, django_capture_on_commit_callbacks
):
    workflow = flows.workflow("list_added")
    maya = flows.contact("Maya", "+12125550101")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)

    [text] = flows.texts(workflow)
    assert text.status == OutboundStatus.QUEUED and text.twilio_sid
    assert text.body == "Hi Maya!\nReply STOP to opt out"
    assert text.contact_id == maya.pk and text.to_phone == "+12125550101"
    assert text.message.schedule_kind == SmsMessage.ScheduleKind.AUTOMATED
    assert text.message.owner == flows.user and text.message.sender == flows.sending.sender
    [sent] = emulated_texts(emulator, "+12125550101")
    assert sent["body"] == text.body and sent["from"] == flows.sending.sender.e164
    events = [(log.event, log.outcome) for log in flows.logs(workflow)]
    assert events == [
        (LogEvent.ENROLLED, LogOutcome.ENROLLED),
        (LogEvent.SEND_SMS, LogOutcome.QUEUED),
        (LogEvent.COMPLETED, LogOutcome.COMPLETED),
    ]


def test_another_list_enrolls_nobody(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow("list_added")
    other = contact_services.contact_list_create(account=flows.account, name="Other")
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_list_add(
            account=flows.account, contact_list=other, contact_ids=[maya.pk]
        )
    assert not Enrollment.objects.filter(workflow=workflow).exists()


def test_a_created_contact_enrolls(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow("record_created", steps=[WAIT])
    with django_capture_on_commit_callbacks(execute=True):
        ada = contact_services.contact_create(account=flows.account, first_name="Ada")
    [enrollment] = Enrollment.objects.filter(workflow=workflow)
    assert enrollment.record_id == ada.pk and enrollment.status == "active"


def test_a_property_change_enrolls_only_on_that_property_and_value(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(
        "property_changed", {"property": "first_name", "value": "Ada"}, steps=[WAIT]
    )
    contact = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_update(
            account=flows.account, contact=contact, data={"last_name": "Lin"}
        )
        contact_services.contact_update(
            account=flows.account, contact=contact, data={"first_name": "Bea"}
        )
    assert not Enrollment.objects.filter(workflow=workflow).exists()
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_update(
            account=flows.account, contact=contact, data={"first_name": "ada"}
        )
    assert Enrollment.objects.filter(workflow=workflow, record_id=contact.pk).count() == 1


def test_an_inbound_keyword_enrolls_the_sender(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow("inbound_keyword", {"keyword": "join"})
    maya = flows.contact("Maya", "+12125550101")
    with django_capture_on_commit_callbacks(execute=True):
        inbound_receive(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            message_sid="SM" + "1" * 32,
            from_phone="+12125550101",
            to_phone=flows.sending.sender.e164,
            body="Join!",
        )
        inbound_receive(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            message_sid="SM" + "2" * 32,
            from_phone="+12125550101",
            to_phone=flows.sending.sender.e164,
            body="join me later",
        )
    [enrollment] = Enrollment.objects.filter(workflow=workflow)
    assert enrollment.record_id == maya.pk
    assert len(flows.texts(workflow)) == 1


def test_an_import_into_the_list_with_consent_texts_every_new_contact(
    flows, emulator, django_capture_on_commit_callbacks, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from consent import selectors as consent_selectors

    settings.MEDIA_ROOT = tmp_path
    workflow = flows.workflow("list_added")
    rows = "".join(f"C{i},+1 212 555 01{i:02d},America/Chicago\n" for i in range(20, 25))
    upload = SimpleUploadedFile("c.csv", ("Name,Mobile,Zone\n" + rows).encode())
    contact_import = contact_services.contact_import_create(
        account=flows.account, created_by=flows.user, uploaded_file=upload
    )
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_import_start(
            account=flows.account,
            contact_import=contact_import,
            mapping={"Name": "first_name", "Mobile": "mobile_phone", "Zone": "time_zone"},
            add_to_list=flows.sending.audience,
            consent_subscription_type_id=consent_selectors.subscription_type_default(
                account=flows.account
            ).public_id,
            consent_confirmed=True,
            consent_source="Signed up in store",
            started_by=flows.user,
        )
    assert Enrollment.objects.filter(workflow=workflow).count() == 5
    texts = flows.texts(workflow)
    assert sorted(t.body.split("\n")[0] for t in texts) == [f"Hi C{i}!" for i in range(20, 25)]
    assert all(t.twilio_sid for t in texts)


def test_a_turned_off_workflow_enrolls_nobody(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow("list_added", enabled=False)
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)
    assert not Enrollment.objects.filter(workflow=workflow).exists()
