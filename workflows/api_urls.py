from django.urls import path

from workflows import apis

urlpatterns: list = [
    path("workflows", apis.WorkflowsApi.as_view(), name="api_workflows"),
    path("workflows/<str:workflow_id>", apis.WorkflowDetailApi.as_view(), name="api_workflow"),
    path(
        "workflows/<str:workflow_id>/toggle",
        apis.WorkflowToggleApi.as_view(),
        name="api_workflow_toggle",
    ),
    path(
        "workflows/<str:workflow_id>/logs", apis.WorkflowLogsApi.as_view(), name="api_workflow_logs"
    ),
]
