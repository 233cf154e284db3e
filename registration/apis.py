"""SMS setup over the API: the same steps as the pages, for super admins and members with the
SMS-setup permission (everyone else gets 403).

Drafts are updated with PATCH: what is sent is kept as typed, as the wizard's pages keep it,
and the answer's `errors` says what still breaks the rules; only a body the schema refuses (an
unknown field, a number for a text) is a 400. Drafts are submitted with POST .../submit, which
answers 409 with the fields to fix while the draft breaks any rule. A second submission while
one is under way answers 200 with the registration as it is; the first answers 202.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rest import (
    CanSetupSms,
    CreatedCursorPagination,
    FormInput,
    JsonInput,
    NotInAccount,
)
from accounts.schema import one_of_pattern
from accounts.tenancy import get_for_account
from registration import selectors, services
from registration.areacodes import area_code_get, area_codes_search, us_area_codes
from registration.eligibility import DESTINATION_NOTICE, MESSAGE_CATEGORIES, SENDING_COUNTRIES
from registration.models import PhoneNumber, RegistrationEvent
from registration.services.links import LINK_DOMAIN_PATTERN
from registration.services.use_case import use_case_business_names
from registration.throughput import throughput_for
from registration.validation import (
    BOOLEAN_FIELDS,
    BUSINESS_FIELDS,
    CONTAINS_MAX,
    CONTAINS_MIN,
    CONTAINS_PATTERN,
    LIST_FIELDS,
    USE_CASE_FIELDS,
    business_validate,
    use_case_validate,
)


class ThroughputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SmsThroughput"

    messages_per_second = serializers.IntegerField()
    tmobile_daily_cap = serializers.IntegerField()


class RegistrationSerializer(serializers.Serializer):
    """What brand and use-case registrations share."""

    id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    twilio_status = serializers.CharField()
    failure_reason = serializers.CharField()
    draft = serializers.DictField()
    submitted_data = serializers.DictField()
    submitted_by = serializers.EmailField(source="submitted_by.email", allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    submission_count = serializers.IntegerField()
    provision_error = serializers.CharField()
    checked_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


class BrandSerializer(RegistrationSerializer):
    class Meta:
        ref_name = "SmsBrandRegistration"

    eligible = serializers.SerializerMethodField()
    eligibility = serializers.DictField()
    trust_score = serializers.IntegerField(allow_null=True)
    throughput = serializers.SerializerMethodField()
    brand_sid = serializers.CharField()
    tcr_id = serializers.CharField()

    def get_eligible(self, brand) -> bool:
        return brand.eligible_at is not None

    @extend_schema_field(ThroughputSerializer)
    def get_throughput(self, brand) -> dict:
        return ThroughputSerializer(throughput_for(brand.trust_score)).data


class UseCaseSerializer(RegistrationSerializer):
    class Meta:
        ref_name = "SmsUseCaseRegistration"

    campaign_sid = serializers.CharField()
    campaign_id = serializers.CharField()


class PhoneNumberSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SmsPhoneNumber"

    id = serializers.CharField(source="public_id")
    e164 = serializers.CharField()
    status = serializers.CharField()
    sms_capable = serializers.BooleanField()
    mms_capable = serializers.BooleanField()
    voice_capable = serializers.BooleanField()
    messages_per_second = serializers.IntegerField()
    tmobile_daily_cap = serializers.IntegerField()
    link_domain = serializers.CharField()
    link_domain_verified = serializers.BooleanField()
    link_domain_error = serializers.CharField()
    link_preview = serializers.SerializerMethodField()
    users = serializers.SerializerMethodField()
    is_demo = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_link_preview(self, number) -> str:
        return selectors.link_preview(number)

    def get_users(self, number) -> list[dict]:
        return [{"id": u.public_id, "email": u.email} for u in number.users.all()]


class SmsSetupApi(APIView):
    """Where the account is in its SMS setup: eligibility, business, use case, numbers."""

    permission_classes = [CanSetupSms]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsSetup"

        current_step = serializers.IntegerField()
        complete = serializers.BooleanField()
        destination_notice = serializers.CharField()
        brand = BrandSerializer(allow_null=True)
        use_case = UseCaseSerializer(allow_null=True)
        numbers = PhoneNumberSerializer(many=True)

    @staticmethod
    def payload(account) -> dict:
        overview = selectors.setup_overview(account)
        return SmsSetupApi.OutputSerializer(
            {
                "current_step": overview.current_step,
                "complete": overview.complete,
                "destination_notice": DESTINATION_NOTICE,
                "brand": overview.brand,
                "use_case": overview.use_case,
                "numbers": overview.numbers,
            }
        ).data

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return Response(self.payload(request.account))


class SmsSetupRefreshApi(APIView):
    """Ask Twilio now how the reviews are going (the poller also does, every minute)."""

    permission_classes = [CanSetupSms]

    @extend_schema(request=None, responses=SmsSetupApi.OutputSerializer)
    def post(self, request):
        services.registration_status_poll(account=request.account)
        return Response(SmsSetupApi.payload(request.account))


class EligibilityApi(APIView):
    permission_classes = [CanSetupSms]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "SmsEligibilityInput"

        sole_proprietor = serializers.BooleanField()
        categories = serializers.ListField(
            child=serializers.ChoiceField(choices=list(MESSAGE_CATEGORIES)),
            allow_empty=False,
            min_length=1,
        )
        sending_country = serializers.ChoiceField(choices=list(SENDING_COUNTRIES))

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsEligibility"

        eligible = serializers.BooleanField()
        reasons = serializers.ListField(child=serializers.CharField())

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.eligibility_record(
            account=request.account, user=request.user, answers=serializer.validated_data
        )
        return Response(self.OutputSerializer(result).data)


def draft_input(name: str, fields: tuple[str, ...]) -> type[JsonInput]:
    """A draft's PATCH body: any of its fields, each as the wizard's pages keep it (text, a list
    of texts, or yes/no), and nothing else."""
    declared: dict = {"Meta": type("Meta", (), {"ref_name": name})}
    for field in fields:
        if field in LIST_FIELDS:
            declared[field] = serializers.ListField(
                child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                required=False,
            )
        elif field in BOOLEAN_FIELDS:
            declared[field] = serializers.BooleanField(required=False, allow_null=True)
        else:
            declared[field] = serializers.CharField(
                required=False, allow_blank=True, trim_whitespace=False
            )
    return type(name, (JsonInput,), declared)


class _DraftApi(APIView):
    """GET the draft with what still breaks the rules; PATCH some of its fields."""

    permission_classes = [CanSetupSms]
    fields: tuple[str, ...] = ()
    output = RegistrationSerializer
    InputSerializer: type[JsonInput]

    def registration(self, account): ...

    def check(self, account, data, fields=None): ...

    def save(self, account, user, data): ...

    def body(self, account) -> dict:
        registration = self.registration(account)
        _, errors = self.check(account, registration.draft)
        return {"registration": self.output(registration).data, "errors": errors}

    def get(self, request):
        return Response(self.body(request.account))

    def patch(self, request):
        # Kept as typed, valid or not, as the wizard's pages keep a draft: `errors` in the
        # answer says what still breaks the rules (cross-field rules read the saved draft for
        # the fields left out), and submitting refuses the draft (409) until it is fixed. The
        # schema says what a draft can hold; only that is refused here.
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.save(request.account, request.user, serializer.validated_data)
        return Response(self.body(request.account))


class DraftSerializerMixin(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BusinessApi(_DraftApi):
    """The business registration's draft (step 1)."""

    fields = BUSINESS_FIELDS
    output = BrandSerializer
    InputSerializer = draft_input("SmsBusinessDraftInput", BUSINESS_FIELDS)

    class OutputSerializer(DraftSerializerMixin):
        class Meta:
            ref_name = "SmsBusinessDraft"

        registration = BrandSerializer()

    def registration(self, account):
        return services.brand_registration_get_or_create(account=account)

    def check(self, account, data, fields=None):
        return business_validate(data, fields=fields)

    def save(self, account, user, data):
        services.brand_draft_save(account=account, user=user, data=data)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return super().get(request)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request):
        return super().patch(request)


