"""The catalog, search and promotion services as the gateway tests fake them.

The gateway runs for real (its own nameko container on a per-test RabbitMQ vhost); the
services it calls are the three small nameko services at the end of this module, one
definition each. They answer from ``FAKES``, plain data that a test module seeds
(``fakes.catalog.add_products(...)``, ``fakes.search.hits = [...]``) and the ``fakes``
fixture renews before every test. Every call they receive is recorded in ``fakes.calls``
as ``(method, *arguments in signature order)``, except health checks, the category list
and the fire-and-forget interaction reports (those go to ``fakes.search.reported``), so
that a test can check what the gateway sent, or that it sent nothing.

A test makes a call fail with ``fakes.<service>.raises[method] = error`` and makes it slow
with ``fakes.<service>.delays[method] = seconds`` (a slow call still waiting when the test
ends is let go then, so that a long delay does not hold up the gateway's stop). Where a module needs a canned answer
the shared rules below cannot give, it replaces that one answer with its own function
(``fakes.promotion.list_campaigns = ...``).
"""
from __future__ import annotations

import base64
import copy
import uuid

import eventlet
from nameko.rpc import rpc

from services.search.params import parse_search_query
from shared.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed

# What the real services raise on purpose (nameko then does not log them as crashes).
EXPECTED = (BadRequest, ValidationFailed, Forbidden, NotFound, Conflict)

# Calls not recorded in ``calls``: health checks, the category list every page asks for on the
# side, and interaction reports (sent without waiting, so kept apart in ``Search.reported``).
UNRECORDED = {"health", "list_categories", "record_interactions"}

CATEGORIES = [
    {"slug": "tenun", "name": "Kain Tenun", "parent": {"slug": "kerajinan", "name": "Kerajinan Tangan"}},
    {"slug": "anyaman", "name": "Anyaman", "parent": {"slug": "kerajinan", "name": "Kerajinan Tangan"}},
    {"slug": "kopi", "name": "Kopi & Teh", "parent": {"slug": "minuman", "name": "Minuman"}},
]

IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF")  # JPEG, PNG, WebP
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")

# Which verification decision applies to a business in which status, and what it becomes.
DECISIONS = {
    "verified": ({"pending", "rejected"}, "verified"),
    "rejected": ({"pending"}, "rejected"),
    "suspended": ({"verified"}, "suspended"),
    "reinstated": ({"suspended"}, "verified"),
}


def first_free_id(existing, prefix: str) -> str:
    """``<prefix>1``, ``<prefix>2``, ...: the first one not taken (ids a test can predict)."""
    number = 1
    while f"{prefix}{number}" in existing:
        number += 1
    return f"{prefix}{number}"


def check_image(upload: dict) -> None:
    data = base64.b64decode(upload.get("data_b64") or "")
    if upload.get("content_type") not in IMAGE_TYPES or not data.startswith(IMAGE_SIGNATURES):
        raise ValidationFailed("Foto tidak dapat dibaca.", {"photo": "berkas bukan gambar JPEG, PNG atau WebP"})


class FakeService:
    """What one fake service knows, and the errors and delays a test asked of it."""

    def __init__(self):
        self.raises: dict[str, Exception] = {}
        self.delays: dict[str, float] = {}

    def health(self):
        return {"status": "ok"}


