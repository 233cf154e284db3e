"""What a service raises when it refuses, so that every interface says it the same way.

- Django's `ValidationError`: the input is wrong. Forms put each message on its field
  (`accounts.forms.form_errors_from`); the API answers 400 with `fields`.
- `StateConflict`: the input may be fine but the state of things forbids the step now
  ("already submitted", "locked"). Pages show the message; the API answers 409 with its `code`.

The API's exception handler (`accounts.rest`) maps both, so API views don't catch them.
"""

from __future__ import annotations


class StateConflict(Exception):
    """A step the user cannot take now; the message says why, in their words."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code