class BusinessSubmitApi(APIView):
    """Submit the business registration: Trust Hub profile, A2P profile and brand at Twilio."""

    permission_classes = [CanSetupSms]

    @extend_schema(request=None, responses={202: BrandSerializer, 200: BrandSerializer})
    def post(self, request):
        brand, submitted = services.brand_registration_submit(
            account=request.account, user=request.user
        )
        return Response(
            BrandSerializer(brand).data,
            status=status.HTTP_202_ACCEPTED if submitted else status.HTTP_200_OK,
        )


class UseCaseApi(_DraftApi):
    """The SMS use case's draft (step 2)."""

    fields = USE_CASE_FIELDS
    output = UseCaseSerializer
    InputSerializer = draft_input("SmsUseCaseDraftInput", USE_CASE_FIELDS)

    class OutputSerializer(DraftSerializerMixin):
        class Meta:
            ref_name = "SmsUseCaseDraft"

        registration = UseCaseSerializer()

    def registration(self, account):
        return services.use_case_get_or_create(account=account)

    def check(self, account, data, fields=None):
        return use_case_validate(
            data, business_names=use_case_business_names(account), fields=fields
        )

    def save(self, account, user, data):
        services.use_case_draft_save(account=account, user=user, data=data)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return super().get(request)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request):
        return super().patch(request)


