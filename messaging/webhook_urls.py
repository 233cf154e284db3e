"""Twilio's webhooks: POST /webhooks/twilio/status and /webhooks/twilio/inbound."""

from django.urls import path

from messaging import webhooks

urlpatterns = [
    path("twilio/status", webhooks.status_callback, name="twilio_status"),
    path("twilio/inbound", webhooks.inbound_message, name="twilio_inbound"),
]
