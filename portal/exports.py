"""The one way the portal writes spreadsheets and CSV files: streamed, and safe to open in Excel or WPS.

Formula injection (CSV injection): a resident can type anything as a name or an address. A cell whose
text starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is read by Excel,
WPS and LibreOffice as a formula (``=HYPERLINK("http://evil.example","x")``, ``-2+3+cmd|' /C calc'!A0``)
when a member of staff opens the export. Every cell the portal exports goes through ``neutralise``: such
text is prefixed with a single quote ``'`` (OWASP's advice), so it is shown as text and never evaluated.
The full-width forms (``＝＋－＠``), which a Chinese input method types, are treated the same way. Values
that are not text (numbers, dates, booleans) and text that is a plain number (``-3``, ``-1.5``) are
left as they are: a negative number is not a formula.

In ``.xlsx`` files every text cell is also written as an explicit string cell, and characters that the
format cannot hold (control characters) are replaced by U+FFFD instead of failing the download.

For a new export use ``xlsx_response`` or ``csv_response`` (rows may be any iterable, e.g. a
``values_list`` iterator: nothing is held in memory but the current row). The back office's
django-import-export formats (``IMPORT_EXPORT_FORMATS`` in the settings) are the subclasses at the
bottom of this module, so every admin export goes through the same function; their imports take the
quote off again, so a file exported, edited and imported back keeps its values.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from urllib.parse import quote

import tablib
from django.utils import timezone
from import_export.formats import base_formats

#: What makes a spreadsheet read a cell as a formula (or as the start of one).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Text that is a plain number ("-3", "-0.5"): harmless, and kept as it is so ledgers still add up.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: Characters an .xlsx file cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, without importing openpyxl).
_XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Characters not allowed in a download's file name.
_FILENAME_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(value):
    """``value`` made safe for a spreadsheet cell: text that a spreadsheet would read as a formula gets
    a leading ``'``; everything else (numbers, dates, ``None``, ordinary text) is returned unchanged.
    Lazy translations are turned into text."""
    if value is None or isinstance(value, (bool, int, float, Decimal, datetime.date, datetime.time)):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(DANGEROUS_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(value):
    """The inverse of ``neutralise`` for an imported cell: ``'=x`` becomes ``=x`` again."""
    if (
        isinstance(value, str)
        and len(value) > 1
        and value[0] == "'"
        and value[1:].startswith(DANGEROUS_PREFIXES)
    ):
        return value[1:]
    return value


def neutralise_row(row: Iterable) -> list:
    return [neutralise(v) for v in row]


def download_filename(name: str, *, fallback: str) -> str:
    """A ``Content-Disposition`` value: the ASCII ``fallback`` for old clients and ``name`` in UTF-8."""
    name = _FILENAME_BAD.sub("", name).strip() or fallback
    fallback = _FILENAME_BAD.sub("", fallback.encode("ascii", "ignore").decode()).strip() or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


# --- .xlsx ------------------------------------------------------------------------------------------


def _xlsx_cell(ws, value):
    """One write-only cell: text as an explicit string, aware datetimes as Shanghai wall-clock time."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    if isinstance(value, Cell):
        if isinstance(value.value, str) or value.data_type == "f":
            value.value = _XLSX_ILLEGAL.sub("\ufffd", neutralise(str(value.value)))
            value.data_type = "s"
        return value
    value = neutralise(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None, microsecond=0))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=_XLSX_ILLEGAL.sub("\ufffd", value))
        cell.data_type = "s"  # never a formula or an error code, whatever the text
        return cell
    return WriteOnlyCell(ws, value=value)


def xlsx_write(
    out,
    *,
    header: Sequence,
    rows: Iterable[Iterable],
    sheet_title: str = "",
    widths: Sequence[float] | None = None,
) -> None:
    """Write one sheet into the binary file ``out``: a bold, wrapped, frozen header row, then ``rows``
    (streamed into a write-only workbook: one row in memory at a time). A cell may be a value or an
    openpyxl ``WriteOnlyCell`` with its own format; every cell is neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    title = re.sub(r"[\\*?:/\[\]]", "-", _XLSX_ILLEGAL.sub("", str(sheet_title)))[:31]
    ws = wb.create_sheet(title=title or None)
    for i, width in enumerate(widths or (), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="center")
    header_cells = []
    for label in header:
        cell = _xlsx_cell(ws, label)
        cell.font = bold
        cell.alignment = wrap
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
    wb.save(out)