class Catalog(FakeService):
    """Businesses, products and import jobs in dictionaries, with the catalog's rules that
    the gateway's answers depend on: owners only touch their own, versions must match,
    verification decisions follow the business's status."""

    def __init__(self):
        super().__init__()
        self.categories = copy.deepcopy(CATEGORIES)
        self.merchants: dict[str, dict] = {}
        self.products: dict[str, dict] = {}
        self.imports: dict[str, dict] = {}
        # What every started import reports when asked: the fake runs jobs at once.
        self.import_outcome: dict = {"status": "done", "errors": [],
                                     "counts": {"total": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}}
        self.import_template_bytes = b""
        self.summary: dict | None = None  # what province_summary answers

    def add_merchants(self, *merchants: dict) -> None:
        for merchant in merchants:
            self.merchants[merchant["id"]] = copy.deepcopy(merchant)

    def add_products(self, *products: dict) -> None:
        for product in products:
            self.products[product["id"]] = copy.deepcopy(product)

    def add_imports(self, *jobs: dict) -> None:
        for job in jobs:
            self.imports[job["id"]] = copy.deepcopy(job)

    # --- lookups and rules ---

    def merchant(self, merchant_id):
        if merchant_id not in self.merchants:
            raise NotFound("Usaha tidak ditemukan.", {"merchant_id": merchant_id})
        return self.merchants[merchant_id]

    def product(self, product_id):
        if product_id not in self.products:
            raise NotFound("Produk tidak ditemukan.")
        return self.products[product_id]

    def check_owner(self, actor, merchant_id) -> None:
        owner_id = self.merchants.get(merchant_id, {}).get("owner_id")
        if actor.get("role") != "owner" or owner_id is None or owner_id != actor.get("id"):
            raise Forbidden("Anda bukan pemilik usaha ini.")

    @staticmethod
    def check_version(record, expected_version, what: str) -> None:
        if expected_version is not None and expected_version != record["version"]:
            raise Conflict(f"{what} sudah diubah orang lain.", {"version": str(record["version"])})

    # --- businesses ---

    def list_categories(self):
        return self.categories

    def get_merchant(self, merchant_id):
        return self.merchant(merchant_id)

    def list_owner_merchants(self, owner_id):
        return [merchant for merchant in self.merchants.values() if merchant.get("owner_id") == owner_id]

    def register_merchant(self, actor, data):
        if not 3 <= len(data.get("name") or "") <= 120:
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.", {"name": "harus 3–120 karakter"})
        merchant = {"id": first_free_id(self.merchants, "m"), "owner_id": actor["id"], "version": 1,
                    "status": "pending", **data}
        self.merchants[merchant["id"]] = merchant
        return merchant

    def update_merchant(self, actor, merchant_id, data, expected_version=None):
        merchant = self.merchant(merchant_id)
        self.check_owner(actor, merchant_id)
        if "nib" in data and len(str(data["nib"])) != 13:
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.",
                                   {"nib": "NIB harus tepat 13 angka"})
        self.check_version(merchant, expected_version, "Data usaha")
        merchant.update(data, version=merchant["version"] + 1)
        return merchant

    def set_merchant_logo(self, actor, merchant_id, upload):
        merchant = self.merchant(merchant_id)
        self.check_owner(actor, merchant_id)
        check_image(upload)
        merchant.update(version=merchant["version"] + 1, logo={
            "id": "logo-1", "urls": {"thumb": "/media/logos/lo/logo-1-320.webp"}, "width": 1, "height": 1, "alt": ""})
        return merchant

    def decide_verification(self, actor, merchant_id, decision, reason=None):
        if actor.get("role") != "admin":
            raise Forbidden("Hanya admin.")
        merchant = self.merchant(merchant_id)
        if decision in ("rejected", "suspended"):
            if not reason:
                raise ValidationFailed("Keputusan verifikasi tidak valid.", {"reason": "wajib diisi"})
            if len(reason.strip()) < 3:
                raise ValidationFailed("Keputusan verifikasi tidak valid.", {"reason": "minimal 3 karakter"})
        applies_to, status = DECISIONS[decision]
        if merchant["status"] not in applies_to:
            raise Conflict(
                f"Keputusan '{decision}' tidak berlaku untuk usaha berstatus '{merchant['status']}'.",
                {"decision": "tidak berlaku", "status": merchant["status"]},
            )
        merchant.update(status=status, status_reason=reason, version=merchant["version"] + 1)
        return merchant

    def list_merchants_by_status(self, actor, status="pending", page=1, per_page=50):
        if per_page > 100:
            raise ValidationFailed("Parameter tidak valid.", {"per_page": "harus bilangan bulat 1 sampai 100"})
        items = [merchant for merchant in self.merchants.values() if merchant["status"] == status]
        return {"items": items, "total": len(items), "page": page, "per_page": per_page}

    def province_summary(self, actor):
        return self.summary

    # --- products ---

    def get_product(self, product_id):
        return self.product(product_id)

    def list_merchant_products(self, merchant_id, page=1, per_page=50, actor=None):
        self.merchant(merchant_id)
        items = [product for product in self.products.values() if product.get("merchant_id") == merchant_id]
        return {"items": items, "total": len(items), "page": page, "per_page": per_page}

    def create_product(self, actor, data):
        self.check_owner(actor, data.get("merchant_id"))
        fields = {}
        if not isinstance(data.get("price"), int):
            fields["price"] = "harus berupa angka bulat (rupiah)"
        if "category" in data and all(category["slug"] != data["category"] for category in self.categories):
            fields["category"] = "kategori tidak dikenal"
        if fields:
            raise ValidationFailed("Data tidak valid: periksa kolom yang ditandai.", fields)
        product = {"id": first_free_id(self.products, "p"), "version": 1, "photos": [], **data}
        self.products[product["id"]] = product
        return product

    def update_product(self, actor, product_id, data, expected_version=None):
        product = self.product(product_id)
        self.check_owner(actor, product.get("merchant_id"))
        self.check_version(product, expected_version, "Produk")
        product.update(data, version=product["version"] + 1)
        return product

    def delete_product(self, actor, product_id, expected_version=None):
        product = self.product(product_id)
        self.check_owner(actor, product.get("merchant_id"))
        self.check_version(product, expected_version, "Produk")
        del self.products[product_id]
        return {"id": product_id, "merchant_id": product.get("merchant_id"), "version": product["version"] + 1}

    def add_product_photo(self, actor, product_id, upload, expected_version=None):
        product = self.product(product_id)
        self.check_owner(actor, product.get("merchant_id"))
        check_image(upload)
        self.check_version(product, expected_version, "Produk")
        photo_id = str(uuid.uuid4())
        thumb = f"/media/products/{photo_id[:2]}/{photo_id}-320.webp"
        product["photos"].append({"id": photo_id, "urls": {"thumb": thumb}, "alt": upload.get("alt") or ""})
        product["version"] += 1
        return product

    def delete_product_photo(self, actor, product_id, photo_id, expected_version=None):
        product = self.product(product_id)
        self.check_owner(actor, product.get("merchant_id"))
        self.check_version(product, expected_version, "Produk")
        product["photos"] = [photo for photo in product["photos"] if photo["id"] != photo_id]
        product["version"] += 1
        return product

    # --- imports ---

    def start_import(self, actor, merchant_id, filename, data: bytes):
        if merchant_id not in self.merchants:
            raise ValidationFailed("Data tidak valid.", {"merchant_id": "usaha tidak ditemukan"})
        if filename.lower().endswith(".xlsx") and not data.startswith(b"PK\x03\x04"):
            raise ValidationFailed("File XLSX rusak.", {"file": "File XLSX rusak atau tidak dapat dibaca."})
        job = {**copy.deepcopy(self.import_outcome), "id": first_free_id(self.imports, "imp"),
               "merchant_id": merchant_id, "filename": filename, "owner_id": actor["id"]}
        self.imports[job["id"]] = job
        return {"id": job["id"], "status": "pending"}

    def get_import(self, actor, import_id):
        job = self.imports.get(import_id)
        if job is None or job.get("owner_id") != actor.get("id"):
            raise NotFound("Impor tidak ditemukan.")
        return {key: value for key, value in job.items() if key != "owner_id"}

    def import_template(self):
        return base64.b64encode(self.import_template_bytes).decode()


