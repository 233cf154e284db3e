"""CSV we write (exports, import reports): cells a spreadsheet won't run, streamed.

Formula injection: a cell that starts with = + - @ (or a tab or carriage return) is run by Excel,
LibreOffice and Google Sheets as a formula. Every CSV we write prefixes such cells with an
apostrophe (OWASP's advice), so what we export is inert whatever came in through forms or the
API. Even arithmetic counts: Excel shows "+1-2" as -1 and "+1-212-555-0100" as -866. The one
exception is an E.164 phone number ("+" and 7 to 15 digits, nothing else, as in +12125550100): a
spreadsheet can only read it as that number. Numbers our own code writes (int, float, Decimal)
are not user text and stay as they are. (Imports refuse such cells: contacts/csvfiles.py.)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def cell_neutralise(value) -> str:
    """The cell as a spreadsheet may safely read it (the rule in the module docstring)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _E164.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell is neutralised."""

    def __init__(self, stream):
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([cell_neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file-like object that hands back what is written, for StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Lines of a safe CSV, for streaming large exports without holding them in memory."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel needs the BOM to read UTF-8
    yield writer.writerow([cell_neutralise(c) for c in header])
    for row in rows:
        yield writer.writerow([cell_neutralise(c) for c in row])
