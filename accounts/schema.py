"""The API's OpenAPI schema (drf-spectacular) says every status an operation can answer.

Views declare their success responses; the errors are the same everywhere (accounts.rest's one
error mapping, the input check of accounts.inputs), so they are added here, to every operation,
in the `{"error": {"code", "message", "fields"}}` envelope:

- 400 on every operation: a body or a parameter that isn't valid (and text that can't be stored,
  refused by the input check before any view runs, in any parameter of any operation);
- 401 without a valid token, 403 for a role that may not do it;
- 404 where the path names an object (missing, or another account's: the same answer), where
  the body or query names one (a view says so with `names_objects = True`), and on cursor lists
  (a cursor that names no page);
- 409 on writes, and on reads that say so (`conflicts_on_read = True`): a step the state of
  things forbids now (accounts.errors.StateConflict);
- 415 where a body is taken in a media type the operation doesn't read.

The schema also says what the API refuses with a 400, exactly, so that a request it accepts is
refused only for the state of things (409) or a missing object (404):

- a JSON body (`accounts.rest.JsonInput`) takes no field it doesn't name
  (`additionalProperties: false`) and each in its JSON type;
- text can't hold a NUL character (accounts/inputs.py), and a text that may not be blank needs
  a character other than whitespace (DRF trims it): both are `pattern`s;
- a text's `maxLength` counts what was sent, before trimming (JsonInput checks it so);
- what fields alone can't say ("one of these, not blank"; a trigger's shape by its type) a
  serializer says itself: `schema_extra` (or `schema_extra_with(auto_schema, direction)` when
  it refers to other components), checked by its `validate()`; `body_required = True` for a
  body none of whose fields is required on its own.

`tests/accounts/test_api_contract.py` runs schemathesis over the schema and fails on any status,
body or header the schema doesn't describe, any schema-valid request refused with a 400 and any
schema-violating one accepted.
"""

from __future__ import annotations

import re

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from accounts.inputs import SPACE_CLASS
from accounts.rest import JsonInput, Tag, TaggedUnionField

# Text that can be stored: no NUL (accounts/inputs.py refuses it in every parameter and body).
NO_NUL = "^[^\\u0000]*$"
# A text that may not be blank needs a character str.strip() (DRF's trim) doesn't remove.
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{SPACE_CLASS}][^\\u0000]*$"

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


def one_of_pattern(values) -> str:
    """A pattern taking exactly these texts (letters, digits, / _ - + and spaces in them): for
    a long list, where an `enum` would be walked value by value by a client such as
    schemathesis (each of 600 time zones, a request apiece)."""
    return "^(?:" + "|".join(value.replace("+", "\\+") for value in values) + ")$"


def text_schema(field: serializers.Field, schema: dict) -> None:
    """Add to a request field's schema what the API refuses in its text (see the module doc)."""
    blank = {"type": "string", "maxLength": 0}
    if len(schema.get("oneOf", [])) == 2 and schema["oneOf"][1] == blank:
        # drf-spectacular's "or blank" for a field with a format or pattern. A pattern of ours
        # may take "" itself (oneOf would then refuse it): then it says it all.
        text, _ = schema.pop("oneOf")
        if "format" not in text and re.search(text.get("pattern", "$^"), ""):
            schema.update(text)
        else:
            schema["anyOf"] = [text, blank]
    if isinstance(field, serializers.ListField) and isinstance(schema.get("items"), dict):
        text_schema(field.child, schema["items"])
    if isinstance(field, serializers.DictField) and isinstance(
        schema.get("additionalProperties"), dict
    ):
        text_schema(field.child, schema["additionalProperties"])
        # Keys are text too (accounts/inputs.py refuses a NUL in one), or of a form of their own.
        key_pattern = getattr(field, "key_pattern", NO_NUL).replace("\\Z", "$")
        schema["propertyNames"] = {"pattern": key_pattern}
    if not isinstance(field, serializers.CharField) or schema.get("type") != "string":
        return
    if {"format", "enum", "pattern"} & set(schema):
        return  # a format or a pattern of its own already excludes NUL
    if field.allow_blank:
        schema["pattern"] = NO_NUL
    else:
        schema["pattern"] = NOT_BLANK
        schema["minLength"] = max(schema.get("minLength", 0), 1)


class ApiAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        names_objects = getattr(self.view, "names_objects", False)
        paginated = any(p["name"] == "cursor" for p in self._get_pagination_parameters())
        if "{" in self.path or names_objects or paginated:
            codes.append("404")
        if self.method in WRITES:
            codes += ["409", "415"]
        elif getattr(self.view, "conflicts_on_read", False):
            codes.append("409")
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

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "request":
            return schema
        for name, field in serializer.fields.items():
            if isinstance(schema.get("properties", {}).get(name), dict):
                text_schema(field, schema["properties"][name])
        # What fields alone can't say ("one of these not blank"), in the serializer's words;
        # schema_extra_with when that needs other components (their references).
        schema.update(getattr(serializer, "schema_extra", {}))
        if hasattr(serializer, "schema_extra_with"):
            schema.update(serializer.schema_extra_with(self, direction))
        if isinstance(serializer, JsonInput):
            if type(serializer).__doc__ is None:
                schema.pop("description", None)  # JsonInput's own, not this body's
            schema["additionalProperties"] = False
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # A body none of whose fields is required on its own, but that needs one of them.
        return schema, required or getattr(serializer, "body_required", False)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
                schema["pattern"] = NO_NUL
        return parameters


class TaggedUnionFieldSchema(OpenApiSerializerFieldExtension):
    """A TaggedUnionField is a oneOf of its kinds, discriminated by its tag."""

    target_class = TaggedUnionField

    def map_serializer_field(self, auto_schema, direction):
        refs = {
            tag: auto_schema.resolve_serializer(kind, direction).ref
            for tag, kind in self.target.kinds.items()
        }
        return {
            "oneOf": list(refs.values()),
            "discriminator": {
                "propertyName": self.target.tag,
                "mapping": {tag: ref["$ref"] for tag, ref in refs.items()},
            },
        }


class TagSchema(OpenApiSerializerFieldExtension):
    """A Tag is its one value."""

    target_class = Tag

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": [self.target.value]}
