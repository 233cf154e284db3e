"""Every write to contacts, lists, properties, the timeline, imports and reformats.

Other apps import this package (`from contacts import services as contact_services`); the
submodules group the writes by topic.
"""

from contacts.services.contacts import (
    contact_create,
    contact_delete,
    contact_for_phone_get_or_create,
    contact_phone_mark_invalid,
    contact_phone_mark_unreachable,
    contact_update,
)
from contacts.services.engagements import EngagementDraft, engagement_record, engagements_record
from contacts.services.imports import (
    contact_import_create,
    contact_import_run,
    contact_import_start,
    contact_imports_sweep,
)
from contacts.services.lists import (
    contact_list_add,
    contact_list_create,
    contact_list_delete,
    contact_list_remove,
    contact_list_update,
)
from contacts.services.properties import (
    contact_property_create,
    contact_property_delete,
    contact_property_update,
    property_value_clean,
)
from contacts.services.reformat import (
    phone_reformat_revert,
    phone_reformat_revert_run,
    phone_reformat_run,
    phone_reformat_start,
    phone_reformats_sweep,
)

__all__ = [
    "EngagementDraft",
    "contact_create",
    "contact_delete",
    "contact_for_phone_get_or_create",
    "contact_import_create",
    "contact_import_run",
    "contact_import_start",
    "contact_imports_sweep",
    "contact_list_add",
    "contact_list_create",
    "contact_list_delete",
    "contact_list_remove",
    "contact_list_update",
    "contact_phone_mark_invalid",
    "contact_phone_mark_unreachable",
    "contact_property_create",
    "contact_property_delete",
    "contact_property_update",
    "contact_update",
    "engagement_record",
    "engagements_record",
    "phone_reformat_revert",
    "phone_reformat_revert_run",
    "phone_reformat_run",
    "phone_reformat_start",
    "phone_reformats_sweep",
    "property_value_clean",
]
