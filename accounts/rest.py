"""REST API plumbing shared by every app: token auth, account permissions, errors, pagination.

DRF imports these classes while it loads its views, so this module must not import
`rest_framework.views` at its top (API views live in each app's `apis.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse, QueryDict
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination

from accounts.errors import StateConflict
from accounts.models import ApiToken, Membership, token_digest
from accounts.tenancy import membership_for_session


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`; the token names both the user and the account."""

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        raw = header[1].decode(errors="replace")
        token = (
            ApiToken.objects.select_related("user", "account")
            .filter(key_hash=token_digest(raw), user__is_active=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid API token.")
        expires_at = token.expires_at
        if expires_at is not None and expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"This API token expired on {expires_at:%Y-%m-%d %H:%M} UTC; create a new one "
                "under Settings > API tokens."
            )
        membership = (
            Membership.objects.select_related("account")
            .filter(account=token.account, user=token.user)
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed("This token's user left the account.")
        # Update at most once a minute: a token used in a hot loop must not write every call.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request._request.membership = membership
        request._request.account = membership.account
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.rest.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


def request_membership(request) -> Membership | None:
    membership = getattr(request._request, "membership", None)
    if membership is None and request.user and request.user.is_authenticated:
        membership = membership_for_session(request._request)
        request._request.membership = membership
        request._request.account = membership.account if membership else None
    return membership


def signed_in_membership(request) -> Membership | None:
    """The caller's membership; None when nobody is signed in, 403 for a user of no account."""
    if not (request.user and request.user.is_authenticated):
        return None
    membership = request_membership(request)
    if membership is None:
        raise exceptions.PermissionDenied("You are not a member of any account.")
    return membership


class IsAccountMember(permissions.BasePermission):
    """Signed in and a member of the request's account; viewers may only read."""

    message = "Viewers can't change anything."

    def has_permission(self, request, view):
        membership = signed_in_membership(request)
        if membership is None:
            return False
        return request.method in permissions.SAFE_METHODS or membership.can_edit


class CanSetupSms(permissions.BasePermission):
    """Super admins and members granted the SMS-setup permission, whatever their role: a
    viewer granted it may set SMS up (as on the pages, `account_required(sms_setup=True)`),
    so this does not inherit IsAccountMember's read-only rule for viewers."""

    message = "You need the SMS setup permission."

    def has_permission(self, request, view):
        membership = signed_in_membership(request)
        return membership is not None and membership.may_setup_sms


CURSOR_NOT_FOUND = "This cursor names no page of this list: follow a `next` or `previous` link."


class CreatedCursorPagination(CursorPagination):
    """Cursor pagination, newest first; stable under inserts, cheap at any depth."""

    ordering = ("-created_at", "-pk")
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF quietly falls back to the default on a page_size it can't read; the schema says
        # an integer from 1 to max_page_size, so anything else is refused.
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1 or not raw[0].isdigit() or not 1 <= int(raw[0]) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw[0])

    def get_paginated_response_schema(self, schema):
        # DRF writes OpenAPI 3.0's `nullable`; the schema is 3.1, where null is a type.
        page = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            spec = page["properties"][link]
            if spec.pop("nullable", False):
                spec["type"] = [spec["type"], "null"]
        return page

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError):
            if getattr(self, "cursor", None) is None:
                raise
            # A cursor that decodes, to a position this list's order can't take ("p=2026"
            # where a time is due): it names no page either.
            raise exceptions.NotFound(CURSOR_NOT_FOUND) from None

    def decode_cursor(self, request):
        # A cursor is opaque: it names a page, and one that doesn't decode names no page. DRF
        # answers it 404, and so do we, with a message that says where good cursors come from.
        # (No schema pattern could tell a good cursor from a bad one: it is base64 of a query.)
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.NotFound(CURSOR_NOT_FOUND) from None


def paginated(view, request, queryset, serializer_class, ordering=None):
    """A list view's response: one cursor page of `queryset` (newest first unless `ordering`)."""
    paginator = CreatedCursorPagination()
    if ordering:
        paginator.ordering = ordering
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def name_nested_serializers(namespace: dict) -> None:
    """Give each view's nested Input/OutputSerializer its own schema name ("ContactCreateInput"):
    drf-spectacular names components after the class, so they would all be "Input"/"Output".
    Call it at the end of an apis module: `name_nested_serializers(globals())`."""
    from rest_framework.views import APIView  # see the module docstring

    for view in list(namespace.values()):
        if not (isinstance(view, type) and issubclass(view, APIView)):
            continue
        for role in ("InputSerializer", "OutputSerializer"):
            serializer = view.__dict__.get(role)
            if serializer is None or not serializer.__qualname__.startswith(view.__name__ + "."):
                continue
            serializer.Meta = type(
                "Meta", (), {"ref_name": view.__name__.removesuffix("Api") + role[:-10]}
            )


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"
    default_detail = "This step cannot be taken now."

    def __init__(self, detail=None, code=None, fields: dict[str, list[str]] | None = None):
        super().__init__(detail, code)
        self.fields = fields or {}


