"""Spreadsheet import: a seller's CSV or XLSX file becomes products, upserted by SKU.

Two steps, so a 10,000-row file never holds one giant transaction nor an RPC worker:
- ``start_import`` (RPC, quick): checks the actor, the size, the format and the row count,
  and stores an ``ImportJob`` (status ``pending``) with the file.
- ``run_job`` (background, ``ImportRunner`` in the catalog process, or the CLI): parses the
  file, then handles ``CHUNK_ROWS`` rows per transaction. Each chunk validates its rows
  (``schemas.validate_product_create``), fetches photo URLs (``fetch.py``) outside any
  transaction, upserts the products by the merchant's SKU, records row errors, updates the
  job's counters and ``processed_rows`` and stages ONE ``catalog.products_imported`` event
  for the products it changed (aggregate: the import; version: the batch = chunk number;
  a chunk that changed nothing sends nothing). Importing the same file twice changes nothing.

Row numbers are the ones the seller sees in the sheet: the header is row 1.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import time

import eventlet
from eventlet import tpool
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from services.catalog import domain, fetch, schemas
from shared.taxonomy import TAXONOMY, leaf_categories
from services.catalog.models import ImportJob, ImportRowError, Merchant, Product, ProductPhoto, new_id
from shared.contracts import ProductsImported
from shared.errors import BadRequest, EtalaseError, NotFound, PayloadTooLarge, ValidationFailed
from shared.events import PRODUCTS_IMPORTED, utcnow
from shared.db import sibling_dependency

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000  # data rows (blank rows are not counted)
MAX_SCANNED_ROWS = 100_000  # rows read at all, blank ones included (a sheet "formatted" to row 1e6)
MAX_COLUMNS = 60
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024  # a 5 MB zip may not unpack into gigabytes
MAX_XLSX_ENTRIES = 2_000
CHUNK_ROWS = 200  # rows per transaction; so at most 200 products per event batch
MAX_REPORTED_ERRORS = 500
MAX_PHOTOS = 8
PHOTO_CONCURRENCY = 8

SHEET_NAME = "Produk"
GUIDE_SHEET_NAME = "Petunjuk"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FILENAME = "template-impor-produk-etalase.xlsx"

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"

FILE = "file"


@dataclass(frozen=True)
class Column:
    name: str  # as written in the header row
    field: str | None  # the product field in schemas.validate_product_create
    help: str  # for the "Petunjuk" sheet
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("sku", "sku", "WAJIB. Kode produk Anda sendiri (1–64 karakter: huruf, angka, titik, garis bawah, "
           "garis miring, tanda hubung). Produk dengan SKU yang sama akan diperbarui, bukan dibuat ulang.", "KPM-001"),
    Column("nama", "name", "WAJIB untuk produk baru. Nama produk, 3–120 karakter.", "Keripik Pisang Manis"),
    Column("deskripsi", "description", "Keterangan produk, paling banyak 5000 karakter.",
           "Keripik pisang kepok, renyah, tanpa pengawet. Berat 250 gram."),
    Column("harga", "price", "WAJIB untuk produk baru. Harga dalam rupiah, angka bulat tanpa 'Rp' "
           "(15000 atau 15.000).", "15000"),
    Column("harga_coret", "compare_at_price", "Harga sebelum diskon (dicoret). Boleh kosong; "
           "bila diisi harus lebih besar dari harga.", "18000"),
    Column("stok", "stock", "WAJIB untuk produk baru. Jumlah barang tersedia, 0–1.000.000.", "25"),
    Column("satuan", "unit", "Satuan jual, mis. pcs, bungkus, botol, lembar. Kosong = pcs.", "bungkus"),
    Column("kategori", "category", "WAJIB untuk produk baru. Slug subkategori (lihat daftar di bawah) "
           "atau namanya persis.", "camilan"),
    Column("halal", "halal", "ya/tidak (juga true/false atau 1/0). Tanda halal tampil hanya bila "
           "sertifikat halal usaha masih berlaku. Kosong = tidak.", "ya"),
    Column("status", "status", "published (tampil), draft (belum tampil) atau archived (diarsipkan). "
           "Kosong = published.", "published"),
    Column("tag", "tags", "Kata kunci dipisah koma, paling banyak 10.", "oleh-oleh, kendari, pisang"),
    Column("anggota", "member_business", "Khusus koperasi: nama usaha anggota yang menjual produk ini.", ""),
    Column("foto", None, "Alamat foto (http/https), paling banyak 8, dipisah spasi atau baris baru. "
           "Foto hanya diambil bila produk belum punya foto. Foto yang gagal diambil dilaporkan, "
           "produknya tetap disimpan.", "https://foto.contoh.example/keripik-pisang.jpg"),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
FIELD_COLUMNS = {column.field: column.name for column in COLUMNS if column.field}
# Other spellings a seller (or another tool) may use in the header row.
HEADER_ALIASES = {
    "kode": "sku", "kode_produk": "sku", "name": "nama", "nama_produk": "nama",
    "description": "deskripsi", "keterangan": "deskripsi", "price": "harga",
    "compare_at_price": "harga_coret", "harga_normal": "harga_coret", "stock": "stok",
    "unit": "satuan", "category": "kategori", "tags": "tag", "member_business": "anggota",
    "photos": "foto", "foto_url": "foto",
}
HALAL_VALUES = {"ya": True, "y": True, "true": True, "1": True, "benar": True,
                "tidak": False, "t": False, "false": False, "0": False, "salah": False}
STATUS_ALIASES = {"terbit": "published", "tampil": "published", "draf": "draft", "arsip": "archived"}


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # 10.000, as written in Indonesia


def _file_error(message: str, too_large: bool = False) -> EtalaseError:
    error_class = PayloadTooLarge if too_large else ValidationFailed
    return error_class(message, {FILE: message})


# --- the template -----------------------------------------------------------------------


def build_template() -> bytes:
    """The XLSX a seller downloads: sheet "Produk" (header + one example row) and sheet
    "Petunjuk" explaining every column and listing the category slugs."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(list(COLUMN_NAMES))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([int(column.example) if column.example.isdigit() else column.example for column in COLUMNS])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, min(40, len(column.example) + 4))

    guide = workbook.create_sheet(GUIDE_SHEET_NAME)
    bold = Font(bold=True)
    lines: list[list[str]] = [
        ["Petunjuk impor produk Etalase Sultra"],
        ["Isi lembar 'Produk' mulai baris 2 (baris 1 adalah judul kolom, jangan diubah). Hapus baris contoh."],
        [f"Satu file paling banyak {_thousands(MAX_ROWS)} baris produk dan {MAX_FILE_BYTES // (1024 * 1024)} MB. "
         "Format: XLSX atau CSV (UTF-8, pemisah koma atau titik koma)."],
        ["Mengimpor file yang sama dua kali tidak mengubah apa pun. Baris yang salah dilaporkan "
         "beserta nomor baris dan kolomnya; baris yang benar tetap disimpan."],
        [],
        ["Kolom", "Penjelasan", "Contoh"],
    ]
    lines += [[column.name, column.help, column.example] for column in COLUMNS]
    lines += [[], ["Daftar kategori"], ["Slug (isi kolom kategori)", "Nama subkategori", "Kategori induk"]]
    for parent in TAXONOMY:
        for child in parent["children"]:
            lines.append([child["slug"], child["name"], parent["name"]])
    for line in lines:
        guide.append(line)
    for row in guide.iter_rows():
        if row and row[0].value in ("Kolom", "Daftar kategori", "Slug (isi kolom kategori)",
                                    "Petunjuk impor produk Etalase Sultra"):
            for cell in row:
                cell.font = bold
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 90
    guide.column_dimensions["C"].width = 40

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the seller sees it; the header is row 1
    values: dict[str, str]  # column name -> cell text (stripped); only columns in the header


