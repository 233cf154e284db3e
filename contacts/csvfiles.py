"""CSV coming in: checking an uploaded file and reading its rows.

Formula injection: a cell that starts with = + - @ (or a tab or carriage return) is run by Excel,
LibreOffice and Google Sheets as a formula. Imports refuse such cells in every column, phone
columns included (the row is reported, the others are kept), unless the cell is a plain number
as people type one ("+1 212 555 0123", "-12.5"): those are data, and a phone that isn't valid is
kept with its reason. What we write out is neutralised instead (accounts/exports.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

from accounts.exports import FORMULA_START
from accounts.inputs import SPACE_CLASS
from contacts.phones import phone_check

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 300_000
MAX_COLUMNS = 200
PREVIEW_ROWS = 5
_PLAIN_NUMBER = re.compile(r"[+-][0-9\s().,/-]*")
# Text typed into a contact (its page, the API) that cell_is_formula passes once trimmed: empty,
# starting with anything but = + - @, or a plain number (+1 (212) 555-0100). The API's fields
# check it and its schema publishes it, so it is written to read the same in ECMAScript.
TYPED_NOT_FORMULA = (
    f"^[{SPACE_CLASS}]*"
    f"(?:[^{SPACE_CLASS}=+\\-@\\u0000][^\\u0000]*|[+\\-][0-9{SPACE_CLASS}().,/\\-]*)?$"
)
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def cell_is_formula(value: str) -> bool:
    """Whether an imported cell would be run by a spreadsheet (the import rule above)."""
    if not value or not value.startswith(FORMULA_START):
        return False
    return not _PLAIN_NUMBER.fullmatch(value)


@dataclass
class CsvInspection:
    headers: list[str]
    preview: list[list[str]]
    delimiter: str


def import_report_download(contact_import) -> FileResponse:
    """The finished import's report of rows not imported, as a download (pages and API alike);
    404 until the import has written it."""
    if not contact_import.report:
        raise Http404
    return FileResponse(
        contact_import.report.open("rb"),
        as_attachment=True,
        filename=f"import-report-{contact_import.public_id}.csv",
        content_type="text/csv",
    )


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message}, code="invalid_file")


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def csv_inspect(fileobj, *, size: int) -> CsvInspection:
    """Check an uploaded file from its first bytes to its last; ValidationError says what is
    wrong in words a marketer can act on."""
    if size == 0:
        raise _file_error("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise _file_error(
            f"The file is {_size_text(size)}; the limit is {_size_text(MAX_FILE_BYTES)}. "
            "Split it into smaller files."
        )
    fileobj.seek(0)
    head = fileobj.read(65536)
    if head.startswith(b"PK\x03\x04"):
        raise _file_error(
            "This is an Excel or other zipped file, not a CSV. In Excel choose File > Save As > "
            "“CSV UTF-8 (Comma delimited)” and upload that."
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _file_error(
            "The file is encoded as UTF-16. Save it as “CSV UTF-8” and upload it again."
        )
    if b"\x00" in head:
        raise _file_error("This doesn't look like a CSV file: it contains binary data.")
    _check_utf8(fileobj)
    text = head.decode("utf-8-sig", errors="ignore")
    if not text.strip():
        raise _file_error("The file is empty.")
    delimiter = _sniff_delimiter(text)
    fileobj.seek(0)
    text = _text(fileobj)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next(reader, None)
        preview = []
        for row in reader:
            if any(cell.strip() for cell in row):
                preview.append(row)
            if len(preview) >= PREVIEW_ROWS:
                break
    except csv.Error as exc:
        raise _file_error(f"The file can't be read as CSV: {exc}.") from None
    finally:
        text.detach()  # leave the upload open for the caller
    headers = _headers_check(headers)
    if not preview:
        raise _file_error("The file has a header row but no contacts below it.")
    return CsvInspection(headers=headers, preview=preview, delimiter=delimiter)


def _check_utf8(fileobj) -> None:
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while chunk := fileobj.read(1 << 20):
        # Past the first 64 kB a NUL is no sign of a binary file, but no cell can store one
        # (PostgreSQL's text can't): the file is refused, as every other input is (accounts.inputs).
        if (nul := chunk.find(b"\x00")) >= 0:
            line += chunk[:nul].count(b"\n")
            raise _file_error(
                f"Line {line} contains a NUL character (U+0000), which can't be stored. Remove "
                "it and upload the file again."
            )
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line += chunk[: exc.start].count(b"\n")
            raise _file_error(
                f"The file isn't UTF-8 text: line {line} has a character that can't be read "
                f"(byte 0x{chunk[exc.start]:02X}). Save it as “CSV UTF-8” (in Excel: File > "
                "Save As > CSV UTF-8) and upload it again."
            ) from None
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _file_error(
            "The file isn't UTF-8 text: it ends in the middle of a character. Save it as "
            "“CSV UTF-8” and upload it again."
        ) from None
    fileobj.seek(0)


def _sniff_delimiter(text: str) -> str:
    first_line = text.splitlines()[0] if text.splitlines() else ""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _headers_check(headers: list[str] | None) -> list[str]:
    if not headers or not any(h.strip() for h in headers):
        raise _file_error("The first row is empty: it must name the columns (e.g. Email, Phone).")
    if len(headers) > MAX_COLUMNS:
        raise _file_error(f"The file has {len(headers)} columns; the limit is {MAX_COLUMNS}.")
    cleaned = []
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        header = header.strip()
        if cell_is_formula(header):
            raise _file_error(
                f"Column {position}'s name “{header[:40]}” starts with “{header[0]}”, which a "
                "spreadsheet would run as a formula. Rename the column."
            )
        if _EMAIL_LIKE.fullmatch(header) or phone_check(header).e164:
            raise _file_error(
                f"The first row looks like a contact (“{header[:40]}”), not column names. Add a "
                "header row that names each column, e.g. First name, Email, Phone."
            )
        if not header:
            header = f"Column {position}"
        key = header.casefold()
        if key in seen:
            raise _file_error(
                f"Columns {seen[key]} and {position} are both named “{header}”; give each "
                "column its own name."
            )
        seen[key] = position
        cleaned.append(header[:100])
    return cleaned


def _text(fileobj) -> io.TextIOWrapper:
    return io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")


def csv_rows(fileobj, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every row after the header, blank rows left out."""
    fileobj.seek(0)
    text = _text(fileobj)
    reader = csv.reader(text, delimiter=delimiter)
    next(reader, None)
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield reader.line_num, row
    finally:
        text.detach()


def csv_row_count(fileobj, *, delimiter: str) -> int:
    count = 0
    for count, _ in enumerate(csv_rows(fileobj, delimiter=delimiter), start=1):  # noqa: B007
        pass
    return count
