"""SMS setup and numbers over the API (mounted under /api/v1/)."""

from django.urls import path

from registration import apis

urlpatterns = [
    path("sms-setup", apis.SmsSetupApi.as_view(), name="api_sms_setup"),
    path("sms-setup/refresh", apis.SmsSetupRefreshApi.as_view(), name="api_sms_setup_refresh"),
    path("sms-setup/eligibility", apis.EligibilityApi.as_view(), name="api_sms_eligibility"),
    path("sms-setup/business", apis.BusinessApi.as_view(), name="api_sms_business"),
    path(
        "sms-setup/business/submit",
        apis.BusinessSubmitApi.as_view(),
        name="api_sms_business_submit",
    ),
    path("sms-setup/use-case", apis.UseCaseApi.as_view(), name="api_sms_use_case"),
    path(
        "sms-setup/use-case/submit",
        apis.UseCaseSubmitApi.as_view(),
        name="api_sms_use_case_submit",
    ),
    path("sms-setup/events", apis.RegistrationEventsApi.as_view(), name="api_sms_events"),
    path("sms-setup/area-codes", apis.AreaCodesApi.as_view(), name="api_sms_area_codes"),
    path(
        "sms-setup/available-numbers",
        apis.AvailableNumbersApi.as_view(),
        name="api_sms_available_numbers",
    ),
    path("phone-numbers", apis.PhoneNumbersApi.as_view(), name="api_phone_numbers"),
    path("phone-numbers/<str:number_id>", apis.PhoneNumberApi.as_view(), name="api_phone_number"),
    path(
        "phone-numbers/<str:number_id>/users",
        apis.PhoneNumberUsersApi.as_view(),
        name="api_phone_number_users",
    ),
    path(
        "phone-numbers/<str:number_id>/link-domain",
        apis.PhoneNumberLinkDomainApi.as_view(),
        name="api_phone_number_link_domain",
    ),
    path(
        "phone-numbers/<str:number_id>/link-domain/verify",
        apis.PhoneNumberLinkDomainVerifyApi.as_view(),
        name="api_phone_number_link_domain_verify",
    ),
]