class UseCaseSubmitApi(APIView):
    permission_classes = [CanSetupSms]

    @extend_schema(request=None, responses={202: UseCaseSerializer, 200: UseCaseSerializer})
    def post(self, request):
        use_case, submitted = services.use_case_submit(account=request.account, user=request.user)
        return Response(
            UseCaseSerializer(use_case).data,
            status=status.HTTP_202_ACCEPTED if submitted else status.HTTP_200_OK,
        )


class AreaCodesApi(APIView):
    """US area codes with their state; ``q`` filters by the code's digits, a state's
    abbreviation ("CA") or part of its name (as the numbers page's search box does)."""

    permission_classes = [CanSetupSms]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsAreaCode"

        code = serializers.CharField()
        state = serializers.CharField()

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False)],
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        areas = area_codes_search(request.query_params.get("q", ""), limit=500)
        return Response(self.OutputSerializer(areas, many=True).data)


class AreaCodeField(serializers.CharField):
    """A US area code we can search. The list is built from phonenumbers' geodata when first
    needed, not when the URLs load: a worker process never needs it and saves the seconds."""

    default_error_messages = {
        "not_searchable": '"{input}" is not a US area code we can search '
        "(see /api/v1/sms-setup/area-codes)."
    }

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        if area_code_get(code) is None:
            self.fail("not_searchable", input=code)
        return code


class AreaCodeFieldSchema(OpenApiSerializerFieldExtension):
    """An AreaCodeField is one of the area codes, read when the schema is built."""

    target_class = AreaCodeField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": one_of_pattern(a.code for a in us_area_codes())}


class AvailableNumbersApi(APIView):
    """Local US numbers for sale in an area code (through Twilio); 409 before the business is
    registered, or when Twilio can't search."""

    permission_classes = [CanSetupSms]
    conflicts_on_read = True

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsAvailableNumber"

        phone_number = serializers.CharField()
        friendly_name = serializers.CharField()
        sms = serializers.BooleanField()
        mms = serializers.BooleanField()
        voice = serializers.BooleanField()

    class FilterSerializer(FormInput):
        area_code = AreaCodeField(help_text="A US area code (see /api/v1/sms-setup/area-codes).")
        contains = serializers.RegexField(
            CONTAINS_PATTERN,
            required=False,
            allow_blank=True,
            help_text=f"{CONTAINS_MIN} to {CONTAINS_MAX} digits the number must contain "
            "(Twilio's limits); spaces, dashes, dots and brackets between them are dropped.",
            error_messages={
                "invalid": f"Type {CONTAINS_MIN} to {CONTAINS_MAX} digits (0-9) the number "
                "should contain, or leave it empty."
            },
        )

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        numbers = services.available_numbers_search(
            account=request.account,
            area_code=filters.validated_data["area_code"],
            contains=filters.validated_data.get("contains", ""),
        )
        return Response(self.OutputSerializer(numbers, many=True).data)


