"""Opaque public identifiers: a short type prefix and 20 random base32 characters.

Sequential integer keys stay inside the database; URLs and the API only ever show these, so an
outsider can neither count our rows nor guess a neighbour's id.
"""

from __future__ import annotations

import base64
import secrets
from functools import partial

from django.db import models


def new_public_id(prefix: str) -> str:
    random_part = base64.b32encode(secrets.token_bytes(12)).decode().rstrip("=").lower()
    return f"{prefix}_{random_part}"


class PublicIdField(models.CharField):
    """A unique, random, prefixed id generated on creation."""

    def __init__(self, *args, prefix: str = "", **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        if prefix:
            kwargs["default"] = partial(new_public_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        kwargs["prefix"] = self.prefix
        return name, path, args, kwargs
