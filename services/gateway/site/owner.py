"""The owners' pages (pemilik usaha): dashboard, business profile, products, photos,
spreadsheet imports, campaign opt-in/opt-out and per-product statistics.

    GET      /pemilik                            dashboard: businesses, products (+ 30-day views and
                                                 WhatsApp contacts), campaigns with opt-in/opt-out
    GET/POST /pemilik/usaha/baru                 register a business
    GET/POST /pemilik/usaha/<id>                 profile + credentials (carries the version)
    POST     /pemilik/usaha/<id>/logo            logo upload (multipart ``photo``)
    GET/POST /pemilik/produk/baru?usaha=<id>     add a product
    GET/POST /pemilik/produk/<id>                edit a product (carries the version)
    POST     /pemilik/produk/<id>/foto           photo upload (multipart ``photo``, ``alt``)
    POST     /pemilik/produk/<id>/foto/<ph>/hapus  delete a photo
    GET/POST /pemilik/produk/<id>/hapus          confirm, then delete the product
    GET/POST /pemilik/impor                      spreadsheet upload (CSV/XLSX, multipart ``file``)
    GET      /pemilik/impor/<id>                 import progress: counts and row errors
    POST     /pemilik/kampanye/<id>/ikut|keluar  opt a product (form ``product_id``) in or out

The catalog and promotion check ownership again on every write; the pages check it on reads
(another owner's business or product is a 404). Validation errors of the catalog come back
as ``fields`` and are shown next to each input; the form keeps what the owner typed.
"""
from __future__ import annotations

import base64
import logging
import re
from urllib.parse import quote, urlencode

from werkzeug.exceptions import RequestEntityTooLarge

from services.gateway.api_imports import IMPORT_RPC_TIMEOUT, MAX_FORM_OVERHEAD as IMPORT_OVERHEAD
from services.gateway.api_imports import MAX_IMPORT_BYTES, read_import_upload
from services.gateway.api_media import MAX_FORM_OVERHEAD as PHOTO_OVERHEAD
from services.gateway.api_media import MAX_PHOTO_BYTES, read_photo_upload
from services.gateway.site import i18n
from services.gateway.site.buyer import _category_groups, _category_options, optional
from services.gateway.site.render import page, require_role, rupiah
from shared.errors import Conflict, EtalaseError, NotFound, PayloadTooLarge, ValidationFailed
from shared.regions import region_list, region_name

log = logging.getLogger(__name__)

OWNER = "owner"
PER_PAGE = 50
STAT_DAYS = 30
PHOTO_BODY = MAX_PHOTO_BYTES + PHOTO_OVERHEAD
IMPORT_BODY = MAX_IMPORT_BYTES + IMPORT_OVERHEAD
MERCHANT_PROFILE = ("name", "region", "whatsapp", "description", "address")
CREDENTIALS = ("nib", "pirt_number", "halal_number", "halal_expires_on")
KOPERASI_CREDENTIALS = ("legal_number", "member_count", "last_rat_year")
NUMBER_CREDENTIALS = ("member_count", "last_rat_year")
PRODUCT_TEXT = ("name", "description", "unit", "tags")
PRODUCT_STATUSES = ("published", "draft")
# ?ok=<key> after a redirect: only these known messages are shown (never text from the URL)
NOTICES = ("created", "saved", "deleted", "photo_added", "photo_deleted", "logo", "registered", "opted_in",
           "opted_out")