def detect_format(filename: str, data: bytes) -> str:
    """"csv" or "xlsx", from the bytes first, then the file name."""
    name = (filename or "").strip().lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("Format .xls lama tidak didukung. Simpan ulang sebagai .xlsx atau .csv.")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise _file_error("File XLSX rusak atau bukan file Excel yang valid.")
    if name.endswith(".xls"):
        raise _file_error("Format .xls lama tidak didukung. Simpan ulang sebagai .xlsx atau .csv.")
    return "csv"


def _cell_text(value) -> str:
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


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")  # with or without a byte order mark
    except UnicodeDecodeError:
        raise _file_error("File CSV harus disimpan dengan enkode UTF-8.") from None
    if "\x00" in text:
        raise _file_error("File ini bukan file CSV teks.")
    first_line = text.split("\n", 1)[0]
    # The header row holds only column names, so its separators tell the delimiter.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [_cell_text(cell) for cell in cells]
    except csv.Error as exc:
        raise _file_error(f"File CSV tidak dapat dibaca: {exc}.") from None


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error("File XLSX rusak atau bukan file Excel yang valid.") from None
    if len(entries) > MAX_XLSX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_XLSX_UNCOMPRESSED:
        raise _file_error("Isi file XLSX terlalu besar.", too_large=True)
    if not any(entry.filename.lower().endswith("workbook.xml") for entry in entries):
        raise _file_error("File ini bukan workbook Excel (.xlsx).")


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        # read_only streams the sheet; data_only gives the values Excel shows, never formulas.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on a broken file
        raise _file_error("File XLSX rusak atau tidak dapat dibaca.") from None
    try:
        if SHEET_NAME in workbook.sheetnames:
            sheet = workbook[SHEET_NAME]
        elif workbook.worksheets:
            sheet = workbook.worksheets[0]
        else:
            raise _file_error("File XLSX tidak memiliki lembar kerja.")
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
                yield number, [_cell_text(cell) for cell in cells]
        except EtalaseError:
            raise
        except Exception:  # noqa: BLE001 - as above
            raise _file_error("File XLSX rusak atau tidak dapat dibaca.") from None
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
            raise _file_error(f"Kolom {name} muncul dua kali di baris judul.")
        header[index] = name
    if "sku" not in header.values():
        raise _file_error(
            "Baris pertama harus berisi judul kolom dan kolom sku wajib ada. "
            "Unduh template untuk melihat contoh."
        )
    return header


