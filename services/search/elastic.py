"""The Elasticsearch engine: same interface as the embedded one, for a province or more.

- Documents live in a versioned index (``<alias>-v7``) behind an alias, so a mapping change
  can be rebuilt into a new index and the alias swapped without downtime. Shard and replica
  counts come from the settings (``SEARCH_ELASTICSEARCH_SHARDS``/``_REPLICAS``). Indices are
  deleted by their concrete names only (Elasticsearch 8 refuses wildcards there:
  ``action.destructive_requires_name``).
- Product writes are bulk requests with ``version_type=external``: a replayed or late event
  is refused by Elasticsearch itself (409), which we treat as done. The external version is
  the aggregate version shifted left by ``VERSION_SHIFT`` bits: a pricing event is a partial
  ``update``, which Elasticsearch versions internally (+1 per update), so the gap keeps the
  next product version above any number of pricing updates in between.
- What a product costs over time is indexed with it (``price_periods``, nested): the price,
  discount and promotion flag of the pricing's window, and after ``valid_until`` the normal
  price. A search picks the period holding "now" with two ``range`` clauses; no request
  carries a script (see ``current_period``).
- ``stage`` writes to Elasticsearch *before* the consumer commits: if the write fails the
  transaction rolls back and the event is retried; if the commit fails after the write,
  the redelivery is a harmless version conflict.

Request bodies are built by plain functions so they can be tested without a server. Why it
is built this way: docs/decisions/elasticsearch-cluster.md.
"""
from __future__ import annotations

import dataclasses
import html
import json
import logging
import time
import zlib
from typing import Iterable

from sqlalchemy import select, text

from services.search.analysis import PROTECTED, STOPWORDS, VARIANTS, analyze, is_measure, is_negated, query_terms
from services.search.embedded import name_head
from services.search.engine import (
    FEW_MATCHES,
    HALAL_LABELS,
    KINDS,
    MAX_PROMOTION_BOOST,
    PRICE_BUCKETS,
    REGION_HINT_BOOST,
    Change,
    Removal,
    SearchQuery,
    SearchResult,
    did_you_mean,
    parse_time,
    price_bucket_label,
    pricing_view,
)
from services.search.language import (
    MAX_CORRECTIONS,
    RARE_DF,
    Alternative,
    QueryPlan,
    category_slug,
    max_edits,
    name_head_of,
    name_term_of,
    place_region,
    plan_query,
)
from services.search.models import SearchPricing
from services.search.store import store_pricings
from shared.contracts import HIDDEN_MERCHANT_STATUSES
from shared.db import chunks
from shared.regions import REGIONS
from shared.taxonomy import CATEGORY_NAMES

log = logging.getLogger(__name__)

# v2: pricing fields; v3: measures; v4: joined codes, negations, name head; v5: variants, protected
# roots, name heads after a packaging word; v6: manisan a protected root; v7: price periods as
# indexed fields (no scripts), external versions shifted by VERSION_SHIFT (older: reindex)
INDEX_VERSION = 7
# A product write's external version is the aggregate version << VERSION_SHIFT. Elasticsearch
# adds 1 to a document's version at each partial update (a pricing event), and an external
# write must carry a version above the stored one: with the product's version alone, the next
# product event after a pricing update would be refused as stale (409) and lost. 2**32 pricing
# updates fit between two product versions; product versions up to 2**31 fit in a long.
VERSION_SHIFT = 32
DEFAULT_SHARDS = 1
DEFAULT_REPLICAS = 1
SEARCH_FIELDS = ["name^3", "category_name^2", "category_parent_name", "merchant.name^2", "region_name^2", "description"]


def external_version(version: int) -> int:
    """The external version a product write carries (see ``VERSION_SHIFT``)."""
    return int(version) << VERSION_SHIFT


