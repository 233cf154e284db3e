from django.urls import path

from messaging.views import compose, conversations, send, sent, settings, test_phones

app_name = "messaging"

# Fixed paths first: "<message_id>/" would take any single segment.
urlpatterns: list = [
    path("", compose.index, name="index"),
    path("new/", compose.new, name="new"),
    path("inbox/", conversations.inbox, name="inbox"),
    path("inbox/<str:contact_id>/<str:number_id>/", conversations.thread, name="thread"),
    path("preview-contacts/", compose.contact_options, name="contact_options"),
    path("contact-search/", compose.contact_search, name="contact_search"),
    path("test-phones/", test_phones.test_phones, name="test_phones"),
    path(
        "test-phones/<str:test_phone_id>/verify/",
        test_phones.test_phone_verify,
        name="test_phone_verify",
    ),
    path(
        "test-phones/<str:test_phone_id>/resend/",
        test_phones.test_phone_resend,
        name="test_phone_resend",
    ),
    path(
        "test-phones/<str:test_phone_id>/delete/",
        test_phones.test_phone_delete,
        name="test_phone_delete",
    ),
    path("settings/usage/", settings.usage_settings, name="usage_settings"),
    path("settings/sending/", settings.sending_rules, name="sending_rules"),
    path("settings/properties/", settings.message_properties, name="properties"),
    path(
        "settings/properties/<str:property_id>/delete/",
        settings.message_property_delete,
        name="property_delete",
    ),
    path("<str:message_id>/", compose.compose_page, name="compose"),
    path("<str:message_id>/save/", compose.autosave, name="save"),
    path("<str:message_id>/preview/", compose.preview, name="preview"),
    path("<str:message_id>/test-send/", compose.test_send, name="test_send"),
    path("<str:message_id>/archive/", compose.archive, name="archive"),
    path("<str:message_id>/unarchive/", compose.unarchive, name="unarchive"),
    path("<str:message_id>/delete/", compose.delete, name="delete"),
    path("<str:message_id>/clone/", sent.clone, name="clone"),
    path(
        "<str:message_id>/delete-with-results/",
        sent.delete_with_results,
        name="delete_with_results",
    ),
    # sending routes: messaging.views.send
    path("<str:message_id>/send/", send.send_page, name="send"),
    path("<str:message_id>/send/confirm/", send.send_confirm, name="send_confirm"),
    path("<str:message_id>/send/review/", send.send_review, name="send_review"),
    path("<str:message_id>/send/progress/", send.send_progress, name="send_progress"),
    path("<str:message_id>/send/time-zones/", send.time_zones, name="send_time_zones"),
    path("<str:message_id>/send/pause/", send.send_pause, name="send_pause"),
    path("<str:message_id>/send/resume/", send.send_resume, name="send_resume"),
    path("<str:message_id>/send/cancel/", send.send_cancel, name="send_cancel"),
    path("<str:message_id>/send/change/", send.send_unschedule, name="send_unschedule"),
]