class PhoneNumbersApi(APIView):
    """The account's numbers; POST buys one into its Messaging Service."""

    permission_classes = [CanSetupSms]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "SmsPhoneNumberPurchase"

        phone_number = serializers.CharField(max_length=20)

    @extend_schema(responses=PhoneNumberSerializer(many=True))
    def get(self, request):
        numbers = selectors.phone_numbers_for(request.account)
        return Response(PhoneNumberSerializer(numbers, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PhoneNumberSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number = services.number_purchase(
            account=request.account,
            user=request.user,
            phone_number=serializer.validated_data["phone_number"],
        )
        return Response(PhoneNumberSerializer(number).data, status=status.HTTP_201_CREATED)


def _number(request, number_id: str) -> PhoneNumber:
    return get_for_account(
        PhoneNumber.objects.prefetch_related("users"), request.account, number_id
    )


class PhoneNumberApi(APIView):
    permission_classes = [CanSetupSms]

    @extend_schema(responses=PhoneNumberSerializer)
    def get(self, request, number_id: str):
        return Response(PhoneNumberSerializer(_number(request, number_id)).data)


class PhoneNumberUsersApi(APIView):
    """Who may send from the number (public ids of the account's members; 404 for anyone
    else)."""

    permission_classes = [CanSetupSms]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "SmsPhoneNumberUsers"

        users = serializers.ListField(child=serializers.CharField(), allow_empty=True)

    @extend_schema(request=InputSerializer, responses=PhoneNumberSerializer)
    def put(self, request, number_id: str):
        number = _number(request, number_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            number = services.phone_number_users_set(
                account=request.account,
                user=request.user,
                number=number,
                user_ids=serializer.validated_data["users"],
            )
        except services.RegistrationError as error:
            if error.code == "not_member":
                raise NotInAccount("users", error.message) from error
            raise
        return Response(PhoneNumberSerializer(_number(request, number_id)).data)


class PhoneNumberLinkDomainApi(APIView):
    """Set (or, with "", remove) the number's branded link domain; it is pending until verified."""

    permission_classes = [CanSetupSms]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "SmsLinkDomain"

        link_domain = serializers.RegexField(
            LINK_DOMAIN_PATTERN,
            allow_blank=True,
            trim_whitespace=False,
            help_text="A domain name you own, such as links.example.com; empty removes it.",
            error_messages={"invalid": "Enter a domain name you own, such as links.example.com."},
        )

    @extend_schema(request=InputSerializer, responses=PhoneNumberSerializer)
    def post(self, request, number_id: str):
        number = _number(request, number_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number = services.link_domain_set(
            account=request.account,
            user=request.user,
            number=number,
            domain=serializer.validated_data["link_domain"],
        )
        return Response(PhoneNumberSerializer(number).data)


class PhoneNumberLinkDomainVerifyApi(APIView):
    """Check that the domain resolves to our link host; the answer says why when it doesn't."""

    permission_classes = [CanSetupSms]

    @extend_schema(request=None, responses=PhoneNumberSerializer)
    def post(self, request, number_id: str):
        number = _number(request, number_id)
        number = services.link_domain_verify(
            account=request.account, user=request.user, number=number
        )
        return Response(PhoneNumberSerializer(number).data)


class RegistrationEventsApi(APIView):
    """The audit log of SMS setup: every submission with who and when, and Twilio's outcomes."""

    permission_classes = [CanSetupSms]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsRegistrationEvent"

        id = serializers.CharField(source="public_id")
        kind = serializers.CharField()
        user = serializers.EmailField(source="user.email", allow_null=True)
        detail = serializers.DictField()
        created_at = serializers.DateTimeField()

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        events = RegistrationEvent.objects.filter(account=request.account).select_related("user")
        paginator = CreatedCursorPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
