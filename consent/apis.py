"""The consent API: subscription types, a contact's subscriptions and changing them, and the
ledger."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.client_ip import request_ip
from accounts.rest import (
    CreatedCursorPagination,
    JsonInput,
    NotInAccount,
    name_nested_serializers,
    paginated,
)
from accounts.tenancy import get_for_account
from consent import selectors, services
from consent.models import ConsentSource, ConsentState, SubscriptionType
from contacts.models import Contact


class SubscriptionTypeListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(source="public_id")
        name = serializers.CharField()
        description = serializers.CharField()
        is_default = serializers.BooleanField()
        created_at = serializers.DateTimeField()

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        queryset = SubscriptionType.objects.filter(account=request.account)
        return paginated(self, request, queryset, self.OutputSerializer)


class SubscriptionOutputSerializer(serializers.Serializer):
    subscription_type = serializers.CharField(source="subscription_type.public_id")
    subscription_type_name = serializers.CharField(source="subscription_type.name")
    phone = serializers.CharField(source="phone_e164")
    status = serializers.CharField()
    source = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)


class ContactSubscriptionsApi(APIView):
    """Status per subscription type and phone; "not_specified" where nothing was recorded."""

    OutputSerializer = SubscriptionOutputSerializer

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, contact_id: str):
        contact = get_for_account(Contact, request.account, contact_id)
        rows = selectors.contact_consent(account=request.account, contact=contact)
        return Response(self.OutputSerializer(rows, many=True).data)


class ContactSubscriptionUpdateApi(APIView):
    """Opt a contact in or out. Opting in needs `consent_confirmed: true`: you state that
    express, verifiable consent was obtained. Recorded in the ledger with source "api"."""

    class InputSerializer(JsonInput):
        subscription_type = serializers.CharField(
            help_text="A subscription type's id (404 when not yours)."
        )
        status = serializers.ChoiceField(
            choices=[ConsentState.SUBSCRIBED, ConsentState.UNSUBSCRIBED]
        )
        phone = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="One of the contact's phones, E.164; all of them if empty (409 when the "
            "contact has no such phone).",
        )
        consent_confirmed = serializers.BooleanField(required=False, default=False)
        evidence = serializers.CharField(required=False, allow_blank=True, default="")

        # Opting in needs the consent confirmed.
        schema_extra = {
            "oneOf": [
                {"properties": {"status": {"enum": [ConsentState.UNSUBSCRIBED.value]}}},
                {
                    "properties": {
                        "status": {"enum": [ConsentState.SUBSCRIBED.value]},
                        "consent_confirmed": {"enum": [True]},
                    },
                    "required": ["consent_confirmed"],
                },
            ]
        }

        def validate(self, attrs):
            if attrs["status"] == ConsentState.SUBSCRIBED and not attrs["consent_confirmed"]:
                raise serializers.ValidationError(
                    {
                        "consent_confirmed": [
                            "Confirm that this contact gave express, verifiable consent to "
                            "receive these text messages."
                        ]
                    }
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        changed = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        subscriptions = SubscriptionOutputSerializer(many=True)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, contact_id: str):
        contact = get_for_account(Contact, request.account, contact_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription_type = selectors.subscription_type_get(
            account=request.account, public_id=data["subscription_type"]
        )
        if subscription_type is None:
            raise NotInAccount("subscription_type", "No such subscription type in your account.")
        result = services.contact_consent_set(
            account=request.account,
            contact=contact,
            subscription_type=subscription_type,
            status=data["status"],
            actor=request.user,
            source=ConsentSource.API,
            evidence=data["evidence"],
            consent_confirmed=data["consent_confirmed"],
            ip_address=request_ip(request._request),
            phone_e164=data["phone"],
        )
        rows = selectors.contact_consent(account=request.account, contact=contact)
        return Response(
            {
                "changed": result.changed,
                "unchanged": result.unchanged,
                "subscriptions": SubscriptionOutputSerializer(rows, many=True).data,
            }
        )


class LedgerListApi(APIView):
    """The consent ledger, newest first; `?contact=<id>` for one contact."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(source="public_id")
        occurred_at = serializers.DateTimeField()
        contact = serializers.CharField(source="contact_public_id")
        contact_label = serializers.CharField()
        phone = serializers.CharField(source="phone_e164")
        subscription_type = serializers.CharField(source="subscription_type.public_id")
        previous_status = serializers.CharField()
        new_status = serializers.CharField()
        source = serializers.CharField()
        actor = serializers.CharField(source="actor_label")
        message_sid = serializers.CharField()
        evidence = serializers.CharField()
        ip_address = serializers.CharField(allow_null=True)

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        contact = None
        if request.query_params.get("contact"):
            contact = get_for_account(Contact, request.account, request.query_params["contact"])
        entries = selectors.consent_ledger(account=request.account, contact=contact)
        return paginated(
            self, request, entries, self.OutputSerializer, ordering=("-occurred_at", "-id")
        )


name_nested_serializers(globals())
