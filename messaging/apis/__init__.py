"""The messaging REST API (`/api/v1/`): one view per operation, see compose.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions


def api_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError in DRF's terms, so the project's handler shapes it."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {
                ("non_field_errors" if name == "__all__" else name): messages
                for name, messages in error.message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": error.messages})
