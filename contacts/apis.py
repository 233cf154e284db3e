"""The contacts API: contacts, properties, lists, imports and the timeline. One view per
operation; each validates, calls one service or selector, and serializes."""

from __future__ import annotations

import datetime

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import FieldConflict
from accounts.models import User
from accounts.rest import (
    CreatedCursorPagination,
    FormBooleanField,
    FormInput,
    JsonInput,
    KeyedDictField,
    NotInAccount,
    name_nested_serializers,
    paginated,
)
from accounts.schema import NOT_BLANK
from accounts.tenancy import get_for_account
from contacts import csvfiles, selectors, services
from contacts.api_inputs import (
    CsvUploadField,
    MappingField,
    PropertyValueField,
    RulesField,
    TimeZoneField,
    choices_field,
    email_field,
    typed_text,
)
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    ContactProperty,
    DuplicatePolicy,
    EngagementKind,
    ListKind,
    PropertyType,
)
from contacts.services.contacts import PHONE_MAX, TEXT_LIMITS
from contacts.services.imports import contact_import_create_and_start, import_options_from
from contacts.services.properties import (
    KEY_PATTERN,
    RESERVED_KEYS,
    property_key_from_label,
)
from contacts.subscriptions import subscription_type_exists

MAX_IDS = 10_000


class PhoneSerializer(serializers.Serializer):
    raw = serializers.CharField()
    e164 = serializers.CharField()
    valid_for_sms = serializers.BooleanField()
    sms_issue = serializers.CharField(allow_null=True)
    unreachable = serializers.BooleanField()


def phone_data(contact: Contact, prefix: str) -> dict:
    reason = getattr(contact, f"{prefix}_sms_invalid_reason")
    return {
        "raw": getattr(contact, f"{prefix}_raw"),
        "e164": getattr(contact, f"{prefix}_e164"),
        "valid_for_sms": bool(getattr(contact, f"{prefix}_e164")) and not reason,
        "sms_issue": getattr(contact, f"get_{prefix}_sms_invalid_reason_display")()
        if reason
        else None,
        "unreachable": getattr(contact, f"{prefix}_unreachable"),
    }


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.SerializerMethodField()
    mobile_phone = serializers.SerializerMethodField()
    time_zone = serializers.CharField()
    company_name = serializers.CharField()
    marketing_contact = serializers.BooleanField()
    owner = serializers.SerializerMethodField()
    properties = serializers.DictField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema(responses=PhoneSerializer)
    def get_phone(self, contact) -> dict:
        return phone_data(contact, "phone")

    @extend_schema(responses=PhoneSerializer)
    def get_mobile_phone(self, contact) -> dict:
        return phone_data(contact, "mobile_phone")

    def get_owner(self, contact) -> str | None:
        return contact.owner.email if contact.owner_id else None


class ContactInputSerializer(JsonInput):
    first_name = typed_text(TEXT_LIMITS["first_name"])
    last_name = typed_text(TEXT_LIMITS["last_name"])
    email = email_field(required=False, allow_blank=True, max_length=TEXT_LIMITS["email"])
    phone = typed_text(PHONE_MAX)
    mobile_phone = typed_text(PHONE_MAX)
    time_zone = TimeZoneField(required=False, allow_blank=True)
    company_name = typed_text(TEXT_LIMITS["company_name"])
    marketing_contact = serializers.BooleanField(required=False)
    owner = email_field(
        required=False,
        allow_null=True,
        max_length=254,
        help_text="A member's email address (404 for another).",
    )
    properties = KeyedDictField(
        child=PropertyValueField(allow_null=True),
        key_pattern=KEY_PATTERN,
        key_message="not a property key (a-z first, then a-z, 0-9 and _, at most 60).",
        required=False,
        help_text="Values by property key; null (or empty text) removes one. A key the "
        "account has no property for, or a value of the wrong kind for its property, is a 409.",
    )


