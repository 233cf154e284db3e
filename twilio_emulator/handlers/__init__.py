"""Endpoint handlers, one function per endpoint; importing a module registers its routes.

A new endpoint group (Messaging Services, Trust Hub, ...) is a new module here, imported below.
Registration (SMS setup): addresses, trusthub, brands, messaging_services, phone_numbers.
"""

from twilio_emulator.handlers import (
    accounts,
    addresses,
    brands,
    control,
    messages,
    messaging_services,
    phone_numbers,
    trusthub,
)

__all__ = [
    "accounts",
    "addresses",
    "brands",
    "control",
    "messages",
    "messaging_services",
    "phone_numbers",
    "trusthub",
]