def index_body(shards: int = DEFAULT_SHARDS, replicas: int = DEFAULT_REPLICAS) -> dict:
    """Settings and mappings of a product index, with an Indonesian analyzer; ``shards`` and
    ``replicas`` from the settings (``SEARCH_ELASTICSEARCH_SHARDS``/``_REPLICAS``)."""
    variants = sorted(f"{variant} => {canonical}" for variant, canonical in VARIANTS.items() if variant != canonical)
    text = {"type": "text", "analyzer": "etalase_id"}
    keyword = {"type": "keyword"}
    return {
        "settings": {
            "number_of_shards": int(shards),
            "number_of_replicas": int(replicas),
            "analysis": {
                "char_filter": {
                    # oleh2 -> oleh, buah2an -> buah, as the embedded analyzer does
                    "reduplication": {"type": "pattern_replace", "pattern": "(\\p{L}{2,})2(?:an)?\\b", "replacement": "$1"},
                },
                "filter": {
                    "etalase_stop": {"type": "stop", "stopwords": sorted(STOPWORDS)},
                    "etalase_variants": {"type": "synonym", "synonyms": variants},
                    # roots that look affixed (periuk, kuningan, perhiasan): never stemmed, as
                    # in the embedded analyzer (analysis.PROTECTED)
                    "etalase_protected": {"type": "keyword_marker", "keywords": sorted(PROTECTED)},
                    "etalase_stemmer": {"type": "stemmer", "language": "indonesian"},
                },
                "analyzer": {
                    "etalase_id": {
                        "type": "custom",
                        "char_filter": ["reduplication"],
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "etalase_stop", "etalase_variants", "etalase_protected",
                                   "etalase_stemmer"],
                    },
                },
            },
        },
        "mappings": {
            "dynamic": "false",
            "properties": {
                "id": keyword,
                "name": text,
                "description": text,
                "price": {"type": "long"},
                "stock": {"type": "integer"},
                "unit": keyword,
                # Measures in the base unit ("1 kg" -> "1000g"), computed by our analyzer: the
                # standard tokenizer cannot join "1 kg" nor convert it.
                "measures": keyword,
                # Codes joined ("KPK-925" -> "kpk925") and negated words ("tanpa gula" ->
                # "no-gula"), also from our analyzer: the standard tokenizer splits the one
                # and drops the negator of the other.
                "joined_terms": keyword,
                # The first term of the name, what the product is (embedded.name_head; and the
                # next one after a packaging word, "Paket Oleh-Oleh"): a query word there adds
                # HEAD_SCORE, as the embedded engine counts it more.
                "name_head": keyword,
                "category": keyword,
                "category_name": text,
                "category_parent": keyword,
                "category_parent_name": text,
                "halal": {"type": "boolean"},
                "region": keyword,
                "region_name": text,
                "merchant": {"properties": {
                    "id": keyword, "name": text, "kind": keyword, "verified": {"type": "boolean"},
                    "status": keyword,
                }},
                "version": {"type": "long"},
                "updated_at": {"type": "date"},
                # The pricing payload as received, for the hit's view (pricing_view); never
                # queried: searches use price_periods and promotion_boost.
                "pricing": {"type": "object", "enabled": False},
                # What the product costs, period by period (see price_periods): the one
                # holding "now" filters, sorts and counts by price, discount and promotion.
                "price_periods": {"type": "nested", "properties": {
                    "effective_price": {"type": "long"}, "discount_percent": {"type": "integer"},
                    "promoted": {"type": "boolean"}, "on_promo": {"type": "boolean"},
                    "from": {"type": "date", "format": "epoch_millis"},
                    "until": {"type": "date", "format": "epoch_millis"},
                }},
                # The relevance multiplier of a promoted pricing (1 + MAX_PROMOTION_BOOST * boost),
                # applied only while its period is current.
                "promotion_boost": {"type": "float"},
            },
        },
    }


def measure_terms(doc: dict) -> list[str]:
    """The measures a document's name and description state, as our analyzer writes them."""
    text = f"{doc.get('name') or ''} {doc.get('description') or ''}"
    return sorted({term for term in analyze(text) if is_measure(term)})


def is_joined(term: str) -> bool:
    """A term only our analyzer makes: a negated word, or letters and digits in one (a code)."""
    return is_negated(term) or (not is_measure(term) and any(c.isdigit() for c in term)
                                and any(c.isalpha() for c in term))


def joined_terms(doc: dict) -> list[str]:
    """The joined codes and negated words of a document's name and description."""
    text = f"{doc.get('name') or ''} {doc.get('description') or ''}"
    return sorted({term for term in analyze(text) if is_joined(term)})


PRICING_FIELDS = ("version", "effective_price", "discount_percent", "promoted", "boost", "valid_until", "badge")
PERIODS = "price_periods"


def pricing_source(pricing: dict) -> dict:
    """The part of a ProductPricing payload an Elasticsearch document keeps (for the hit's view)."""
    return {name: pricing.get(name) for name in PRICING_FIELDS}


def _normal_period(price: int) -> dict:
    return {"effective_price": int(price), "discount_percent": 0, "promoted": False, "on_promo": False}


def price_periods(normal_price: int, pricing: dict | None) -> list[dict]:
    """What a product costs over time, as indexed fields: one period without a pricing (the
    normal price); with one, the pricing's values, until ``valid_until`` when it has one, and
    from then on the normal price again. Periods hold epoch milliseconds (``from`` inclusive,
    ``until`` exclusive, an absent bound is open), cover all time and never overlap: exactly
    one is current at any moment (``current_period``).

    The promotion service publishes the revert at a campaign's end, which replaces these
    periods; the period after ``valid_until`` is what searches show if that event is late,
    as the embedded engine does (``engine.pricing_expired``). ``on_promo`` is the embedded
    engine's promotion filter: promoted, discounted, or cheaper than the normal price."""
    if pricing is None or pricing.get("effective_price") is None:
        return [_normal_period(normal_price)]
    effective = int(pricing["effective_price"])
    discount = int(pricing.get("discount_percent") or 0)
    promoted = bool(pricing.get("promoted"))
    window = {"effective_price": effective, "discount_percent": discount, "promoted": promoted,
              "on_promo": promoted or discount > 0 or effective < int(normal_price)}
    until = parse_time(pricing.get("valid_until"))  # None: no end, or unreadable (as embedded)
    if until is None:
        return [window]
    until_ms = round(until * 1000)
    return [{**window, "until": until_ms}, {**_normal_period(normal_price), "from": until_ms}]


def promotion_boost(pricing: dict | None) -> float:
    """The relevance multiplier of a promoted pricing: 1 + MAX_PROMOTION_BOOST * boost (0..1)."""
    if not pricing or not pricing.get("promoted"):
        return 1.0
    return 1.0 + MAX_PROMOTION_BOOST * min(1.0, max(0.0, float(pricing.get("boost") or 0.0)))


def pricing_fields(normal_price: int, pricing: dict | None) -> dict:
    """The indexed pricing fields of a document (and of a pricing event's partial update)."""
    fields: dict = {PERIODS: price_periods(normal_price, pricing), "promotion_boost": promotion_boost(pricing)}
    if pricing is not None:
        fields["pricing"] = pricing_source(pricing)
    return fields


