"""What the contacts API takes, field by field, as its schema publishes it: each field here
refuses exactly what its schema refuses (the pattern it publishes is the one it checks), so a
body the schema takes is refused only for what the account has (404, 409)."""

from __future__ import annotations

import json
import re

from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from jsonschema import Draft4Validator
from rest_framework import serializers

from accounts.schema import NO_NUL, NOT_BLANK, one_of_pattern
from contacts import selectors
from contacts.csvfiles import TYPED_NOT_FORMULA
from contacts.models import PropertyType
from contacts.services.contacts import TIME_ZONES
from contacts.services.properties import MAX_CHOICES


def typed_text(max_length: int) -> serializers.RegexField:
    """Text typed into a contact: at most `max_length` characters, and nothing a spreadsheet
    would run as a formula once trimmed (the rule every way of writing a contact keeps)."""
    return serializers.RegexField(
        TYPED_NOT_FORMULA,
        required=False,
        allow_blank=True,
        max_length=max_length,
        error_messages={"invalid": FORMULA_MESSAGE},
    )


FORMULA_MESSAGE = "Starts with = + - or @, which a spreadsheet would run as a formula."

# An email address as the API takes one, and its schema says: an ASCII local part of Django's
# dot-atom form (a spreadsheet formula's = + - can't open it) at a host name whose last label
# is letters. Every address it takes, Django's EmailValidator (the service's check) takes too;
# DRF's EmailField checks that as well.
_ATOM = "[A-Za-z0-9!#$%&'*/?^_`{|}~+=-]"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = (
    rf"^[A-Za-z0-9!#$%&'*/?^_`{{|}}~]{_ATOM}*(?:\.{_ATOM}+)*"
    rf"@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}\Z"
)


def email_field(**kwargs) -> serializers.EmailField:
    return serializers.EmailField(
        trim_whitespace=False,
        validators=[
            RegexValidator(
                EMAIL_PATTERN,
                "Enter an email address such as ann@example.com (letters at the end).",
            )
        ],
        **kwargs,
    )


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "pattern": TYPED_NOT_FORMULA},
            {"type": "number"},
            {"type": "null"},
        ],
        "description": "Text, a number, or null to remove the value.",
    }
)
class PropertyValueField(serializers.Field):
    """A contact property's value: text (not a formula), a number, or null (no value). Whether
    it suits the property (a number for a number property...) depends on the property."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            raise serializers.ValidationError("Must be text, a number or null.")
        if isinstance(data, str) and not re.match(TYPED_NOT_FORMULA, data):
            raise serializers.ValidationError(FORMULA_MESSAGE)
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "type": "string",
        "pattern": one_of_pattern(["", *sorted(TIME_ZONES)]),
        "description": "An IANA time zone's name (America/Chicago), or empty for none.",
    }
)
class TimeZoneField(serializers.ChoiceField):
    """An IANA time zone's name (America/Chicago), or "" for none."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(TIME_ZONES), **kwargs)


def choices_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=MAX_CHOICES,
        help_text="A single-choice property's choices (other types have none).",
    )


def _condition(field: dict, ops: list[str]) -> dict:
    """The schema of a condition on `field` with one of `ops`, a value when they compare."""
    compares = [op for op in ops if op in selectors.OPS_NEEDING_VALUE]
    value = {"anyOf": [{"type": "string", "pattern": NO_NUL}, {"type": "number"}]}
    filled = {"anyOf": [{"type": "string", "pattern": NOT_BLANK}, {"type": "number"}]}
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"field": {"type": "string", **field}, "op": {"enum": ops}, "value": value},
        "required": ["field", "op"],
    }
    if compares:
        schema["oneOf"] = [
            {"properties": {"op": {"enum": [op for op in ops if op not in compares]}}},
            {"properties": {"op": {"enum": compares}, "value": filled}, "required": ["value"]},
        ]
        if len(compares) == len(ops):
            schema["oneOf"] = schema["oneOf"][1:]
    return schema


