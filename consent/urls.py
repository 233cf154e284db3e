from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("subscription-types/", views.subscription_type_index, name="subscription_types"),
    path(
        "subscription-types/<str:subscription_type_id>/edit/",
        views.subscription_type_edit,
        name="subscription_type_edit",
    ),
    path(
        "subscription-types/<str:subscription_type_id>/opt-in-page/",
        views.opt_in_page_edit,
        name="opt_in_page_edit",
    ),
    path("keywords/", views.keyword_index, name="keywords"),
    path("replies/reviewed/", views.reply_reviewed, name="reply_reviewed"),
    path("keywords/<str:keyword_id>/edit/", views.keyword_edit, name="keyword_edit"),
    path("keywords/<str:keyword_id>/delete/", views.keyword_delete, name="keyword_delete"),
    path("ledger/", views.ledger_index, name="ledger"),
    path("ledger.csv", views.ledger_csv, name="ledger_csv"),
    path("contacts/<str:contact_id>/change/", views.contact_consent_change, name="contact_change"),
    path("contacts/<str:contact_id>/ledger/", views.contact_ledger, name="contact_ledger"),
    path(
        "contacts/<str:contact_id>/ledger.csv",
        views.contact_ledger_csv,
        name="contact_ledger_csv",
    ),
    path("bulk/", views.bulk_change_create, name="bulk_change"),
    path("bulk/<str:bulk_change_id>/", views.bulk_change_detail, name="bulk_change_detail"),
    path(
        "bulk/<str:bulk_change_id>/progress/",
        views.bulk_change_progress,
        name="bulk_change_progress",
    ),
]