i18n.add_messages(
    id={
        "owner.title": "Usaha Saya",
        "owner.businesses": "Usaha",
        "owner.no_business": "Anda belum mendaftarkan usaha. Daftarkan usaha Anda agar produknya tampil di Etalase.",
        "owner.register_business": "Daftarkan usaha",
        "owner.register_another": "Daftarkan usaha lain",
        "owner.business.new": "Daftarkan usaha baru",
        "owner.business.edit": "Profil usaha",
        "owner.business.profile": "Profil",
        "owner.business.credentials": "Legalitas dan sertifikat",
        "owner.business.credentials.hint": "Kosongkan jika belum punya.",
        "owner.business.koperasi": "Koperasi",
        "owner.business.save": "Simpan profil",
        "owner.business.register": "Daftarkan",
        "owner.business.public": "Lihat halaman usaha",
        "owner.status": "Status",
        "owner.status.pending": "Menunggu verifikasi Dinas",
        "owner.status.verified": "Terverifikasi",
        "owner.status.rejected": "Ditolak",
        "owner.status.suspended": "Dibekukan",
        "owner.status.reason": "Alasan: {reason}",
        "owner.field.name": "Nama usaha",
        "owner.field.kind": "Jenis usaha",
        "owner.field.kind.fixed": "Jenis usaha tidak dapat diubah setelah terdaftar.",
        "owner.field.region": "Kabupaten/kota",
        "owner.field.region.choose": "Pilih kabupaten/kota",
        "owner.field.whatsapp": "Nomor WhatsApp",
        "owner.field.whatsapp.hint": "Nomor seluler, mis. 0812-3456-7890. Pembeli menghubungi Anda lewat nomor ini.",
        "owner.field.description": "Deskripsi",
        "owner.field.address": "Alamat",
        "owner.field.nib": "NIB (13 angka)",
        "owner.field.pirt_number": "Nomor PIRT",
        "owner.field.halal_number": "Nomor sertifikat halal",
        "owner.field.halal_expires_on": "Sertifikat halal berlaku sampai",
        "owner.field.legal_number": "Nomor badan hukum koperasi",
        "owner.field.member_count": "Jumlah anggota",
        "owner.field.last_rat_year": "Tahun RAT terakhir",
        "owner.logo": "Logo usaha",
        "owner.logo.current": "Logo saat ini",
        "owner.logo.file": "Berkas logo (JPEG, PNG atau WebP, paling besar 5 MB)",
        "owner.logo.upload": "Unggah logo",
        "owner.products": "Produk",
        "owner.products.none": "Belum ada produk.",
        "owner.products.add": "Tambah produk",
        "owner.products.import": "Impor dari spreadsheet",
        "owner.products.count": "{n} produk",
        "owner.col.name": "Nama",
        "owner.col.status": "Status",
        "owner.col.price": "Harga",
        "owner.col.stock": "Stok",
        "owner.col.views": "Dilihat",
        "owner.col.contacts": "Klik WhatsApp",
        "owner.col.actions": "Aksi",
        "owner.stats.caption": "Dilihat dan klik WhatsApp: {days} hari terakhir.",
        "owner.stats.unavailable": "Statistik sedang tidak tersedia.",
        "owner.edit": "Ubah",
        "owner.delete": "Hapus",
        "owner.product.status.published": "Tayang",
        "owner.product.status.draft": "Draf",
        "owner.product.status.archived": "Diarsipkan",
        "owner.product.new": "Tambah produk",
        "owner.product.edit": "Ubah produk",
        "owner.product.field.merchant_id": "Usaha",
        "owner.product.field.name": "Nama produk",
        "owner.product.field.description": "Deskripsi",
        "owner.product.field.price": "Harga (Rp)",
        "owner.product.field.price.hint": "Angka saja, mis. 15000 atau 15.000.",
        "owner.product.field.stock": "Stok",
        "owner.product.field.unit": "Satuan",
        "owner.product.field.unit.hint": "Mis. pcs, kg, lembar, botol.",
        "owner.product.field.category": "Kategori",
        "owner.product.field.category.choose": "Pilih kategori",
        "owner.product.field.halal": "Produk halal (berlaku jika usaha memiliki sertifikat halal yang masih berlaku)",
        "owner.product.field.status": "Status",
        "owner.product.field.status.published": "Tayangkan sekarang",
        "owner.product.field.status.draft": "Simpan sebagai draf (tidak tampil untuk pembeli)",
        "owner.product.field.tags": "Tag",
        "owner.product.field.tags.hint": "Pisahkan dengan koma, mis. tenun, oleh-oleh.",
        "owner.product.save": "Simpan produk",
        "owner.product.create": "Tambah produk",
        "owner.product.public": "Lihat di etalase",
        "owner.photos": "Foto produk",
        "owner.photos.none": "Belum ada foto.",
        "owner.photos.file": "Foto (JPEG, PNG atau WebP, paling besar 5 MB)",
        "owner.photos.alt": "Keterangan foto (untuk pembaca layar)",
        "owner.photos.upload": "Unggah foto",
        "owner.photos.delete": "Hapus foto",
        "owner.photos.hint": "Foto diperkecil otomatis ke ukuran web.",
        "owner.delete.title": "Hapus produk",
        "owner.delete.confirm": "Hapus produk \u201c{name}\u201d? Produk tidak lagi tampil untuk pembeli.",
        "owner.delete.button": "Ya, hapus produk",
        "owner.cancel": "Batal",
        "owner.back": "Kembali ke Usaha Saya",
        "owner.invalid": "Periksa kembali isian yang ditandai.",
        "owner.conflict": "Data ini sudah diubah di tempat lain (mis. di perangkat lain) sejak halaman ini dibuka. "
                          "Muat ulang halaman untuk melihat data terbaru, lalu ubah lagi.",
        "owner.conflict.reload": "Muat ulang data terbaru",
        "owner.not_number": "harus berupa angka bulat",
        "owner.campaigns": "Kampanye promosi untuk produk Anda",
        "owner.campaigns.none": "Belum ada kampanye yang menyasar produk Anda.",
        "owner.campaigns.unavailable": "Daftar kampanye sedang tidak tersedia.",
        "owner.campaigns.discount.percent": "Diskon {value}%",
        "owner.campaigns.discount.fixed": "Potongan {value}",
        "owner.campaigns.status.active": "Sedang berlangsung",
        "owner.campaigns.status.scheduled": "Terjadwal",
        "owner.campaigns.member": "Ikut",
        "owner.campaigns.not_member": "Tidak ikut",
        "owner.campaigns.opt_in": "Ikutkan",
        "owner.campaigns.opt_out": "Keluarkan",
        "owner.campaigns.opt_in.label": "Ikutkan {product} dalam {campaign}",
        "owner.campaigns.opt_out.label": "Keluarkan {product} dari {campaign}",
        "owner.import.title": "Impor produk dari spreadsheet",
        "owner.import.help": "Unggah file CSV atau XLSX (paling besar 5 MB). Satu baris untuk satu produk; "
                             "produk dengan SKU yang sama diperbarui.",
        "owner.import.template": "Unduh template XLSX",
        "owner.import.file": "File CSV atau XLSX",
        "owner.import.merchant": "Usaha",
        "owner.import.start": "Mulai impor",
        "owner.import.status.title": "Status impor",
        "owner.import.status.pending": "Menunggu diproses",
        "owner.import.status.running": "Sedang diproses",
        "owner.import.status.done": "Selesai",
        "owner.import.status.failed": "Gagal",
        "owner.import.progress": "{processed} dari {total} baris diproses.",
        "owner.import.reload": "Muat ulang",
        "owner.import.reload.hint": "Impor masih berjalan. Muat ulang halaman ini untuk melihat kemajuannya.",
        "owner.import.counts": "Ringkasan",
        "owner.import.created": "Produk baru",
        "owner.import.updated": "Diperbarui",
        "owner.import.unchanged": "Tidak berubah",
        "owner.import.failed": "Baris gagal",
        "owner.import.total": "Jumlah baris",
        "owner.import.errors": "Baris yang gagal",
        "owner.import.errors.none": "Tidak ada baris yang gagal.",
        "owner.import.errors.truncated": "Hanya sebagian kesalahan yang ditampilkan.",
        "owner.import.col.row": "Baris",
        "owner.import.col.field": "Kolom",
        "owner.import.col.message": "Masalah",
        "owner.import.again": "Impor file lain",
        "owner.notice.created": "Produk ditambahkan. Tambahkan fotonya di bawah.",
        "owner.notice.saved": "Perubahan disimpan.",
        "owner.notice.deleted": "Produk dihapus.",
        "owner.notice.photo_added": "Foto ditambahkan.",
        "owner.notice.photo_deleted": "Foto dihapus.",
        "owner.notice.logo": "Logo diperbarui.",
        "owner.notice.registered": "Usaha didaftarkan dan menunggu verifikasi Dinas.",
        "owner.notice.opted_in": "Produk diikutkan dalam kampanye.",
        "owner.notice.opted_out": "Produk dikeluarkan dari kampanye.",
    },
    en={
        "owner.title": "My business",
        "owner.businesses": "Businesses",
        "owner.no_business": "You have not registered a business yet. Register it so its products appear on Etalase.",
        "owner.register_business": "Register a business",
        "owner.register_another": "Register another business",
        "owner.business.new": "Register a new business",
        "owner.business.edit": "Business profile",
        "owner.business.profile": "Profile",
        "owner.business.credentials": "Licences and certificates",
        "owner.business.credentials.hint": "Leave empty if you do not have one yet.",
        "owner.business.koperasi": "Cooperative",
        "owner.business.save": "Save profile",
        "owner.business.register": "Register",
        "owner.business.public": "See the business page",
        "owner.status": "Status",
        "owner.status.pending": "Awaiting verification by the Office",
        "owner.status.verified": "Verified",
        "owner.status.rejected": "Rejected",
        "owner.status.suspended": "Suspended",
        "owner.status.reason": "Reason: {reason}",
        "owner.field.name": "Business name",
        "owner.field.kind": "Business type",
        "owner.field.kind.fixed": "The business type cannot change after registration.",
        "owner.field.region": "Regency/city",
        "owner.field.region.choose": "Choose a regency/city",
        "owner.field.whatsapp": "WhatsApp number",
        "owner.field.whatsapp.hint": "A mobile number, e.g. 0812-3456-7890. Buyers contact you on it.",
        "owner.field.description": "Description",
        "owner.field.address": "Address",
        "owner.field.nib": "NIB (13 digits)",
        "owner.field.pirt_number": "PIRT number",
        "owner.field.halal_number": "Halal certificate number",
        "owner.field.halal_expires_on": "Halal certificate valid until",
        "owner.field.legal_number": "Cooperative legal entity number",
        "owner.field.member_count": "Number of members",
        "owner.field.last_rat_year": "Year of the last annual members' meeting (RAT)",
        "owner.logo": "Business logo",
        "owner.logo.current": "Current logo",
        "owner.logo.file": "Logo file (JPEG, PNG or WebP, at most 5 MB)",
        "owner.logo.upload": "Upload logo",
        "owner.products": "Products",
        "owner.products.none": "No products yet.",
        "owner.products.add": "Add a product",
        "owner.products.import": "Import from a spreadsheet",
        "owner.products.count": "{n} products",
        "owner.col.name": "Name",
        "owner.col.status": "Status",
        "owner.col.price": "Price",
        "owner.col.stock": "Stock",
        "owner.col.views": "Views",
        "owner.col.contacts": "WhatsApp clicks",
        "owner.col.actions": "Actions",
        "owner.stats.caption": "Views and WhatsApp clicks: last {days} days.",
        "owner.stats.unavailable": "Statistics are unavailable right now.",
        "owner.edit": "Edit",
        "owner.delete": "Delete",
        "owner.product.status.published": "Published",
        "owner.product.status.draft": "Draft",
        "owner.product.status.archived": "Archived",
        "owner.product.new": "Add a product",
        "owner.product.edit": "Edit product",
        "owner.product.field.merchant_id": "Business",
        "owner.product.field.name": "Product name",
        "owner.product.field.description": "Description",
        "owner.product.field.price": "Price (Rp)",
        "owner.product.field.price.hint": "Numbers only, e.g. 15000 or 15.000.",
        "owner.product.field.stock": "Stock",
        "owner.product.field.unit": "Unit",
        "owner.product.field.unit.hint": "E.g. pcs, kg, sheet, bottle.",
        "owner.product.field.category": "Category",
        "owner.product.field.category.choose": "Choose a category",
        "owner.product.field.halal": "Halal product (shown while the business holds a valid halal certificate)",
        "owner.product.field.status": "Status",
        "owner.product.field.status.published": "Publish now",
        "owner.product.field.status.draft": "Save as a draft (hidden from buyers)",
        "owner.product.field.tags": "Tags",
        "owner.product.field.tags.hint": "Separate with commas, e.g. woven, souvenir.",
        "owner.product.save": "Save product",
        "owner.product.create": "Add product",
        "owner.product.public": "See it in the showcase",
        "owner.photos": "Product photos",
        "owner.photos.none": "No photos yet.",
        "owner.photos.file": "Photo (JPEG, PNG or WebP, at most 5 MB)",
        "owner.photos.alt": "Photo description (for screen readers)",
        "owner.photos.upload": "Upload photo",
        "owner.photos.delete": "Delete photo",
        "owner.photos.hint": "Photos are resized to web sizes automatically.",
        "owner.delete.title": "Delete product",
        "owner.delete.confirm": "Delete the product \u201c{name}\u201d? Buyers will no longer see it.",
        "owner.delete.button": "Yes, delete the product",
        "owner.cancel": "Cancel",
        "owner.back": "Back to My business",
        "owner.invalid": "Please check the marked fields.",
        "owner.conflict": "This was changed elsewhere (e.g. on another device) after this page was opened. "
                          "Reload the page to see the latest data, then make your change again.",
        "owner.conflict.reload": "Reload the latest data",
        "owner.not_number": "must be a whole number",
        "owner.campaigns": "Promotion campaigns for your products",
        "owner.campaigns.none": "No campaign targets your products yet.",
        "owner.campaigns.unavailable": "Campaigns are unavailable right now.",
        "owner.campaigns.discount.percent": "{value}% off",
        "owner.campaigns.discount.fixed": "{value} off",
        "owner.campaigns.status.active": "Running",
        "owner.campaigns.status.scheduled": "Scheduled",
        "owner.campaigns.member": "In",
        "owner.campaigns.not_member": "Not in",
        "owner.campaigns.opt_in": "Join",
        "owner.campaigns.opt_out": "Leave",
        "owner.campaigns.opt_in.label": "Put {product} in {campaign}",
        "owner.campaigns.opt_out.label": "Take {product} out of {campaign}",
        "owner.import.title": "Import products from a spreadsheet",
        "owner.import.help": "Upload a CSV or XLSX file (at most 5 MB). One row per product; products with the "
                             "same SKU are updated.",
        "owner.import.template": "Download the XLSX template",
        "owner.import.file": "CSV or XLSX file",
        "owner.import.merchant": "Business",
        "owner.import.start": "Start the import",
        "owner.import.status.title": "Import status",
        "owner.import.status.pending": "Waiting",
        "owner.import.status.running": "Running",
        "owner.import.status.done": "Done",
        "owner.import.status.failed": "Failed",
        "owner.import.progress": "{processed} of {total} rows processed.",
        "owner.import.reload": "Reload",
        "owner.import.reload.hint": "The import is still running. Reload this page to see its progress.",
        "owner.import.counts": "Summary",
        "owner.import.created": "New products",
        "owner.import.updated": "Updated",
        "owner.import.unchanged": "Unchanged",
        "owner.import.failed": "Failed rows",
        "owner.import.total": "Rows",
        "owner.import.errors": "Rows that failed",
        "owner.import.errors.none": "No row failed.",
        "owner.import.errors.truncated": "Only some of the errors are shown.",
        "owner.import.col.row": "Row",
        "owner.import.col.field": "Column",
        "owner.import.col.message": "Problem",
        "owner.import.again": "Import another file",
        "owner.notice.created": "Product added. Add its photos below.",
        "owner.notice.saved": "Changes saved.",
        "owner.notice.deleted": "Product deleted.",
        "owner.notice.photo_added": "Photo added.",
        "owner.notice.photo_deleted": "Photo deleted.",
        "owner.notice.logo": "Logo updated.",
        "owner.notice.registered": "Business registered; it awaits verification by the Office.",
        "owner.notice.opted_in": "Product put in the campaign.",
        "owner.notice.opted_out": "Product taken out of the campaign.",
    },
)


