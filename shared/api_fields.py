"""The fields of every JSON request body of ``/api/v1``, described once.

The validators (catalog, promotion, the gateway's accounts) take their limits, enums and
required lists from these descriptions, and the gateway's OpenAPI document turns them into
JSON Schema (``Body.json_schema``): one source of truth, so the published contract and the
checks cannot drift apart (``tests/gateway/test_openapi.py`` probes both at the boundaries).

The validators still write their own Indonesian sentence per field; what lives here is only
what a machine needs: type, lengths, ranges, enums, patterns, required and nullable. Text
lengths are counted after surrounding whitespace is trimmed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from shared.regions import REGIONS
from shared.taxonomy import ALL_SLUGS, LEAF_SLUGS


@dataclass(frozen=True)
class Field:
    """One field of a request body. ``type`` is a JSON Schema type name."""

    type: str
    description: str
    required: bool = False
    nullable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    items: Field | None = None
    max_items: int | None = None
    body: Body | None = None  # a nested object

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"description": self.description}
        if self.body is not None:
            schema.update(self.body.json_schema())
            schema["description"] = self.description
        else:
            schema["type"] = self.type
        for key, value in (("minLength", self.min_length), ("maxLength", self.max_length),
                           ("minimum", self.minimum), ("maximum", self.maximum),
                           ("pattern", self.pattern), ("format", self.format), ("maxItems", self.max_items)):
            if value is not None:
                schema[key] = value
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.items is not None:
            schema["items"] = self.items.json_schema()
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
            if self.enum is not None:
                schema["enum"] = [*schema["enum"], None]
        return schema


@dataclass(frozen=True)
class Body:
    """A JSON object: its fields; unknown fields are refused unless ``open`` (the gateway reads
    only the fields it knows from the bodies it checks itself, and ignores the rest)."""

    name: str
    description: str
    fields: dict[str, Field] = field(default_factory=dict)
    open: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.fields.items() if spec.required)

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "description": self.description,
            "properties": {name: spec.json_schema() for name, spec in self.fields.items()},
            "additionalProperties": self.open,
        }
        if self.required:
            schema["required"] = list(self.required)
        return schema

    def as_patch(self, name: str, description: str, *, fixed: tuple[str, ...] = ()) -> Body:
        """The same fields, none required, at least one given, without those that ``fixed``
        names (they cannot change). Required fields may not be set to null."""
        fields = {key: replace(spec, required=False) for key, spec in self.fields.items() if key not in fixed}
        return Body(name, description, fields, self.open)


def text(description: str, min_length: int, max_length: int, *, required: bool = False,
         nullable: bool = False, pattern: str | None = None) -> Field:
    return Field("string", description, required=required, nullable=nullable, min_length=min_length,
                 max_length=max_length, pattern=pattern)


def choice(description: str, values: tuple[str, ...], *, required: bool = False, nullable: bool = False) -> Field:
    return Field("string", description, required=required, nullable=nullable, enum=values)


def whole(description: str, minimum: int, maximum: int, *, required: bool = False, nullable: bool = False) -> Field:
    return Field("integer", description, required=required, nullable=nullable, minimum=minimum, maximum=maximum)


def flag(description: str, *, nullable: bool = True) -> Field:
    return Field("boolean", description, nullable=nullable)


def id_list(description: str, max_items: int, item_max_length: int = 64) -> Field:
    return Field("array", description, nullable=True, max_items=max_items,
                 items=text("id", 1, item_max_length, pattern=r"\S"))


REGION_CODES = tuple(REGIONS)
WHATSAPP_PATTERN = r"^(\+62|62|0)[\s\-.()]*8[0-9\s\-.()]{8,}$"

# --- accounts and sessions (gateway) ---

ACCOUNT = Body("AccountCreate", "A new owner or promoter account (admins only from the command line).", {
    "email": Field("string", "E-mail address (sign-in name).", required=True, format="email", max_length=254),
    "password": text("At least 8 characters.", 8, 256, required=True),
    "name": text("Display name.", 2, 100, required=True),
    "role": choice("owner (UMKM or koperasi) or promoter (starts pending until an admin approves).",
                   ("owner", "promoter"), required=True),
}, open=True)

SESSION = Body("SessionCreate", "Sign in; the answer's token goes in `Authorization: Bearer <token>`.", {
    "email": Field("string", "E-mail address.", required=True, max_length=254),
    "password": text("Password.", 1, 256, required=True),
}, open=True)

ACCOUNT_APPROVAL = Body("AccountApproval", "An admin's decision on a promoter.", {
    "decision": choice("What to do.", ("approved", "rejected", "suspended", "reinstated"), required=True),
    "reason": text("Why (required to reject or suspend).", 0, 1000, nullable=True),
}, open=True)

# --- merchants (catalog) ---

MERCHANT_KINDS = ("umkm", "koperasi")

MERCHANT = Body("MerchantCreate", "A new UMKM or koperasi; credentials are optional (null or \"\" is none).", {
    "name": text("Business name.", 3, 120, required=True),
    "kind": choice("umkm or koperasi (cannot change later).", MERCHANT_KINDS, required=True),
    "region": choice("BPS code of one of the 17 kabupaten/kota of Sulawesi Tenggara.", REGION_CODES, required=True),
    "whatsapp": Field("string", "Indonesian mobile number: 08…, 628… or +628… (stored as +628…).",
                      required=True, pattern=WHATSAPP_PATTERN, max_length=40),
    "description": text("About the business.", 0, 2000, nullable=True),
    "address": text("Street address.", 0, 300, nullable=True),
    "nib": Field("string", "Nomor Induk Berusaha: exactly 13 digits.", nullable=True, pattern=r"^\s*([0-9]{13})?\s*$"),
    "pirt_number": text("P-IRT number, 6–40 characters (e.g. P-IRT 2157401010123-27).", 0, 40, nullable=True),
    "halal_number": text("Halal certificate number, 6–60 characters; with halal_expires_on.", 0, 60, nullable=True),
    "halal_expires_on": Field("string", "Halal certificate expiry, YYYY-MM-DD, years 2000–2100 (\"\" is none).",
                              nullable=True, pattern=r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$"),
    "legal_number": text("Koperasi only: legal entity number.", 0, 60, nullable=True),
    "member_count": whole("Koperasi only: number of members.", 1, 1_000_000, nullable=True),
    # No maximum in the schema: the validator's is this year (WITA), which a fixed document cannot say.
    "last_rat_year": Field("integer", "Koperasi only: year of the last annual members' meeting (RAT), 1945 up to "
                           "this year.", nullable=True, minimum=1945),
})

MERCHANT_PATCH = MERCHANT.as_patch("MerchantPatch", "Fields to change (at least one); kind cannot change.",
                                  fixed=("kind",))

VERIFICATION = Body("MerchantVerification", "An admin's decision on a merchant.", {
    "decision": choice("What to do.", ("verified", "rejected", "suspended", "reinstated"), required=True),
    "reason": text("Why (required to reject or suspend).", 3, 1000, nullable=True),
}, open=True)

# --- products (catalog) ---

PRODUCT_STATUSES = ("draft", "published", "archived")
SKU_PATTERN = r"^\s*([A-Za-z0-9][A-Za-z0-9._/-]{0,63})?\s*$"

PRODUCT = Body("ProductCreate", "A new product of a merchant the caller owns.", {
    "merchant_id": text("The merchant selling it.", 1, 64, required=True, pattern=r"\S"),
    "name": text("Product name.", 3, 120, required=True),
    "description": text("Description.", 0, 5000, nullable=True),
    "price": whole("Price in whole rupiah.", 1, 1_000_000_000, required=True),
    "stock": whole("Items in stock.", 0, 1_000_000, required=True),
    "unit": text("Unit (default pcs).", 0, 30, nullable=True),
    "category": choice("Leaf category slug (GET /api/v1/categories).", tuple(sorted(LEAF_SLUGS)), required=True),
    "halal": flag("Halal product."),
    "sku": Field("string", "Seller's code: 1–64 letters, digits, . _ / -.", nullable=True, pattern=SKU_PATTERN),
    "compare_at_price": whole("The struck-through \"was\" price, above price.", 1, 1_000_000_000, nullable=True),
    "tags": Field("array", "Up to 10 tags of at most 30 characters (or one comma-separated string).",
                  nullable=True, max_items=10, items=text("tag", 0, 30)),
    "status": choice("draft, published (default) or archived.", PRODUCT_STATUSES),
    "member_business": text("Koperasi: the member business that makes it.", 0, 120, nullable=True),
})

PRODUCT_PATCH = PRODUCT.as_patch("ProductPatch", "Fields to change (at least one); merchant_id cannot change.",
                                 fixed=("merchant_id",))
MAX_TAG_LENGTH = 30

# --- campaigns (promotion) ---

DISCOUNT = Body("Discount", "The discount: percent 1–90, or fixed whole rupiah off.", {
    "type": choice("percent or fixed.", ("percent", "fixed"), required=True),
    "value": whole("Percent (1–90) or rupiah (1–1,000,000,000).", 1, 1_000_000_000, required=True),
}, open=True)

TARGET = Body("CampaignTarget", "Which products the campaign selects (at least one criterion).", {
    "product_ids": id_list("Listed products.", 1000),
    "categories": Field("array", "Category slugs (a parent includes its children).", nullable=True,
                        items=choice("slug", tuple(sorted(ALL_SLUGS)))),
    "regions": Field("array", "Region codes.", nullable=True, items=choice("code", REGION_CODES)),
    "merchant_kind": choice("Only umkm or only koperasi.", MERCHANT_KINDS, nullable=True),
    "verified_only": flag("Only verified merchants."),
}, open=True)

CAMPAIGN = Body("CampaignCreate", "A new campaign (a discount, a featured placement, or both).", {
    "name": text("Campaign name.", 3, 120, required=True),
    "description": text("Description.", 0, 2000, nullable=True),
    "starts_at": Field("string", "Start, ISO 8601 with an offset (e.g. 2026-12-03T08:00:00+08:00).",
                       required=True, format="date-time"),
    "ends_at": Field("string", "End (after the start), ISO 8601 with an offset.", required=True, format="date-time"),
    "discount": Field("object", "The discount, or null for a featured-only campaign.", nullable=True, body=DISCOUNT),
    "featured": flag("Show the products as \"Produk Unggulan\".", nullable=False),
    "target": Field("object", "The targeting.", required=True, body=TARGET),
    "max_products": whole("At most this many products.", 1, 100_000, nullable=True),
    "budget": whole("Budget in rupiah (the discount given is estimated from WhatsApp contacts).",
                    1, 1_000_000_000_000, nullable=True),
    "funded_by": choice("Who pays the discount.", ("seller", "promoter", "pemda"), nullable=True),
    "open_for_signup": flag("Invite products to join even without a discount.", nullable=False),
    "draft": flag("Keep as a draft (otherwise scheduled; only an approved promoter or an admin may schedule).",
                  nullable=False),
})

CAMPAIGN_PATCH = CAMPAIGN.as_patch("CampaignPatch", "Fields to change; once active only name, description, "
                                   "ends_at, budget and max_products.", fixed=("draft",))

MEMBERSHIP = Body("CampaignMembership", "Products to join or leave: product_ids, or merchant_id with all: true.", {
    "product_ids": id_list("Products (at most 500).", 500),
    "product_id": text("One product (older form).", 1, 64, nullable=True),
    "merchant_id": text("With all: every invited product of this merchant.", 1, 64, nullable=True),
    "all": flag("Every invited product of merchant_id."),
}, open=True)

# --- search operations (admin) ---

SEARCH_VERIFY = Body("SearchVerify", "Compare the index with the catalog.", {
    "repair": flag("Also repair what differs."),
}, open=True)

BODIES = (ACCOUNT, SESSION, ACCOUNT_APPROVAL, MERCHANT, MERCHANT_PATCH, VERIFICATION, PRODUCT, PRODUCT_PATCH,
          DISCOUNT, TARGET, CAMPAIGN, CAMPAIGN_PATCH, MEMBERSHIP, SEARCH_VERIFY)
