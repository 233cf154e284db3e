from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import apis, views
from accounts.metrics import metrics_view
from accounts.rest import api_not_found
from messaging.shortlinks import CODE_LENGTH
from messaging.views.shortlinks import short_link_redirect

api_v1 = [
    path("me", apis.MeApi.as_view(), name="me"),
    path("", include("contacts.api_urls")),
    path("", include("consent.api_urls")),
    path("", include("registration.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("workflows.api_urls")),
    # Last: whatever else is under /api/v1/ answers the API's JSON 404.
    re_path(r"^.*$", api_not_found, name="api_not_found"),
]

urlpatterns = [
    # Short links live at the root of the link domain (`https://{domain}/{code}`). First, as
    # the hottest route (resolving past every other pattern costs a tenth of the redirect);
    # no page path is ten URL-safe characters without a slash, and the view answers 404 on
    # hosts that aren't link domains of the account.
    re_path(rf"^(?P<code>[A-Za-z0-9_-]{{{CODE_LENGTH}}})$", short_link_redirect, name="short_link"),
    # Twilio's callbacks come next: at a campaign's peak they are most of the traffic.
    path("webhooks/", include("messaging.webhook_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # Browsers ask for it on pages that name no icon (the API's JSON, the admin).
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/<str:uidb64>/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/<str:account_id>/switch/", views.account_switch, name="account_switch"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/team/", views.team, name="team"),
    path("settings/team/<str:membership_id>/", views.membership_edit, name="membership_edit"),
    path(
        "settings/invitations/<str:invitation_id>/cancel/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "settings/api-tokens/<str:token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("settings/account/", views.account_settings, name="account_settings"),
    path("contacts/", include("contacts.urls")),
    path("consent/", include("consent.urls")),
    path("settings/sms/", include("registration.urls")),
    path("sms/", include("messaging.urls")),
    # Public sign-up pages (no login): a subscription type's hosted opt-in form.
    path("optin/", include("messaging.opt_in_urls")),
    path("analytics/", include("analytics.urls")),
    path("workflows/", include("workflows.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "api/docs/",
        # The split view serves Swagger UI's start-up script as a file of its own: the
        # Content-Security-Policy refuses the inline one SpectacularSwaggerView writes.
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[]),
        name="api_docs",
    ),
    path("admin/", admin.site.urls),
]
