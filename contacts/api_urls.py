from django.urls import path

from contacts import apis

urlpatterns = [
    path("contacts", apis.ContactListApi.as_view(), name="api_contact_list"),
    path("contacts/create", apis.ContactCreateApi.as_view(), name="api_contact_create"),
    path("contacts/<str:contact_id>", apis.ContactDetailApi.as_view(), name="api_contact_detail"),
    path(
        "contacts/<str:contact_id>/update",
        apis.ContactUpdateApi.as_view(),
        name="api_contact_update",
    ),
    path(
        "contacts/<str:contact_id>/delete",
        apis.ContactDeleteApi.as_view(),
        name="api_contact_delete",
    ),
    path(
        "contacts/<str:contact_id>/timeline",
        apis.ContactTimelineApi.as_view(),
        name="api_contact_timeline",
    ),
    path("contact-properties", apis.PropertyListApi.as_view(), name="api_property_list"),
    path("contact-properties/create", apis.PropertyCreateApi.as_view(), name="api_property_create"),
    path(
        "contact-properties/<str:property_id>/update",
        apis.PropertyUpdateApi.as_view(),
        name="api_property_update",
    ),
    path(
        "contact-properties/<str:property_id>/delete",
        apis.PropertyDeleteApi.as_view(),
        name="api_property_delete",
    ),
    path("lists", apis.ListListApi.as_view(), name="api_list_list"),
    path("lists/create", apis.ListCreateApi.as_view(), name="api_list_create"),
    path("lists/<str:list_id>", apis.ListDetailApi.as_view(), name="api_list_detail"),
    path("lists/<str:list_id>/update", apis.ListUpdateApi.as_view(), name="api_list_update"),
    path("lists/<str:list_id>/delete", apis.ListDeleteApi.as_view(), name="api_list_delete"),
    path("lists/<str:list_id>/contacts", apis.ListMembersApi.as_view(), name="api_list_members"),
    path("lists/<str:list_id>/contacts/add", apis.ListAddApi.as_view(), name="api_list_add"),
    path(
        "lists/<str:list_id>/contacts/remove", apis.ListRemoveApi.as_view(), name="api_list_remove"
    ),
    path("imports", apis.ImportListApi.as_view(), name="api_import_list"),
    path("imports/create", apis.ImportCreateApi.as_view(), name="api_import_create"),
    path("imports/<str:import_id>", apis.ImportDetailApi.as_view(), name="api_import_detail"),
    path(
        "imports/<str:import_id>/report", apis.ImportReportApi.as_view(), name="api_import_report"
    ),
]
