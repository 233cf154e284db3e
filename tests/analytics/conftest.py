"""Analytics tests reuse the sending fixtures: an emulator, a sender and consenting contacts."""

from tests.messaging.conftest import emulator, sending  # noqa: F401
