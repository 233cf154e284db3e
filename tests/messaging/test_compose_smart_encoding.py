"""What the composer counts is what Twilio sends: our Messaging Services have smart encoding off,
so Twilio never swaps curly quotes for GSM ones behind a count we made in UCS-2 (the composer
offers that replacement itself, in the body the marketer sees)."""

from __future__ import annotations

from messaging import segments
from twilio_gateway.provisioning import messaging_service_create, subaccount_create


def test_the_messaging_service_we_create_has_smart_encoding_off(emulator):
    credentials = subaccount_create(friendly_name="Acme Outdoor")

    sid = messaging_service_create(
        credentials=credentials,
        friendly_name="Acme Outdoor SMS",
        inbound_request_url="https://app.example/webhooks/twilio/inbound",
        status_callback="https://app.example/webhooks/twilio/status",
    )

    service = emulator.state.services[sid]
    assert service["smart_encoding"] is False
    # So a curly quote goes out as UCS-2, exactly as the composer counted it.
    assert segments.estimate("It’s on sale").encoding == segments.UCS2