def parse_file(filename: str, data: bytes) -> tuple[str, list[SheetRow]]:
    """(format, data rows) of an uploaded file; raises 413/422 naming ``file``."""
    if not data:
        raise _file_error("File kosong.")
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(f"Ukuran file melebihi batas {MAX_FILE_BYTES // (1024 * 1024)} MB.", too_large=True)
    file_format = detect_format(filename, data)
    numbered = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    header: dict[int, str] | None = None
    rows: list[SheetRow] = []
    for number, cells in numbered:
        if number > MAX_SCANNED_ROWS:
            raise _file_error(f"File berisi lebih dari {_thousands(MAX_ROWS)} baris data.", too_large=True)
        if header is None:
            header = _read_header(cells)
            continue
        values = {name: (cells[index] if index < len(cells) else "") for index, name in header.items()}
        if not any(values.values()):
            continue  # a blank row
        rows.append(SheetRow(number=number, values=values))
        if len(rows) > MAX_ROWS:
            raise _file_error(f"File berisi lebih dari {_thousands(MAX_ROWS)} baris data.", too_large=True)
    if header is None:
        raise _file_error("File kosong.")
    if not rows:
        raise _file_error("Tidak ada baris produk di bawah baris judul.")
    return file_format, rows


def _off_the_hub(fn, *args):
    """Run CPU-heavy ``fn`` in eventlet's thread pool when running under eventlet (the
    service), so RPC and heartbeats keep being served; directly otherwise (the CLI)."""
    if eventlet.patcher.is_monkey_patched("thread"):
        return tpool.execute(fn, *args)
    return fn(*args)


# --- one row ----------------------------------------------------------------------------


@dataclass
class RowPlan:
    """One data row, validated: ``clean`` is None when the row fails."""

    number: int
    sku: str
    present: frozenset  # product fields whose columns the file has
    clean: dict | None = None
    photo_urls: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    photo_errors: list[tuple[str, str]] = field(default_factory=list)  # do not fail the row


def _whole_number(text: str) -> int | None:
    """ "15000", "15.000", "15,000", "Rp 15.000", "15000.0" -> 15000; None if not a whole number."""
    cleaned = text.strip().lower().removeprefix("rp").strip().replace(" ", "")
    if cleaned.isdigit():
        return int(cleaned)
    for separator in (".", ","):
        groups = cleaned.split(separator)
        if len(groups) > 1 and groups[0].isdigit() and len(groups[0]) <= 3 \
                and all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            return int("".join(groups))  # thousands separators
        if len(groups) == 2 and groups[0].isdigit() and groups[1] and set(groups[1]) == {"0"}:
            return int(groups[0])  # "15000.0" or "15000,00"
    return None


