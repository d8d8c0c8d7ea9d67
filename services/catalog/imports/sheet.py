"""What an import file is: the sheet's columns, the header spellings accepted for them, the
limits of a file, and the error a file that breaks them raises.

The template (``template``), the reader (``parsing``) and the row check (``rows``) all work
from this one description of the sheet.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.errors import EtalaseError, PayloadTooLarge, ValidationFailed

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000  # data rows (blank rows are not counted)

SHEET_NAME = "Produk"

FILE = "file"  # the field a problem with the file itself is reported on


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
    Column("status", "status", "tayang (tampil di etalase), draf (belum tampil) atau arsip (diarsipkan); "
           "juga published, draft, archived. Kosong = tayang.", "tayang"),
    Column("tag", "tags", "Kata kunci dipisah koma, paling banyak 10.", "oleh-oleh, kendari, pisang"),
    Column("anggota", "member_business", "Khusus koperasi: nama usaha anggota yang menjual produk ini.", ""),
    Column("foto", None, "Alamat foto (http/https), paling banyak 8, dipisah spasi atau baris baru. "
           "Foto hanya diambil bila produk belum punya foto. Foto yang gagal diambil dilaporkan, "
           "produknya tetap disimpan.", "https://foto.contoh.example/keripik-pisang.jpg"),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
FIELD_COLUMNS = {column.field: column.name for column in COLUMNS if column.field}  # product field -> column
COLUMN_FIELDS = {name: product_field for product_field, name in FIELD_COLUMNS.items()}  # column -> product field
# Other spellings a seller (or another tool) may use in the header row.
HEADER_ALIASES = {
    "kode": "sku", "kode_produk": "sku", "name": "nama", "nama_produk": "nama",
    "description": "deskripsi", "keterangan": "deskripsi", "price": "harga",
    "compare_at_price": "harga_coret", "harga_normal": "harga_coret", "stock": "stok",
    "unit": "satuan", "category": "kategori", "tags": "tag", "member_business": "anggota",
    "photos": "foto", "foto_url": "foto",
}


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # 10.000, as written in Indonesia


def file_error(message: str, too_large: bool = False) -> EtalaseError:
    """The error for a file that cannot be imported at all (413 or 422), naming ``file``."""
    error_class = PayloadTooLarge if too_large else ValidationFailed
    return error_class(message, {FILE: message})
