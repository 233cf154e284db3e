"""The workflows API: list, create, read, update and switch workflows on or off, and read their
action log. Workflows are looked up by public id in the caller's account (404 otherwise);
viewers may read but not write."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rest import (
    CreatedCursorPagination,
    FormInput,
    IsAccountMember,
    JsonInput,
)
from accounts.tenancy import get_for_account
from workflows import selectors, services
from workflows.api_inputs import WorkflowCreateInput, WorkflowUpdateInput
from workflows.models import LogEvent, TriggerType, Workflow

STEPS_HELP = (
    "The steps, run in order. Each is an object with a `type`: `delay` {amount, unit: minutes|"
    "hours|days}, `wait_until` {time: HH:MM in the record's time zone}, `branch` {property, "
    "operator: is|is_not|contains|is_known|is_unknown, value, yes: [steps], no: [steps]} (last "
    "in its list), `send_sms` {from_number: number id, sender_user: user id, phone_property: "
    "mobile_phone|phone|custom key, body (tokens like {{ contact.first_name | default: "
    '"there" }}), append_opt_out}. Steps keep their `id` across updates; new ones get one.'
)
TRIGGER_HELP = (
    "By trigger_type: record_created {}; property_changed {property, value (optional)}; "
    "list_added {list: static list id}; inbound_keyword {keyword}."
)


def _workflow(request, workflow_id: str) -> Workflow:
    return get_for_account(Workflow, request.account, workflow_id)


class WorkflowOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Workflow"

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    record_type = serializers.CharField()
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    trigger = serializers.DictField(help_text=TRIGGER_HELP)
    steps = serializers.ListField(child=serializers.DictField(), help_text=STEPS_HELP)
    allow_reenrollment = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WorkflowsApi(APIView):
    """GET: the account's workflows, newest first (cursor pages). POST: create one (off)."""

    permission_classes = [IsAccountMember]

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Name contains")],
        responses=WorkflowOutputSerializer(many=True),
    )
    def get(self, request):
        queryset = selectors.workflows_list(account=request.account, q=request.GET.get("q", ""))
        paginator = CreatedCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(WorkflowOutputSerializer(page, many=True).data)

    @extend_schema(request=WorkflowCreateInput, responses={201: WorkflowOutputSerializer})
    def post(self, request):
        serializer = WorkflowCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workflow = services.workflow_create(
            account=request.account,
            user=request.user,
            name=data["name"],
            record_type=data["record_type"],
            trigger_type=data["trigger_type"],
            trigger=data["trigger"],
            steps=data.get("steps") or [],
            allow_reenrollment=data["allow_reenrollment"],
        )
        return Response(WorkflowOutputSerializer(workflow).data, status=status.HTTP_201_CREATED)


class WorkflowDetailApi(APIView):
    """GET: one workflow. PATCH: change it (only the fields given; `steps` replaces them all;
    a `trigger` comes with its `trigger_type`)."""

    permission_classes = [IsAccountMember]

    @extend_schema(responses=WorkflowOutputSerializer)
    def get(self, request, workflow_id: str):
        return Response(WorkflowOutputSerializer(_workflow(request, workflow_id)).data)

    @extend_schema(request=WorkflowUpdateInput, responses=WorkflowOutputSerializer)
    def patch(self, request, workflow_id: str):
        workflow = _workflow(request, workflow_id)
        serializer = WorkflowUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        workflow = services.workflow_update(
            account=request.account, workflow=workflow, **serializer.validated_data
        )
        return Response(WorkflowOutputSerializer(workflow).data)


class WorkflowToggleApi(APIView):
    """POST {"enabled": true|false}: switch a workflow on (it is validated again: 409 while its
    definition can't run, or it has no step) or off."""

    permission_classes = [IsAccountMember]

    class InputSerializer(JsonInput):
        class Meta:
            ref_name = "WorkflowToggleInput"

        enabled = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses=WorkflowOutputSerializer)
    def post(self, request, workflow_id: str):
        workflow = _workflow(request, workflow_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workflow = services.workflow_toggle(
            account=request.account,
            workflow=workflow,
            enabled=serializer.validated_data["enabled"],
        )
        return Response(WorkflowOutputSerializer(workflow).data)


class WorkflowLogOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "WorkflowLogEntry"

    id = serializers.CharField(source="log.public_id")
    created_at = serializers.DateTimeField(source="log.created_at")
    record_type = serializers.CharField(source="log.record_type")
    record = serializers.CharField(source="record_public_id", help_text="The record's id.")
    record_label = serializers.CharField(source="log.record_label")
    event = serializers.ChoiceField(choices=LogEvent.choices, source="log.event")
    step_id = serializers.CharField(source="log.step_id")
    outcome = serializers.ChoiceField(
        choices=list(selectors.LOG_OUTCOMES),
        help_text="For a text, read live: sent, deferred, queued, skipped or failed.",
    )
    reason = serializers.CharField(source="log.reason")
    detail = serializers.CharField()
    message_sid = serializers.CharField(source="sid", allow_blank=True)
    deferred_until = serializers.DateTimeField(allow_null=True)


class WorkflowLogsApi(APIView):
    """GET: the workflow's action log, newest first (cursor pages), filterable."""

    permission_classes = [IsAccountMember]

    class FilterSerializer(FormInput):
        # Given empty, a filter is not given.
        outcome = serializers.ChoiceField(
            choices=list(selectors.LOG_OUTCOMES), required=False, allow_blank=True
        )
        event = serializers.ChoiceField(choices=LogEvent.choices, required=False, allow_blank=True)
        record = serializers.CharField(
            required=False, allow_blank=True, help_text="A record's id (con_…)."
        )

    # Documents the cursor page (next, previous, results) and its parameters.
    pagination_class = CreatedCursorPagination

    @extend_schema(
        parameters=[FilterSerializer],
        responses=WorkflowLogOutputSerializer(many=True),
    )
    def get(self, request, workflow_id: str):
        workflow = _workflow(request, workflow_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.workflow_logs(
            account=request.account, workflow=workflow, **filters.validated_data
        )
        paginator = CreatedCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        lines = selectors.log_lines(page, account=request.account, workflow=workflow)
        return paginator.get_paginated_response(WorkflowLogOutputSerializer(lines, many=True).data)