# A pricing update is retried this often by Elasticsearch when another write to the same
# document lands between its read and its write; past that, the 409 fails the bulk write and
# the event is retried (a conflict on an update is not "a newer version is there").
UPDATE_RETRIES = 3


def bulk_operations(index: str, change: Change) -> list[dict]:
    """Bulk actions for ``change``. Product writes carry the aggregate version as an external
    version (``external_version``); a pricing is a partial update of the pricing fields,
    without a version: Elasticsearch's update API takes none (it versions updates itself, +1),
    the consumer has already ordered pricings by their own version sequence
    (``aggregate_state`` "pricing", kept in ``search_pricing``), and the product's external
    version is left room for these increments (``VERSION_SHIFT``)."""
    operations: list[dict] = []
    for doc in change.upserts:
        operations.append({"index": {"_index": index, "_id": doc["id"], "version": external_version(doc["version"]),
                                     "version_type": "external"}})
        operations.append({**doc, "measures": measure_terms(doc), "joined_terms": joined_terms(doc),
                           "name_head": name_head(doc), **pricing_fields(doc["price"], doc.get("pricing"))})
    for removal in change.removals:
        action = {"_index": index, "_id": removal.id}
        if removal.version is not None:
            action.update(version=external_version(removal.version), version_type="external")
        operations.append({"delete": action})
    for pricing in change.pricings:
        # A product not indexed yet is a 404 here and gets its stored pricing when it is
        # indexed (see ElasticsearchEngine.stage). The period after valid_until takes the
        # pricing's normal price: the document's own is not read back for an update.
        operations.append({"update": {"_index": index, "_id": pricing["product_id"],
                                      "retry_on_conflict": UPDATE_RETRIES}})
        operations.append({"doc": pricing_fields(pricing["normal_price"], pricing)})
    return operations


def current_period(now_ms: int) -> dict:
    """The query-time guard: the price period holding ``now_ms`` (none ended by then, none
    starting later). Two ``range`` clauses on indexed dates, cheap and cacheable per segment:
    a pricing whose ``valid_until`` has passed is no longer current, even while its revert
    event is on its way."""
    return {"bool": {"must_not": [
        {"range": {f"{PERIODS}.until": {"lte": now_ms, "format": "epoch_millis"}}},
        {"range": {f"{PERIODS}.from": {"gt": now_ms, "format": "epoch_millis"}}},
    ]}}


def current(now_ms: int, *clauses: dict) -> dict:
    """Documents whose current price period matches ``clauses``."""
    query = current_period(now_ms)
    if clauses:
        query = {"bool": {"filter": list(clauses), "must_not": query["bool"]["must_not"]}}
    return {"nested": {"path": PERIODS, "query": query, "score_mode": "none"}}


def filter_clauses(query: SearchQuery, now_ms: int) -> dict[str, dict]:
    """One clause per active filter, named like the facets (so a facet can leave its own out)."""
    clauses: dict[str, dict] = {}
    if query.region:
        clauses["region"] = {"term": {"region": query.region}}
    if query.category:
        clauses["category"] = {"bool": {"should": [{"term": {"category": query.category}},
                                                   {"term": {"category_parent": query.category}}],
                                        "minimum_should_match": 1}}
    if query.min_price is not None or query.max_price is not None:
        bounds = {}
        if query.min_price is not None:
            bounds["gte"] = query.min_price
        if query.max_price is not None:
            bounds["lte"] = query.max_price
        clauses["price"] = current(now_ms, {"range": {f"{PERIODS}.effective_price": bounds}})
    if query.halal is not None:
        clauses["halal"] = {"term": {"halal": query.halal}}
    if query.kind:
        clauses["kind"] = {"term": {"merchant.kind": query.kind}}
    if query.verified:
        clauses["verified"] = {"term": {"merchant.verified": True}}
    if query.in_stock:
        clauses["in_stock"] = {"range": {"stock": {"gt": 0}}}
    if query.on_promo:
        clauses["on_promo"] = current(now_ms, {"term": {f"{PERIODS}.on_promo": True}})
    return clauses


FACET_FIELDS = {"region": "region", "category": "category", "halal": "halal", "kind": "merchant.kind"}


def facet_aggregations(clauses: dict[str, dict], now_ms: int) -> dict:
    """Each facet is filtered by every active filter but its own (the hits use post_filter).
    The price facet counts the current period of each document (exactly one per document)."""
    aggs = {}
    for name in ("region", "category", "price", "halal", "kind"):
        others = [clause for other, clause in clauses.items() if other != name]
        if name == "price":
            ranges = [{"key": str(number), "from": low, **({"to": high} if high is not None else {})}
                      for number, (low, high) in enumerate(PRICE_BUCKETS)]
            inner = {"periods": {"nested": {"path": PERIODS}, "aggs": {"current": {
                "filter": current_period(now_ms),
                "aggs": {"values": {"range": {"field": f"{PERIODS}.effective_price", "ranges": ranges}}}}}}}
        else:
            inner = {"values": {"terms": {"field": FACET_FIELDS[name], "size": 100}}}
        aggs[name] = {"filter": {"bool": {"filter": others}}, "aggs": inner}
    return aggs


def period_sort(field: str, order: str, now_ms: int) -> dict:
    """Sort on a field of the current price period (a nested sort, filtered by the guard)."""
    return {f"{PERIODS}.{field}": {"order": order, "mode": "min" if order == "asc" else "max",
                                   "nested": {"path": PERIODS, "filter": current_period(now_ms)}}}


