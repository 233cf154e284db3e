"""An import's rows one by one: each row's cells checked and turned into contact values, or
rejected with the reason; and the report of the rows not imported."""

from __future__ import annotations

import io
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.exports import SafeCsvWriter
from contacts.csvfiles import cell_is_formula
from contacts.models import ContactImport, ContactProperty
from contacts.phones import phone_check
from contacts.services.properties import property_value_clean

TEXT_LIMITS = {"first_name": 150, "last_name": 150, "company_name": 200, "email": 254}

_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def email_is_valid(email: str) -> bool:
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
TIME_ZONES = frozenset(zoneinfo.available_timezones())


class RowRejected(Exception):
    pass


@dataclass
class ImportRow:
    line: int
    cells: list[str]
    values: dict
    properties: dict = field(default_factory=dict)

    def phones(self) -> list[str]:
        return [
            self.values[f"{p}_e164"]
            for p in ("phone", "mobile_phone")
            if self.values.get(f"{p}_e164")
        ]

    def sms_phones(self) -> list[str]:
        return [
            self.values[f"{p}_e164"]
            for p in ("mobile_phone", "phone")
            if self.values.get(f"{p}_e164") and not self.values.get(f"{p}_sms_invalid_reason")
        ]


class RowReader:
    """Turns the cells of one row into contact values, or raises RowRejected with the reason."""

    def __init__(self, contact_import: ContactImport, definitions: dict[str, ContactProperty]):
        self.headers = contact_import.headers
        self.region = contact_import.account.default_region or "US"
        self.plan = [
            (position, header, target)
            for position, header in enumerate(self.headers)
            if (target := contact_import.mapping.get(header))
        ]
        self.definitions = definitions

    def read(self, line: int, cells: list[str]) -> ImportRow:
        if len(cells) > len(self.headers) and any(c.strip() for c in cells[len(self.headers) :]):
            raise RowRejected(
                f"The row has {len(cells)} cells but the header has {len(self.headers)} "
                "columns: check for an unquoted comma."
            )
        values: dict = {}
        properties: dict = {}
        for position, header, target in self.plan:
            cell = cells[position].strip() if position < len(cells) else ""
            if not cell:
                continue
            # Before the phone columns too: an unparseable phone is kept as typed, so a formula
            # there would be stored and shown (and exported) like any other text.
            if cell_is_formula(cell):
                raise RowRejected(
                    f"{header}: “{cell[:30]}” starts with '{cell[0]}', which a spreadsheet "
                    "would run as a formula."
                )
            if target in ("phone", "mobile_phone"):
                if len(cell) > 64:
                    raise RowRejected(f"{header}: longer than 64 characters.")
                check = phone_check(cell, self.region)
                values[f"{target}_raw"] = cell
                values[f"{target}_e164"] = check.e164
                values[f"{target}_region"] = check.region
                values[f"{target}_sms_invalid_reason"] = check.reason
                continue
            if target.startswith("property:"):
                definition = self.definitions[target.split(":", 1)[1]]
                try:
                    value = property_value_clean(definition, cell)
                except ValueError as exc:
                    raise RowRejected(f"{header}: {exc}") from None
                if value is not None:
                    properties[definition.key] = value
            elif target == "email":
                email = cell.lower()
                if not email_is_valid(email):
                    raise RowRejected(f"{header}: “{cell[:60]}” is not an email address.")
                values["email"] = email
            elif target == "time_zone":
                if cell not in TIME_ZONES:
                    raise RowRejected(
                        f"{header}: “{cell[:40]}” is not a time zone; use names like "
                        "America/New_York."
                    )
                values["time_zone"] = cell
            elif target == "marketing_contact":
                word = cell.lower()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    raise RowRejected(f"{header}: “{cell[:20]}” is neither yes nor no.")
                values["marketing_contact"] = word in TRUE_WORDS
            else:
                limit = TEXT_LIMITS[target]
                if len(cell) > limit:
                    raise RowRejected(f"{header}: longer than {limit} characters.")
                values[target] = cell
        if not (values.get("email") or values.get("phone_raw") or values.get("mobile_phone_raw")):
            raise RowRejected("No phone, mobile phone or email: a contact needs one of them.")
        return ImportRow(line=line, cells=cells, values=values, properties=properties)


_QUOTED = re.compile(r"“[^”]*”")
_LINE_NUMBER = re.compile(r"line \d+")


class Report:
    """The rows that were not imported, with why; every cell is neutralised."""

    def __init__(self, headers: list[str]):
        self.buffer = io.StringIO()
        self.writer = SafeCsvWriter(self.buffer)
        self.writer.writerow(["Line", "Outcome", "Reason", *headers])
        self.reasons: Counter = Counter()
        self.rejected = 0
        self.skipped = 0

    def reject(self, line: int, cells: list[str], reason: str) -> None:
        self.rejected += 1
        # Grouped without the row's own values: "Email: “…” is not an email address."
        self.reasons[_QUOTED.sub("“…”", _LINE_NUMBER.sub("line …", reason))] += 1
        self.writer.writerow([line, "rejected", reason, *cells])

    def skip(self, line: int, cells: list[str], reason: str) -> None:
        self.skipped += 1
        self.writer.writerow([line, "skipped", reason, *cells])