_BUILTIN_OPS = {
    name: list(selectors._builtin_ops(name))
    for name in (*selectors.TEXT_FIELDS, *selectors.PHONE_FIELDS, "marketing_contact")
}
_PROPERTY_OPS = sorted(
    {op for kind in PropertyType.values for op in selectors._property_ops(kind)},
    key=list(selectors.OPS).index,
)
# An active list's rules as its conditions' fields take them: a contact field with the operators
# it has, or a custom property, list or subscription type by its key or id with theirs. Whether
# that property, list or type exists, and what its type allows, is the account's (409).
RULES_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "match": {"enum": ["all", "any"], "description": "Whether all conditions or any hold."},
        "conditions": {
            "type": "array",
            "minItems": 1,
            "maxItems": selectors.MAX_CONDITIONS,
            "items": {
                "oneOf": [
                    *(_condition({"enum": [name]}, ops) for name, ops in _BUILTIN_OPS.items()),
                    _condition({"pattern": f"^property:{NO_NUL[1:]}"}, _PROPERTY_OPS),
                    _condition({"pattern": f"^list:{NO_NUL[1:]}"}, ["in", "not_in"]),
                    _condition(
                        {"pattern": f"^subscription:{NO_NUL[1:]}"},
                        ["subscribed", "unsubscribed", "not_specified"],
                    ),
                ]
            },
        },
    },
    "required": ["conditions"],
}
_RULES_VALIDATOR = Draft4Validator(RULES_SCHEMA)


@extend_schema_field(RULES_SCHEMA)
class RulesField(serializers.Field):
    """An active list's rules, refused unless the schema takes them (the same schema checks
    them here); what the conditions name is the service's to check."""

    def to_internal_value(self, data):
        problems = sorted(_RULES_VALIDATOR.iter_errors(data), key=lambda p: len(p.path))
        if problems:
            raise serializers.ValidationError(_rules_problem(problems[0]))
        return data

    def to_representation(self, value):
        return value


def _rules_problem(problem) -> str:
    """A person's words for the first thing the rules schema refuses."""
    path = list(problem.absolute_path)
    where = f"Condition {path[1] + 1}: " if len(path) >= 2 and path[0] == "conditions" else ""
    if where and problem.validator in ("oneOf", "anyOf"):
        return (
            f"{where}a contact field with one of its operators (or property:<key>, list:<id>, "
            "subscription:<id>), and a value (text or a number) when the operator compares."
        )
    if where and problem.validator == "additionalProperties":
        return f"{where}a condition has a field, an op and a value, nothing else."
    if path == ["conditions"] and problem.validator == "minItems":
        return "An active list needs at least one condition."
    if path == ["conditions"] and problem.validator == "maxItems":
        return f"At most {selectors.MAX_CONDITIONS} conditions."
    if path == ["match"]:
        return "“match” must be “all” or “any”."
    return "Rules are an object with “conditions” (a list) and “match” (all or any)."


@extend_schema_field(OpenApiTypes.BINARY)
class CsvUploadField(serializers.FileField):
    """The CSV file, as a multipart part. An empty one is taken, and fails as an import that
    says so, as any file that isn't a CSV does."""

    def __init__(self, **kwargs):
        super().__init__(allow_empty_file=True, **kwargs)


# A JSON object of texts, as text (a multipart part is text): the JSON grammar for it, whose
# escapes can't spell a NUL or a lone surrogate (text that can't be stored).
_JSON_SPACE = "[ \\t\\n\\r]*"
_JSON_ESCAPE = (
    '\\\\(?:["\\\\/bfnrt]|u(?!0000|[dD][89a-fA-F])[0-9a-fA-F]{4}'
    "|u[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_JSON_TEXT = f'"(?:[^"\\\\\\u0000-\\u001f]|{_JSON_ESCAPE})*"'
_JSON_PAIR = f"{_JSON_TEXT}{_JSON_SPACE}:{_JSON_SPACE}{_JSON_TEXT}"
MAPPING_PATTERN = (
    f"^{_JSON_SPACE}\\{{{_JSON_SPACE}"
    f"(?:{_JSON_PAIR}{_JSON_SPACE}(?:,{_JSON_SPACE}{_JSON_PAIR}{_JSON_SPACE})*)?"
    f"\\}}{_JSON_SPACE}\\Z"
)


@extend_schema_field(
    {
        "type": "string",
        "pattern": MAPPING_PATTERN.replace("\\Z", "$"),
        "description": 'Column header -> target ("first_name", "property:<key>"; "" skips the '
        'column) as a JSON object, e.g. {"Cell": "mobile_phone"}. Left out: mapped as the page '
        "would suggest.",
    }
)
class MappingField(serializers.Field):
    """A JSON object of texts (column header -> target), sent as the text of its part."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.search(MAPPING_PATTERN, data):
            raise serializers.ValidationError(
                'Must be a JSON object of column header to target, e.g. {"Cell": "phone"}.'
            )
        return json.loads(data)

    def to_representation(self, value):
        return value
