"""The contacts API: contacts, properties, lists, imports and the timeline. One view per
operation; each validates, calls one service or selector, and serializes."""

from __future__ import annotations

import datetime
import json

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.rest import CreatedCursorPagination, name_nested_serializers, paginated
from accounts.tenancy import get_for_account
from contacts import csvfiles, selectors, services
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
from contacts.services.imports import contact_import_create_and_start, import_options_from

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


class ContactInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    mobile_phone = serializers.CharField(required=False, allow_blank=True)
    time_zone = serializers.CharField(required=False, allow_blank=True)
    company_name = serializers.CharField(required=False, allow_blank=True)
    marketing_contact = serializers.BooleanField(required=False)
    owner = serializers.EmailField(
        required=False, allow_null=True, help_text="A member's email address."
    )
    properties = serializers.DictField(required=False)


def _owner(request, email: str | None) -> User | None:
    if not email:
        return None
    user = User.objects.filter(email__iexact=email, memberships__account=request.account).first()
    if user is None:
        raise serializers.ValidationError({"owner": [f"{email} is not a member of this account."]})
    return user


class ContactListApi(APIView):
    """Contacts, newest first. Filter with the index's parameters: q, list, subscription and
    subscription_state, and repeated field/op/value."""

    OutputSerializer = ContactOutputSerializer

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        contact_filter = selectors.contact_filter_from_query(request.account, request.query_params)
        queryset = selectors.contacts_filtered(
            account=request.account, contact_filter=contact_filter
        ).select_related("owner")
        return paginated(self, request, queryset, self.OutputSerializer)


class ContactCreateApi(APIView):
    InputSerializer = ContactInputSerializer
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
    class InputSerializer(serializers.Serializer):
        label = serializers.CharField()
        key = serializers.CharField(required=False, allow_blank=True)
        type = serializers.ChoiceField(choices=PropertyType.choices)
        choices = serializers.ListField(child=serializers.CharField(), required=False)

    OutputSerializer = PropertyOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prop = services.contact_property_create(
            account=request.account, **serializer.validated_data
        )
        return Response(self.OutputSerializer(prop).data, status=status.HTTP_201_CREATED)


class PropertyUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        label = serializers.CharField()
        choices = serializers.ListField(child=serializers.CharField(), required=False)

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
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        kind = serializers.ChoiceField(choices=ListKind.choices, default=ListKind.STATIC)
        rules = serializers.DictField(required=False)

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
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        rules = serializers.DictField(required=False)

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


class ListMembershipInputSerializer(serializers.Serializer):
    contacts = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=MAX_IDS
    )


def _contact_ids(request, public_ids: list[str]) -> list[int]:
    found = dict(
        Contact.objects.filter(account=request.account, public_id__in=public_ids).values_list(
            "public_id", "pk"
        )
    )
    missing = [pid for pid in public_ids if pid not in found]
    if missing:
        raise serializers.ValidationError(
            {"contacts": [f"No such contact: {', '.join(missing[:10])}."]}
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
    """Upload a CSV and start importing it. Without `mapping` the columns are mapped as the page
    would suggest (the last mapping for the same headers, else by name)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        mapping = serializers.CharField(
            required=False, help_text='JSON object: column header -> target, e.g. {"Cell": "phone"}'
        )
        duplicate_policy = serializers.ChoiceField(
            choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
        )
        list = serializers.CharField(required=False, help_text="A static list's id.")
        new_list_name = serializers.CharField(required=False, allow_blank=True, default="")
        consent_subscription_type = serializers.CharField(required=False, default="")
        consent_source = serializers.CharField(required=False, allow_blank=True, default="")
        consent_confirmed = serializers.BooleanField(required=False, default=False)

    OutputSerializer = ImportOutputSerializer

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mapping = None
        if data.get("mapping"):
            try:
                mapping = json.loads(data["mapping"])
            except json.JSONDecodeError:
                mapping = None
            if not isinstance(mapping, dict):
                raise serializers.ValidationError(
                    {"mapping": ["Must be a JSON object of column header to target."]}
                )
        add_to_list = (
            get_for_account(ContactList, request.account, data["list"])
            if data.get("list")
            else None
        )
        # Upload and start together: a refused mapping leaves no half-made import behind.
        contact_import = contact_import_create_and_start(
            account=request.account,
            created_by=request.user,
            uploaded_file=data["file"],
            mapping=mapping,
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