class Search(FakeService):
    """Canned search answers; the search query itself is checked by the real validation."""

    def __init__(self):
        super().__init__()
        self.hits: list[dict] = []
        self.total: int | None = None  # how many a search reports found; None: len(hits)
        self.facets: dict = {}
        self.did_you_mean: dict[str, str] = {}  # query -> the suggestion shown for it
        self.suggestions: list[str] = []  # names the autocomplete picks from
        self.top_query_rows: list[dict] = []
        self.zero_result_rows: list[dict] = []
        self.synonym_groups = 21
        self.reindex_running = False
        self.reported: list[list[dict]] = []  # each record_interactions batch, in order

    def health(self):
        return {"status": "ok", "documents": 0}

    def search(self, q, region, page, per_page, filters):
        parse_search_query(q=q, region=region, page=page, per_page=per_page, **filters)  # the real validation
        total = len(self.hits) if self.total is None else self.total
        return {"total": total, "page": page, "per_page": per_page, "items": self.hits, "facets": self.facets,
                "suggestion": self.did_you_mean.get(q)}

    def suggest(self, q):
        return {"suggestions": [name for name in self.suggestions if q.lower() in name.lower()]}

    def record_interactions(self, interactions):
        self.reported.append(interactions)

    def top_queries(self, days, limit):
        return {"days": days, "queries": self.top_query_rows}

    def zero_result_queries(self, days, limit):
        return {"days": days, "queries": self.zero_result_rows}

    def reload_synonyms(self):
        return {"groups": self.synonym_groups}

    def start_reindex(self):
        if self.reindex_running:
            raise Conflict("Pengindeksan ulang sedang berjalan.")
        self.reindex_running = True
        return {"id": "r1", "status": "running"}

    def reindex_status(self):
        return {"id": "r1", "status": "running" if self.reindex_running else "idle", "done": 3, "total": 10,
                "error": None}

    def verify(self, repair):
        return {"checked": 2, "indexed": 2, "listed": 2, "in_sync": not repair, "repaired": repair,
                "missing": {"count": 0, "ids": []}, "stale": {"count": 0, "ids": []}, "extra": {"count": 0, "ids": []}}