# --- helpers ---------------------------------------------------------------------------------


def actor(web) -> dict:
    return {"id": web.user["id"], "role": web.user["role"]}


def _path(*parts: str) -> str:
    return "/".join(quote(str(part), safe="") for part in parts)


def merchant_url(merchant_id: str) -> str:
    return "/pemilik/usaha/" + _path(merchant_id)


def product_url(product_id: str, suffix: str = "") -> str:
    return "/pemilik/produk/" + _path(product_id) + suffix


def _valid_id(value) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 64


def notice(web) -> str | None:
    key = web.request.args.get("ok")
    return web.t("owner.notice." + key) if key in NOTICES else None


def with_notice(url: str, key: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({"ok": key})


def owner_merchants(web) -> list[dict]:
    merchants = web.gw.call("catalog", "list_owner_merchants", web.user["id"])
    return [m for m in merchants or [] if isinstance(m, dict) and m.get("id")]


def owned_merchant(web, merchant_id: str) -> dict:
    """The business when the signed-in owner owns it; anyone else's is a 404."""
    if not _valid_id(merchant_id):
        raise NotFound("Usaha tidak ditemukan.")
    merchant = web.gw.call("catalog", "get_merchant", merchant_id)
    if not isinstance(merchant, dict) or merchant.get("owner_id") != web.user["id"]:
        raise NotFound("Usaha tidak ditemukan.")
    return merchant


def owned_product(web, product_id: str) -> tuple[dict, dict]:
    """(product, merchant) when the signed-in owner owns the product's business, else 404."""
    if not _valid_id(product_id):
        raise NotFound("Produk tidak ditemukan.")
    product = web.gw.call("catalog", "get_product", product_id)
    if not isinstance(product, dict):
        raise NotFound("Produk tidak ditemukan.")
    return product, owned_merchant(web, product.get("merchant_id"))


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_whole(text: str):
    """"15.000" / "Rp 15.000" / "15000" -> 15000; "" -> None; anything else stays text (the
    catalog then names the problem next to the field)."""
    cleaned = re.sub(r"^rp\.?", "", text.strip(), flags=re.IGNORECASE).strip()
    cleaned = re.sub(r"[\s.]", "", cleaned)
    if not cleaned:
        return None
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 12 else text.strip()


def form_text(form, name: str, max_len: int = 5000) -> str:
    return (form.get(name) or "").strip()[:max_len]


def failure(web, exc: EtalaseError) -> tuple[str, dict]:
    """(message for the top of the form, {field: message}) of a refused change."""
    if isinstance(exc, Conflict):
        return web.t("owner.conflict"), {}
    fields = {str(k): str(v) for k, v in (exc.fields or {}).items()} if isinstance(exc.fields, dict) else {}
    return (web.t("owner.invalid") if fields else exc.message or web.t("owner.invalid")), fields


def _writing(call):
    """Run a catalog/promotion write; ValidationFailed, Conflict and other 4xx errors come
    back as the exception (to re-render the form); 5xx and NotFound/Forbidden propagate."""
    try:
        return call(), None
    except NotFound:
        raise
    except EtalaseError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        return None, exc


def status_label(web, status) -> str:
    return web.t("owner.status." + status) if status in ("pending", "verified", "rejected", "suspended") else ""


def present_merchant(web, merchant: dict) -> dict:
    credentials = merchant.get("credentials") if isinstance(merchant.get("credentials"), dict) else {}
    logo = merchant.get("logo") if isinstance(merchant.get("logo"), dict) else None
    urls = (logo or {}).get("urls") if isinstance((logo or {}).get("urls"), dict) else {}
    mid = merchant.get("id") or ""
    return {
        "id": mid,
        "url": merchant_url(mid),
        "public_url": "/usaha/" + _path(mid),
        "name": merchant.get("name") or "",
        "kind": merchant.get("kind") or "",
        "region_name": merchant.get("region_name") or region_name(str(merchant.get("region") or "")) or "",
        "status": merchant.get("status") or "pending",
        "status_label": status_label(web, merchant.get("status") or "pending"),
        "status_reason": merchant.get("status_reason") or "",
        "verified": merchant.get("verified") is True,
        "logo": urls.get("thumb") or urls.get("medium"),
        "halal_valid": credentials.get("halal_valid") is True,
    }


def merchant_values(merchant: dict) -> dict:
    """The business as form values (strings)."""
    credentials = merchant.get("credentials") if isinstance(merchant.get("credentials"), dict) else {}
    values = {name: merchant.get(name) or "" for name in MERCHANT_PROFILE}
    values["kind"] = merchant.get("kind") or "umkm"
    for name in CREDENTIALS + KOPERASI_CREDENTIALS:
        value = credentials.get(name)
        values[name] = "" if value is None else str(value)
    values["version"] = str(merchant.get("version") or "")
    return values


# --- dashboard -------------------------------------------------------------------------------


def present_product(product: dict, stats: dict | None) -> dict:
    pid = product.get("id") or ""
    counts = (stats or {}).get(pid) if isinstance((stats or {}).get(pid), dict) else None
    return {
        "id": pid,
        "name": product.get("name") or "",
        "status": product.get("status") or "published",
        "price": _int(product.get("price")),
        "stock": _int(product.get("stock")),
        "unit": product.get("unit") or "",
        "edit_url": product_url(pid),
        "delete_url": product_url(pid, "/hapus"),
        "public_url": "/produk/" + _path(pid),
        "views": _int((counts or {}).get("views")),
        "contacts": _int((counts or {}).get("contacts")),
    }


def present_campaigns(web, result, names: dict) -> list[dict]:
    campaigns = []
    for item in (result or {}).get("items") or [] if isinstance(result, dict) else []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        discount = item.get("discount") if isinstance(item.get("discount"), dict) else None
        discount_text = ""
        if discount and _int(discount.get("value")) is not None:
            if discount.get("type") == "percent":
                discount_text = web.t("owner.campaigns.discount.percent", value=discount["value"])
            else:
                discount_text = web.t("owner.campaigns.discount.fixed", value=rupiah(discount["value"]))
        products = []
        for entry in item.get("my_products") or []:
            if not isinstance(entry, dict) or not entry.get("product_id"):
                continue
            member = entry.get("member") is True
            products.append({
                "id": entry["product_id"],
                "name": names.get(entry["product_id"]) or entry["product_id"],
                "member": member,
                "can_opt_in": not member and (entry.get("opted_out") is True or item.get("open_for_signup") is True),
                "can_opt_out": member,
            })
        campaigns.append({
            "id": item["id"],
            "name": item.get("name") or "",
            "description": item.get("description") or "",
            "status": item.get("status") or "",
            "starts": item.get("starts_at_wita") or item.get("starts_at"),
            "ends": item.get("ends_at_wita") or item.get("ends_at"),
            "discount": discount_text,
            "opt_in_url": "/pemilik/kampanye/" + _path(item["id"]) + "/ikut",
            "opt_out_url": "/pemilik/kampanye/" + _path(item["id"]) + "/keluar",
            "products": products,
        })
    return campaigns


def _page_number(web) -> int:
    try:
        return max(1, min(10_000, int(web.request.args.get("page") or 1)))
    except ValueError:
        return 1


def dashboard_context(web) -> dict:
    gw = web.gw
    page_number = _page_number(web)
    merchants = owner_merchants(web)
    sections = []
    for merchant in merchants:
        listed = gw.call("catalog", "list_merchant_products", merchant["id"], page=page_number, per_page=PER_PAGE)
        items = [p for p in (listed or {}).get("items") or [] if isinstance(p, dict) and p.get("id")]
        sections.append({"merchant": present_merchant(web, merchant), "items": items,
                         "total": int((listed or {}).get("total") or 0)})
    product_ids = [p["id"] for section in sections for p in section["items"]][:200]
    stats = optional(gw, "promotion", "product_statistics", actor(web), product_ids, days=STAT_DAYS) \
        if product_ids else {"items": {}}
    campaigns = optional(gw, "promotion", "campaigns_for_owner", actor(web)) if merchants else {"items": []}
    stat_items = stats.get("items") if isinstance(stats, dict) and isinstance(stats.get("items"), dict) else None
    names = {}
    for section in sections:
        names.update({p["id"]: p.get("name") or "" for p in section["items"]})
        section["products"] = [present_product(p, stat_items) for p in section["items"]]
        pages = max(1, -(-section["total"] // PER_PAGE))
        section["prev"] = f"/pemilik?page={page_number - 1}" if page_number > 1 else None
        section["next"] = f"/pemilik?page={page_number + 1}" if page_number < pages else None
        section["pages"] = pages
    return {
        "sections": sections,
        "page": page_number,
        "stats_available": stat_items is not None,
        "stat_days": STAT_DAYS,
        "campaigns": present_campaigns(web, campaigns, names),
        "campaigns_available": isinstance(campaigns, dict),
    }


def render_dashboard(web, status: int = 200, error: str | None = None):
    return web.render("owner_home.html", status=status, error=error, notice=notice(web), **dashboard_context(web))


@page
@require_role(OWNER)
def home(web):
    """``GET /pemilik``."""
    return render_dashboard(web)


@page
@require_role(OWNER)
def campaign_membership(web, campaign_id: str, action: str):
    """``POST /pemilik/kampanye/<id>/ikut|keluar`` with ``product_id``: opt in or out."""
    product_id = form_text(web.request.form, "product_id", 64)
    if not _valid_id(campaign_id) or not product_id:
        raise NotFound("Kampanye tidak ditemukan.")
    method = "opt_in" if action == "ikut" else "opt_out"
    _, failed = _writing(lambda: web.gw.call("promotion", method, actor(web), campaign_id, product_id))
    if failed is not None:
        details = " ".join(str(v) for v in (failed.fields or {}).values() if isinstance(v, str))
        message = failed.message + (f" ({details})" if details and details not in failed.message else "")
        return render_dashboard(web, status=failed.status, error=message)
    return web.redirect(with_notice("/pemilik", "opted_in" if method == "opt_in" else "opted_out") + "#kampanye")


# --- business ----------------------------------------------------------------------------------


def merchant_data(form, kind: str, creating: bool) -> dict:
    """The form as the catalog's merchant fields."""
    data = {name: form_text(form, name, 2000) for name in MERCHANT_PROFILE}
    if creating:
        data["kind"] = form_text(form, "kind", 20)
    credentials = CREDENTIALS + (KOPERASI_CREDENTIALS if kind == "koperasi" else ())
    for name in credentials:
        text = form_text(form, name, 100)
        if name in NUMBER_CREDENTIALS:
            data[name] = parse_whole(text) if text else None
        else:
            data[name] = text or None
    if creating:
        data = {k: v for k, v in data.items() if v not in (None, "") or k in ("name", "region", "whatsapp")}
    return data


def render_business(web, merchant: dict | None, values: dict, errors: dict, error: str | None, status: int = 200,
                    conflict: bool = False):
    return web.render(
        "owner_business.html", status=status, merchant=present_merchant(web, merchant) if merchant else None,
        values=values, errors=errors, error=error, regions=region_list(), notice=notice(web), conflict=conflict,
    )


@page
@require_role(OWNER)
def business_new(web):
    """``GET/POST /pemilik/usaha/baru``: register a business."""
    if web.request.method == "GET":
        return render_business(web, None, {"kind": "umkm"}, {}, None)
    form = web.request.form
    kind = form_text(form, "kind", 20)
    values = {name: form_text(form, name, 2000) for name in
              ("kind",) + MERCHANT_PROFILE + CREDENTIALS + KOPERASI_CREDENTIALS}
    data = merchant_data(form, kind, creating=True)
    created, failed = _writing(lambda: web.gw.call("catalog", "register_merchant", actor(web), data))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_business(web, None, values, errors, error, status=failed.status)
    return web.redirect(with_notice(merchant_url(created["id"]), "registered"))


@page
@require_role(OWNER)
def business_edit(web, merchant_id: str):
    """``GET/POST /pemilik/usaha/<id>``: profile and credentials."""
    merchant = owned_merchant(web, merchant_id)
    if web.request.method == "GET":
        return render_business(web, merchant, merchant_values(merchant), {}, None)
    form = web.request.form
    values = {name: form_text(form, name, 2000) for name in MERCHANT_PROFILE + CREDENTIALS + KOPERASI_CREDENTIALS}
    values["kind"] = merchant.get("kind") or "umkm"
    values["version"] = form_text(form, "version", 20)
    version = parse_whole(values["version"]) if values["version"] else None
    data = merchant_data(form, values["kind"], creating=False)
    _, failed = _writing(lambda: web.gw.call("catalog", "update_merchant", actor(web), merchant["id"], data,
                                             version if isinstance(version, int) else None))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_business(web, merchant, values, errors, error, status=failed.status,
                               conflict=isinstance(failed, Conflict))
    return web.redirect(with_notice(merchant_url(merchant["id"]), "saved"))


def read_upload(web, reader):
    """(upload dict, None), or (None, the refusal) when it is missing, empty or too large."""
    try:
        return reader(web.request), None
    except (ValidationFailed, PayloadTooLarge) as exc:
        return None, exc
    except RequestEntityTooLarge:
        return None, PayloadTooLarge()


def upload_problem(exc: EtalaseError) -> str:
    return str(next(iter((exc.fields or {}).values()), None) or exc.message)


@page(max_body=PHOTO_BODY)
@require_role(OWNER)
def business_logo(web, merchant_id: str):
    """``POST /pemilik/usaha/<id>/logo`` (multipart ``photo``)."""
    merchant = owned_merchant(web, merchant_id)
    upload, failed = read_upload(web, read_photo_upload)
    if upload is not None:
        _, failed = _writing(lambda: web.gw.call("catalog", "set_merchant_logo", actor(web), merchant["id"], upload,
                                                 timeout=web.gw.settings.photo_rpc_timeout))
        if failed is None:
            return web.redirect(with_notice(merchant_url(merchant["id"]), "logo"))
    return render_business(web, merchant, merchant_values(merchant), {"photo": upload_problem(failed)},
                           web.t("owner.invalid"), status=failed.status)


# --- products ----------------------------------------------------------------------------------


def product_values(product: dict) -> dict:
    tags = product.get("tags") if isinstance(product.get("tags"), list) else []
    return {
        "name": product.get("name") or "",
        "description": product.get("description") or "",
        "price": str(product["price"]) if _int(product.get("price")) is not None else "",
        "stock": str(product["stock"]) if _int(product.get("stock")) is not None else "",
        "unit": product.get("unit") or "",
        "category": product.get("category") if isinstance(product.get("category"), str) else "",
        "halal": bool(product.get("halal_claimed", product.get("halal"))),
        "status": product.get("status") or "published",
        "tags": ", ".join(str(tag) for tag in tags),
        "version": str(product.get("version") or ""),
        "merchant_id": product.get("merchant_id") or "",
    }


def product_form(form) -> tuple[dict, dict]:
    """(values to show again, data for the catalog)."""
    values = {name: form_text(form, name) for name in PRODUCT_TEXT + ("price", "stock", "category", "status",
                                                                     "merchant_id", "version")}
    values["halal"] = form.get("halal") in ("1", "on", "true")
    data = {
        "name": values["name"],
        "description": values["description"],
        "price": parse_whole(values["price"]),
        "stock": parse_whole(values["stock"]),
        "unit": values["unit"] or None,
        "category": values["category"] or None,
        "halal": values["halal"],
        "status": values["status"] or None,
        "tags": [tag.strip() for tag in values["tags"].split(",") if tag.strip()],
    }
    return values, data


def present_photos(web, product: dict) -> list[dict]:
    photos = []
    for photo in product.get("photos") or []:
        if not isinstance(photo, dict) or not photo.get("id"):
            continue
        urls = photo.get("urls") if isinstance(photo.get("urls"), dict) else {}
        photos.append({"id": photo["id"], "src": urls.get("thumb") or urls.get("medium"),
                       "alt": photo.get("alt") or web.t("product.photo", name=product.get("name") or ""),
                       "delete_url": product_url(product.get("id") or "", "/foto/" + _path(photo["id"]) + "/hapus")})
    return photos


def render_product(web, *, product: dict | None, merchants: list[dict], values: dict, errors: dict,
                   error: str | None, status: int = 200, conflict: bool = False):
    categories = optional(web.gw, "catalog", "list_categories")
    options = _category_options(categories if isinstance(categories, list) else [])
    if values.get("category") and all(o["slug"] != values["category"] for o in options):
        options.append({"slug": values["category"], "name": values["category"], "parent": ""})
    return web.render(
        "owner_product.html", status=status, product=product, merchants=merchants, values=values, errors=errors,
        error=error, conflict=conflict, notice=notice(web), category_groups=_category_groups(options),
        photos=present_photos(web, product) if product else [],
        action=product_url(product["id"]) if product else "/pemilik/produk/baru",
    )


@page
@require_role(OWNER)
def product_new(web):
    """``GET/POST /pemilik/produk/baru``: add a product to one of the owner's businesses."""
    merchants = owner_merchants(web)
    if not merchants:
        return web.redirect("/pemilik/usaha/baru")
    choices = [{"id": m["id"], "name": m.get("name") or ""} for m in merchants]
    if web.request.method == "GET":
        wanted = web.request.args.get("usaha")
        merchant_id = wanted if any(m["id"] == wanted for m in merchants) else merchants[0]["id"]
        values = {"merchant_id": merchant_id, "status": "published", "unit": "pcs", "halal": False}
        return render_product(web, product=None, merchants=choices, values=values, errors={}, error=None)
    values, data = product_form(web.request.form)
    if not any(m["id"] == values["merchant_id"] for m in merchants):
        return render_product(web, product=None, merchants=choices, values=values, status=422,
                              errors={"merchant_id": web.t("owner.invalid")}, error=web.t("owner.invalid"))
    data = {"merchant_id": values["merchant_id"], **{k: v for k, v in data.items() if v is not None
                                                     or k in ("price", "stock", "category")}}
    created, failed = _writing(lambda: web.gw.call("catalog", "create_product", actor(web), data))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_product(web, product=None, merchants=choices, values=values, errors=errors, error=error,
                              status=failed.status)
    return web.redirect(with_notice(product_url(created["id"]), "created"))


@page
@require_role(OWNER)
def product_edit(web, product_id: str):
    """``GET/POST /pemilik/produk/<id>``: edit; the form carries the version (a change made
    elsewhere in between is a conflict, shown as such)."""
    product, _merchant = owned_product(web, product_id)
    if web.request.method == "GET":
        return render_product(web, product=product, merchants=[], values=product_values(product), errors={},
                              error=None)
    values, data = product_form(web.request.form)
    version = parse_whole(values["version"]) if values["version"] else None
    data = {k: v for k, v in data.items() if v is not None or k in ("price", "stock", "category")}
    _, failed = _writing(lambda: web.gw.call("catalog", "update_product", actor(web), product["id"], data,
                                             version if isinstance(version, int) else None))
    if failed is not None:
        error, errors = failure(web, failed)
        return render_product(web, product=product, merchants=[], values=values, errors=errors, error=error,
                              status=failed.status, conflict=isinstance(failed, Conflict))
    return web.redirect(with_notice(product_url(product["id"]), "saved"))


@page(max_body=PHOTO_BODY)
@require_role(OWNER)
def product_photo_add(web, product_id: str):
    """``POST /pemilik/produk/<id>/foto`` (multipart ``photo`` and ``alt``): the catalog
    checks the image and makes the web sizes."""
    product, _merchant = owned_product(web, product_id)
    upload, failed = read_upload(web, read_photo_upload)
    if upload is not None:
        _, failed = _writing(lambda: web.gw.call("catalog", "add_product_photo", actor(web), product["id"], upload,
                                                 timeout=web.gw.settings.photo_rpc_timeout))
        if failed is None:
            return web.redirect(with_notice(product_url(product["id"]), "photo_added") + "#foto")
    return render_product(web, product=product, merchants=[], values=product_values(product),
                          errors={"photo": upload_problem(failed)}, error=web.t("owner.invalid"),
                          status=failed.status)


@page
@require_role(OWNER)
def product_photo_delete(web, product_id: str, photo_id: str):
    """``POST /pemilik/produk/<id>/foto/<photo_id>/hapus``."""
    product, _merchant = owned_product(web, product_id)
    web.gw.call("catalog", "delete_product_photo", actor(web), product["id"], photo_id)
    return web.redirect(with_notice(product_url(product["id"]), "photo_deleted") + "#foto")


@page
@require_role(OWNER)
def product_delete(web, product_id: str):
    """``GET /pemilik/produk/<id>/hapus`` asks; ``POST`` deletes (with the version)."""
    product, _merchant = owned_product(web, product_id)
    error, status = None, 200
    if web.request.method == "POST":
        text = form_text(web.request.form, "version", 20)
        version = parse_whole(text) if text else None
        _, failed = _writing(lambda: web.gw.call("catalog", "delete_product", actor(web), product["id"],
                                                 version if isinstance(version, int) else None))
        if failed is None:
            return web.redirect(with_notice("/pemilik", "deleted"))
        error, status = failure(web, failed)[0], failed.status
    return web.render("owner_delete.html", status=status, product=product, error=error,
                      action=product_url(product["id"], "/hapus"), back=product_url(product["id"]))


# --- spreadsheet imports -----------------------------------------------------------------------


@page(max_body=IMPORT_BODY)
@require_role(OWNER)
def import_page(web):
    """``GET/POST /pemilik/impor``: upload, then 303 to the import's status page."""
    merchants = owner_merchants(web)
    if not merchants:
        return web.redirect("/pemilik/usaha/baru")
    choices = [{"id": m["id"], "name": m.get("name") or ""} for m in merchants]
    selected = web.request.args.get("usaha") or merchants[0]["id"]
    errors, error, status = {}, None, 200
    if web.request.method == "POST":
        selected = form_text(web.request.form, "merchant_id", 64)
        try:
            merchant_id, filename, data = read_import_upload(web.request)
            job = web.gw.call("catalog", "start_import", actor(web), merchant_id, filename,
                              base64.b64encode(data).decode("ascii"),
                              timeout=max(web.gw.settings.rpc_timeout, IMPORT_RPC_TIMEOUT))
            return web.redirect("/pemilik/impor/" + _path(job["id"]))
        except RequestEntityTooLarge:
            errors, error, status = {"file": PayloadTooLarge().message}, web.t("owner.invalid"), 413
        except (ValidationFailed, PayloadTooLarge, Conflict) as exc:
            error, errors = failure(web, exc)
            status = exc.status
    return web.render("owner_import.html", status=status, merchants=choices, selected=selected, errors=errors,
                      error=error)


@page
@require_role(OWNER)
def import_status(web, import_id: str):
    """``GET /pemilik/impor/<id>``: progress, counts and each failed row."""
    if not _valid_id(import_id):
        raise NotFound("Impor tidak ditemukan.")
    job = web.gw.call("catalog", "get_import", actor(web), import_id)
    counts = job.get("counts") if isinstance(job.get("counts"), dict) else {}
    status = job.get("status") or "pending"
    return web.render(
        "owner_import_status.html", job=job, counts=counts, state=status,
        status_label=web.t("owner.import.status." + status) if status in ("pending", "running", "done", "failed")
        else status,
        running=status in ("pending", "running"),
        errors=[e for e in job.get("errors") or [] if isinstance(e, dict)],
        self_url="/pemilik/impor/" + _path(import_id),
    )