def xlsx_bytes(*, header: Sequence, rows: Iterable[Iterable], sheet_title: str = "", widths=None) -> bytes:
    with tempfile.TemporaryFile() as out:
        xlsx_write(out, header=header, rows=rows, sheet_title=sheet_title, widths=widths)
        out.seek(0)
        return out.read()


def xlsx_response(
    filename: str,
    header: Sequence,
    rows: Iterable[Iterable],
    *,
    ascii_filename: str = "export.xlsx",
    sheet_title: str = "",
    widths: Sequence[float] | None = None,
):
    """A download of one sheet, built in a temporary file and streamed from it (``FileResponse``)."""
    from django.http import FileResponse

    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    try:
        xlsx_write(out, header=header, rows=rows, sheet_title=sheet_title, widths=widths)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = FileResponse(out, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = download_filename(filename, fallback=ascii_filename)
    response["Cache-Control"] = "private, no-store"
    return response


# --- CSV --------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: Sequence, rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, line by line: a byte-order mark first (so Excel reads the Chinese as UTF-8), then
    the header and the neutralised rows. Aware datetimes are written as Shanghai wall-clock time."""
    from django.utils import timezone

    writer = csv.writer(_Echo())
    yield codecs.BOM_UTF8.decode()
    yield writer.writerow(neutralise_row(header))
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, datetime.datetime) and timezone.is_aware(v):
                v = timezone.localtime(v).replace(tzinfo=None, microsecond=0)
            cells.append(neutralise(v))
        yield writer.writerow(cells)


def csv_response(
    filename: str, header: Sequence, rows: Iterable[Iterable], *, ascii_filename: str = "export.csv"
):
    """A CSV download streamed row by row (``StreamingHttpResponse``)."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows)), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = download_filename(filename, fallback=ascii_filename)
    response["Cache-Control"] = "private, no-store"
    return response


# --- django-import-export (the back office's 导出 / 导入 buttons) ------------------------------------


def _mapped(dataset: tablib.Dataset, fn, *, headers_too: bool) -> tablib.Dataset:
    out = tablib.Dataset(title=dataset.title)
    if dataset.headers:
        out.headers = [fn(h) for h in dataset.headers] if headers_too else list(dataset.headers)
    for row in dataset:
        out.append([fn(v) for v in row])
    return out


def neutralised_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    return _mapped(dataset, neutralise, headers_too=True)


def restored_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    return _mapped(dataset, restore, headers_too=False)


def _widths(dataset: tablib.Dataset) -> list[float]:
    """Column widths from the longest value (a CJK character counts double), between 6 and 60."""
    columns = [list(dataset.headers or [])] + [list(r) for r in dataset]
    width = max((len(r) for r in columns), default=0)
    out = []
    for i in range(width):
        longest = max(
            (
                sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(r[i]))
                for r in columns
                if i < len(r) and r[i] is not None
            ),
            default=0,
        )
        out.append(min(max(longest + 2, 6), 60))
    return out


class CSV(base_formats.CSV):
    """CSV for the back office: every cell neutralised on export (django-import-export's own
    ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only drops one leading ``=``)."""

    def export_data(self, dataset, **kwargs):
        return neutralised_dataset(dataset).export(self.get_title(), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return restored_dataset(super().create_dataset(in_stream, **kwargs))


class TSV(base_formats.TSV):
    def export_data(self, dataset, **kwargs):
        return neutralised_dataset(dataset).export(self.get_title(), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return restored_dataset(super().create_dataset(in_stream, **kwargs))


class XLSX(base_formats.XLSX):
    """Excel for the back office, written by ``xlsx_write`` (explicit string cells, native numbers and
    dates, illegal characters replaced)."""

    def export_data(self, dataset, **kwargs):
        return xlsx_bytes(
            header=dataset.headers or [],
            rows=dataset,
            sheet_title=dataset.title or "",
            widths=_widths(dataset),
        )

    def create_dataset(self, in_stream):
        return restored_dataset(super().create_dataset(in_stream))


#: The formats the back office offers, for ``IMPORT_EXPORT_FORMATS``.
FORMATS = [CSV, XLSX, TSV]

# django-import-export gives native values (numbers, dates) only to the formats in its BINARY_FORMATS,
# compared by exact class: register ours, or the .xlsx would hold every number as text.
for _fmt in (XLSX,):
    if _fmt not in base_formats.BINARY_FORMATS:
        base_formats.BINARY_FORMATS.append(_fmt)
