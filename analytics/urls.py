from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns: list = [
    path("", views.overview, name="overview"),
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