def sort_clause(query: SearchQuery, has_text: bool, now_ms: int) -> list:
    if query.sort == "price_asc":
        return [period_sort("effective_price", "asc", now_ms), {"id": "asc"}]
    if query.sort == "price_desc":
        return [period_sort("effective_price", "desc", now_ms), {"id": "asc"}]
    if query.sort == "discount":
        return [period_sort("discount_percent", "desc", now_ms), "_score" if has_text else {"updated_at": "desc"},
                {"id": "asc"}]
    if query.sort == "newest" or not has_text:
        return [{"updated_at": "desc"}, {"id": "desc"}]
    return ["_score", {"updated_at": "desc"}, {"id": "asc"}]


# --- the query plan as an Elasticsearch query ------------------------------------------
#
# The text query is the same ``QueryPlan`` the embedded engine runs (services/search/language.py):
# one required clause per group (AND across groups), within a group a ``dis_max`` of its
# alternatives (OR within: the best alternative counts, scaled by its weight, as the embedded
# BM25 does). Synonyms and English words are expanded here, at query time, from language.py's
# tables: the synonym file is re-read on change (or on the ``reload_synonyms`` RPC) and the
# next query uses it, with no reindex and no analyzer reload (the index analyzer has no
# synonym filter, only spelling variants).

FUZZINESS = "AUTO:4,8"  # 1 edit for 4-7 letters, 2 for 8+, none below: language.max_edits
FUZZY_PREFIX = 1
FUZZY_EXPANSIONS = MAX_CORRECTIONS + 1  # the closest few terms per field (the word itself counts)


def _fuzzable(group: list[Alternative]) -> bool:
    """A plain word the plan offered no alternative for (no synonym, English or typo
    correction) and long enough for the typo rule."""
    return len(group) == 1 and group[0].kind == "exact" and group[0].term.isalpha() and max_edits(group[0].term) > 0


CATEGORY_SCORE = 2.0  # what a product of a family's category scores (a name match in category_name)
MEASURE_SCORE = 3.0  # a measure the listing states (as a match in the name)
JOINED_SCORE = 3.0  # a code or a negated word the listing states (as a match in the name)
HEAD_SCORE = 1.0  # a query word that is the first term of the listing's name
# A listing whose name starts with a family's word or item (the plan's head group): as the
# embedded engine's FAMILY_HEAD_IDF, a word match of a middling idf.
FAMILY_HEAD_SCORE = 3.0
PLACE_SCORE = 2.0  # what a product of the place named scores for the place (a name match in region_name)
# Each concept a document covers adds this much: far above any BM25 sum of a short query, so
# covering more of the query's concepts ranks first and BM25 orders the rest (the embedded
# engine sorts by (covered, score)).
COVERAGE_SCORE = 100.0


def alternative_query(alternative: Alternative, fuzzy: bool = False) -> dict:
    region = place_region(alternative.term)
    if region is not None:  # a place: the products of its region
        return {"constant_score": {"filter": {"term": {"region": region}}, "boost": alternative.weight * PLACE_SCORE}}
    slug = category_slug(alternative.term)
    if slug is not None:  # a category a family covers: its products, leaf or parent
        category = {"bool": {"should": [{"term": {"category": slug}}, {"term": {"category_parent": slug}}],
                             "minimum_should_match": 1}}
        return {"constant_score": {"filter": category, "boost": alternative.weight * CATEGORY_SCORE}}
    head = name_head_of(alternative.term)
    if head is not None:  # a family's item as the first term of the name: it is one of the family
        return {"constant_score": {"filter": {"term": {"name_head": head}},
                                   "boost": alternative.weight * FAMILY_HEAD_SCORE}}
    named = name_term_of(alternative.term)
    if named is not None:  # a family's word in the name: the seller says it is one of the family
        return {"constant_score": {"filter": {"match": {"name": named}},
                                   "boost": alternative.weight * FAMILY_HEAD_SCORE}}
    if is_measure(alternative.term):  # "1000g": our analyzer's measures, indexed apart
        return {"constant_score": {"filter": {"term": {"measures": alternative.term}},
                                   "boost": alternative.weight * MEASURE_SCORE}}
    joined = {"constant_score": {"filter": {"term": {"joined_terms": alternative.term}},
                                 "boost": alternative.weight * JOINED_SCORE}}
    if is_negated(alternative.term):  # "no-pedas": only our analyzer's terms hold it
        return joined
    match: dict = {"query": alternative.term, "fields": SEARCH_FIELDS}
    if alternative.weight != 1.0:
        match["boost"] = alternative.weight
    if fuzzy:
        match.update(fuzziness=FUZZINESS, prefix_length=FUZZY_PREFIX, max_expansions=FUZZY_EXPANSIONS)
    if is_joined(alternative.term):  # a code: typed as listed ("abc12de34"), or joined ("kpk925")
        return {"dis_max": {"queries": [{"multi_match": match}, joined]}}
    return {"multi_match": match}


def group_query(group: list[Alternative], fuzzy: bool = False) -> dict:
    """Any alternative satisfies the group; the best one scores it."""
    queries = [alternative_query(alternative, fuzzy and _fuzzable(group)) for alternative in group]
    if len(queries) == 1:
        return queries[0]
    return {"dis_max": {"queries": queries}}


