"""Every write of the workflows app: building workflows (workflows.py), enrolling records
(enroll.py), running their steps (run.py) and the send limits (limits.py)."""

from workflows.services.enroll import event_announce, records_enroll
from workflows.services.limits import QuotaRequest, quota_request, send_quota_take
from workflows.services.run import enrollments_run, enrollments_run_due
from workflows.services.workflows import (
    workflow_create,
    workflow_delete,
    workflow_settings_update,
    workflow_step_delete,
    workflow_step_save,
    workflow_toggle,
    workflow_update,
)

__all__ = [
    "QuotaRequest",
    "enrollments_run",
    "enrollments_run_due",
    "event_announce",
    "quota_request",
    "records_enroll",
    "send_quota_take",
    "workflow_create",
    "workflow_delete",
    "workflow_settings_update",
    "workflow_step_delete",
    "workflow_step_save",
    "workflow_toggle",
    "workflow_update",
]
