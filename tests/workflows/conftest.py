"""Fixtures for workflows: on top of `sending` (tests/conftest.py), a sender number with an
approved use case and a linked user, and a helper that builds workflows through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from messaging.models import OutboundMessage
from registration.models import RegistrationStatus
from tests.conftest import Sending
from tests.factories import UseCaseRegistrationFactory
from workflows import services
from workflows.models import Workflow, WorkflowLog
from workflows.services import run

# Noon in New York (EDT): inside the default quiet hours (8:00-20:00) of a New York contact.
NOON_NEW_YORK = dt.datetime(2026, 6, 2, 16, 0, tzinfo=dt.UTC)


@dataclass
class Flows:
    sending: Sending

    @property
    def account(self):
        return self.sending.account

    @property
    def user(self):
        return self.sending.tenant.bob

    def send_step(self, body: str = 'Hi {{ contact.first_name | default: "there" }}!', **kw):
        return {
            "type": "send_sms",
            "from_number": self.sending.sender.public_id,
            "sender_user": self.user.public_id,
            "phone_property": "mobile_phone",
            "body": body,
            "append_opt_out": True,
            **kw,
        }

    def workflow(
        self,
        trigger_type: str = "list_added",
        trigger: dict | None = None,
        steps: list | None = None,
        *,
        enabled: bool = True,
        **fields,
    ) -> Workflow:
        if trigger is None and trigger_type == "list_added":
            trigger = {"list": self.sending.audience.public_id}
        workflow = services.workflow_create(
            account=self.account,
            user=self.sending.tenant.alice,
            name=fields.pop("name", "Welcome"),
            trigger_type=trigger_type,
            trigger=trigger or {},
            steps=[self.send_step()] if steps is None else steps,
            **fields,
        )
        if enabled:
            workflow = services.workflow_toggle(
                account=self.account, workflow=workflow, enabled=True
            )
        return workflow

    def contact(self, name: str, phone: str = "+12125550101", **kw):
        kw.setdefault("time_zone", "America/New_York")
        kw.setdefault("in_list", False)
        return self.sending.contact(name, mobile_phone=phone, **kw)

    def texts(self, workflow: Workflow) -> list[OutboundMessage]:
        return list(
            OutboundMessage.objects.filter(
                kind=OutboundMessage.Kind.WORKFLOW, contact__isnull=False
            )
            .filter(pk__in=WorkflowLog.objects.filter(workflow=workflow).values("outbound_id"))
            .order_by("pk")
        )

    def logs(self, workflow: Workflow, **filters) -> list[WorkflowLog]:
        return list(WorkflowLog.objects.filter(workflow=workflow, **filters).order_by("id"))

    def run_due(self) -> int:
        return run.enrollments_run_due(time_budget=10)


@pytest.fixture(autouse=True)
def celery_app():
    """The project's Celery app, current and with a usable broker pool.

    Eager `.delay()` still takes a producer from the app's pool. Tests elsewhere may leave that
    pool closed for the rest of their process, or make a bare `Celery(broker=...)` the current
    app (test_faults), which would fail every later `.delay()` with "Acquire on closed pool"."""
    from kombu import pools

    from smsapp.celery import app

    app.set_current()
    producers = app.amqp._producer_pool
    closed = [
        pool._closed
        for pool in (app._pool, producers, getattr(producers, "connections", None))
        if pool is not None
    ]
    if any(closed):
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
    return app


@pytest.fixture(autouse=True)
def noon(time_machine):
    """Workflow tests run at noon in New York unless they move the clock themselves."""
    time_machine.move_to(NOON_NEW_YORK, tick=False)


@pytest.fixture
def flows(sending, emulator) -> Flows:  # noqa: F811 - fixtures
    UseCaseRegistrationFactory(account=sending.account, status=RegistrationStatus.APPROVED)
    sending.sender.users.add(sending.tenant.bob)
    return Flows(sending)