def _category(text: str) -> str:
    key = text.strip().lower()
    leaves = leaf_categories()
    if key in leaves:
        return key
    for slug, leaf in leaves.items():
        if leaf["name"].lower() == key:
            return slug
    return key  # unknown: the validator says so (and whether it is a parent category)


def plan_row(row: SheetRow, merchant: Merchant, existing: Product | None) -> RowPlan:
    """Turn the cells of one row into a validated product (or errors by column).

    Columns missing from the file keep an existing product's values (so a file with only
    sku, harga and stok updates prices and stock); an empty cell means "not given"."""
    values = row.values
    present = frozenset(FIELD_COLUMNS_REVERSE[name] for name in values if name in FIELD_COLUMNS_REVERSE)
    plan = RowPlan(number=row.number, sku=values.get("sku", "").strip(), present=present)
    errors: dict[str, str] = {}
    if not plan.sku:
        errors["sku"] = "wajib diisi"

    data: dict = {"merchant_id": merchant.id}
    if existing is not None:
        for product_field in FIELD_COLUMNS:
            data[product_field] = getattr(existing, product_field)

    def given(column: str) -> str | None:
        text = values.get(column)
        return text if text else None

    for column, product_field in (("nama", "name"), ("deskripsi", "description"), ("satuan", "unit"),
                                  ("anggota", "member_business"), ("tag", "tags")):
        if column in values:
            data[product_field] = given(column)
    data["sku"] = plan.sku or None
    for column, product_field in (("harga", "price"), ("harga_coret", "compare_at_price"), ("stok", "stock")):
        if column not in values:
            continue
        text = given(column)
        number = None if text is None else _whole_number(text)
        if text is not None and number is None:
            errors[column] = "harus berupa angka bulat, mis. 15000"
        data[product_field] = number
    if "kategori" in values:
        data["category"] = None if given("kategori") is None else _category(values["kategori"])
    if "halal" in values:
        text = (given("halal") or "tidak").lower()
        if text not in HALAL_VALUES:
            errors["halal"] = "isi ya atau tidak"
        data["halal"] = HALAL_VALUES.get(text, False)
    if "status" in values:
        text = (given("status") or "published").lower()
        data["status"] = STATUS_ALIASES.get(text, text)

    try:
        clean = schemas.validate_product_create(data)
    except ValidationFailed as failed:
        for product_field, message in failed.fields.items():
            column = FIELD_COLUMNS.get(product_field, product_field)
            errors.setdefault(column, str(message))
        if not failed.fields:
            errors.setdefault("", failed.message)
        clean = None
    if clean is not None and clean.get("member_business") and merchant.kind != "koperasi":
        errors["anggota"] = "hanya koperasi yang dapat menjual atas nama anggota"

    urls = (values.get("foto") or "").split()
    if len(urls) > MAX_PHOTOS:
        plan.photo_errors.append(("foto", f"paling banyak {MAX_PHOTOS} foto; foto ke-9 dan seterusnya diabaikan"))
        urls = urls[:MAX_PHOTOS]
    plan.photo_urls = urls

    if errors:
        order = {name: index for index, name in enumerate(COLUMN_NAMES)}  # as the sheet reads
        plan.errors = sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))
        return plan
    plan.clean = {key: value for key, value in clean.items() if key != "merchant_id"}
    return plan


FIELD_COLUMNS_REVERSE = {column: product_field for product_field, column in FIELD_COLUMNS.items()}


# --- photos -----------------------------------------------------------------------------


@dataclass
class StoredPhoto:
    """A fetched photo, processed and written under the media root, not yet in a row."""

    id: str
    content_type: str
    width: int
    height: int
    sha256: str
    variants: dict[str, str]


def fetch_and_store_photo(url: str, media_root: Path, fetcher=fetch.fetch_photo) -> StoredPhoto:
    """Fetch ``url`` and hand the bytes to the photo pipeline (validate, resize, write).
    Raises ``fetch.FetchError`` or an ``EtalaseError`` from the pipeline."""
    from services.catalog import images, media

    fetched = fetcher(url)
    filename = url.split("?", 1)[0].rsplit("/", 1)[-1]
    if "." not in filename or len(filename) > 200:
        filename = ""
    if fetched.content_type and fetched.content_type not in images.CONTENT_TYPE_FORMATS:
        # A server saying text/html (an error page) or a name like photo.php: let the bytes
        # and the extension speak instead of refusing on a careless header.
        content_type = ""
    else:
        content_type = fetched.content_type
    if filename and not filename.lower().endswith(tuple(images.EXTENSION_FORMATS)):
        filename = ""
    if not content_type and not filename:
        content_type = _sniff_image_type(fetched.data)
    processed = _off_the_hub(images.process_image, fetched.data, content_type, filename, images.PRODUCT_SIZES)
    photo_id = new_id()
    variants = _off_the_hub(media.write_variants, Path(media_root), "products", photo_id, processed, images.PRODUCT_SIZES)
    return StoredPhoto(
        id=photo_id, content_type=processed.content_type, width=processed.width, height=processed.height,
        sha256=processed.sha256, variants=variants,
    )


