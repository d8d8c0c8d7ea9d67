"""Bahasa Indonesia by default, English when the visitor chooses it.

The choice lives in the ``lang`` cookie, set by ``GET /bahasa?l=en&next=/path`` (see
``auth.switch_language``). Messages are plain dicts, one per language; a key missing in
English falls back to Indonesian, a key missing everywhere shows the key itself (easy to
spot in a test).

In templates: ``{{ t("home.featured") }}`` or with values ``{{ t("search.found", n=total) }}``
(``str.format`` placeholders; values are escaped by Jinja's autoescape like any text).
In Python: ``translate(lang, key, **values)``.

Adding messages for a new page (owner/promoter/admin pages): keep them in your own module
and register them at import time, so nobody edits the same dict concurrently::

    from services.gateway.site import i18n
    i18n.add_messages(
        id={"owner.title": "Usaha Saya"},
        en={"owner.title": "My business"},
    )

Prefix keys with the page family (``owner.``, ``promoter.``, ``admin.``).
"""
from __future__ import annotations

from jinja2 import pass_context

LANGUAGES = ("id", "en")
DEFAULT = "id"
COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "id": {
        "site.name": "Etalase Sultra",
        "site.tagline": "Produk UMKM & koperasi Sulawesi Tenggara",
        "site.skip": "Langsung ke isi",
        "site.footer": "Etalase Sultra — etalase produk lokal Sulawesi Tenggara.",
        "site.footer.dinas": "Bersama Dinas Koperasi dan UMKM Provinsi Sulawesi Tenggara.",
        "lang.switch": "English",
        "lang.switch.label": "Ganti bahasa ke English",
        "nav.signin": "Masuk",
        "nav.register": "Daftar",
        "nav.signout": "Keluar",
        "nav.home": "Beranda saya",
        "search.label": "Kata kunci",
        "search.placeholder": "Cari produk, mis. tenun, kopi, mete",
        "search.button": "Cari",
        "search.region.all": "Semua kabupaten/kota",
        "search.region": "Kabupaten/kota",
        "search.category": "Kategori",
        "search.category.all": "Semua kategori",
        "search.price": "Harga",
        "search.min_price": "Harga minimum (Rp)",
        "search.max_price": "Harga maksimum (Rp)",
        "search.halal": "Halal",
        "search.halal.only": "Hanya produk halal",
        "search.kind": "Jenis usaha",
        "search.kind.all": "Semua jenis usaha",
        "search.verified": "Hanya usaha terverifikasi",
        "search.on_promo": "Sedang promo",
        "search.in_stock": "Stok tersedia",
        "search.sort": "Urutkan",
        "search.sort.relevance": "Paling sesuai",
        "search.sort.price_asc": "Harga terendah",
        "search.sort.price_desc": "Harga tertinggi",
        "search.sort.newest": "Terbaru",
        "search.sort.discount": "Diskon terbesar",
        "search.filters": "Saring hasil",
        "search.apply": "Terapkan",
        "search.reset": "Hapus saringan",
        "search.found": "Ditemukan {n} produk.",
        "search.none": "Tidak ada produk yang cocok. Coba kata kunci lain atau pilih semua kabupaten/kota.",
        "search.didyoumean": "Mungkin maksud Anda:",
        "search.prompt": "Ketik kata kunci atau pilih kabupaten/kota untuk mulai mencari.",
        "search.unavailable": "Pencarian sedang tidak tersedia. Silakan coba lagi beberapa saat lagi.",
        "search.bad_region": "Kabupaten/kota yang dipilih tidak dikenal. Silakan pilih dari daftar.",
        "search.bad_query": "Pencarian tidak dapat diproses. Periksa kata kunci Anda.",
        "search.results": "Hasil pencarian",
        "pages.label": "Halaman",
        "pages.prev": "← Sebelumnya",
        "pages.next": "Berikutnya →",
        "pages.of": "Halaman {page} dari {pages}",
        "home.featured": "Produk Unggulan",
        "home.campaigns": "Promo yang sedang berlangsung",
        "home.campaigns.until": "sampai {when}",
        "home.campaigns.see": "Lihat produk promo",
        "home.categories": "Kategori",
        "home.regions": "Kabupaten/kota di Sulawesi Tenggara",
        "product.price": "Harga",
        "product.normal_price": "Harga normal",
        "product.promo_until": "Promo berlaku sampai {when}",
        "product.contact": "Hubungi via WhatsApp",
        "product.share": "Bagikan",
        "product.share.whatsapp": "Bagikan lewat WhatsApp",
        "product.share.link": "Tautan produk",
        "product.description": "Deskripsi",
        "product.stock": "Stok: {n} {unit}",
        "product.out_of_stock": "Stok habis",
        "product.category": "Kategori",
        "product.seller": "Penjual",
        "product.halal": "Halal",
        "product.photo": "Foto {name}",
        "product.contact.message": "Halo, saya tertarik dengan produk \"{name}\" di Etalase Sultra: {url}",
        "merchant.verified": "Terverifikasi",
        "merchant.unverified": "Belum terverifikasi",
        "merchant.halal": "Sertifikat halal {number}",
        "merchant.halal.until": "berlaku sampai {date}",
        "merchant.koperasi": "Koperasi",
        "merchant.umkm": "UMKM",
        "merchant.koperasi.legal": "Badan hukum {number}",
        "merchant.koperasi.members": "{n} anggota",
        "merchant.koperasi.rat": "RAT terakhir {year}",
        "merchant.nib": "NIB {number}",
        "merchant.pirt": "PIRT {number}",
        "merchant.products": "Produk",
        "merchant.no_products": "Belum ada produk.",
        "merchant.see": "Lihat usaha",
        "merchant.address": "Alamat",
        "region.title": "Produk dari {name}",
        "auth.email": "Email",
        "auth.password": "Kata sandi",
        "auth.name": "Nama",
        "auth.role": "Saya mendaftar sebagai",
        "auth.role.owner": "Pemilik UMKM / pengurus koperasi",
        "auth.role.promoter": "Promotor (Dinas, asosiasi, komunitas)",
        "auth.signin.title": "Masuk",
        "auth.signin.button": "Masuk",
        "auth.signin.no_account": "Belum punya akun?",
        "auth.register.title": "Daftar",
        "auth.register.button": "Daftar",
        "auth.register.have_account": "Sudah punya akun?",
        "auth.register.invalid": "Periksa kembali isian Anda.",
        "auth.password.hint": "Minimal 8 karakter.",
        "error.title": "Terjadi kesalahan",
        "error.404.title": "Halaman tidak ditemukan",
        "error.404": "Maaf, yang Anda cari tidak ada atau sudah dihapus.",
        "error.403.title": "Akses ditolak",
        "error.403": "Anda tidak berhak membuka halaman ini.",
        "error.csrf": "Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "error.500": "Terjadi kesalahan pada server. Silakan coba lagi.",
        "error.503": "Layanan sedang tidak tersedia. Silakan coba lagi beberapa saat lagi.",
        "error.back": "Kembali ke beranda",
    },
    "en": {
        "site.tagline": "Products of the small businesses & cooperatives of Southeast Sulawesi",
        "site.skip": "Skip to content",
        "site.footer": "Etalase Sultra — the showcase of local products of Southeast Sulawesi.",
        "site.footer.dinas": "With the Cooperatives and SME Office of Southeast Sulawesi Province.",
        "lang.switch": "Bahasa Indonesia",
        "lang.switch.label": "Switch language to Bahasa Indonesia",
        "nav.signin": "Sign in",
        "nav.register": "Register",
        "nav.signout": "Sign out",
        "nav.home": "My home",
        "search.label": "Keywords",
        "search.placeholder": "Search products, e.g. woven cloth, coffee, cashew",
        "search.button": "Search",
        "search.region.all": "All regencies/cities",
        "search.region": "Regency/city",
        "search.category": "Category",
        "search.category.all": "All categories",
        "search.price": "Price",
        "search.min_price": "Minimum price (Rp)",
        "search.max_price": "Maximum price (Rp)",
        "search.halal": "Halal",
        "search.halal.only": "Halal products only",
        "search.kind": "Business type",
        "search.kind.all": "All business types",
        "search.verified": "Verified businesses only",
        "search.on_promo": "On promotion",
        "search.in_stock": "In stock",
        "search.sort": "Sort by",
        "search.sort.relevance": "Best match",
        "search.sort.price_asc": "Lowest price",
        "search.sort.price_desc": "Highest price",
        "search.sort.newest": "Newest",
        "search.sort.discount": "Biggest discount",
        "search.filters": "Filter results",
        "search.apply": "Apply",
        "search.reset": "Clear filters",
        "search.found": "{n} products found.",
        "search.none": "No matching products. Try other keywords or all regencies/cities.",
        "search.didyoumean": "Did you mean:",
        "search.prompt": "Type keywords or choose a regency/city to start searching.",
        "search.unavailable": "Search is unavailable right now. Please try again in a moment.",
        "search.bad_region": "Unknown regency/city. Please choose one from the list.",
        "search.bad_query": "The search could not be processed. Please check your keywords.",
        "search.results": "Search results",
        "pages.label": "Pages",
        "pages.prev": "← Previous",
        "pages.next": "Next →",
        "pages.of": "Page {page} of {pages}",
        "home.featured": "Featured products",
        "home.campaigns": "Current promotions",
        "home.campaigns.until": "until {when}",
        "home.campaigns.see": "See promoted products",
        "home.categories": "Categories",
        "home.regions": "Regencies and cities of Southeast Sulawesi",
        "product.price": "Price",
        "product.normal_price": "Normal price",
        "product.promo_until": "Promotion valid until {when}",
        "product.contact": "Contact via WhatsApp",
        "product.share": "Share",
        "product.share.whatsapp": "Share on WhatsApp",
        "product.share.link": "Product link",
        "product.description": "Description",
        "product.stock": "Stock: {n} {unit}",
        "product.out_of_stock": "Out of stock",
        "product.category": "Category",
        "product.seller": "Seller",
        "product.photo": "Photo of {name}",
        "merchant.verified": "Verified",
        "merchant.unverified": "Not yet verified",
        "merchant.halal": "Halal certificate {number}",
        "merchant.halal.until": "valid until {date}",
        "merchant.koperasi": "Cooperative",
        "merchant.umkm": "Small business",
        "merchant.koperasi.legal": "Legal entity {number}",
        "merchant.koperasi.members": "{n} members",
        "merchant.koperasi.rat": "Last annual meeting {year}",
        "merchant.products": "Products",
        "merchant.no_products": "No products yet.",
        "merchant.see": "See business",
        "merchant.address": "Address",
        "region.title": "Products from {name}",
        "auth.password": "Password",
        "auth.name": "Name",
        "auth.role": "I am registering as",
        "auth.role.owner": "Small business owner / cooperative manager",
        "auth.role.promoter": "Promoter (government office, association, community)",
        "auth.signin.title": "Sign in",
        "auth.signin.button": "Sign in",
        "auth.signin.no_account": "No account yet?",
        "auth.register.title": "Register",
        "auth.register.button": "Register",
        "auth.register.have_account": "Already have an account?",
        "auth.register.invalid": "Please check what you entered.",
        "auth.password.hint": "At least 8 characters.",
        "error.title": "Something went wrong",
        "error.404.title": "Page not found",
        "error.404": "Sorry, what you are looking for does not exist or was removed.",
        "error.403.title": "Access denied",
        "error.403": "You are not allowed to open this page.",
        "error.csrf": "The form has expired or is not valid. Reload the page and try again.",
        "error.500": "Something went wrong on the server. Please try again.",
        "error.503": "The service is unavailable right now. Please try again in a moment.",
        "error.back": "Back to the home page",
    },
}


def add_messages(**by_language: dict[str, str]) -> None:
    """Register more messages: ``add_messages(id={...}, en={...})``."""
    for lang, messages in by_language.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        MESSAGES[lang].update(messages)


def choose(request) -> str:
    """The visitor's language: the ``lang`` cookie when it names one we have, else Indonesian."""
    value = request.cookies.get(COOKIE)
    return value if value in LANGUAGES else DEFAULT


def translate(lang: str, key: str, **values) -> str:
    text = MESSAGES.get(lang, {}).get(key)
    if text is None:
        text = MESSAGES[DEFAULT].get(key, key)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


@pass_context
def t(context, key: str, **values) -> str:
    """The Jinja global: the message in the language of the page being rendered."""
    return translate(context.get("lang") or DEFAULT, key, **values)
