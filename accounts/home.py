"""What apps above accounts put on the home page, without accounts importing them.

The getting-started checklist is a list of steps, each owned by the app that knows whether it
is done (registration: SMS set up; contacts: contacts imported; consent: consent collected;
messaging: a first message sent); a step ticks itself by asking its app. Dashboard panels
(usage, drafts, scheduled and recent sends) are rendered by the apps that own their data. Apps
register both at start-up, in their apps.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.models import Account


@dataclass(frozen=True)
class ChecklistStep:
    order: int
    label: str
    description: str
    url_name: str
    done: Callable[[Account], bool]
    # A Membership property needed to do the step ("" = any member who can edit).
    requires: str = ""


_steps: list[ChecklistStep] = []
# (order, render(request) -> HTML)
_panels: list[tuple[int, Callable[[HttpRequest], SafeString]]] = []


def checklist_step_register(step: ChecklistStep) -> None:
    _steps.append(step)
    _steps.sort(key=lambda s: s.order)


def dashboard_panel_register(order: int, render: Callable[[HttpRequest], SafeString]) -> None:
    _panels.append((order, render))
    _panels.sort(key=lambda p: p[0])


def checklist(request: HttpRequest) -> list[dict]:
    """Every step with whether it is done and, for a member who may do it, where to do it."""
    membership = request.membership
    rows = []
    for step in _steps:
        allowed = membership.can_edit if not step.requires else getattr(membership, step.requires)
        rows.append(
            {
                "label": step.label,
                "description": step.description,
                "url": reverse(step.url_name) if allowed else "",
                "done": step.done(request.account),
            }
        )
    return rows


def dashboard_panels(request: HttpRequest) -> list[SafeString]:
    return [render(request) for _, render in _panels]
