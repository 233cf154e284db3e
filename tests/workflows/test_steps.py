"""Delays, waits until a time of day, branches, and steps that run exactly once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from contacts import services as contact_services
from tests.workflows.conftest import NOON_NEW_YORK
from workflows import services
from workflows.models import Enrollment, LogEvent, LogOutcome
from workflows.services import run

pytestmark = pytest.mark.django_db


def enroll(flows, *contacts, capture) -> None:
    with capture(execute=True):
        contact_services.contact_list_add(
            account=flows.account,
            contact_list=flows.sending.audience,
            contact_ids=[c.pk for c in contacts],
        )


def test_a_delay_holds_the_text_until_it_is_over(
    flows, time_machine, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(
        steps=[{"type": "delay", "amount": 2, "unit": "hours"}, flows.send_step()]
    )
    maya = flows.contact("Maya")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    enrollment = Enrollment.objects.get(workflow=workflow)
    assert enrollment.due_at == NOON_NEW_YORK + dt.timedelta(hours=2)
    assert flows.texts(workflow) == []

    time_machine.move_to(NOON_NEW_YORK + dt.timedelta(hours=1, minutes=59), tick=False)
    assert flows.run_due() == 0
    time_machine.move_to(NOON_NEW_YORK + dt.timedelta(hours=2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert flows.run_due() == 1
    [text] = flows.texts(workflow)
    assert text.twilio_sid
    assert [(log.event, log.outcome) for log in flows.logs(workflow)] == [
        (LogEvent.ENROLLED, LogOutcome.ENROLLED),
        (LogEvent.DELAY, LogOutcome.WAITING),
        (LogEvent.SEND_SMS, LogOutcome.QUEUED),
        (LogEvent.COMPLETED, LogOutcome.COMPLETED),
    ]
    enrollment.refresh_from_db()
    assert enrollment.status == "completed" and enrollment.due_at is None


def test_wait_until_a_time_of_day_uses_the_contacts_time_zone(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(steps=[{"type": "wait_until", "time": "09:30"}, flows.send_step()])
    ny = flows.contact("Ny", "+12125550101")
    la = flows.contact("La", "+13105550102", time_zone="America/Los_Angeles")
    enroll(flows, ny, la, capture=django_capture_on_commit_callbacks)
    due = dict(Enrollment.objects.filter(workflow=workflow).values_list("record_id", "due_at"))
    # Noon in New York is 9:00 in Los Angeles: LA's 9:30 is still today, New York's tomorrow.
    assert due[ny.pk] == dt.datetime(2026, 6, 3, 13, 30, tzinfo=dt.UTC)
    assert due[la.pk] == dt.datetime(2026, 6, 2, 16, 30, tzinfo=dt.UTC)


def test_a_branch_sends_each_contact_down_its_path(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow(
        steps=[
            {
                "type": "branch",
                "property": "first_name",
                "operator": "is",
                "value": "maya",
                "yes": [flows.send_step("Welcome back, Maya")],
                "no": [flows.send_step("Hello {{ contact.first_name }}")],
            }
        ]
    )
    maya = flows.contact("Maya", "+12125550101")
    ben = flows.contact("Ben", "+12125550102")
    enroll(flows, maya, ben, capture=django_capture_on_commit_callbacks)
    bodies = {t.contact_id: t.body.split("\n")[0] for t in flows.texts(workflow)}
    assert bodies == {maya.pk: "Welcome back, Maya", ben.pk: "Hello Ben"}
    branches = flows.logs(workflow, event=LogEvent.BRANCH)
    assert sorted(log.reason for log in branches) == ["no", "yes"]
    # The two paths are two actions: two automated messages.
    assert len({t.message_id for t in flows.texts(workflow)}) == 2


def test_a_step_runs_once_however_often_the_sweep_runs(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow(steps=[flows.send_step(), flows.send_step("Second text")])
    maya = flows.contact("Maya")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    for _ in range(3):
        assert flows.run_due() == 0
    assert len(flows.texts(workflow)) == 2
    assert len(flows.logs(workflow, event=LogEvent.SEND_SMS)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_claimed_enrollment_is_skipped_by_a_second_worker(
    flows, django_capture_on_commit_callbacks
):
    """SKIP LOCKED: while one worker holds an enrollment, another neither waits for it nor runs
    it; once the first lets go without finishing (a crash), the next sweep runs it."""
    workflow = flows.workflow(steps=[flows.send_step()], enabled=False)
    maya = flows.contact("Maya")
    services.workflow_toggle(account=flows.account, workflow=workflow, enabled=True)
    # Enrolled but not run yet, as if the worker died right after enrolling.
    services.records_enroll(
        account=flows.account,
        record_type="contact",
        trigger_type="list_added",
        record_ids=[maya.pk],
        detail={"list": flows.sending.audience.public_id},
    )
    other: list[tuple[int, int]] = []

    def second_worker():
        try:
            other.append(run.enrollments_run())
        finally:
            connection.close()

    with transaction.atomic():
        assert list(Enrollment.objects.select_for_update().filter(workflow=workflow))
        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(10)
    assert other == [(0, 0)]
    assert flows.texts(workflow) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert run.enrollments_run() == (1, 1)
    assert len(flows.texts(workflow)) == 1


def test_re_enrollment_sends_the_same_text_again_under_its_own_message(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(allow_reenrollment=True)
    maya = flows.contact("Maya")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    contact_services.contact_list_remove(
        account=flows.account, contact_list=flows.sending.audience, contact_ids=[maya.pk]
    )
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    first, second = flows.texts(workflow)
    assert first.body == second.body and first.message_id != second.message_id
    assert list(
        Enrollment.objects.filter(workflow=workflow).order_by("round").values_list("round")
    ) == [(1,), (2,)]


def test_without_re_enrollment_a_second_trigger_is_logged_not_enrolled(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    maya = flows.contact("Maya")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    contact_services.contact_list_remove(
        account=flows.account, contact_list=flows.sending.audience, contact_ids=[maya.pk]
    )
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    assert len(flows.texts(workflow)) == 1
    [skipped] = flows.logs(workflow, event=LogEvent.NOT_ENROLLED)
    assert skipped.reason == "reenrollment_off"


def test_a_step_removed_while_records_wait_on_it_ends_their_enrollment(
    flows, time_machine, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(
        steps=[{"type": "delay", "amount": 1, "unit": "hours"}, flows.send_step()]
    )
    enroll(flows, flows.contact("Maya"), capture=django_capture_on_commit_callbacks)
    send_id = workflow.steps[1]["id"]
    services.workflow_step_delete(account=flows.account, workflow=workflow, step_id=send_id)
    time_machine.move_to(NOON_NEW_YORK + dt.timedelta(hours=1), tick=False)
    assert flows.run_due() == 1
    assert flows.texts(workflow) == []
    assert flows.logs(workflow)[-1].message == "The step it waited for was removed."


def test_a_turned_off_workflow_holds_its_records_until_it_is_back_on(
    flows, time_machine, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(
        steps=[{"type": "delay", "amount": 1, "unit": "hours"}, flows.send_step()]
    )
    enroll(flows, flows.contact("Maya"), capture=django_capture_on_commit_callbacks)
    services.workflow_toggle(account=flows.account, workflow=workflow, enabled=False)
    time_machine.move_to(NOON_NEW_YORK + dt.timedelta(hours=2), tick=False)
    assert flows.run_due() == 0
    services.workflow_toggle(account=flows.account, workflow=workflow, enabled=True)
    assert flows.run_due() == 1
    assert len(flows.texts(workflow)) == 1