def text_query(plan: QueryPlan, operator: str = "and", fuzzy: bool = False) -> dict:
    """``plan`` as a bool query, as the embedded engine matches and ranks it:
    - the deciding groups (``QueryPlan.matching``: the concepts, else the places, else the
      soft groups) as ``should`` clauses with the plan's minimum to match ("and"), one
      concept fewer and not a size alone ("partial", ``QueryPlan.partial_matching``: when
      fewer than FEW_MATCHES cover the minimum), or any one of them ("or", when nothing does);
      when the words find nothing at all, the places decide ("places", ``QueryPlan.places``);
    - the other groups (places beside concepts, soft fragments) as optional clauses that
      only add to the score;
    - per counted group (concepts and places), ``COVERAGE_SCORE`` when it matches, so that
      covering more concepts ranks first.
    ``fuzzy`` adds Elasticsearch's own typo tolerance (our length rule) to plain words: the
    last resort when the plan's explicit corrections found nothing."""
    if plan.empty:
        return {"match_none": {}}  # only stopwords: nothing, as the embedded engine
    deciding, need = plan.matching()
    if operator == "places":
        deciding, need = plan.places(), 1
    counted = plan.counted()
    clauses = [group_query(group, fuzzy) for group in plan.groups]
    deciding_clauses = [clauses[index] for index in deciding]
    optional = [clauses[index] for index in range(len(clauses)) if index not in deciding]
    minimum = need if operator == "and" else 1
    naming: list[int] = []
    if operator == "partial":
        _deciding, minimum, naming = plan.partial_matching()
    coverage = [{"constant_score": {"filter": clauses[index], "boost": COVERAGE_SCORE}} for index in counted
                ] if len(counted) > 1 and plan.coverage_ranks(relaxed=minimum < len(deciding)) else []
    if minimum >= len(deciding_clauses):
        query: dict = {"bool": {"must": deciding_clauses}}
    else:
        query = {"bool": {"should": deciding_clauses, "minimum_should_match": minimum}}
    if naming and len(naming) < len(deciding):
        # a partial match names something: not a size alone
        query["bool"]["filter"] = [{"bool": {"should": [clauses[index] for index in naming], "minimum_should_match": 1}}]
    if not optional and not coverage:
        return query
    return {"bool": {"must": [query], "should": optional + coverage}}


def head_query(plan: QueryPlan) -> dict | None:
    """HEAD_SCORE for a listing whose name starts with one of the query's words (or their
    alternatives): the embedded engine's name_head weight."""
    terms = sorted({alt.term for index in plan.counted() for alt in plan.groups[index]
                    if place_region(alt.term) is None and category_slug(alt.term) is None})
    return {"terms": {"name_head": terms, "boost": HEAD_SCORE}} if terms else None


def has_fuzzable_words(plan: QueryPlan) -> bool:
    return any(_fuzzable(group) for group in plan.groups)


# --- the vocabulary for typo corrections ----------------------------------------------
#
# The plan corrects typos against the index's vocabulary (``language.Vocabulary``); the
# embedded engine has its postings, Elasticsearch has no cheap list of analysed terms. So
# the first request of a text search carries a small probe, and the plan is made again
# with what it found:
# - the document frequency of each query word over the searchable fields (a ``filters``
#   aggregation under ``global``: the whole index, as the embedded postings);
# - candidate corrections from the ``term`` suggester, per searchable field, for words in at
#   most RARE_DF documents (``max_term_freq``; the plan corrects no commoner word), within
#   two edits; their frequency is the highest per-field one (a lower bound of the embedded
#   cross-field count). ``language.Speller`` then applies our rules (edits by length,
#   closest first, RARE_RATIO), so both engines choose corrections the same way.
# Candidates are terms as Elasticsearch's analyzer stored them (its Indonesian stemmer, not
# ours): a word the two stemmers cut differently may find no correction here.

VOCABULARY_AGG = "vocabulary"
SUGGEST_FIELDS = ("name", "category_name", "merchant.name", "region_name", "description")
MAX_PROBED_WORDS = 8


def vocabulary_probe(terms: list[str]) -> tuple[dict, dict]:
    """(aggregations, suggesters) that find what the index knows about ``terms``."""
    terms = terms[:MAX_PROBED_WORDS]
    filters = {term: {"multi_match": {"query": term, "fields": SEARCH_FIELDS}} for term in terms}
    aggs = {VOCABULARY_AGG: {"global": {}, "aggs": {"df": {"filters": {"filters": filters}}}}}
    suggest = {}
    for number, term in enumerate(terms):
        if not term.isalpha() or not max_edits(term):
            continue  # the plan never corrects it
        for field in SUGGEST_FIELDS:
            suggest[f"typo-{number}-{field}"] = {"text": term, "term": {
                "field": field, "suggest_mode": "always", "max_edits": 2, "prefix_length": 0,
                "min_word_length": 4, "max_term_freq": RARE_DF, "size": MAX_CORRECTIONS + 2,
                "string_distance": "damerau_levenshtein",
            }}
    return aggs, suggest


class ProbedVocabulary:
    """What the probe found, as a ``language.Vocabulary``: term -> document frequency."""

    def __init__(self, frequencies: dict[str, int]):
        self._frequencies = {term: count for term, count in frequencies.items() if count > 0}

    def __contains__(self, term: str) -> bool:
        return term in self._frequencies

    def __len__(self) -> int:
        return len(self._frequencies)

    def document_frequency(self, term: str) -> int:
        return self._frequencies.get(term, 0)

    def terms(self) -> Iterable[str]:
        return self._frequencies.keys()