class NotInAccount(exceptions.NotFound):
    """A 404 for an object a request names in its body or query (a subscription type, a
    contact): missing and another account's get the same answer, as in a path."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.fields = {field: [message]}


class FormInput(serializers.Serializer):
    """Query parameters, or a multipart form's fields, read as they are given: an empty one
    ("?after=") is a value (refused by a number or a date, taken by a text or a choice that
    allows it), not "not given", which is how DRF reads an empty HTML form field. The last of a
    repeated one counts."""

    def to_internal_value(self, data):
        if isinstance(data, QueryDict):
            data = {key: data.get(key) for key in data}
        return super().to_internal_value(data)


class FormBooleanField(serializers.BooleanField):
    """A yes/no in a multipart part, spelt as JSON spells it: true or false (DRF also reads
    1, "yes", "on"... which the schema's boolean doesn't say)."""

    TRUE_VALUES = {"true", True}
    FALSE_VALUES = {"false", False}
    NULL_VALUES: set = set()


class JsonInput(serializers.Serializer):
    """A JSON body, read as its schema says it: every field in the JSON type the schema names,
    and no field the schema doesn't name (the schema says `additionalProperties: false`).

    DRF alone reads 1 as true, 0 as "0" and "5" as 5, and drops fields it doesn't know: a
    client's `{"enabled": "false"}` or a misspelt field would do something other than asked,
    silently. A text's max_length counts what was sent (DRF counts it after trimming), as the
    schema's maxLength does. Query parameters and multipart forms are text by nature and are
    not held to this (`QueryDict` data passes through).
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {name: ["Unknown field."] for name in data if name not in self.fields}
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    value = data[name]
                    problem = json_type_problem(field, value)
                    limit = getattr(field, "max_length", None)
                    if not problem and isinstance(value, str) and limit and len(value) > limit:
                        problem = f"At most {limit:,} characters."
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class KeyedDictField(serializers.DictField):
    """An object whose keys are names of one form (a property key), refused otherwise; the
    schema says it with `propertyNames` (accounts.schema)."""

    def __init__(self, *, key_pattern: str, key_message: str, **kwargs):
        super().__init__(**kwargs)
        self.key_pattern = key_pattern
        self.key_message = key_message

    def to_internal_value(self, data):
        if isinstance(data, dict):
            bad = [key for key in data if not re.search(self.key_pattern, key)]
            if bad:
                raise serializers.ValidationError(f"“{bad[0]}”: {self.key_message}")
        return super().to_internal_value(data)


class Tag(serializers.ChoiceField):
    """The field that names which kind an object is ({"type": "delay"}): one value only."""

    def __init__(self, value: str, **kwargs):
        super().__init__(choices=[value], **kwargs)
        self.value = value


class TaggedUnionField(serializers.Field):
    """A JSON object that its `tag` field says how to read: {"type": "delay", ...} is read by
    the serializer `kinds["delay"]`, each a JsonInput naming its own tag. The schema says the
    same: a oneOf of those serializers, discriminated by the tag (accounts.schema)."""

    def __init__(self, *, tag: str, kinds: dict[str, type[serializers.Serializer]], **kwargs):
        super().__init__(**kwargs)
        self.tag = tag
        self.kinds = kinds

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        kind = self.kinds.get(data.get(self.tag)) if isinstance(data.get(self.tag), str) else None
        if kind is None:
            raise serializers.ValidationError({self.tag: [f"One of: {', '.join(self.kinds)}."]})
        serializer = kind(data=data, context=self.context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def to_representation(self, value):
        return value


def json_type_problem(field: serializers.Field, value) -> str | None:
    """What is wrong with the JSON type of `value` for `field`, or None."""
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return None if isinstance(value, str) else "Must be text (a JSON string)."
    if isinstance(field, serializers.IntegerField):
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if whole and not isinstance(value, bool) else "Must be a whole number."
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "Must be a number."
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        if not isinstance(value, list):
            return "Must be a list."
        child = field.child
        for position, item in enumerate(value):
            problem = json_type_problem(child, item)
            if problem:
                return f"Item {position + 1}: {problem[0].lower()}{problem[1:]}"
        return None
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return None if isinstance(value, dict) else "Must be an object."
    return None


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """The last /api/v1/ route: a path no API view matches gets the API's JSON error, not the
    pages' HTML 404 (for any method, signed in or not: there is nothing there to protect)."""
    return JsonResponse(
        {
            "error": {
                "code": "not_found",
                "message": f"No API route at {request.path}.",
                "fields": {},
            }
        },
        status=404,
    )


def _drf_exception(exc: Exception) -> Exception:
    """Django's exceptions and the services' own in DRF's terms, so views need not catch them:
    a service's ValidationError is a 400 with its fields (`__all__` as the message), a
    StateConflict a 409 with its code."""
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, StateConflict):
        return Conflict(detail=exc.message, code=exc.code, fields=getattr(exc, "fields", None))
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): messages
                    for name, messages in exc.message_dict.items()
                }
            )
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def exception_handler(exc, context):
    """Every API error as `{"error": {"code", "message", "fields"}}`."""
    from rest_framework.views import exception_handler as drf_exception_handler  # see module doc

    exc = _drf_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        message = "Some fields are not valid."
        detail = exc.detail
        if isinstance(detail, dict):
            for name, errors in detail.items():
                messages = errors if isinstance(errors, list) else [errors]
                if name == "non_field_errors":
                    message = " ".join(str(m) for m in messages)
                else:
                    fields[name] = (
                        [str(m) for m in messages] if isinstance(errors, list) else errors
                    )
        else:
            message = " ".join(str(m) for m in (detail if isinstance(detail, list) else [detail]))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        message = str(getattr(exc, "detail", exc))
        fields = getattr(exc, "fields", None) or {}
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response
