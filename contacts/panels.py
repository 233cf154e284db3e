"""What apps above contacts show on contacts' pages, without contacts importing them.

A panel is a piece of a page another app renders: consent puts the contact's SMS consent beside
"About" and its consent history below it, and a bulk opt-in/opt-out beside the index's list
actions. Apps register their panels at start-up (in their apps.py); contacts' views render
every panel registered for a place, in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from django.http import HttpRequest
from django.utils.safestring import SafeString


class Place(StrEnum):
    CONTACT_BESIDE = "contact_beside"  # the contact page, beside "About"
    CONTACT_BELOW = "contact_below"  # the contact page, between "About" and the timeline
    INDEX_BULK_ACTIONS = "index_bulk_actions"  # the index's bulk actions, after the lists'


# render(request, **context) -> the panel's HTML. The contact page passes contact=.
Render = Callable[..., SafeString]

_panels: dict[Place, list[Render]] = {place: [] for place in Place}


def panel_register(place: Place, render: Render) -> None:
    _panels[place].append(render)


def panels_render(place: Place, request: HttpRequest, **context) -> list[SafeString]:
    return [render(request, **context) for render in _panels[place]]