def vocabulary_from(response: dict) -> ProbedVocabulary:
    frequencies: dict[str, int] = {}
    for suggestions in (response.get("suggest") or {}).values():
        for entry in suggestions:
            for option in entry.get("options") or []:
                term = option["text"]
                frequencies[term] = max(frequencies.get(term, 0), int(option.get("freq") or 0))
    probed = (((response.get("aggregations") or {}).get(VOCABULARY_AGG) or {}).get("df") or {}).get("buckets") or {}
    for term, bucket in probed.items():
        frequencies[term] = int(bucket.get("doc_count") or 0)
    return ProbedVocabulary(frequencies)


def search_body(query: SearchQuery, operator: str = "and", now_ms: int | None = None, *,
                plan: QueryPlan | None = None, fuzzy: bool = False, probe: bool = False) -> dict:
    """The request of ``query``; its text as ``plan`` (default: the plan without a
    vocabulary). ``probe`` adds the vocabulary probe (see ``vocabulary_probe``)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    clauses = filter_clauses(query, now_ms)
    # Belt and braces: the indexer already removes a rejected or suspended merchant's products.
    hidden = [{"terms": {"merchant.status": sorted(HIDDEN_MERCHANT_STATUSES)}}]
    body: dict = {"from": query.offset, "size": query.per_page, "track_total_hits": True}
    has_text = bool(query.q.strip())
    if has_text:
        plan = plan_query(query.q) if plan is None else plan
        text = {"bool": {"must": [text_query(plan, operator, fuzzy)], "must_not": hidden}}
        head = head_query(plan)
        if head:
            text["bool"]["should"] = [head]
        # Bounded boost: a promoted product's score is multiplied by its indexed
        # promotion_boost (1 + MAX * boost, <= 1.2) while its promoted period is current;
        # function_score only rescales documents the text query already matched.
        functions: list[dict] = [{"filter": current(now_ms, {"term": {f"{PERIODS}.promoted": True}}),
                                  "field_value_factor": {"field": "promotion_boost", "missing": 1.0}}]
        if plan.region_hint:
            # "oleh-oleh khas Baubau": Baubau's products first among equals, not a filter
            # (the embedded engine multiplies by the same factor).
            functions.append({"filter": {"term": {"region": plan.region_hint}}, "weight": 1 + REGION_HINT_BOOST})
        body["query"] = {"function_score": {
            "query": text, "functions": functions, "score_mode": "multiply", "boost_mode": "multiply",
        }}
        body["highlight"] = {
            "pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html",  # escapes the text
            "fields": {"name": {"number_of_fragments": 0},
                       "description": {"fragment_size": 90, "number_of_fragments": 1}},
        }
    else:
        body["query"] = {"bool": {"must": [{"match_all": {}}], "must_not": hidden}}
    body["post_filter"] = {"bool": {"filter": list(clauses.values())}}
    body["aggs"] = facet_aggregations(clauses, now_ms)
    if has_text and probe:
        aggs, suggest = vocabulary_probe(query_terms(query.q))
        body["aggs"].update(aggs)
        if suggest:
            body["suggest"] = suggest
    body["sort"] = sort_clause(query, has_text, now_ms)
    return body


def facets_from(aggregations: dict) -> dict:
    def buckets(name):
        return ((aggregations.get(name) or {}).get("values") or {}).get("buckets") or []

    def price_buckets():
        periods = ((aggregations.get("price") or {}).get("periods") or {}).get("current") or {}
        return (periods.get("values") or {}).get("buckets") or []

    def terms(name, labels):
        entries = []
        for bucket in buckets(name):
            if bucket["doc_count"] <= 0:
                continue
            value = bucket["key"]
            if name == "halal":
                value = bool(value)
            entries.append({"value": value, "label": labels(value), "count": bucket["doc_count"]})
        return entries

    price_counts = {bucket["key"]: bucket["doc_count"] for bucket in price_buckets()}
    return {
        "region": terms("region", lambda value: REGIONS.get(value, value)),
        "category": terms("category", lambda value: CATEGORY_NAMES.get(value, value)),
        "price": [{"min": low, "max": high, "label": price_bucket_label(low, high),
                   "count": price_counts.get(str(number), 0)} for number, (low, high) in enumerate(PRICE_BUCKETS)],
        "halal": terms("halal", lambda value: HALAL_LABELS[value]),
        "kind": terms("kind", lambda value: KINDS.get(value, value)),
    }


def hit_item(hit: dict, now: float) -> dict:
    """A hit's source with its pricing view and highlight (HTML: Elasticsearch's html encoder
    escapes the text; only <mark> is markup; an unhighlighted name is escaped here)."""
    doc = dict(hit["_source"])
    pricing = doc.get("pricing")
    doc.update(pricing_view(doc, pricing if pricing and pricing.get("effective_price") is not None else None, now))
    marks = hit.get("highlight") or {}
    name = (marks.get("name") or [html.escape(doc.get("name") or "")])[0]
    description = (marks.get("description") or [None])[0]
    doc["highlight"] = f"{name} — {description}" if description else name
    return doc


def bulk_failures(response: dict) -> list[dict]:
    """Errors of a bulk response that matter. Done, not failed: a version conflict on a
    versioned index or delete (a newer version is already there: a replay or a late event),
    deleting a missing document, and a pricing update of a product not indexed yet (it takes
    its stored pricing when it is). A conflict on an update is a failure: the update was not
    applied (another write kept winning its retries), so the event must be retried."""
    failures = []
    for item in response.get("items", []):
        (action, result), = item.items()
        status = result.get("status", 200)
        if status < 300:
            continue
        if status == 409 and action in ("index", "delete"):
            continue
        if status == 404 and action in ("delete", "update"):
            continue
        failures.append(result)
    return failures


class ElasticsearchError(RuntimeError):
    pass


class ElasticsearchEngine:
    def __init__(self, client, alias: str, *, shards: int = DEFAULT_SHARDS, replicas: int = DEFAULT_REPLICAS,
                 session_factory=None):
        self.client = client
        self.alias = alias
        self.shards = shards
        self.replicas = replicas
        # The search database, for tools and tests (upsert, set_pricing, delete): with it they
        # keep pricing in search_pricing as events do, so a product indexed later shows it.
        self.session_factory = session_factory

    @classmethod
    def from_settings(cls, settings, session_factory=None) -> "ElasticsearchEngine":
        # Imported here: the client library takes half a second to load, and the embedded
        # engine (the default) never needs it.
        from elasticsearch import Elasticsearch

        if not settings.elasticsearch_url:
            raise ValueError("SEARCH_ELASTICSEARCH_URL is required when SEARCH_ENGINE=elasticsearch")
        return cls(Elasticsearch(settings.elasticsearch_url, request_timeout=10), settings.elasticsearch_index,
                   shards=settings.elasticsearch_shards, replicas=settings.elasticsearch_replicas,
                   session_factory=session_factory)

    @property
    def versioned_index(self) -> str:
        return f"{self.alias}-v{INDEX_VERSION}"

    def index_body(self) -> dict:
        return index_body(self.shards, self.replicas)

    def start(self) -> None:
        """Create the versioned index behind the alias unless the alias exists; on an existing
        index, apply the configured replica count (a live setting) and warn about what only a
        reindex changes (the shard count, an older index version)."""
        if self.client.indices.exists_alias(name=self.alias):
            self._check_indices()
            return
        body = self.index_body()
        try:
            self.client.indices.create(index=self.versioned_index, settings=body["settings"],
                                       mappings=body["mappings"], aliases={self.alias: {}})
        except Exception as exc:
            # Another replica starting at the same moment created it first.
            if getattr(exc, "error", None) != "resource_already_exists_exception":
                raise

    def _check_indices(self) -> None:
        for name, found in sorted(dict(self.client.indices.get_settings(index=self.indices())).items()):
            settings = (found.get("settings") or {}).get("index") or {}
            if int(settings.get("number_of_replicas", self.replicas)) != self.replicas:
                self.client.indices.put_settings(index=name, settings={"index": {"number_of_replicas": self.replicas}})
                log.info("index %s: number_of_replicas set to %d", name, self.replicas)
            if int(settings.get("number_of_shards", self.shards)) != self.shards:
                log.warning("index %s has %s shards, the settings say %d: `etalase search reindex` builds "
                            "a new index with them", name, settings.get("number_of_shards"), self.shards)
            if not name.startswith(f"{self.versioned_index}-") and name != self.versioned_index:
                log.warning("index %s is older than index version %d: run `etalase search reindex`",
                            name, INDEX_VERSION)

    def indices(self) -> list[str]:
        """The concrete names of the indices behind the alias."""
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return sorted(dict(self.client.indices.get_alias(name=self.alias)))

    def drop(self) -> list[str]:
        """Delete the indices behind the alias (tests, tools), by their concrete names:
        Elasticsearch 8 refuses a wildcard or ``_all`` in a delete
        (``action.destructive_requires_name``, true by default)."""
        names = self.indices()
        if names:
            self.client.indices.delete(index=names)
        return names

    def _bulk(self, change: Change, refresh: bool) -> None:
        operations = bulk_operations(self.alias, change)
        if not operations:
            return
        response = self.client.bulk(operations=operations, refresh=refresh)
        failures = bulk_failures(dict(response))
        if failures:
            raise ElasticsearchError(f"bulk write failed: {failures[:3]!r}")

    def stage(self, session, change: Change) -> None:
        if session is not None:
            lock_product_writes(session, change)
            with_stored_pricing(session, change)
        self._bulk(change, refresh=False)  # Elasticsearch shows it within its refresh interval

    def apply(self, change: Change) -> None:
        pass  # already written (and idempotent) in stage

    def _write(self, change: Change) -> None:
        """Tools and tests: as an event would (with the search database when there is one),
        shown at once."""
        if self.session_factory is None:
            self._bulk(change, refresh=True)
            return
        with self.session_factory() as session:
            lock_product_writes(session, change)
            change.pricings = newer_pricings(session, change.pricings)  # the consumer's job for events
            with_stored_pricing(session, change)
            self._bulk(change, refresh=True)
            session.commit()

    def upsert(self, docs: Iterable[dict]) -> None:
        self._write(Change(upserts=list(docs)))

    def set_pricing(self, pricings: Iterable[dict]) -> None:
        """Show pricing payloads on indexed products (tools and tests; events go through the indexer)."""
        self._write(Change(pricings=list(pricings)))

    def delete(self, ids: Iterable[str]) -> None:
        self._bulk(Change(removals=[Removal(id=str(i), version=None) for i in ids]), refresh=True)

    def search(self, query: SearchQuery) -> SearchResult:
        # One "now" for every request of this search and for the hits' pricing view.
        now_ms = int(time.time() * 1000)

        def body(operator: str = "and", **options) -> dict:
            return search_body(query, operator, now_ms, **options)

        def ask(request: dict) -> SearchResult:
            return self._result(self._request(request), now_ms)

        if not query.q.strip():
            return ask(body())
        # 1. The plan without a vocabulary (synonyms, English, region), with the probe.
        plan = plan_query(query.q)
        response = self._request(body(plan=plan, probe=True))
        result = self._result(response, now_ms)
        if plan.empty:
            return result
        typed_total = result.total  # the words as typed, without typo corrections
        # 2. The plan as the embedded engine makes it, knowing the index's words (typo
        #    corrections, English words the index knows): asked again only when it differs.
        vocabulary = vocabulary_from(response)
        informed = plan_query(query.q, vocabulary)
        if (informed.groups, informed.region_hint, informed.roles) != (plan.groups, plan.region_hint, plan.roles):
            result = ask(body(plan=informed))
        # 3. Still nothing: Elasticsearch's own typo tolerance on the plain words, then any word.
        fuzzy = False
        if result.total == 0 and has_fuzzable_words(informed):
            fuzzy = True
            result = ask(body(plan=informed, fuzzy=True))
        # 4. Too few: partial matches follow (one concept fewer), else any word.
        if result.total < FEW_MATCHES and len(informed.matching()[0]) > 1:
            deciding, partial_need, naming = informed.partial_matching()
            if naming and partial_need < informed.matching()[1]:
                result = ask(body("partial", plan=informed, fuzzy=fuzzy))
            if result.total == 0:
                result = ask(body("or", plan=informed, fuzzy=fuzzy))
        # 5. The words find nothing: the place the buyer named.
        if result.total == 0 and informed.places() and informed.places() != informed.matching()[0]:
            result = ask(body("places", plan=informed))
        # Did you mean: the same rule as the embedded engine (engine.did_you_mean).
        suggestion = did_you_mean(query.q, informed.corrected, typed_total, result.total,
                                  lambda word: all(term in vocabulary for term in query_terms(word)))
        if suggestion:
            result = dataclasses.replace(result, suggestion=suggestion)
        return result

    def _request(self, body: dict) -> dict:
        return self.client.search(index=self.alias, body=body)

    def _result(self, response: dict, now_ms: int) -> SearchResult:
        now = now_ms / 1000
        hits = response["hits"]
        facets = facets_from(response.get("aggregations") or {})
        return SearchResult(total=hits["total"]["value"], items=[hit_item(hit, now) for hit in hits["hits"]],
                            facets=facets)

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])


# The class (first key) of the two-key advisory locks that order one product's writes; the
# two-key locks are a space apart from the one-key ones (leaders, the change log).
PRODUCT_WRITES_LOCK_CLASS = 0x5EA4
# Products share these many locks (by a hash of the id): a batch takes at most this many, so a
# 20,000-product import batch cannot fill PostgreSQL's lock table (64 per connection by default).
PRODUCT_WRITES_LOCK_BUCKETS = 256


def product_lock_buckets(product_ids: Iterable[str]) -> list[int]:
    """The lock buckets of ``product_ids``, sorted: every writer takes them in one order."""
    return sorted({zlib.crc32(str(product_id).encode()) % PRODUCT_WRITES_LOCK_BUCKETS for product_id in product_ids})


def lock_product_writes(session, change: Change) -> None:
    """On PostgreSQL, hold the products of ``change`` (their documents or pricings) to the end
    of the transaction. Search replicas consume as competing consumers; without this, one could
    read a product's stored pricing, another store and write a newer pricing, and the first then
    write the whole document with the older one over it (docs/decisions/elasticsearch-cluster.md).
    With it, two transactions writing one product write Elasticsearch in their commit order and
    the later one reads what the earlier stored. SQLite has one writer at a time already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    buckets = product_lock_buckets([doc["id"] for doc in change.upserts]
                                   + [pricing["product_id"] for pricing in change.pricings])
    if buckets:
        # Volatile functions in the select list are evaluated after the ORDER BY: one order for all.
        session.execute(text("SELECT pg_advisory_xact_lock(:lock_class, CAST(bucket AS integer)) "
                             "FROM json_array_elements_text(CAST(:buckets AS json)) AS taken(bucket) "
                             "ORDER BY CAST(bucket AS integer)"),
                        {"lock_class": PRODUCT_WRITES_LOCK_CLASS, "buckets": json.dumps(buckets)})


