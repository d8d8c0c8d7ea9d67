"""The product taxonomy: two levels, each with a URL-safe slug.

Products take a leaf (child) category. This is reference data every service reads (the
catalog validates a product's category against it, search and promotion filter and target by
it), like ``shared.regions``; a product's category still travels in its snapshot. The derived
sets below are computed once, at import.
"""
from typing import Any

# A node: {"slug", "name", "children": [{"slug", "name"}, ...]} (children only on parents).
CategoryNode = dict[str, Any]

TAXONOMY: list[CategoryNode] = [
    {"slug": "makanan-minuman", "name": "Makanan & Minuman", "children": [
        {"slug": "camilan", "name": "Camilan & Kue Kering"},
        {"slug": "kue-tradisional", "name": "Kue Tradisional"},
        {"slug": "makanan-pokok", "name": "Sagu, Kasuami & Makanan Pokok"},
        {"slug": "kopi-teh", "name": "Kopi & Teh"},
        {"slug": "minuman", "name": "Minuman & Sirup"},
        {"slug": "bumbu-rempah", "name": "Bumbu, Sambal & Rempah"},
        {"slug": "madu", "name": "Madu"},
    ]},
    {"slug": "hasil-laut", "name": "Hasil Laut & Perikanan", "children": [
        {"slug": "ikan-olahan", "name": "Ikan Asin, Abon & Olahan Ikan"},
        {"slug": "rumput-laut", "name": "Rumput Laut"},
        {"slug": "hasil-laut-segar", "name": "Hasil Laut Segar & Beku"},
    ]},
    {"slug": "pertanian-perkebunan", "name": "Pertanian & Perkebunan", "children": [
        {"slug": "mete-kacang", "name": "Jambu Mete & Kacang"},
        {"slug": "kakao-cokelat", "name": "Kakao & Cokelat"},
        {"slug": "beras-biji-bijian", "name": "Beras & Biji-bijian"},
        {"slug": "buah-sayur", "name": "Buah & Sayur"},
        {"slug": "kelapa-olahan", "name": "Kelapa & Olahannya"},
    ]},
    {"slug": "kerajinan", "name": "Kerajinan Tangan", "children": [
        {"slug": "tenun", "name": "Kain Tenun"},
        {"slug": "perak-perhiasan", "name": "Perak & Perhiasan"},
        {"slug": "anyaman", "name": "Anyaman"},
        {"slug": "ukiran-kayu", "name": "Ukiran & Kerajinan Kayu"},
        {"slug": "gerabah", "name": "Gerabah & Keramik"},
    ]},
    {"slug": "fashion", "name": "Fashion", "children": [
        {"slug": "sarung", "name": "Sarung"},
        {"slug": "pakaian", "name": "Pakaian"},
        {"slug": "aksesori", "name": "Tas & Aksesori"},
    ]},
    {"slug": "kesehatan-kecantikan", "name": "Kesehatan & Kecantikan", "children": [
        {"slug": "minyak-atsiri", "name": "Minyak Atsiri & Minyak Kelapa"},
        {"slug": "herbal-jamu", "name": "Herbal & Jamu"},
        {"slug": "perawatan-tubuh", "name": "Sabun & Perawatan Tubuh"},
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
# leaf slug -> its parent's slug.
PARENT_OF: dict[str, str] = {child["slug"]: parent["slug"] for parent in TAXONOMY for child in parent["children"]}


def children_of(parent_slug: str) -> list[str]:
    """The leaf slugs under ``parent_slug`` (empty for a leaf or an unknown slug)."""
    return [leaf for leaf, parent in PARENT_OF.items() if parent == parent_slug]
