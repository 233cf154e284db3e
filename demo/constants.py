"""The demo data `make run` seeds: who signs in, and into which accounts."""

from __future__ import annotations

DEMO_EMAIL = "demo@smsapp.test"
DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNT = "Demo Outfitters"
DEMO_SECOND_ACCOUNT = "Demo Labs"
