"""Every write to consent: subscription types, statuses and the ledger, keyword rules, inbound
keyword replies and bulk changes. Other apps call these (`from consent import services`)."""

from consent.services.bulk import (
    consent_bulk_change_run,
    consent_bulk_change_start,
    consent_bulk_changes_sweep,
)
from consent.services.consent import (
    BulkConsentResult,
    consent_bulk_set,
    consent_carrier_opt_out,
    contact_consent_set,
    contact_opt_in,
    contact_opt_out,
    phone_consent_set,
)
from consent.services.defaults import (
    DEFAULT_KEYWORDS,
    DEFAULT_SUBSCRIPTION_TYPE,
    TWILIO_OPT_OUT_KEYWORDS,
    TWILIO_STANDARD_KEYWORDS,
    account_defaults_ensure,
    carrier_reply,
    subscription_type_create,
    subscription_type_update,
)
from consent.services.keywords import (
    KeywordOutcome,
    inbound_keyword_apply,
    keyword_normalize,
    keyword_rule_create,
    keyword_rule_delete,
    keyword_rule_update,
)
from consent.services.opt_in_pages import (
    confirmation_text,
    opt_in_page_save,
    opt_in_phone_opted_out,
    opt_in_request_create,
)
from consent.services.reviews import reply_review_mark

__all__ = [
    "DEFAULT_KEYWORDS",
    "DEFAULT_SUBSCRIPTION_TYPE",
    "TWILIO_OPT_OUT_KEYWORDS",
    "TWILIO_STANDARD_KEYWORDS",
    "carrier_reply",
    "BulkConsentResult",
    "KeywordOutcome",
    "account_defaults_ensure",
    "consent_bulk_change_run",
    "consent_bulk_change_start",
    "consent_bulk_changes_sweep",
    "consent_bulk_set",
    "confirmation_text",
    "consent_carrier_opt_out",
    "contact_consent_set",
    "contact_opt_in",
    "contact_opt_out",
    "inbound_keyword_apply",
    "keyword_normalize",
    "keyword_rule_create",
    "keyword_rule_delete",
    "keyword_rule_update",
    "opt_in_page_save",
    "opt_in_phone_opted_out",
    "opt_in_request_create",
    "phone_consent_set",
    "reply_review_mark",
    "subscription_type_create",
    "subscription_type_update",
]
