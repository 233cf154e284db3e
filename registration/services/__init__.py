"""Every write of the registration app (HackSoft's services), by topic:

- ``brand``: eligibility, the business registration, Trust Hub and the A2P brand;
- ``use_case``: the SMS use case, the Messaging Service and the Usa2p campaign;
- ``numbers``: searching, buying and attaching numbers, their users;
- ``links``: branded link domains;
- ``messaging_services``: keeping Messaging Services pointed at our current webhook URLs;
- ``polling``: carrying registrations forward until Twilio's final answer.
"""

from registration.services.brand import (
    brand_draft_save,
    brand_registration_get_or_create,
    brand_registration_provision,
    brand_registration_submit,
    brand_status_refresh,
    eligibility_record,
    throughput_apply,
)
from registration.services.links import (
    link_domain_set,
    link_domain_verify,
    resolve_addresses,
)
from registration.services.messaging_services import messaging_services_sync
from registration.services.numbers import (
    available_numbers_search,
    number_purchase,
    phone_number_users_set,
    phone_numbers_reconcile,
)
from registration.services.polling import registration_status_poll
from registration.services.provisioning import RegistrationError, RegistrationInvalid
from registration.services.use_case import (
    use_case_draft_save,
    use_case_get_or_create,
    use_case_provision,
    use_case_submit,
)

__all__ = [
    "RegistrationError",
    "RegistrationInvalid",
    "available_numbers_search",
    "brand_draft_save",
    "brand_registration_get_or_create",
    "brand_registration_provision",
    "brand_registration_submit",
    "brand_status_refresh",
    "eligibility_record",
    "link_domain_set",
    "link_domain_verify",
    "messaging_services_sync",
    "number_purchase",
    "phone_number_users_set",
    "phone_numbers_reconcile",
    "registration_status_poll",
    "resolve_addresses",
    "throughput_apply",
    "use_case_draft_save",
    "use_case_get_or_create",
    "use_case_provision",
    "use_case_submit",
]
