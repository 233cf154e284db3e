"""The API's OpenAPI schema (drf-spectacular) says every status an operation can answer.

Views declare their success responses; the errors are the same everywhere (accounts.rest's one
error mapping, the input check of accounts.inputs), so they are added here, to every operation,
in the `{"error": {"code", "message", "fields"}}` envelope:

- 400 on every operation: a body or a parameter that isn't valid (and text that can't be stored,
  refused by the input check before any view runs, in any parameter of any operation);
- 401 without a valid token, 403 for a role that may not do it;
- 404 where the path names an object (missing, or another account's: the same answer);
- 409 on writes: a step the state of things forbids now (accounts.errors.StateConflict);
- 415 where a body is taken in a media type the operation doesn't read.

`tests/accounts/test_api_contract.py` runs schemathesis over the schema and fails on any status,
body or header the schema doesn't describe.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_ENVELOPE = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="What went wrong, for programs."),
                "message": serializers.CharField(help_text="What went wrong, for people."),
                "fields": serializers.DictField(
                    child=serializers.JSONField(),
                    help_text="Each refused field's messages, by field name.",
                ),
            },
        )
    },
)

ERRORS = {
    "400": "The request is not valid: `fields` says what each refused field needs.",
    "401": "No valid API token (or session).",
    "403": "Your role may not do this.",
    "404": "No such object in your account.",
    "409": "The state of things forbids this step now; `code` says which.",
    "415": "The body's media type isn't one this operation reads.",
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class ApiAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITES:
            codes += ["409", "415"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ERROR_ENVELOPE, description=ERRORS[code]),
                    code,
                    direction=direction,
                )
        return responses