class Promotion(FakeService):
    """Campaigns in a dictionary (created ones answered from ``new_campaign``), and canned
    featured products, prices, statistics and owners' campaign lists."""

    def __init__(self):
        super().__init__()
        self.campaigns: dict[str, dict] = {}
        self.new_campaign: dict = {}  # what create_campaign answers, with the caller as owner
        self.preview: dict = {"count": 0, "products": []}
        self.owner_campaigns: list[dict] = []
        self.merchant_products: dict[str, list[str]] = {}  # merchant id -> what opting all in/out names
        self.active: list[dict] = []
        self.featured: list[dict] = []
        self.rotation_seconds = 300
        self.pricing: dict[str, dict] = {}  # product id -> its campaign price
        self.statistics: dict = {"since": None, "items": {}}  # what product_statistics answers
        self.popular: list[dict] = []  # what popular_products answers (the home page's "Paling dicari")

    def add_campaigns(self, *campaigns: dict) -> None:
        for campaign in campaigns:
            self.campaigns[campaign["id"]] = copy.deepcopy(campaign)

    def campaign(self, campaign_id):
        if campaign_id not in self.campaigns:
            raise NotFound("Kampanye tidak ditemukan.")
        return self.campaigns[campaign_id]

    def create_campaign(self, actor, data):
        return {**self.new_campaign, "owner_id": actor["id"], "status": "draft" if data.get("draft") else "scheduled"}

    def list_campaigns(self, actor, status, page, per_page):
        items = [{**campaign, "statistics": {"totals": campaign["statistics"]["totals"]}}
                 for campaign in self.campaigns.values()]
        return {"total": len(items), "page": page, "per_page": per_page, "items": items}

    def get_campaign(self, actor, campaign_id):
        return self.campaign(campaign_id)

    def update_campaign(self, actor, campaign_id, changes, expected_version):
        campaign = self.campaign(campaign_id)
        if expected_version is not None and expected_version != campaign["version"]:
            raise Conflict("Kampanye sudah diubah orang lain.", {"version": str(campaign["version"])})
        campaign.update(changes, version=campaign["version"] + 1)
        return campaign

    def schedule_campaign(self, actor, campaign_id):
        campaign = self.campaign(campaign_id)
        campaign.update(status="scheduled", version=campaign["version"] + 1)
        return campaign

    def cancel_campaign(self, actor, campaign_id):
        campaign = self.campaign(campaign_id)
        campaign.update(status="cancelled", version=campaign["version"] + 1)
        return campaign

    def preview_campaign(self, actor, campaign_id, limit):
        self.campaign(campaign_id)
        return self.preview

    def membership(self, campaign_id, selection, member: bool) -> dict:
        """What opt_in/opt_out answer: the ids named (a merchant's from ``merchant_products``)."""
        if isinstance(selection, str):
            selection = {"product_id": selection}
        if "product_id" in selection:
            return {"campaign_id": campaign_id, "product_ids": [selection["product_id"]],
                    "product_id": selection["product_id"], "member": member}
        ids = selection.get("product_ids") or self.merchant_products.get(selection.get("merchant_id"), [])
        return {"campaign_id": campaign_id, "product_ids": list(ids), "member": member}

    def opt_out(self, actor, campaign_id, selection):
        return self.membership(campaign_id, selection, False)

    def opt_in(self, actor, campaign_id, selection):
        return self.membership(campaign_id, selection, True)

    def campaigns_for_owner(self, actor):
        return {"items": self.owner_campaigns}

    def active_campaigns(self, limit):
        return {"items": self.active}

    def featured_products(self, slots):
        return {"slots": slots, "rotation_seconds": self.rotation_seconds, "items": self.featured}

    def pricing_for(self, product_ids):
        return {product_id: self.pricing[product_id] for product_id in product_ids if product_id in self.pricing}

    def product_statistics(self, actor, product_ids, days):
        return {"days": days, **self.statistics}

    def popular_products(self, limit, days):
        return {"days": days, "items": self.popular[:limit]}


