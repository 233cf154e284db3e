from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_index, name="index"),
    path("new/", views.contact_create, name="create"),
    path("export.csv", views.contact_export, name="export"),
    path("bulk/lists/", views.contact_bulk_list, name="bulk_list"),
    path("properties/", views.property_index, name="properties"),
    path("properties/<str:property_id>/edit/", views.property_edit, name="property_edit"),
    path("properties/<str:property_id>/delete/", views.property_delete, name="property_delete"),
    path("lists/", views.list_index, name="lists"),
    path("lists/new/", views.list_create, name="list_create"),
    path("lists/<str:list_id>/", views.list_detail, name="list_detail"),
    path("lists/<str:list_id>/edit/", views.list_edit, name="list_edit"),
    path("lists/<str:list_id>/delete/", views.list_delete, name="list_delete"),
    path("imports/", views.import_index, name="imports"),
    path("imports/<str:import_id>/", views.import_detail, name="import_detail"),
    path("imports/<str:import_id>/map/", views.import_map, name="import_map"),
    path("imports/<str:import_id>/progress/", views.import_progress, name="import_progress"),
    path("imports/<str:import_id>/report.csv", views.import_report, name="import_report"),
    path("sms-tools/reformat/", views.reformat_index, name="reformat"),
    path("sms-tools/reformat/preview/", views.reformat_preview, name="reformat_preview"),
    path("sms-tools/reformat/preview.csv", views.reformat_preview_csv, name="reformat_preview_csv"),
    path("sms-tools/reformat/<str:reformat_id>/", views.reformat_detail, name="reformat_detail"),
    path(
        "sms-tools/reformat/<str:reformat_id>/progress/",
        views.reformat_progress,
        name="reformat_progress",
    ),
    path(
        "sms-tools/reformat/<str:reformat_id>/changes.csv",
        views.reformat_changes_csv,
        name="reformat_changes",
    ),
    path(
        "sms-tools/reformat/<str:reformat_id>/revert/",
        views.reformat_revert,
        name="reformat_revert",
    ),
    path("<str:contact_id>/", views.contact_detail, name="detail"),
    path("<str:contact_id>/edit/", views.contact_edit, name="edit"),
    path("<str:contact_id>/delete/", views.contact_delete, name="delete"),
    path("<str:contact_id>/timeline/", views.contact_timeline, name="timeline"),
]
