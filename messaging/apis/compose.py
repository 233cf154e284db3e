"""Composing through the API: list, create, read, update, estimate, preview and test-send
messages, and list the team's verified test phones.

Every object is looked up by public id within the caller's account (404 otherwise); viewers may
read but not write (IsAccountMember).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.inputs import SPACE_CLASS
from accounts.rest import (
    CreatedCursorPagination,
    FormInput,
    IsAccountMember,
    JsonInput,
    KeyedDictField,
    NotInAccount,
)
from accounts.schema import NO_NUL
from accounts.tenancy import get_for_account
from consent import selectors as consent_selectors
from messaging import selectors
from messaging.models import BODY_MAX_LENGTH, SmsMessage
from messaging.services import allotment, compose, test_sends


class AllotmentExceededSerializer(serializers.Serializer):
    """The project's error shape, with the numbers an integrator needs to act on it: the
    period's usage is the state of things, so a test it can't pay for is a 409."""

    class Meta:
        ref_name = "AllotmentExceededError"

    class ErrorSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AllotmentExceededErrorBody"

        code = serializers.CharField(default="allotment_exceeded")
        message = serializers.CharField()
        fields = serializers.DictField()
        # Only in an allotment refusal: other 409s of this operation are plain conflicts.
        needed = serializers.IntegerField(required=False, help_text="Segments the request needs.")
        left = serializers.IntegerField(required=False, help_text="Segments left this period.")

    error = ErrorSerializer()


def _allotment_exceeded(exc: DjangoValidationError) -> Response:
    params = exc.params or {}
    return Response(
        {
            "error": {
                "code": "allotment_exceeded",
                "message": exc.messages[0],
                "fields": {},
                "needed": params.get("needed"),
                "left": params.get("left"),
            }
        },
        status=status.HTTP_409_CONFLICT,
    )


# A number typed with its country code: "+" first once trimmed (whether what follows is a
# phone number is for the test to find out, and report).
TYPED_NUMBER = f"^[{SPACE_CLASS}]*\\+[^\\u0000]*\\Z"


def _message(request, message_id: str) -> SmsMessage:
    queryset = SmsMessage.objects.select_related("subscription_type", "campaign", "sender", "owner")
    return get_for_account(queryset, request.account, message_id)


def _subscription_type(account, public_id: str | None):
    if not public_id:
        return None
    found = consent_selectors.subscription_type_get(account=account, public_id=public_id)
    if found is None:
        raise NotInAccount("subscription_type", "No such subscription type in your account.")
    return found


def _sender(account, public_id: str | None):
    if not public_id:
        return None
    found = selectors.senders(account=account).filter(public_id=public_id).first()
    if found is None:
        raise NotInAccount("sender", "No such active number in your account.")
    return found


def _contact(account, public_id: str | None, field: str):
    if not public_id:
        return None
    found = selectors.contact_for_preview(account=account, public_id=public_id)
    if found is None:
        raise NotInAccount(field, "No such contact in your account.")
    return found


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "pattern": NO_NUL}, {"type": "number"}, {"type": "null"}],
        "description": "Text, a number, or null (or empty text) to clear it.",
    }
)
class PropertyValueField(serializers.Field):
    """A message property's value: text, a number or null. Whether it suits the property (a
    number for a number property...) depends on the property."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            raise serializers.ValidationError("Must be text, a number or null.")
        return data

    def to_representation(self, value):
        return value


def _properties_field(**kwargs) -> KeyedDictField:
    return KeyedDictField(
        child=PropertyValueField(allow_null=True),
        key_pattern=compose.PROPERTY_KEY_PATTERN,
        key_message="not a property key (a-z first, then a-z, 0-9 and _, at most 60).",
        required=False,
        **kwargs,
    )


class EstimateSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SegmentEstimate"

    encoding = serializers.CharField()
    segments = serializers.IntegerField()
    characters = serializers.IntegerField()
    unicode_characters = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MessagePreview"

    text = serializers.CharField(help_text="The body as the recipient reads it.")
    counted_text = serializers.CharField(
        help_text="The text segments are counted on: each link at its short link's length."
    )
    links = serializers.IntegerField()
    short_link_length = serializers.IntegerField()
    estimate = EstimateSerializer()


