"""Text that can't be stored is refused at the door, in one place, with a clear 400.

PostgreSQL's text can't hold a NUL character, and UTF-8 can't encode an unpaired surrogate (only
JSON's `\\ud800` escapes can make one): either reaching a query or a row fails the request
with a 500, or worse, a streamed CSV export ends after its header with a 200. Rather than every
form, filter and serializer guarding against them, `InputCheckMiddleware` looks at every text a
request carries (the path, query string, form fields and JSON bodies) before any view runs and
answers a 400 that names the field and the character. JSON bodies are also held to a size and
a nesting depth: DRF's parser turns a body nested a thousand deep into a RecursionError (500).

CSV uploads are files, read by contacts' CSV reader, which refuses them with `text_problem`.
Twilio's status callback is answered before this middleware (messaging.middleware); its view
validates each field's shape itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape

# NUL, and any UTF-16 surrogate: a Python str holds a valid pair as one character, so one here is
# always unpaired.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# The characters str.strip() removes (DRF's trim, the services' .strip()), all below U+3001,
# spelled out as a regex class: Python's \s and ECMAScript's differ, and a pattern the API's
# schema publishes must mean the same to a client as to us.
SPACE_CLASS = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())

JSON_MAX_BYTES = 1_000_000
JSON_MAX_DEPTH = 32
_JSON_TYPES = ("application/json", "+json")


def text_problem(value: str) -> str | None:
    """Why `value` can't be stored ("a NUL character (U+0000)"), or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (U+0000)"
    return f"an unpaired surrogate (U+{ord(found.group()):04X})"


def text_storable(value: str) -> str:
    """`value` with anything that can't be stored replaced by U+FFFD (for text we write
    ourselves that quotes what came in, such as a file's name or one of its cells)."""
    return _UNSTORABLE.sub("\ufffd", value)


class InputRefused(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _check_text(where: str, value: str, field: str | None = None) -> None:
    problem = text_problem(value)
    if problem:
        raise InputRefused(
            f"{where} contains {problem}, which can't be stored. Remove it and try again.",
            field=field,
        )


def _pairs(data) -> Iterator[tuple[str, str]]:
    for key, values in data.lists():
        for value in values:
            yield key, value


def _json_strings(document) -> Iterator[tuple[str, str]]:
    """(field path, string) for every key and string in `document`; refuses nesting past
    JSON_MAX_DEPTH. Iterative: the depth check must not recurse itself."""
    stack = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise InputRefused(
                f"The JSON body is nested more than {JSON_MAX_DEPTH} levels deep; "
                "no request needs that many."
            )
        if isinstance(value, str):
            yield path or "body", value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield f"{path}.{key}" if path else key, key
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{path}[{index}]", depth + 1))


def _check_json(request: HttpRequest) -> None:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > JSON_MAX_BYTES or len(request.body) > JSON_MAX_BYTES:
        raise InputRefused(
            f"The JSON body is larger than {JSON_MAX_BYTES:,} bytes; send fewer or smaller items."
        )
    try:
        document = json.loads(request.body) if request.body.strip() else None
    except RecursionError:
        raise InputRefused(
            f"The JSON body is nested more than {JSON_MAX_DEPTH} levels deep; "
            "no request needs that many."
        ) from None
    except ValueError:
        return  # not JSON: the API's parser answers that with its own 400
    for field, text in _json_strings(document):
        _check_text(f"The JSON field “{field}”", text, field=field)


def request_check(request: HttpRequest) -> None:
    """Raise InputRefused for the first text of the request that can't be stored."""
    _check_text("The address", request.path_info)
    for key, value in _pairs(request.GET):
        _check_text(f"The query parameter “{key}”", key + value, field=key)
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = request.POST
        except (SuspiciousOperation, MultiPartParserError, BadRequest) as exc:
            # Too many fields or too large a body: Django's bare HTML 400 otherwise, even for
            # the API.
            raise InputRefused(f"The form can't be read: {exc}") from None
        for key, value in _pairs(form):
            _check_text(f"The field “{key}”", key + value, field=key)
        for key, upload in _pairs(request.FILES):
            _check_text(f"The name of the file in “{key}”", upload.name or "", field=key)
    elif content_type.endswith(_JSON_TYPES):
        _check_json(request)


def _refusal(request: HttpRequest, refused: InputRefused) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        fields = {refused.field: [refused.message]} if refused.field else {}
        return JsonResponse(
            {"error": {"code": "invalid_input", "message": refused.message, "fields": fields}},
            status=400,
        )
    # A fragment as much as a page: htmx swaps it into the spot that asked (the composer's
    # autosave status), a plain form post shows it alone.
    prefix = "" if request.method in ("GET", "HEAD", "OPTIONS") else "Not saved: "
    return HttpResponse(
        f'<span class="not-saved" role="alert">{prefix}{escape(refused.message)}</span>',
        status=400,
        content_type="text/html; charset=utf-8",
    )


class InputCheckMiddleware:
    """Refuse, with a 400 naming the field, a request carrying text that can't be stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request_check(request)
        except InputRefused as refused:
            return _refusal(request, refused)
        return self.get_response(request)
