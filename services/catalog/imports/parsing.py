"""Reading an uploaded import file: CSV or XLSX bytes become numbered rows of cell text.

Nothing in a file is ever evaluated (a cell that looks like a formula stays text), and every
limit is checked while reading: the file's size, the rows and columns read, and what an XLSX
(a zip) unpacks into. A file that cannot be read raises the 413/422 error naming ``file``.
Row numbers are the ones the seller sees in the sheet: the header is row 1.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from openpyxl import load_workbook

from services.catalog.imports.sheet import (
    COLUMN_NAMES,
    HEADER_ALIASES,
    MAX_FILE_BYTES,
    MAX_ROWS,
    SHEET_NAME,
    file_error,
    thousands,
)
from shared.errors import EtalaseError
from shared.messages import t

MAX_SCANNED_ROWS = 100_000  # rows read at all, blank ones included (a sheet "formatted" to row 1e6)
MAX_COLUMNS = 60
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024  # a 5 MB zip may not unpack into gigabytes
MAX_XLSX_ENTRIES = 2_000

NumberedCells = Iterator[tuple[int, list[str]]]  # (row number, cell texts) as the sheet reads


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the seller sees it; the header is row 1
    values: dict[str, str]  # column name -> cell text (stripped); only columns in the header


def detect_format(filename: str, data: bytes) -> str:
    """"csv" or "xlsx", from the bytes first, then the file name."""
    name = (filename or "").strip().lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(t("Format .xls lama tidak didukung. Simpan ulang sebagai .xlsx atau .csv."))
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise file_error(t("File XLSX rusak atau bukan file Excel yang valid."))
    if name.endswith(".xls"):
        raise file_error(t("Format .xls lama tidak didukung. Simpan ulang sebagai .xlsx atau .csv."))
    return "csv"


def _cell_text(value: object) -> str:
    """A cell as text. Nothing is ever evaluated: a cell that looks like a formula is text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> NumberedCells:
    try:
        text = data.decode("utf-8-sig")  # with or without a byte order mark
    except UnicodeDecodeError:
        raise file_error(t("File CSV harus disimpan dengan enkode UTF-8.")) from None
    if "\x00" in text:
        raise file_error(t("File ini bukan file CSV teks."))
    first_line = text.split("\n", 1)[0]
    # The header row holds only column names, so its separators tell the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [_cell_text(cell) for cell in cells]
    except csv.Error as exc:
        raise file_error(t("File CSV tidak dapat dibaca: %(error)s.", error=exc)) from None


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise file_error(t("File XLSX rusak atau bukan file Excel yang valid.")) from None
    if len(entries) > MAX_XLSX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_XLSX_UNCOMPRESSED:
        raise file_error(t("Isi file XLSX terlalu besar."), too_large=True)
    if not any(entry.filename.lower().endswith("workbook.xml") for entry in entries):
        raise file_error(t("File ini bukan workbook Excel (.xlsx)."))


def _xlsx_rows(data: bytes) -> NumberedCells:
    _check_zip(data)
    try:
        # read_only streams the sheet; data_only gives the values Excel shows, never formulas.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on a broken file
        raise file_error(t("File XLSX rusak atau tidak dapat dibaca.")) from None
    try:
        if SHEET_NAME in workbook.sheetnames:
            sheet = workbook[SHEET_NAME]
        elif workbook.worksheets:
            sheet = workbook.worksheets[0]
        else:
            raise file_error(t("File XLSX tidak memiliki lembar kerja."))
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
                yield number, [_cell_text(cell) for cell in cells]
        except EtalaseError:
            raise
        except Exception:  # noqa: BLE001 - as above
            raise file_error(t("File XLSX rusak atau tidak dapat dibaca.")) from None
    finally:
        workbook.close()


def _normalize_header(text: str) -> str:
    key = "_".join(text.strip().lower().replace("-", " ").split()).strip("*")
    return HEADER_ALIASES.get(key, key)


def _read_header(cells: list[str]) -> dict[int, str]:
    header: dict[int, str] = {}
    for index, cell in enumerate(cells):
        name = _normalize_header(cell)
        if name not in COLUMN_NAMES:
            continue  # a column of the seller's own (e.g. "No"): ignored
        if name in header.values():
            raise file_error(t("Kolom %(column)s muncul dua kali di baris judul.", column=name))
        header[index] = name
    if "sku" not in header.values():
        raise file_error(t(
            "Baris pertama harus berisi judul kolom dan kolom sku wajib ada. "
            "Unduh template untuk melihat contoh.")
        )
    return header


def parse_file(filename: str, data: bytes) -> tuple[str, list[SheetRow]]:
    """(format, data rows) of an uploaded file; raises 413/422 naming ``file``."""
    if not data:
        raise file_error(t("File kosong."))
    if len(data) > MAX_FILE_BYTES:
        raise file_error(t("Ukuran file melebihi batas %(max)s MB.", max=MAX_FILE_BYTES // (1024 * 1024)), too_large=True)
    file_format = detect_format(filename, data)
    numbered = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    header: dict[int, str] | None = None
    rows: list[SheetRow] = []
    for number, cells in numbered:
        if number > MAX_SCANNED_ROWS:
            raise file_error(t("File berisi lebih dari %(max)s baris data.", max=thousands(MAX_ROWS)), too_large=True)
        if header is None:
            header = _read_header(cells)
            continue
        values = {name: (cells[index] if index < len(cells) else "") for index, name in header.items()}
        if not any(values.values()):
            continue  # a blank row
        rows.append(SheetRow(number=number, values=values))
        if len(rows) > MAX_ROWS:
            raise file_error(t("File berisi lebih dari %(max)s baris data.", max=thousands(MAX_ROWS)), too_large=True)
    if header is None:
        raise file_error(t("File kosong."))
    if not rows:
        raise file_error(t("Tidak ada baris produk di bawah baris judul."))
    return file_format, rows
