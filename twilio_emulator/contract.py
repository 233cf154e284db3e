"""Twilio's published contract: every request to a Twilio endpoint is checked against its
operation's request schema in Twilio's OpenAPI specs before a handler sees it.

The specs are the copies in ``specs/`` (trimmed to the operations the emulator serves, each kept
verbatim; ``specs/SOURCE.md`` says where they come from and how to re-make them), read once at
start-up. A route's template is the spec's path, so ``(method, template)`` finds the operation.

What is checked, per parameter the request gives (form body, or query string on a GET):
required parameters; the type (form values are text: booleans are ``true``/``false`` in any case,
integers are digits); ``format`` (uri, phone-number, date-time, iso-country-code); ``enum``;
``minimum``/``maximum``; ``minLength``/``maxLength``; ``pattern`` (the SID patterns); and for a
list (repeated keys), each item. An empty value counts as not given, as on Twilio (an empty
``From`` with a MessagingServiceSid, an empty SmsUrl clearing the number's webhook). Path
parameters that break their pattern answer 404, as Twilio's router does. Parameters the operation
does not define are ignored, as Twilio ignores them, and counted per operation (GET
``/_emulator/operations``). Then the rules stated only in descriptions (``contract_rules.py``).

A refusal is Twilio's 400 with ``{"code", "message", "more_info", "status"}``: the code Twilio
documents for that parameter where there is one (21604, 21211, 21609, 21705, ...), else 20001.
"""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match

from twilio_emulator.contract_rules import (
    FORMAT_OVERRIDES,
    INVALID_PARAMETER,
    RULES,
    TWILIO_CODES,
    Rule,
)
from twilio_emulator.router import Request, TwilioError, not_found_error
from twilio_emulator.rules import phone_normalize

if TYPE_CHECKING:
    from twilio_emulator.router import Route

SPEC_DIR = Path(__file__).resolve().parent / "specs"
SPEC_FILES = ("twilio_api_v2010.json", "twilio_messaging_v1.json", "twilio_trusthub_v1.json")
# The longest webhook URL Twilio takes (error 21609's page).
MAX_URL_LENGTH = 4000

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_CHANNEL_ADDRESS = re.compile(r"[a-z]+:\S+")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SHORT_CODE = re.compile(r"\d{3,8}")
_PARTIAL_PHONE = re.compile(r"\+?[\d*]{1,15}")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_INTEGER = re.compile(r"[+-]?\d+")
# How a refusal names a format.
FORMAT_WORDS = {
    "uri": "an absolute http(s) URL with a valid hostname",
    "phone-number": "a phone number in E.164 format (or a channel address)",
    "sender": "a phone number, short code or alphanumeric sender ID",
    "partial-phone-number": "a phone number or part of one (digits and * wildcards)",
    "date-time": "an ISO 8601 date or date and time",
    "iso-country-code": "an ISO 3166 two-letter country code",
}

formats = FormatChecker(formats=())


@formats.checks("uri")
def _is_url(value: object) -> bool:
    """An absolute http(s) URL with a valid hostname (no underscores), as Twilio's webhooks."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or re.search(r"\s", value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return all(_HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split("."))
    return True


@formats.checks("phone-number")
def _is_phone_number(value: object) -> bool:
    """E.164 (spaces, dashes, dots and brackets allowed), or a channel address."""
    if not isinstance(value, str):
        return False
    return phone_normalize(value) is not None or bool(_CHANNEL_ADDRESS.fullmatch(value))


@formats.checks("sender")
def _is_sender(value: object) -> bool:
    """A message's From: a phone number, short code or alphanumeric sender ID."""
    return _is_phone_number(value) or (
        isinstance(value, str)
        and bool(_SHORT_CODE.fullmatch(value) or _ALPHANUMERIC_SENDER.fullmatch(value))
    )


@formats.checks("partial-phone-number")
def _is_partial_phone_number(value: object) -> bool:
    if not isinstance(value, str):
        return False
    return bool(_PARTIAL_PHONE.fullmatch(re.sub(r"[\s\-.()]", "", value)))


@formats.checks("date-time")
def _is_date_time(value: object) -> bool:
    """ISO 8601 (a date, or a date and time) or RFC 2822, the forms Twilio reads."""
    if not isinstance(value, str):
        return False
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat, parsedate_to_datetime):
        try:
            parse(value.strip())
        except (TypeError, ValueError):
            continue
        return True
    return False


@formats.checks("iso-country-code")
def _is_country_code(value: object) -> bool:
    return isinstance(value, str) and bool(_COUNTRY_CODE.fullmatch(value))


@formats.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


class _NotOfType(ValueError):
    pass


def _typed(schema: dict[str, Any], raw: str) -> Any:
    """A form value read as the schema's type."""
    kind = schema.get("type")
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise _NotOfType(f"{raw!r} is not a boolean (true or false)")
        return raw.lower() == "true"
    if kind == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise _NotOfType(f"{raw!r} is not an integer")
        return int(raw)
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _NotOfType(f"{raw!r} is not a number")
        return number
    return raw


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path", "query" or "body"
    required: bool
    schema: dict[str, Any]  # with $refs resolved
    description: str
    validator: Draft4Validator = field(repr=False, compare=False)

    def problem(self, values: list[str]) -> str | None:
        """What is wrong with the given (non-empty) values, or None."""
        is_list = self.schema.get("type") == "array"
        item_schema = self.schema.get("items", {}) if is_list else self.schema
        try:
            typed = [_typed(item_schema, raw) for raw in values]
        except _NotOfType as error:
            return str(error)
        error = best_match(self.validator.iter_errors(typed if is_list else typed[0]))
        if error is None:
            return None
        if error.validator == "format" and error.validator_value in FORMAT_WORDS:
            return f"{error.instance!r} is not {FORMAT_WORDS[error.validator_value]}"
        return error.message


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    parameters: dict[str, Parameter]
    rules: tuple[Rule, ...]

    def parameter(self, name: str) -> Parameter | None:
        return self.parameters.get(name)


