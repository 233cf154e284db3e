from django.urls import path

from consent import apis

urlpatterns = [
    path(
        "subscription-types", apis.SubscriptionTypeListApi.as_view(), name="api_subscription_types"
    ),
    path(
        "contacts/<str:contact_id>/subscriptions",
        apis.ContactSubscriptionsApi.as_view(),
        name="api_contact_subscriptions",
    ),
    path(
        "contacts/<str:contact_id>/subscriptions/update",
        apis.ContactSubscriptionUpdateApi.as_view(),
        name="api_contact_subscription_update",
    ),
    path("consent-ledger", apis.LedgerListApi.as_view(), name="api_consent_ledger"),
]