class Fakes:
    """Everything the fake services know and were asked, for one test."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.released = eventlet.event.Event()  # sent when the test ends: slow calls answer
        self.calls: list[tuple] = []
        self.keys: list[dict | None] = []  # the idempotency argument of each create_product
        self.campaign_keys: list[dict | None] = []  # ... and of each create_campaign
        self.catalog = Catalog()
        self.search = Search()
        self.promotion = Promotion()

    def release_slow_calls(self) -> None:
        if not self.released.ready():
            self.released.send()

    def calls_to(self, method: str) -> list[tuple]:
        return [call for call in self.calls if call[0] == method]

    def interactions(self) -> list[dict]:
        """Every interaction reported to search so far, batches joined."""
        return [item for batch in self.search.reported for item in batch]


FAKES = Fakes()


def serve(service: str, method: str, *args):
    """One RPC to a fake service: record it, wait or fail if the test asked for that, answer."""
    data = getattr(FAKES, service)
    if method not in UNRECORDED:
        FAKES.calls.append((method, *args))
    if method in data.delays:
        with eventlet.Timeout(data.delays[method], False):
            FAKES.released.wait()
    if method in data.raises:
        raise data.raises[method]
    return getattr(data, method)(*args)


# --- the nameko services: each RPC with the signature of the real one ---------------------


class FakeCatalog:
    name = "catalog"

    @rpc
    def health(self):
        return serve("catalog", "health")

    @rpc
    def list_categories(self):
        return serve("catalog", "list_categories")

    @rpc(expected_exceptions=EXPECTED)
    def get_merchant(self, merchant_id):
        return serve("catalog", "get_merchant", merchant_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_owner_merchants(self, owner_id):
        return serve("catalog", "list_owner_merchants", owner_id)

    @rpc(expected_exceptions=EXPECTED)
    def register_merchant(self, actor, data, idempotency=None):  # the key: tests/gateway/test_gateway_idempotency.py
        return serve("catalog", "register_merchant", actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_merchant(self, actor, merchant_id, data, expected_version=None):
        return serve("catalog", "update_merchant", actor, merchant_id, data, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def set_merchant_logo(self, actor, merchant_id, upload):
        return serve("catalog", "set_merchant_logo", actor, merchant_id, upload)

    @rpc(expected_exceptions=EXPECTED)
    def decide_verification(self, actor, merchant_id, decision, reason=None):
        return serve("catalog", "decide_verification", actor, merchant_id, decision, reason)

    @rpc(expected_exceptions=EXPECTED)
    def list_merchants_by_status(self, actor, status="pending", page=1, per_page=50):
        return serve("catalog", "list_merchants_by_status", actor, status, page, per_page)

    @rpc(expected_exceptions=EXPECTED)
    def province_summary(self, actor):
        return serve("catalog", "province_summary", actor)

    @rpc(expected_exceptions=EXPECTED)
    def get_product(self, product_id):
        return serve("catalog", "get_product", product_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_merchant_products(self, merchant_id, page=1, per_page=50, actor=None):
        return serve("catalog", "list_merchant_products", merchant_id, page, per_page)

    @rpc(expected_exceptions=EXPECTED)
    def create_product(self, actor, data, idempotency=None):
        FAKES.keys.append(idempotency)
        return serve("catalog", "create_product", actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_product(self, actor, product_id, data, expected_version=None):
        return serve("catalog", "update_product", actor, product_id, data, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_product(self, actor, product_id, expected_version=None):
        return serve("catalog", "delete_product", actor, product_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def add_product_photo(self, actor, product_id, upload, expected_version=None, idempotency=None):
        return serve("catalog", "add_product_photo", actor, product_id, upload, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_product_photo(self, actor, product_id, photo_id, expected_version=None):
        return serve("catalog", "delete_product_photo", actor, product_id, photo_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def start_import(self, actor, merchant_id, filename, data_b64, idempotency=None):
        # Recorded decoded: a test compares the bytes the gateway passed through.
        return serve("catalog", "start_import", actor, merchant_id, filename, base64.b64decode(data_b64))

    @rpc(expected_exceptions=EXPECTED)
    def get_import(self, actor, import_id):
        return serve("catalog", "get_import", actor, import_id)

    @rpc
    def import_template(self):
        return serve("catalog", "import_template")


class FakeSearch:
    name = "search"

    @rpc
    def health(self):
        return serve("search", "health")

    @rpc(expected_exceptions=EXPECTED)
    def search(self, q="", region=None, page=1, per_page=20, **filters):
        return serve("search", "search", q, region, page, per_page, filters)

    @rpc(expected_exceptions=EXPECTED)
    def suggest(self, q=""):
        return serve("search", "suggest", q)

    @rpc
    def record_interactions(self, interactions):
        return serve("search", "record_interactions", interactions)

    @rpc(expected_exceptions=EXPECTED)
    def top_queries(self, days=7, limit=20):
        return serve("search", "top_queries", days, limit)

    @rpc(expected_exceptions=EXPECTED)
    def zero_result_queries(self, days=7, limit=20):
        return serve("search", "zero_result_queries", days, limit)

    @rpc
    def reload_synonyms(self):
        return serve("search", "reload_synonyms")

    @rpc(expected_exceptions=EXPECTED)
    def start_reindex(self):
        return serve("search", "start_reindex")

    @rpc
    def reindex_status(self):
        return serve("search", "reindex_status")

    @rpc
    def verify(self, repair=False):
        return serve("search", "verify", repair)


class FakePromotion:
    name = "promotion"

    @rpc
    def health(self):
        return serve("promotion", "health")

    @rpc(expected_exceptions=EXPECTED)
    def create_campaign(self, actor, data, idempotency=None):
        FAKES.campaign_keys.append(idempotency)
        return serve("promotion", "create_campaign", actor, data)

    @rpc(expected_exceptions=EXPECTED)
    def list_campaigns(self, actor, status=None, page=1, per_page=20):
        return serve("promotion", "list_campaigns", actor, status, page, per_page)

    @rpc(expected_exceptions=EXPECTED)
    def get_campaign(self, actor, campaign_id):
        return serve("promotion", "get_campaign", actor, campaign_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_campaign(self, actor, campaign_id, changes, expected_version=None):
        return serve("promotion", "update_campaign", actor, campaign_id, changes, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def schedule_campaign(self, actor, campaign_id):
        return serve("promotion", "schedule_campaign", actor, campaign_id)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_campaign(self, actor, campaign_id):
        return serve("promotion", "cancel_campaign", actor, campaign_id)

    @rpc(expected_exceptions=EXPECTED)
    def preview_campaign(self, actor, campaign_id, limit=50):
        return serve("promotion", "preview_campaign", actor, campaign_id, limit)

    @rpc(expected_exceptions=EXPECTED)
    def opt_out(self, actor, campaign_id, selection):
        return serve("promotion", "opt_out", actor, campaign_id, selection)

    @rpc(expected_exceptions=EXPECTED)
    def opt_in(self, actor, campaign_id, selection):
        return serve("promotion", "opt_in", actor, campaign_id, selection)

    @rpc(expected_exceptions=EXPECTED)
    def campaigns_for_owner(self, actor):
        return serve("promotion", "campaigns_for_owner", actor)

    @rpc(expected_exceptions=EXPECTED)
    def active_campaigns(self, limit=10):
        return serve("promotion", "active_campaigns", limit)

    @rpc(expected_exceptions=EXPECTED)
    def featured_products(self, slots=8):
        return serve("promotion", "featured_products", slots)

    @rpc(expected_exceptions=EXPECTED)
    def pricing_for(self, product_ids):
        return serve("promotion", "pricing_for", product_ids)

    @rpc(expected_exceptions=EXPECTED)
    def product_statistics(self, actor, product_ids, days=30):
        return serve("promotion", "product_statistics", actor, product_ids, days)

    @rpc(expected_exceptions=EXPECTED)
    def popular_products(self, limit=8, days=30):
        return serve("promotion", "popular_products", limit, days)


class BrokenPromotion:
    """Promotion running but old: none of the RPCs the pages use exist."""

    name = "promotion"

    @rpc
    def health(self):
        return {"status": "ok"}
