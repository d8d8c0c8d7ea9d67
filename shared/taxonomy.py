"""The product taxonomy: two levels, each with a URL-safe slug.

Products take a leaf (child) category. This is reference data every service reads (the
catalog validates a product's category against it, search and promotion filter and target by
it), like ``shared.regions``; a product's category still travels in its snapshot. The derived
sets below are computed once, at import.
"""
from typing import Any

# A node: {"slug", "name", "name_en", "children": [...]} (children only on parents); ``name`` is
# Indonesian, ``name_en`` what the site shows in English.
CategoryNode = dict[str, Any]

TAXONOMY: list[CategoryNode] = [
    {"slug": "makanan-minuman", "name": "Makanan & Minuman", "name_en": "Food & Drinks", "children": [
        {"slug": "camilan", "name": "Camilan & Kue Kering", "name_en": "Snacks & Cookies"},
        {"slug": "kue-tradisional", "name": "Kue Tradisional", "name_en": "Traditional Cakes"},
        {"slug": "makanan-pokok", "name": "Sagu, Kasuami & Makanan Pokok", "name_en": "Sago, Kasuami & Staple Food"},
        {"slug": "kopi-teh", "name": "Kopi & Teh", "name_en": "Coffee & Tea"},
        {"slug": "minuman", "name": "Minuman & Sirup", "name_en": "Drinks & Syrups"},
        {"slug": "bumbu-rempah", "name": "Bumbu, Sambal & Rempah", "name_en": "Seasonings, Sambal & Spices"},
        {"slug": "madu", "name": "Madu", "name_en": "Honey"},
    ]},
    {"slug": "hasil-laut", "name": "Hasil Laut & Perikanan", "name_en": "Seafood & Fisheries", "children": [
        {"slug": "ikan-olahan", "name": "Ikan Asin, Abon & Olahan Ikan", "name_en": "Salted, Shredded & Processed Fish"},
        {"slug": "rumput-laut", "name": "Rumput Laut", "name_en": "Seaweed"},
        {"slug": "hasil-laut-segar", "name": "Hasil Laut Segar & Beku", "name_en": "Fresh & Frozen Seafood"},
    ]},
    {"slug": "pertanian-perkebunan", "name": "Pertanian & Perkebunan", "name_en": "Farm & Plantation Produce", "children": [
        {"slug": "mete-kacang", "name": "Jambu Mete & Kacang", "name_en": "Cashews & Nuts"},
        {"slug": "kakao-cokelat", "name": "Kakao & Cokelat", "name_en": "Cocoa & Chocolate"},
        {"slug": "beras-biji-bijian", "name": "Beras & Biji-bijian", "name_en": "Rice & Grains"},
        {"slug": "buah-sayur", "name": "Buah & Sayur", "name_en": "Fruit & Vegetables"},
        {"slug": "kelapa-olahan", "name": "Kelapa & Olahannya", "name_en": "Coconut & Coconut Products"},
    ]},
    {"slug": "kerajinan", "name": "Kerajinan Tangan", "name_en": "Handicrafts", "children": [
        {"slug": "tenun", "name": "Kain Tenun", "name_en": "Woven Cloth"},
        {"slug": "perak-perhiasan", "name": "Perak & Perhiasan", "name_en": "Silver & Jewellery"},
        {"slug": "anyaman", "name": "Anyaman", "name_en": "Woven Baskets & Mats"},
        {"slug": "ukiran-kayu", "name": "Ukiran & Kerajinan Kayu", "name_en": "Wood Carving & Woodcraft"},
        {"slug": "gerabah", "name": "Gerabah & Keramik", "name_en": "Pottery & Ceramics"},
    ]},
    {"slug": "fashion", "name": "Fashion", "name_en": "Fashion", "children": [
        {"slug": "sarung", "name": "Sarung", "name_en": "Sarongs"},
        {"slug": "pakaian", "name": "Pakaian", "name_en": "Clothing"},
        {"slug": "aksesori", "name": "Tas & Aksesori", "name_en": "Bags & Accessories"},
    ]},
    {"slug": "kesehatan-kecantikan", "name": "Kesehatan & Kecantikan", "name_en": "Health & Beauty", "children": [
        {"slug": "minyak-atsiri", "name": "Minyak Atsiri & Minyak Kelapa", "name_en": "Essential Oils & Coconut Oil"},
        {"slug": "herbal-jamu", "name": "Herbal & Jamu", "name_en": "Herbal Remedies & Jamu"},
        {"slug": "perawatan-tubuh", "name": "Sabun & Perawatan Tubuh", "name_en": "Soap & Body Care"},
    ]},
    # What visitors buy from local businesses: trips, dives, guides, a bed, a boat (issue 12).
    {"slug": "jasa-wisata", "name": "Jasa & Wisata", "name_en": "Services & Tourism", "children": [
        {"slug": "paket-wisata", "name": "Paket Wisata & Tur", "name_en": "Tours & Packages"},
        {"slug": "selam-snorkeling", "name": "Selam & Snorkeling", "name_en": "Diving & Snorkelling"},
        {"slug": "pemandu-wisata", "name": "Pemandu Wisata", "name_en": "Tour Guides"},
        {"slug": "penginapan", "name": "Homestay & Penginapan", "name_en": "Homestays & Lodging"},
        {"slug": "sewa-perahu", "name": "Sewa Perahu & Kendaraan", "name_en": "Boat & Vehicle Hire"},
    ]},
]


def _leaves() -> dict[str, CategoryNode]:
    leaves: dict[str, CategoryNode] = {}
    for parent in TAXONOMY:
        for child in parent["children"]:
            leaves[child["slug"]] = {
                "slug": child["slug"],
                "name": child["name"],
                "parent": {"slug": parent["slug"], "name": parent["name"]},
            }
    return leaves


# slug -> {"slug", "name", "parent": {"slug", "name"}} for every category a product may take.
LEAVES: dict[str, CategoryNode] = _leaves()


def leaf_categories() -> dict[str, CategoryNode]:
    """slug -> {"slug", "name", "parent": {"slug", "name"}} for every category a product may take."""
    return LEAVES


def category_list() -> list[CategoryNode]:
    """The leaf categories as the API lists them: slug, name, and parent."""
    return list(LEAVES.values())

PARENT_SLUGS: frozenset[str] = frozenset(parent["slug"] for parent in TAXONOMY)
LEAF_SLUGS: frozenset[str] = frozenset(child["slug"] for parent in TAXONOMY for child in parent["children"])
ALL_SLUGS: frozenset[str] = PARENT_SLUGS | LEAF_SLUGS
# slug -> display name, for both levels.
CATEGORY_NAMES: dict[str, str] = {parent["slug"]: parent["name"] for parent in TAXONOMY} | {
    child["slug"]: child["name"] for parent in TAXONOMY for child in parent["children"]}
# slug -> English name, for both levels (the site's English mode).
CATEGORY_NAMES_EN: dict[str, str] = {parent["slug"]: parent["name_en"] for parent in TAXONOMY} | {
    child["slug"]: child["name_en"] for parent in TAXONOMY for child in parent["children"]}
# leaf slug -> its parent's slug.
PARENT_OF: dict[str, str] = {child["slug"]: parent["slug"] for parent in TAXONOMY for child in parent["children"]}


def children_of(parent_slug: str) -> list[str]:
    """The leaf slugs under ``parent_slug`` (empty for a leaf or an unknown slug)."""
    return [leaf for leaf, parent in PARENT_OF.items() if parent == parent_slug]
