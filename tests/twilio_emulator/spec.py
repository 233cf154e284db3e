"""Field names of Twilio's resources, copied from Twilio's OpenAPI specs.

test_spec.py checks these copies against the specs vendored in twilio_emulator/specs/.
"""

from __future__ import annotations

import re

from twilio_emulator.contract import SPEC_DIR

__all__ = ["SPEC_DIR"]

ACCOUNT_FIELDS = frozenset(
    {
        "auth_token",
        "date_created",
        "date_updated",
        "friendly_name",
        "owner_account_sid",
        "sid",
        "status",
        "subresource_uris",
        "type",
        "uri",
    }
)

MESSAGE_FIELDS = frozenset(
    {
        "account_sid",
        "api_version",
        "body",
        "date_created",
        "date_sent",
        "date_updated",
        "direction",
        "error_code",
        "error_message",
        "from",
        "messaging_service_sid",
        "num_media",
        "num_segments",
        "price",
        "price_unit",
        "sid",
        "status",
        "subresource_uris",
        "to",
        "uri",
    }
)

LIST_PAGE_FIELDS = frozenset(
    {
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
)

# Twilio's dates: "Fri, 24 May 2019 17:44:46 +0000".
RFC_2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