IDENTIFIERS = ("first_name", "last_name", "email", "phone", "mobile_phone")


class ContactCreateInputSerializer(ContactInputSerializer):
    class Meta:
        ref_name = "ContactCreateInput"

    # A contact needs something to know it by: the schema says so (one of them not blank).
    body_required = True
    schema_extra = {
        "anyOf": [
            {"required": [name], "properties": {name: {"pattern": NOT_BLANK}}}
            for name in IDENTIFIERS
        ]
    }

    def validate(self, attrs):
        if not any((attrs.get(name) or "").strip() for name in IDENTIFIERS):
            raise serializers.ValidationError(
                "Give the contact at least a name, an email or a phone."
            )
        return attrs


def _owner(request, email: str | None) -> User | None:
    if not email:
        return None
    user = User.objects.filter(email__iexact=email, memberships__account=request.account).first()
    if user is None:
        raise NotInAccount("owner", f"{email} is not a member of this account.")
    return user


class ContactListApi(APIView):
    """Contacts, newest first. Filter with the index's parameters: q, list, subscription and
    subscription_state, and repeated field/op/value."""

    OutputSerializer = ContactOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        try:
            contact_filter = selectors.contact_filter_from_query(
                request.account, request.query_params
            )
        except FieldConflict as exc:
            # A list, subscription type or property the filter names that isn't the account's.
            raise NotInAccount("filter", exc.message) from None
        queryset = selectors.contacts_filtered(
            account=request.account, contact_filter=contact_filter
        ).select_related("owner")
        return paginated(self, request, queryset, self.OutputSerializer)


class ContactCreateApi(APIView):
    names_objects = True
    InputSerializer = ContactCreateInputSerializer
    OutputSerializer = ContactOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        owner = _owner(request, data.pop("owner", None))
        contact = services.contact_create(account=request.account, owner=owner, **data)
        return Response(self.OutputSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    OutputSerializer = ContactOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request, contact_id: str):
        contact = get_for_account(
            Contact.objects.select_related("owner"), request.account, contact_id
        )
        return Response(self.OutputSerializer(contact).data)


class ContactUpdateApi(APIView):
    """Change the given fields; `properties` merges (an empty value removes a key)."""

    InputSerializer = ContactInputSerializer
    OutputSerializer = ContactOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request, contact_id: str):
        contact = get_for_account(Contact, request.account, contact_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "owner" in data:
            data["owner"] = _owner(request, data["owner"])
        contact = services.contact_update(account=request.account, contact=contact, data=data)
        return Response(self.OutputSerializer(contact).data)

    post = patch


class ContactDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, contact_id: str):
        contact = get_for_account(Contact, request.account, contact_id)
        services.contact_delete(account=request.account, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)

    post = delete