def _sniff_image_type(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _photo_error_message(error: Exception) -> str:
    if isinstance(error, EtalaseError):
        return error.message
    return str(error) or "foto tidak dapat diambil"


def _fetch_photos(plans: list[RowPlan], needs_photos: set[int], media_root: Path, fetcher) -> dict[int, list[StoredPhoto]]:
    """Fetch the photos of the rows in ``needs_photos`` (row numbers), a few at a time.
    Failures become photo errors on their rows."""
    tasks = [(plan, position, url) for plan in plans if plan.number in needs_photos
             for position, url in enumerate(plan.photo_urls)]
    if not tasks:
        return {}

    def one(task):
        plan, position, url = task
        try:
            return plan, position, fetch_and_store_photo(url, media_root, fetcher), None
        except (fetch.FetchError, EtalaseError) as error:
            return plan, position, None, f"foto ke-{position + 1} ({url[:100]}): {_photo_error_message(error)}"
        except Exception as error:  # noqa: BLE001 - one bad photo must not stop the import
            log.warning("import: photo %s failed", url, exc_info=True)
            return plan, position, None, f"foto ke-{position + 1} ({url[:100]}): tidak dapat diproses ({type(error).__name__})"

    stored: dict[int, list[tuple[int, StoredPhoto]]] = {}
    pool = eventlet.GreenPool(PHOTO_CONCURRENCY)
    for plan, position, photo, message in pool.imap(one, tasks):
        if photo is not None:
            stored.setdefault(plan.number, []).append((position, photo))
        else:
            plan.photo_errors.append(("foto", message))
    return {number: [photo for _p, photo in sorted(items, key=lambda item: item[0])] for number, items in stored.items()}


# --- starting and reading an import -----------------------------------------------------


def _owned_merchant(session: Session, actor, merchant_id) -> Merchant:
    owner_id = domain._require_owner(actor)
    if not isinstance(merchant_id, str) or not merchant_id.strip():
        raise ValidationFailed("Data tidak valid.", {"merchant_id": "wajib diisi"})
    merchant = session.get(Merchant, merchant_id.strip())
    if merchant is None:
        raise ValidationFailed("Data tidak valid.", {"merchant_id": "usaha tidak ditemukan"})
    domain._require_owns(owner_id, merchant)
    return merchant


def decode_upload(data_b64) -> bytes:
    if not isinstance(data_b64, str) or not data_b64:
        raise ValidationFailed("File wajib diunggah.", {FILE: "Pilih file CSV atau XLSX."})
    if len(data_b64) > 4 * ((MAX_FILE_BYTES + 2) // 3) + 4:
        raise _file_error(f"Ukuran file melebihi batas {MAX_FILE_BYTES // (1024 * 1024)} MB.", too_large=True)
    try:
        return base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Data file tidak terbaca.", {FILE: "Data file tidak terbaca."}) from None


def create_job(session: Session, merchant: Merchant, actor_id: str, filename, data: bytes) -> ImportJob:
    """Check the file (size, format, header, row count) and stage a pending job."""
    filename = (filename if isinstance(filename, str) else "").strip()[:200] or "impor"
    file_format, rows = _off_the_hub(parse_file, filename, data)
    job = ImportJob(
        id=new_id(), merchant_id=merchant.id, actor_id=actor_id, filename=filename, file_format=file_format,
        content=data, status=PENDING, total_rows=len(rows), processed_rows=0, created_count=0,
        updated_count=0, unchanged_count=0, failed_count=0, created_at=utcnow(),
    )
    session.add(job)
    return job


def start_import(session: Session, actor, merchant_id, filename, data_b64) -> dict:
    """Validate quickly and store a pending job (the caller commits). The owner only."""
    merchant = _owned_merchant(session, actor, merchant_id)
    data = decode_upload(data_b64)
    job = create_job(session, merchant, str(actor["id"]), filename, data)
    return {"id": job.id, "status": job.status}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def job_to_dict(session: Session, job: ImportJob) -> dict:
    errors = list(session.scalars(
        select(ImportRowError).where(ImportRowError.import_id == job.id)
        .order_by(ImportRowError.id).limit(MAX_REPORTED_ERRORS + 1)
    ))
    return {
        "id": job.id,
        "merchant_id": job.merchant_id,
        "filename": job.filename,
        "format": job.file_format,
        "status": job.status,
        "error": job.error,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "counts": {
            "total": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
        },
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors[:MAX_REPORTED_ERRORS]],
        "errors_truncated": len(errors) > MAX_REPORTED_ERRORS,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def get_import(session: Session, actor, import_id) -> dict:
    """An import, for the owner of its merchant; anyone else gets 404 (not even "it exists")."""
    owner_id = domain._require_owner(actor)
    job = session.get(ImportJob, import_id) if isinstance(import_id, str) else None
    if job is None or session.get(Merchant, job.merchant_id).owner_id != owner_id:
        raise NotFound("Impor tidak ditemukan.", {"import_id": str(import_id)})
    return job_to_dict(session, job)


# --- running an import ------------------------------------------------------------------


class _RetryChunk(Exception):
    """A concurrent writer changed one of the chunk's products: redo the chunk."""


def claim_next_job(session: Session) -> str | None:
    """Mark the oldest pending job running and return its id (None if there is none, or
    another process claimed it first). Commits."""
    job_id = session.scalar(
        select(ImportJob.id).where(ImportJob.status == PENDING).order_by(ImportJob.created_at).limit(1)
    )
    if job_id is None:
        session.rollback()
        return None
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == PENDING)
        .values(status=RUNNING, started_at=func.coalesce(ImportJob.started_at, utcnow()))
    ).rowcount
    session.commit()
    return job_id if claimed == 1 else None


