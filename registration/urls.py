"""Settings > SMS setup, mounted at /settings/sms/."""

from django.urls import path

from registration import views
from registration.validation import BUSINESS_STEPS

app_name = "registration"

urlpatterns = [
    path("", views.setup, name="setup"),
    path("refresh/", views.refresh, name="refresh"),
    path("eligibility/", views.eligibility, name="eligibility"),
    # One named page per wizard step (no URL parameter: the steps are fixed).
    *[
        path(f"business/{step}/", views.business_step, {"step": step}, name=f"business_{step}")
        for step in BUSINESS_STEPS
    ],
    path("business/review/", views.business_review, name="business_review"),
    path("use-case/", views.use_case, name="use_case"),
    path("use-case/review/", views.use_case_review, name="use_case_review"),
    path("numbers/", views.numbers, name="numbers"),
    path("numbers/buy/", views.number_buy, name="number_buy"),
    path(
        "numbers/<str:number_id>/link-domain/",
        views.number_link_domain,
        name="number_link_domain",
    ),
    path(
        "numbers/<str:number_id>/link-domain/verify/",
        views.number_link_domain_verify,
        name="number_link_domain_verify",
    ),
    path("numbers/<str:number_id>/users/", views.number_users, name="number_users"),
]