class ContactTimelineApi(APIView):
    """Newest first; `kind` (repeatable) filters; follow `next` for older items."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        kind = serializers.CharField()
        occurred_at = serializers.DateTimeField()
        summary = serializers.CharField()
        data = serializers.DictField()
        link_url = serializers.CharField()

    class PageSerializer(serializers.Serializer):
        next = serializers.CharField(allow_null=True)
        results = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=PageSerializer)
    def get(self, request, contact_id: str):
        contact = get_for_account(Contact, request.account, contact_id)
        kinds = [k for k in request.query_params.getlist("kind") if k in EngagementKind.values]
        try:
            size = min(max(int(request.query_params.get("page_size", 50)), 1), 500)
        except ValueError:
            size = 50
        before = _timeline_cursor(request.query_params.get("cursor", ""))
        items = selectors.contact_timeline(
            account=request.account, contact=contact, kinds=kinds, limit=size + 1, before=before
        )
        next_url = None
        if len(items) > size:
            last = items[size - 1]
            query = request.query_params.copy()
            query["cursor"] = f"{last.occurred_at.isoformat()}|{last.id}"
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response(
            {"next": next_url, "results": self.OutputSerializer(items[:size], many=True).data}
        )


def _timeline_cursor(raw: str):
    if not raw:
        return None
    at, _, public_id = raw.partition("|")
    try:
        return (datetime.datetime.fromisoformat(at), public_id)
    except ValueError:
        raise serializers.ValidationError({"cursor": ["Not a cursor this API gave out."]}) from None


# --- Properties ---


class PropertyOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class PropertyListApi(APIView):
    OutputSerializer = PropertyOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        queryset = ContactProperty.objects.filter(account=request.account)
        return paginated(self, request, queryset, self.OutputSerializer)


class PropertyCreateApi(APIView):
    """Define a contact property. Without a `key`, one is made from the label (in the form
    keys take: "2024 budget" gets p_2024_budget); a key another property has is a 409."""

    class InputSerializer(JsonInput):
        label = serializers.CharField(max_length=100)
        key = serializers.RegexField(
            KEY_PATTERN,
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text="Used in tokens: a-z first, then a-z, 0-9 and _, at most 60; not a "
            "contact field's name.",
            error_messages={
                "invalid": "A key starts with a letter (a-z), then a-z, 0-9 and _, at most 60."
            },
        )
        type = serializers.ChoiceField(choices=PropertyType.choices)
        choices = choices_field()

        schema_extra = {
            "allOf": [{"properties": {"key": {"not": {"enum": sorted(RESERVED_KEYS)}}}}],
            # A single-choice property needs its choices.
            "oneOf": [
                {
                    "properties": {
                        "type": {"enum": [PropertyType.CHOICE.value]},
                        "choices": {"minItems": 1},
                    },
                    "required": ["choices"],
                },
                {
                    "properties": {
                        "type": {"enum": [t for t in PropertyType.values if t != "choice"]}
                    }
                },
            ],
        }

        def validate(self, attrs):
            if attrs.get("key") in RESERVED_KEYS:
                raise serializers.ValidationError(
                    {"key": [f"“{attrs['key']}” is a built-in contact field; choose another key."]}
                )
            if attrs["type"] == PropertyType.CHOICE and not attrs.get("choices"):
                raise serializers.ValidationError(
                    {"choices": ["A single-choice property needs at least one choice."]}
                )
            return attrs

    OutputSerializer = PropertyOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prop = services.contact_property_create(
            account=request.account,
            label=data["label"],
            type=data["type"],
            key=data.get("key") or property_key_from_label(data["label"]),
            choices=data.get("choices"),
        )
        return Response(self.OutputSerializer(prop).data, status=status.HTTP_201_CREATED)


class PropertyUpdateApi(APIView):
    """Rename a property or change its choices (a single-choice property keeps at least one:
    409 otherwise)."""

    class InputSerializer(JsonInput):
        label = serializers.CharField(max_length=100)
        choices = choices_field()

    OutputSerializer = PropertyOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request, property_id: str):
        prop = get_for_account(ContactProperty, request.account, property_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prop = services.contact_property_update(
            account=request.account, prop=prop, **serializer.validated_data
        )
        return Response(self.OutputSerializer(prop).data)

    post = patch


class PropertyDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, property_id: str):
        prop = get_for_account(ContactProperty, request.account, property_id)
        services.contact_property_delete(account=request.account, prop=prop)
        return Response(status=status.HTTP_204_NO_CONTENT)

    post = delete


# --- Lists ---


class ContactListOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    kind = serializers.CharField()
    rules = serializers.DictField()
    size = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_size(self, contact_list) -> int:
        return selectors.contact_list_members(contact_list).count()


class ListListApi(APIView):
    OutputSerializer = ContactListOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        queryset = ContactList.objects.filter(account=request.account)
        return paginated(self, request, queryset, self.OutputSerializer)


class ListCreateApi(APIView):
    class InputSerializer(JsonInput):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.STATIC)
        rules = RulesField(
            required=False, help_text="An active list's rules (a static list has none)."
        )

        # An active list needs its rules.
        schema_extra = {
            "oneOf": [
                {"properties": {"kind": {"enum": [ListKind.STATIC.value]}}},
                {
                    "properties": {"kind": {"enum": [ListKind.ACTIVE.value]}},
                    "required": ["kind", "rules"],
                },
            ]
        }

        def validate(self, attrs):
            if attrs["kind"] == ListKind.ACTIVE and "rules" not in attrs:
                raise serializers.ValidationError({"rules": ["An active list needs its rules."]})
            return attrs

    OutputSerializer = ContactListOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact_list = services.contact_list_create(
            account=request.account, created_by=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(contact_list).data, status=status.HTTP_201_CREATED)


class ListDetailApi(APIView):
    OutputSerializer = ContactListOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        return Response(self.OutputSerializer(contact_list).data)


class ListUpdateApi(APIView):
    """Rename a list, and for an active list replace its rules (a static list keeps none)."""

    class InputSerializer(JsonInput):
        name = serializers.CharField(max_length=200)
        rules = RulesField(required=False)

    OutputSerializer = ContactListOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact_list = services.contact_list_update(
            account=request.account, contact_list=contact_list, **serializer.validated_data
        )
        return Response(self.OutputSerializer(contact_list).data)

    post = patch


class ListDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        services.contact_list_delete(account=request.account, contact_list=contact_list)
        return Response(status=status.HTTP_204_NO_CONTENT)

    post = delete


class ListMembersApi(APIView):
    OutputSerializer = ContactOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        queryset = selectors.contact_list_members(contact_list).select_related("owner")
        return paginated(self, request, queryset, self.OutputSerializer)


class ListMembershipInputSerializer(JsonInput):
    contacts = serializers.ListField(
        child=serializers.CharField(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_IDS,
        help_text="Contact ids (404 for one not in your account).",
    )


def _contact_ids(request, public_ids: list[str]) -> list[int]:
    found = dict(
        Contact.objects.filter(account=request.account, public_id__in=public_ids).values_list(
            "public_id", "pk"
        )
    )
    missing = [pid for pid in public_ids if pid not in found]
    if missing:
        raise NotInAccount(
            "contacts", f"No such contact in your account: {', '.join(missing[:10])}."
        )
    return list(found.values())


class ListAddApi(APIView):
    InputSerializer = ListMembershipInputSerializer

    class OutputSerializer(serializers.Serializer):
        added = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = _contact_ids(request, serializer.validated_data["contacts"])
        added = services.contact_list_add(
            account=request.account, contact_list=contact_list, contact_ids=ids
        )
        return Response({"added": added})


class ListRemoveApi(APIView):
    InputSerializer = ListMembershipInputSerializer

    class OutputSerializer(serializers.Serializer):
        removed = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, list_id: str):
        contact_list = get_for_account(ContactList, request.account, list_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = _contact_ids(request, serializer.validated_data["contacts"])
        removed = services.contact_list_remove(
            account=request.account, contact_list=contact_list, contact_ids=ids
        )
        return Response({"removed": removed})


# --- Imports ---


class ImportOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    filename = serializers.CharField(source="original_filename")
    status = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    mapping = serializers.DictField()
    duplicate_policy = serializers.CharField()
    # The API's names from before the job columns were shared (accounts.jobs).
    total_rows = serializers.IntegerField(source="total")
    processed_rows = serializers.IntegerField(source="processed")
    percent = serializers.IntegerField()
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField()
    rejected_count = serializers.IntegerField()
    subscribed_count = serializers.IntegerField()
    error = serializers.CharField()
    report_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()

    def get_report_url(self, contact_import) -> str | None:
        # The API's own route, so the token that started the import can fetch its report.
        if not contact_import.report:
            return None
        return reverse("api_import_report", args=[contact_import.public_id])


class ImportListApi(APIView):
    OutputSerializer = ImportOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        queryset = ContactImport.objects.filter(account=request.account)
        return paginated(self, request, queryset, self.OutputSerializer)


class ImportCreateApi(APIView):
    """Upload a CSV and start importing it (202). Without `mapping` the columns are mapped as
    the page would suggest (the last mapping for the same headers, else by name). A file that
    can't be imported as it is (not a CSV, no rows, columns the mapping doesn't fit) gives a
    failed import whose `error` says why; follow the import's `status` in any case."""

    # Multipart only: a form-urlencoded body can't carry the file.
    parser_classes = [MultiPartParser]
    names_objects = True

    class InputSerializer(FormInput):
        file = CsvUploadField()
        mapping = MappingField(required=False)
        duplicate_policy = serializers.ChoiceField(
            choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
        )
        list = serializers.CharField(
            required=False,
            allow_blank=True,
            help_text="A static list's id (404 when not yours, 409 when active).",
        )
        new_list_name = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=200
        )
        consent_subscription_type = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="A subscription type's id: every phone imported is opted in to it (404 "
            "when not yours).",
        )
        consent_source = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        consent_confirmed = FormBooleanField(required=False, default=False)

        # Opting phones in needs the consent confirmed and where it came from.
        schema_extra = {
            "oneOf": [
                {"properties": {"consent_subscription_type": {"maxLength": 0}}},
                {
                    "properties": {
                        "consent_subscription_type": {"minLength": 1},
                        "consent_confirmed": {"enum": [True]},
                        "consent_source": {"pattern": NOT_BLANK},
                    },
                    "required": [
                        "consent_subscription_type",
                        "consent_confirmed",
                        "consent_source",
                    ],
                },
            ]
        }

        def validate(self, attrs):
            if attrs["consent_subscription_type"]:
                errors = {}
                if not attrs["consent_confirmed"]:
                    errors["consent_confirmed"] = [
                        "Confirm that every contact in the file gave express written consent "
                        "to receive these messages."
                    ]
                if not attrs["consent_source"].strip():
                    errors["consent_source"] = [
                        "Say where and how these contacts gave consent (e.g. “Checkout opt-in "
                        "box, web store, 2025”); it goes into the consent ledger."
                    ]
                if errors:
                    raise serializers.ValidationError(errors)
            return attrs

    OutputSerializer = ImportOutputSerializer

    # An object in a multipart body is a JSON part (OpenAPI's default for objects).
    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={202: OutputSerializer}
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        add_to_list = (
            get_for_account(ContactList, request.account, data["list"])
            if data.get("list")
            else None
        )
        subscription_type = data["consent_subscription_type"]
        if subscription_type and not subscription_type_exists(
            account=request.account, subscription_type_id=subscription_type
        ):
            raise NotInAccount(
                "consent_subscription_type", "No such subscription type in your account."
            )
        contact_import = contact_import_create_and_start(
            account=request.account,
            created_by=request.user,
            uploaded_file=data["file"],
            mapping=data.get("mapping"),
            add_to_list=add_to_list,
            **import_options_from(data),
        )
        contact_import.refresh_from_db()
        return Response(self.OutputSerializer(contact_import).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    OutputSerializer = ImportOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request, import_id: str):
        contact_import = get_for_account(ContactImport, request.account, import_id)
        return Response(self.OutputSerializer(contact_import).data)


class CsvRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: text/csv``; the CSV itself is streamed as a file, and
    an error (a dict) is still written as the API's JSON error shape."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class ImportReportApi(APIView):
    """The import's report: every row not imported (rejected or skipped) with the reason, as a
    CSV whose cells are neutralised for spreadsheets. 404 until the import has finished."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, import_id: str):
        return csvfiles.import_report_download(
            get_for_account(ContactImport, request.account, import_id)
        )


name_nested_serializers(globals())
