from django.urls import path

from contacts.views import contacts, imports, lists, properties, reformat

app_name = "contacts"

urlpatterns = [
    path("", contacts.contact_index, name="index"),
    path("new/", contacts.contact_create, name="create"),
    path("export.csv", contacts.contact_export, name="export"),
    path("bulk/lists/", contacts.contact_bulk_list, name="bulk_list"),
    path("properties/", properties.property_index, name="properties"),
    path("properties/<str:property_id>/edit/", properties.property_edit, name="property_edit"),
    path(
        "properties/<str:property_id>/delete/", properties.property_delete, name="property_delete"
    ),
    path("lists/", lists.list_index, name="lists"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<str:list_id>/", lists.list_detail, name="list_detail"),
    path("lists/<str:list_id>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<str:list_id>/delete/", lists.list_delete, name="list_delete"),
    path("imports/", imports.import_index, name="imports"),
    path("imports/<str:import_id>/", imports.import_detail, name="import_detail"),
    path("imports/<str:import_id>/map/", imports.import_map, name="import_map"),
    path("imports/<str:import_id>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<str:import_id>/report.csv", imports.import_report, name="import_report"),
    path("sms-tools/reformat/", reformat.reformat_index, name="reformat"),
    path("sms-tools/reformat/preview/", reformat.reformat_preview, name="reformat_preview"),
    path(
        "sms-tools/reformat/preview.csv", reformat.reformat_preview_csv, name="reformat_preview_csv"
    ),
    path("sms-tools/reformat/<str:reformat_id>/", reformat.reformat_detail, name="reformat_detail"),
    path(
        "sms-tools/reformat/<str:reformat_id>/progress/",
        reformat.reformat_progress,
        name="reformat_progress",
    ),
    path(
        "sms-tools/reformat/<str:reformat_id>/changes.csv",
        reformat.reformat_changes_csv,
        name="reformat_changes",
    ),
    path(
        "sms-tools/reformat/<str:reformat_id>/revert/",
        reformat.reformat_revert,
        name="reformat_revert",
    ),
    path("<str:contact_id>/", contacts.contact_detail, name="detail"),
    path("<str:contact_id>/edit/", contacts.contact_edit, name="edit"),
    path("<str:contact_id>/delete/", contacts.contact_delete, name="delete"),
    path("<str:contact_id>/timeline/", contacts.contact_timeline, name="timeline"),
]