def with_stored_pricing(session, change: Change) -> None:
    """Keep pricing in the search database (it outlives re-indexing) and put the stored
    pricing into product documents, so a product indexed after its pricing shows it."""
    store_pricings(session, change.pricings)
    ids = [str(doc["id"]) for doc in change.upserts]
    stored = {}
    for chunk in chunks(ids):  # one query per few hundred documents, not one per document
        stored.update(session.execute(select(SearchPricing.product_id, SearchPricing.pricing)
                                      .where(SearchPricing.product_id.in_(chunk))).all())
    for doc in change.upserts:
        if str(doc["id"]) in stored:
            doc["pricing"] = pricing_source(json.loads(stored[str(doc["id"])]))


def newer_pricings(session, pricings: list[dict]) -> list[dict]:
    """The pricings newer than or as new as the stored ones (tools and tests: for events, the
    consumer drops stale versions through ``aggregate_state``)."""
    ids = sorted({str(pricing["product_id"]) for pricing in pricings})
    stored: dict[str, int] = {}
    for chunk in chunks(ids):
        stored.update(session.execute(select(SearchPricing.product_id, SearchPricing.version)
                                      .where(SearchPricing.product_id.in_(chunk))).all())
    return [pricing for pricing in pricings
            if int(pricing.get("version") or 0) >= stored.get(str(pricing["product_id"]), 0)]
