"""What a service raises when it refuses, so that every interface says it the same way.

- Django's `ValidationError`: the input is wrong. Forms put each message on its field
  (`accounts.forms.form_errors_from`); the API answers 400 with `fields`.
- `StateConflict`: the input may be fine but the state of things forbids the step now
  ("already submitted", "locked"). Pages show the message; the API answers 409 with its `code`.
- `FieldConflict`: both at once, for a value refused for what is stored now rather than for
  itself (a list name another list has): pages put it on its field like any ValidationError, the
  API answers 409 with `fields`. A request the schema accepts is refused only for the state of
  things, so the API never answers such a value with a 400.

The API's exception handler (`accounts.rest`) maps them all, so API views don't catch them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class StateConflict(Exception):
    """A step the user cannot take now; the message says why, in their words."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


class FieldConflict(StateConflict, ValidationError):
    """Values refused for what is stored now, by field: {"name": "A list named “x” exists."}."""

    def __init__(self, fields: dict[str, str | list[str]], *, code: str):
        ValidationError.__init__(self, fields)
        self.fields = {
            name: messages if isinstance(messages, list) else [messages]
            for name, messages in fields.items()
        }
        self.message = " ".join(" ".join(messages) for messages in self.fields.values())
        self.code = code
