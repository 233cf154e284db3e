from django.urls import path

from analytics import consent_views, views

app_name = "analytics"

urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("consent/", consent_views.consent_overview, name="consent"),
    path("messages/compare/", views.message_compare, name="compare"),
    path("messages/<str:message_id>/", views.message_performance, name="message"),
    path(
        "messages/<str:message_id>/recipients.csv",
        views.message_recipients_csv,
        name="message_recipients_csv",
    ),
    path(
        "messages/<str:message_id>/over-time.csv",
        views.message_series_csv,
        name="message_series_csv",
    ),
]
