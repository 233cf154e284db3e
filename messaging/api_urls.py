from django.urls import path

from messaging.apis import compose

# "messages/estimate" before "messages/<message_id>", which would take it as an id.
urlpatterns: list = [
    path("messages", compose.MessagesApi.as_view(), name="api_messages"),
    path("messages/estimate", compose.MessageEstimateApi.as_view(), name="api_message_estimate"),
    path("messages/<str:message_id>", compose.MessageDetailApi.as_view(), name="api_message"),
    path(
        "messages/<str:message_id>/preview",
        compose.MessagePreviewApi.as_view(),
        name="api_message_preview",
    ),
    path(
        "messages/<str:message_id>/test-send",
        compose.MessageTestSendApi.as_view(),
        name="api_message_test_send",
    ),
    path("test-phones", compose.TestPhonesApi.as_view(), name="api_test_phones"),
]