def _preview_data(preview: selectors.Preview) -> dict:
    estimate = preview.estimate
    return {
        "text": preview.text,
        "counted_text": preview.counted_text,
        "links": preview.links,
        "short_link_length": preview.short_link_length,
        "estimate": {
            "encoding": estimate.encoding,
            "segments": estimate.segments,
            "characters": estimate.characters,
            "unicode_characters": list(estimate.unicode_characters),
        },
    }


class MessageOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SmsMessage"

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    body = serializers.CharField()
    append_opt_out = serializers.BooleanField()
    status = serializers.CharField()
    archived = serializers.SerializerMethodField()
    subscription_type = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    properties = serializers.DictField()
    schedule_kind = serializers.CharField()
    scheduled_at = serializers.DateTimeField(
        allow_null=True, help_text="For schedule_kind at: when it goes out."
    )
    local_send_at = serializers.SerializerMethodField(
        help_text="For schedule_kind contact_tz: the local wall-clock time it goes out at in "
        "each contact's time zone (no offset)."
    )
    sent_at = serializers.DateTimeField(
        source="started_at", allow_null=True, help_text="When sending began."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_local_send_at(self, message) -> str | None:
        # Stored as the wall-clock time in UTC's clothes (messaging.services.audience_edit).
        local = message.local_send_at
        return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat() if local else None

    def get_archived(self, message) -> bool:
        return message.archived_at is not None

    def get_subscription_type(self, message) -> dict | None:
        st = message.subscription_type
        return {"id": st.public_id, "name": st.name} if st else None

    def get_campaign(self, message) -> str | None:
        return message.campaign.name if message.campaign else None

    def get_sender(self, message) -> str | None:
        return message.sender.e164 if message.sender else None

    def get_owner(self, message) -> str | None:
        return message.owner.email if message.owner else None


class MessageDraftOutputSerializer(MessageOutputSerializer):
    class Meta:
        ref_name = "SmsMessageDraft"

    problems = serializers.SerializerMethodField(
        help_text="What keeps the draft from being sent, by field ({} when nothing): saved "
        "anyway, as the composer saves what is typed; review and send refuse it until fixed."
    )

    @extend_schema_field(
        serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    )
    def get_problems(self, message) -> dict:
        return self.context["problems"]


def _draft_data(saved: compose.DraftSave) -> dict:
    return MessageDraftOutputSerializer(saved.message, context={"problems": saved.problems}).data


class MessagesApi(APIView):
    """GET: the account's messages, newest first or as sorted (cursor pages). POST: create a
    draft (kept as given; `problems` says what keeps it from being sent)."""

    permission_classes = [IsAccountMember]
    names_objects = True

    class FilterSerializer(FormInput):
        status = serializers.ChoiceField(
            choices=[key for key in selectors.LIST_TAB_LABELS if key],
            required=False,
            allow_blank=True,
            help_text="draft, scheduled, sending, sent, cancelled or archived (all when empty).",
        )
        q = serializers.CharField(required=False, allow_blank=True, help_text="Name contains.")
        sort = serializers.ChoiceField(
            choices=list(selectors.LIST_SORTS),
            required=False,
            allow_blank=True,
            help_text="created, updated, name, scheduled (when it goes out) or sent (when "
            "sending began); prefixed with - for descending. Messages without that time come "
            "last. Default -created.",
        )

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "MessageCreateInput"

        name = serializers.CharField(max_length=200)
        body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        append_opt_out = serializers.BooleanField(required=False, default=True)
        subscription_type = serializers.CharField(
            required=False, allow_blank=True, help_text="Public id; the default type if omitted."
        )
        campaign = serializers.CharField(
            required=False, allow_blank=True, help_text="Campaign name; created when new."
        )
        sender = serializers.CharField(required=False, allow_blank=True)
        properties = _properties_field(
            help_text="Values by message property key; a key the account has no property for, "
            "or a value of the wrong kind for its property, is a 409."
        )

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(
        parameters=[FilterSerializer],
        responses=MessageOutputSerializer(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        sort = filters.validated_data.get("sort") or "-created"
        queryset = selectors.messages_list(
            account=request.account,
            tab=filters.validated_data.get("status", ""),
            q=filters.validated_data.get("q", ""),
            sort=sort,
        ).select_related("subscription_type", "sender")
        paginator = CreatedCursorPagination()
        # The cursor continues from the sort key the selector annotated.
        paginator.ordering = selectors.list_ordering(sort)
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(MessageOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: MessageDraftOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = request.account
        saved = compose.message_draft_create(
            account=account,
            owner=request.user,
            name=data["name"],
            body=data.get("body", "").replace("\r\n", "\n"),
            append_opt_out=data["append_opt_out"],
            subscription_type=_subscription_type(account, data.get("subscription_type")),
            campaign_name=data.get("campaign", ""),
            sender=_sender(account, data.get("sender")),
            properties=data.get("properties") or {},
        )
        return Response(_draft_data(saved), status=status.HTTP_201_CREATED)


class MessageDetailApi(APIView):
    """GET: one message. PATCH: change a draft (only the fields given), kept as given;
    `problems` says what keeps it from being sent."""

    permission_classes = [IsAccountMember]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "MessageUpdateInput"

        name = serializers.CharField(max_length=200, required=False)
        body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        append_opt_out = serializers.BooleanField(required=False)
        subscription_type = serializers.CharField(required=False)
        campaign = serializers.CharField(required=False, allow_blank=True)
        sender = serializers.CharField(required=False, allow_blank=True)
        properties = _properties_field(
            help_text="Merged key by key; an empty value clears one (409 for a required one)."
        )

    @extend_schema(responses=MessageOutputSerializer)
    def get(self, request, message_id: str):
        return Response(MessageOutputSerializer(_message(request, message_id)).data)

    @extend_schema(request=InputSerializer, responses=MessageDraftOutputSerializer)
    def patch(self, request, message_id: str):
        message = _message(request, message_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = request.account
        changes: dict = {}
        for name in ("name", "append_opt_out", "properties"):
            if name in data:
                changes[name] = data[name]
        if "body" in data:
            changes["body"] = data["body"].replace("\r\n", "\n")
        if "campaign" in data:
            changes["campaign_name"] = data["campaign"]
        if "subscription_type" in data:
            changes["subscription_type"] = _subscription_type(account, data["subscription_type"])
        if "sender" in data:
            changes["sender"] = _sender(account, data["sender"])
        saved = compose.message_draft_update(account=account, message=message, **changes)
        return Response(_draft_data(saved))


class MessageEstimateApi(APIView):
    """The exact cost of a body not saved anywhere: rendered for a contact (or with every
    token's default), opt-out line appended, links counted at short-link length."""

    permission_classes = [IsAccountMember]
    names_objects = True

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "MessageEstimateInput"

        # Generous: the estimate says what a too-long body costs; sending refuses it.
        body = serializers.CharField(
            allow_blank=True, trim_whitespace=False, max_length=2 * BODY_MAX_LENGTH
        )
        append_opt_out = serializers.BooleanField(required=False, default=True)
        contact = serializers.CharField(required=False, allow_blank=True)
        sender = serializers.CharField(required=False, allow_blank=True)

        def validate_body(self, body: str) -> str:
            return body.replace("\r\n", "\n")

    @extend_schema(request=InputSerializer, responses=PreviewSerializer)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = request.account
        sender = _sender(account, data.get("sender")) or selectors.sender_for(account=account)
        preview = selectors.message_preview(
            account=account,
            body=data["body"],
            append_opt_out=data["append_opt_out"],
            contact=_contact(account, data.get("contact"), "contact"),
            sender=sender,
            user=request.user,
        )
        return Response(_preview_data(preview))


class MessagePreviewApi(APIView):
    """A saved message rendered for a contact (or with every default), with its exact cost."""

    permission_classes = [IsAccountMember]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "MessagePreviewInput"

        contact = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=PreviewSerializer)
    def post(self, request, message_id: str):
        message = _message(request, message_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = request.account
        preview = selectors.message_preview(
            account=account,
            body=message.body,
            append_opt_out=message.append_opt_out,
            contact=_contact(account, serializer.validated_data.get("contact"), "contact"),
            sender=selectors.sender_for(account=account, message=message),
            user=message.owner,
        )
        return Response(_preview_data(preview))


class MessageTestSendApi(APIView):
    """Text the saved message now to verified test phones and/or numbers with a country code,
    optionally rendered as a contact. Counts toward the month's usage; refused (409) with
    `allotment_exceeded`, carrying `needed` and `left`, when it needs more segments than are
    left."""

    permission_classes = [IsAccountMember]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "MessageTestSendInput"

        test_phones = serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="Ids of the team's verified test phones (404 for any other).",
        )
        phone_numbers = serializers.ListField(
            child=serializers.RegexField(
                TYPED_NUMBER,
                error_messages={
                    "invalid": "Type the number with its country code, starting with +, e.g. "
                    "+1 206 555 0100."
                },
            ),
            required=False,
            max_length=test_sends.MAX_TEST_RECIPIENTS,
            help_text="Numbers typed with their country code, e.g. +1 206 555 0100. One that "
            "is not a phone number is reported in `results`, not texted.",
        )
        as_contact = serializers.CharField(required=False, allow_blank=True)

        # A test goes somewhere.
        body_required = True
        schema_extra = {
            "anyOf": [
                {"required": [name], "properties": {name: {"minItems": 1}}}
                for name in ("test_phones", "phone_numbers")
            ]
        }

        def validate(self, attrs):
            if not attrs.get("test_phones") and not attrs.get("phone_numbers"):
                raise serializers.ValidationError(
                    {"test_phones": ["Choose a verified test phone or type a number."]}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessageTestSendOutput"

        class ResultSerializer(serializers.Serializer):
            class Meta:
                ref_name = "TestSendResult"

            to = serializers.CharField()
            ok = serializers.BooleanField()
            status = serializers.CharField(allow_null=True)
            segments = serializers.IntegerField(allow_null=True)
            message_sid = serializers.CharField(allow_null=True)
            error = serializers.CharField(allow_blank=True)

        results = ResultSerializer(many=True)
        segments_left = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer, 409: AllotmentExceededSerializer}
    )
    def post(self, request, message_id: str):
        message = _message(request, message_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = request.account
        verified = {p.public_id for p in selectors.test_phones_verified(account=account)}
        unknown = [
            public_id for public_id in data.get("test_phones", []) if public_id not in verified
        ]
        if unknown:
            raise NotInAccount(
                "test_phones", f"No verified test phone {unknown[0]} in your account."
            )
        try:
            results = test_sends.message_test_send(
                account=account,
                message=message,
                test_phone_ids=data.get("test_phones", []),
                phone_numbers=data.get("phone_numbers", []),
                as_contact=_contact(account, data.get("as_contact"), "as_contact"),
            )
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "allotment_exceeded":
                return _allotment_exceeded(exc)
            raise
        payload = {
            "results": [
                {
                    "to": result.to_phone,
                    "ok": result.ok,
                    "status": result.outbound.status if result.outbound else None,
                    "segments": result.outbound.segments if result.outbound else None,
                    "message_sid": result.outbound.twilio_sid if result.outbound else None,
                    "error": result.error,
                }
                for result in results
            ],
            "segments_left": allotment.usage(account=account).left,
        }
        return Response(self.OutputSerializer(payload).data)


class TestPhonesApi(APIView):
    """The team's verified test phones (their ids are what test sends take)."""

    __test__ = False
    permission_classes = [IsAccountMember]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TestPhone"

        id = serializers.CharField(source="public_id")
        phone = serializers.CharField(source="phone_e164")
        user = serializers.EmailField(source="user.email")
        verified_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        phones = selectors.test_phones_verified(account=request.account)
        return Response(self.OutputSerializer(phones, many=True).data)