class Contract:
    """The operations of Twilio's specs that the emulator serves, ready to check requests."""

    def __init__(self, operations: dict[tuple[str, str], Operation]):
        self.operations = operations

    @classmethod
    def load(cls, spec_dir: Path = SPEC_DIR) -> Contract:
        operations: dict[tuple[str, str], Operation] = {}
        rules_by_operation: dict[str, list[Rule]] = {}
        for rule in RULES:
            rules_by_operation.setdefault(rule.operation, []).append(rule)
        for name in SPEC_FILES:
            spec = json.loads((spec_dir / name).read_text())
            for template, item in spec["paths"].items():
                for method in ("get", "post", "put", "delete"):
                    if method in item:
                        operation = _operation(spec, template, item, method, rules_by_operation)
                        operations[(method.upper(), template)] = operation
        return cls(operations)

    def operation_for(self, route: Route) -> Operation | None:
        return self.operations.get((route.method, route.template))

    def check(self, operation: Operation, request: Request) -> list[str]:
        """Raise Twilio's error for the first thing the contract refuses; else the names of
        parameters the operation does not define (ignored, as Twilio does)."""
        for parameter in operation.parameters.values():
            if parameter.location == "path":
                value = request.path_params.get(parameter.name, "")
                if parameter.problem([value]):
                    raise not_found_error(request.path)
        given: dict[str, list[str]] = {}
        for name in {*request.form, *request.query}:
            values = [v for v in (request.form.get(name) or request.query.get(name) or []) if v]
            if values:
                given[name] = values
        for parameter in operation.parameters.values():
            if parameter.location == "path":
                continue
            values = given.get(parameter.name)
            if not values:
                if parameter.required:
                    raise _error(operation, parameter, "missing", "")
                continue
            problem = parameter.problem(values)
            if problem:
                raise _error(operation, parameter, "invalid", values[0], problem)
        for rule in operation.rules:
            problem = rule.check(given)
            if problem:
                raise TwilioError(400, rule.code, problem)
        return sorted(name for name in given if name not in operation.parameters)


@cache
def contract() -> Contract:
    """The vendored specs, read once per process (tests start many emulators)."""
    return Contract.load()


def _error(
    operation: Operation, parameter: Parameter, kind: str, value: str, problem: str = ""
) -> TwilioError:
    known = TWILIO_CODES.get((operation.operation_id, parameter.name, kind))
    if known:
        code, message = known
        return TwilioError(400, code, message.format(name=parameter.name, value=value))
    if kind == "missing":
        where = "query" if parameter.location == "query" else "post body"
        return TwilioError(
            400, INVALID_PARAMETER, f"Missing required parameter {parameter.name} in the {where}"
        )
    return TwilioError(400, INVALID_PARAMETER, f"Invalid parameter {parameter.name}: {problem}")


def _resolved(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``$ref`` replaced by what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            _, section, name = node["$ref"].removeprefix("#/").split("/", 2)
            return _resolved(spec, spec["components"][section][name])
        return {key: _resolved(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(spec, item) for item in node]
    return node


def _without_ignored_formats(schema: dict[str, Any]) -> dict[str, Any]:
    """Twilio marks some formats ``x-twilio: {ignoreFormat: true}`` (MediaUrl items)."""
    schema = copy.deepcopy(schema)
    for node in (schema, schema.get("items")):
        if isinstance(node, dict) and (node.get("x-twilio") or {}).get("ignoreFormat"):
            node.pop("format", None)
    return schema


def _parameter(
    operation_id: str,
    name: str,
    location: str,
    required: bool,
    schema: dict[str, Any],
    description: str,
) -> Parameter:
    schema = _without_ignored_formats(schema)
    override = FORMAT_OVERRIDES.get((operation_id, name))
    if override:
        schema["format"] = override[1]
    return Parameter(
        name=name,
        location=location,
        required=required,
        schema=schema,
        description=description,
        validator=Draft4Validator(schema, format_checker=formats),
    )


def _operation(
    spec: dict[str, Any],
    template: str,
    item: dict[str, Any],
    method: str,
    rules_by_operation: dict[str, list[Rule]],
) -> Operation:
    raw = item[method]
    operation_id = raw["operationId"]
    parameters: dict[str, Parameter] = {}
    for declared in [*item.get("parameters", []), *raw.get("parameters", [])]:
        declared = _resolved(spec, declared)
        if declared["in"] not in ("path", "query"):
            continue  # headers (X-Twilio-Api-Version) are not checked
        parameters[declared["name"]] = _parameter(
            operation_id,
            declared["name"],
            declared["in"],
            bool(declared.get("required")),
            declared.get("schema", {}),
            declared.get("description", ""),
        )
    body = raw.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
    if body:
        schema = _resolved(spec, body["schema"])
        required = set(schema.get("required", []))
        for name, property_schema in schema.get("properties", {}).items():
            parameters[name] = _parameter(
                operation_id,
                name,
                "body",
                name in required,
                property_schema,
                property_schema.get("description", ""),
            )
    return Operation(
        operation_id=operation_id,
        method=method.upper(),
        template=template,
        parameters=parameters,
        rules=tuple(rules_by_operation.get(operation_id, ())),
    )