def requeue_stalled_jobs(session: Session, seen: dict, now: float, stall_seconds: float) -> list[str]:
    """Put back to pending a running job whose progress has not moved for ``stall_seconds``
    (its process died). ``seen`` (id -> (processed_rows, since)) is the caller's memory."""
    requeued = []
    running = session.execute(select(ImportJob.id, ImportJob.processed_rows).where(ImportJob.status == RUNNING)).all()
    for job_id, processed in running:
        last = seen.get(job_id)
        if last is None or last[0] != processed:
            seen[job_id] = (processed, now)
            continue
        if now - last[1] >= stall_seconds:
            moved = session.execute(
                update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == RUNNING,
                                        ImportJob.processed_rows == processed).values(status=PENDING)
            ).rowcount
            if moved:
                requeued.append(job_id)
            seen.pop(job_id, None)
    for job_id in set(seen) - {job_id for job_id, _ in running}:
        seen.pop(job_id)
    session.commit()
    return requeued


def run_job(
    uow,
    job_id: str,
    *,
    media_root: Path,
    fetcher=fetch.fetch_photo,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> str:
    """Process a claimed job chunk by chunk, committing each (``uow``: a ``UnitOfWork``).
    Resumes after ``processed_rows``. Returns the job's status afterwards."""
    session = uow.session
    job = session.get(ImportJob, job_id)
    if job is None or job.status != RUNNING:
        session.rollback()
        return job.status if job else FAILED
    try:
        _format, rows = _off_the_hub(parse_file, job.filename, job.content or b"")
    except EtalaseError as problem:
        return _finish(uow, job, FAILED, problem.message)
    merchant = session.get(Merchant, job.merchant_id)
    first_row_of_sku: dict[str, int] = {}
    for row in rows:
        first_row_of_sku.setdefault(row.values.get("sku", "").strip(), row.number)
    job.total_rows = len(rows)
    stored_errors = session.scalar(
        select(func.count()).select_from(ImportRowError).where(ImportRowError.import_id == job.id)
    ) or 0
    uow.commit()

    start = job.processed_rows - job.processed_rows % CHUNK_ROWS
    for chunk_start in range(start, len(rows), CHUNK_ROWS):
        if should_stop():
            job.status = PENDING  # picked up again (from processed_rows) when a runner starts
            uow.commit()
            return PENDING
        chunk = rows[chunk_start:chunk_start + CHUNK_ROWS]
        batch = chunk_start // CHUNK_ROWS + 1
        for attempt in (1, 2):
            try:
                stored_errors = _run_chunk(
                    uow, job, merchant, chunk, batch, chunk_start + len(chunk), first_row_of_sku,
                    stored_errors, media_root, fetcher,
                )
                break
            except _RetryChunk:
                uow.rollback()
                session.refresh(job)
                if attempt == 2:
                    return _finish(uow, job, FAILED, f"Produk diubah bersamaan saat impor (baris {chunk[0].number}–"
                                                     f"{chunk[-1].number}). Impor ulang file yang sama.")
            except Exception:
                log.exception("import %s: chunk %d failed", job.id, batch)
                uow.rollback()
                session.refresh(job)
                return _finish(uow, job, FAILED, f"Terjadi kesalahan saat memproses baris {chunk[0].number}–"
                                                 f"{chunk[-1].number}. Baris sebelumnya sudah tersimpan.")
        if progress is not None:
            progress(job.processed_rows, job.total_rows)
        eventlet.sleep(0)  # let RPC workers and the relay run between chunks
    return _finish(uow, job, DONE, None)


def _finish(uow, job: ImportJob, status: str, error: str | None) -> str:
    job.status = status
    job.error = error
    job.finished_at = utcnow()
    job.content = None  # the file is not kept once processed
    uow.commit()
    return status


def _taken_slugs(session: Session, merchant_id: str) -> set[str]:
    return set(session.scalars(select(Product.slug).where(Product.merchant_id == merchant_id)))


def _free_slug(name: str, taken: set[str]) -> str:
    base = domain.slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def _run_chunk(uow, job: ImportJob, merchant: Merchant, chunk: list[SheetRow], batch: int, processed_after: int,
               first_row_of_sku: dict[str, int], stored_errors: int, media_root: Path, fetcher) -> int:
    session = uow.session
    skus = [row.values.get("sku", "").strip() for row in chunk]
    existing = {
        product.sku: product
        for product in session.scalars(
            select(Product).where(Product.merchant_id == merchant.id, Product.sku.in_([s for s in skus if s]))
            .options(selectinload(Product.photos))
        )
    }
    plans = []
    for row, sku in zip(chunk, skus):
        plan = plan_row(row, merchant, existing.get(sku))
        first = first_row_of_sku.get(sku)
        if sku and first != row.number:
            plan.errors.append(("sku", f"SKU yang sama sudah ada di baris {first}"))
            plan.clean = None
        elif sku in existing and existing[sku].deleted_at is not None:
            plan.errors.append(("sku", "SKU ini milik produk yang sudah dihapus; pakai SKU lain"))
            plan.clean = None
        plans.append(plan)

    # Photos only for products that have none yet, fetched outside any transaction.
    needs_photos = {
        plan.number for plan in plans
        if plan.clean is not None and plan.photo_urls
        and (plan.sku not in existing or not existing[plan.sku].photos)
    }
    photos: dict[int, list[StoredPhoto]] = {}
    if needs_photos:
        uow.commit()  # nothing written yet: release the connection while fetching
        photos = _fetch_photos(plans, needs_photos, media_root, fetcher)

    try:
        changed, counts, new_errors, unused = _write_chunk(session, merchant, plans, existing, photos)
        try:
            session.flush()
        except (StaleDataError, IntegrityError):
            raise _RetryChunk() from None
        if changed:
            payload = ProductsImported(
                import_id=job.id, merchant_id=merchant.id, batch=batch,
                products=[domain.product_snapshot(product, merchant) for product in changed],
            )
            domain.emit_event(session, PRODUCTS_IMPORTED, job.id, batch, payload)
        room = MAX_REPORTED_ERRORS + 1 - stored_errors  # one more than shown: "truncated"
        for number, column, message in new_errors[:max(room, 0)]:
            session.add(ImportRowError(import_id=job.id, row=number, column=column[:60], message=message))
        job.created_count += counts["created"]
        job.updated_count += counts["updated"]
        job.unchanged_count += counts["unchanged"]
        job.failed_count += counts["failed"]
        job.processed_rows = processed_after
        uow.commit()
    except BaseException:
        _remove_photo_files(media_root, photos)
        raise
    _remove_photo_files(media_root, {0: unused})
    return stored_errors + min(len(new_errors), max(room, 0))


def _remove_photo_files(media_root: Path, photos: dict[int, list[StoredPhoto]]) -> None:
    from services.catalog import media

    for stored in photos.values():
        for photo in stored:
            media.remove_files(Path(media_root), photo.variants.values())


def _write_chunk(session: Session, merchant: Merchant, plans: list[RowPlan], existing: dict[str, Product],
                 photos: dict[int, list[StoredPhoto]]):
    """Apply the chunk's plans to the session: (changed products, counts, row errors,
    fetched photos left unused)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    errors: list[tuple[int, str, str]] = []
    unused: list[StoredPhoto] = []
    changed: list[Product] = []
    taken = _taken_slugs(session, merchant.id)
    now = utcnow()
    for plan in plans:
        errors += [(plan.number, column, message) for column, message in plan.errors]
        if plan.clean is None:
            counts["failed"] += 1
            continue
        product = existing.get(plan.sku)
        row_photos = photos.get(plan.number, [])
        if product is None:
            product = Product(
                id=new_id(), merchant_id=merchant.id, slug=_free_slug(plan.clean["name"], taken), version=1,
                created_at=now, updated_at=now, deleted_at=None, photos=[], **plan.clean,
            )
            _attach(product, row_photos)
            session.add(product)
            existing[plan.sku] = product
            changed.append(product)
            counts["created"] += 1
        else:
            changes = {key: value for key, value in plan.clean.items() if getattr(product, key) != value}
            if "name" in changes:
                taken.discard(product.slug)
                changes["slug"] = _free_slug(changes["name"], taken)
                if changes["slug"] == product.slug:
                    del changes["slug"]
            if product.photos and row_photos:
                unused += row_photos  # someone added photos meanwhile: keep theirs
                row_photos = []
            if changes or row_photos:
                for key, value in changes.items():
                    setattr(product, key, value)
                _attach(product, row_photos)
                product.version += 1
                product.updated_at = now
                changed.append(product)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        errors += [(plan.number, column, message) for column, message in plan.photo_errors]
    return changed, counts, errors, unused


def _attach(product: Product, stored: list[StoredPhoto]) -> None:
    for position, photo in enumerate(stored):
        product.photos.append(ProductPhoto(
            id=photo.id, position=position, content_type=photo.content_type, width=photo.width,
            height=photo.height, sha256=photo.sha256, variants=photo.variants, alt=product.name[:200],
            created_at=utcnow(),
        ))


# --- the background runner in the catalog service ---------------------------------------


class ImportRunner(DependencyProvider):
    """Runs pending imports in a managed green thread of the catalog container, one at a
    time: woken by ``wake()`` after ``start_import`` commits, and polling every
    ``poll_interval`` seconds anyway. On stop it finishes the current chunk and leaves the
    job pending, so it resumes from ``processed_rows``."""

    STALL_SECONDS = 3600.0  # a running job without progress this long was orphaned by a dead process

    def __init__(self, database_attr: str = "db", poll_interval: float = 2.0):
        self.database_attr = database_attr
        self.poll_interval = poll_interval
        self._wake = GreenEvent()
        self._running = False
        self._thread = None
        self._seen: dict = {}

    def setup(self):
        from services.catalog.settings import CatalogSettings

        self.media_root = Path(CatalogSettings.load().media_root)

    def _database(self):
        return sibling_dependency(self.container, self.database_attr)

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="import_runner")

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            with eventlet.Timeout(60, False):
                self._thread.wait()

    def kill(self):
        self._running = False
        self.wake()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        database = self._database()
        while self._running:
            try:
                self.run_pending(database)
            except Exception:  # noqa: BLE001 - keep the runner alive; the next poll retries
                log.exception("import runner failed")
            with eventlet.Timeout(self.poll_interval, False):
                self._wake.wait()
            self._wake = GreenEvent()

    def run_pending(self, database) -> None:
        uow = database.new_unit()
        try:
            requeue_stalled_jobs(uow.session, self._seen, time.monotonic(), self.STALL_SECONDS)
            while self._running:
                job_id = claim_next_job(uow.session)
                if job_id is None:
                    return
                status = run_job(uow, job_id, media_root=self.media_root, should_stop=lambda: not self._running)
                log.info("import %s: %s", job_id, status)
        finally:
            uow.rollback()
            uow.close()
