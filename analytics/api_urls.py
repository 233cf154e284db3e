from django.urls import path

from analytics import apis

urlpatterns: list = [
    path("analytics/overview", apis.AnalyticsOverviewApi.as_view(), name="api_analytics"),
    path("analytics/consent", apis.ConsentReportApi.as_view(), name="api_analytics_consent"),
    path(
        "messages/<str:message_id>/performance",
        apis.MessagePerformanceApi.as_view(),
        name="api_message_performance",
    ),
    path(
        "messages/<str:message_id>/recipients",
        apis.MessageRecipientsApi.as_view(),
        name="api_message_recipients",
    ),
]
