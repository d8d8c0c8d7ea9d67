"""The embedded search engine: no server, documents in the search database, an inverted
index in memory.

- ``search_documents`` (SQLite or PostgreSQL) is the durable copy, written in the
  consumer's transaction; ``start()`` rebuilds the memory index from it.
- With the change log on (``change_log``), every replica on the store follows
  ``search_changes`` (``catch_up``, changes.py) and so shows what the others indexed.
- ``MemoryIndex`` answers queries: BM25 over analysed fields with per-field weights,
  AND semantics with a fallback to OR when AND finds nothing, region filter, paging.

All index mutations are plain Python without I/O, so under eventlet they are atomic
with respect to other green threads; every change carries its aggregate version, so
two workers that commit in one order and apply in the other still converge.
"""
from __future__ import annotations

import functools
import heapq
import json
import logging
import math
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

import eventlet
from sortedcontainers import SortedList
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.search import changes, snapshot
from services.search.analysis import analyze, query_terms
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
    highlight,
    parse_time,
    price_bucket_label,
    pricing_view,
)
from services.search.language import (
    category_term,
    name_head_term,
    name_term,
    name_term_of,
    place_term,
    plan_query,
)
from services.search.models import SearchDocument, SearchPricing
from services.search.store import remove_documents, store_documents, store_pricings
from shared.contracts import merchant_listed
from shared.db import select_in
from shared.regions import REGIONS

log = logging.getLogger(__name__)

# Field weights (integers keep posting values small and unboxed). The name matters most.
# A product's name says what it is first ("Teripang Kering" is teripang, "Kerupuk Teripang"
# is kerupuk): the name's first term counts this much more.
HEAD_WEIGHT = 2
FIELD_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("name", 3),
    ("category_name", 2),
    ("category_parent_name", 1),
    ("merchant_name", 2),
    ("region_name", 2),
    ("description", 1),
)
K1 = 1.2
B = 0.75
PLACE_WEIGHT = 2  # a product of the place the buyer named counts as its region's name in the text
CATEGORY_WEIGHT = 2  # a product of a category a family covers counts as its category's name
# A listing whose name starts with a family's word or item scores as a word of this idf, however
# common or rare that first word is: being one of the family is the same for a kuali as for a piring.
FAMILY_HEAD_IDF = 3.0


def _field_text(doc: dict, name: str) -> str:
    if name == "merchant_name":
        return (doc.get("merchant") or {}).get("name") or ""
    return doc.get(name) or ""


# Words that say how a product is sold, not what it is: a name that starts with one ("Paket
# Oleh-Oleh Sultra", "Set Kado Pengantin") is also what its next word says.
PACKAGING_HEADS = frozenset(analyze("paket set aneka kemasan toples box bingkisan"))


def name_heads(terms) -> list[str]:
    """The head terms of a name's ``terms``: its first term, and the next one when the first
    says how it is sold ("paket oleh" -> paket, oleh)."""
    if not terms:
        return []
    if terms[0] in PACKAGING_HEADS and len(terms) > 1 and terms[1] != terms[0]:
        return [terms[0], terms[1]]
    return [terms[0]]


def name_head(doc: dict) -> list[str]:
    """What a product's name says it is (``name_heads``)."""
    return name_heads(analyze(doc.get("name") or ""))


def weighted_terms(doc: dict) -> dict[str, int]:
    """term -> weighted term frequency over the searchable fields of ``doc``, and the place
    term of its region (what a place group of a query matches: ``language.place_term``)."""
    return _terms_and_length(doc)[0]


def _terms_and_length(doc: dict) -> tuple[dict[str, int], int]:
    """``weighted_terms`` and the document's length: the sum of its frequencies without the
    name terms (each 1, one per distinct term of the name)."""
    terms: dict[str, int] = {}
    name_terms = 0
    for field_name, weight in FIELD_WEIGHTS:
        text = _field_text(doc, field_name)
        field_terms = _analyze_shared(text) if field_name in SHARED_FIELDS else analyze(text)
        for term in field_terms:
            terms[term] = terms.get(term, 0) + weight
        if field_name == "name":
            for head in name_heads(field_terms):  # the name's head (name_head), analysed once
                terms[head] += HEAD_WEIGHT
                terms[name_head_term(head)] = 1  # what a family's head group asks for
            for term in field_terms:
                terms[name_term(term)] = 1  # what a family's word in the name asks for (not in the length)
            name_terms = len(set(field_terms))
    if doc.get("region"):
        terms[place_term(doc["region"])] = PLACE_WEIGHT
    for slug in (doc.get("category"), doc.get("category_parent")):
        if slug:
            terms[category_term(slug)] = CATEGORY_WEIGHT
    return terms, sum(terms.values()) - name_terms


# Fields whose text many products share (a category's, a merchant's, a region's name): their
# terms are analysed once, not once per product of a burst.
SHARED_FIELDS = frozenset({"category_name", "category_parent_name", "merchant_name", "region_name"})


@functools.lru_cache(maxsize=20_000)
def _analyze_shared(text: str) -> tuple[str, ...]:
    return tuple(analyze(text))


@functools.lru_cache(maxsize=100_000)
def _analyze_word(word: str) -> tuple[str, ...]:
    """The terms of one word (highlighting analyses the same words again and again)."""
    return tuple(analyze(word))


class IndexVocabulary:
    """What ``plan_query`` may ask about the index's terms (see ``language.Vocabulary``)."""

    def __init__(self, postings: dict[str, dict[int, int]]):
        self._postings = postings

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def document_frequency(self, term: str) -> int:
        postings = self._postings.get(term)
        return len(postings) if postings else 0

    def terms(self) -> Iterable[str]:
        return self._postings.keys()


def _intersect(sets: list) -> set | None:
    """The intersection of ``sets`` (None entries mean "everything"); None when all are None.
    With one set it is returned as it is: callers never mutate the result."""
    present = sorted((s for s in sets if s is not None), key=len)
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    result = set(present[0])
    for other in present[1:]:
        result.intersection_update(other)
        if not result:
            break
    return result


def _bucket_of(price: int) -> int:
    for number, (low, high) in enumerate(PRICE_BUCKETS):
        if high is None or price < high:
            return number
    return len(PRICE_BUCKETS) - 1


FACET_FILTERS = ("region", "category", "price", "halal", "kind")

# Fields whose values many documents share. A document decoded from an event carries its own
# copy of each; counting a facet looks every selected document's value up in a dict, and a
# value that is not the very object of the dict's key costs a full string comparison (the
# facet counts of a broad query took a quarter of the search process's time).
SHARED_DOC_FIELDS = ("region", "region_name", "category", "category_name", "category_parent",
                     "category_parent_name", "unit")
SHARED_MERCHANT_FIELDS = ("id", "name", "kind", "status")


def _with_shared_strings(doc: dict) -> dict:
    """``doc`` with the values of its shared fields as one string object per value
    (``sys.intern``), so the index's facet values and keys are the same objects."""
    doc = dict(doc)
    for field in SHARED_DOC_FIELDS:
        value = doc.get(field)
        if type(value) is str:
            doc[field] = sys.intern(value)
    merchant = doc.get("merchant")
    if isinstance(merchant, dict):
        merchant = doc["merchant"] = dict(merchant)
        for field in SHARED_MERCHANT_FIELDS:
            value = merchant.get(field)
            if type(value) is str:
                merchant[field] = sys.intern(value)
    return doc


class MemoryIndex:
    """An inverted index of search documents, kept only in memory, with per-value sets of
    document numbers for the filters and facets (counted with set operations)."""

    def __init__(self):
        self._next = 0
        self._docno: dict[str, int] = {}  # product id -> internal number
        self._docs: dict[int, dict] = {}
        self._terms: dict[int, dict[str, int]] = {}  # what to unlink on removal
        self._length: dict[int, int] = {}
        self._total_length = 0
        self._postings: dict[str, dict[int, int]] = {}
        self._by_region: dict[str, set[int]] = {}
        self._by_category: dict[str, set[int]] = {}  # leaf slug
        self._by_parent: dict[str, set[int]] = {}  # parent slug
        self._by_halal: dict[bool, set[int]] = {True: set(), False: set()}
        self._by_kind: dict[str, set[int]] = {}
        self._verified: set[int] = set()
        self._in_stock: set[int] = set()
        self._by_price_bucket: list[set[int]] = [set() for _ in PRICE_BUCKETS]  # on the normal price
        self._price: dict[int, int] = {}
        # docno -> updated_at, the ranking's tie-break: read for every scored document, and a
        # document's own dict is a cache miss more (the other processes of a search run between two)
        self._updated_at: dict[int, str] = {}
        # (normal price, docno), kept sorted: a SortedList adds in O(log n) where bisect.insort
        # moves half the list (a 100k burst spent 4% of the search process there). Not (price,
        # id, docno): comparing ids in ties doubled the add; a price sort orders ties by id itself.
        self._price_sorted: SortedList = SortedList()
        self._category_names: dict[str, str] = {}
        # docno -> facet value, to count a large result by walking it once (see _counts)
        # docno -> one number for its (halal, kind, price bucket), so that a broad query counts
        # these three facets in one walk over its documents instead of three (_small_facet_counts)
        self._small_code: dict[int, int] = {}
        self._small_codes: dict[tuple, int] = {}  # (halal, kind, price bucket) -> its number
        self._small_values: list[tuple] = []  # number -> (halal, kind, price bucket)
        self._value_of: dict[str, dict[int, object]] = {"region": {}, "category": {}, "halal": {}, "kind": {},
                                                         "price": {}}
        # Pricing per product id (kept for products not indexed yet), and per indexed docno
        # as (pricing, valid_until epoch or None).
        self._pricing: dict[str, dict] = {}
        self._priced: dict[int, tuple[dict, float | None]] = {}
        # Highest version seen per id, removals included (a tombstone for late writers).
        self._versions: dict[str, int] = {}
        self._newest: list[int] | None = None  # cache for empty queries, reset on change
        self._ranked: dict[str, list[int]] = {}  # term -> docnos by score, reset on change
        self.vocabulary = IndexVocabulary(self._postings)

    # Caches rebuilt on demand, and the vocabulary view: not part of a snapshot.
    _NOT_SNAPSHOT = ("_newest", "_ranked", "vocabulary")

    def snapshot_state(self) -> dict:
        """The index's data as plain containers (see ``snapshot``)."""
        return {name: value for name, value in vars(self).items() if name not in self._NOT_SNAPSHOT}

    @classmethod
    def from_snapshot_state(cls, state: dict) -> MemoryIndex:
        index = cls()
        expected = set(vars(index)) - set(cls._NOT_SNAPSHOT)
        if set(state) != expected:
            raise ValueError(f"snapshot fields differ: {sorted(set(state) ^ expected)}")
        vars(index).update(state)
        index.vocabulary = IndexVocabulary(index._postings)
        return index

    # -- changes -----------------------------------------------------------------
    def put(self, doc: dict) -> bool:
        """Index ``doc`` unless a newer version (or removal) of it is already applied."""
        doc_id = str(doc["id"])
        version = int(doc.get("version") or 0)
        if version < self._versions.get(doc_id, 0):
            return False
        self._unlink(doc_id)
        self._versions[doc_id] = version
        if not merchant_listed((doc.get("merchant") or {}).get("status")):
            return True  # belt and braces, as Elasticsearch's filter: the indexer removes these
        doc = _with_shared_strings(doc)
        docno = self._next
        self._next += 1
        terms, length = _terms_and_length(doc)
        self._docno[doc_id] = docno
        self._docs[docno] = doc
        self._terms[docno] = terms
        self._length[docno] = length
        self._total_length += length
        all_postings = self._postings
        for term, tf in terms.items():
            postings = all_postings.get(term)
            if postings is None:
                all_postings[term] = {docno: tf}
            else:
                postings[docno] = tf
        ranked = self._ranked
        if ranked:  # rankings cached by searches (none while a burst runs without searches)
            for term in terms:
                ranked.pop(term, None)
        self._by_region.setdefault(doc.get("region") or "", set()).add(docno)
        self._by_category.setdefault(doc.get("category") or "", set()).add(docno)
        self._by_parent.setdefault(doc.get("category_parent") or "", set()).add(docno)
        if doc.get("category"):
            self._category_names[doc["category"]] = doc.get("category_name") or doc["category"]
        self._by_halal[bool(doc.get("halal"))].add(docno)
        merchant = doc.get("merchant") or {}
        self._by_kind.setdefault(merchant.get("kind") or "", set()).add(docno)
        if merchant.get("verified"):
            self._verified.add(docno)
        if (doc.get("stock") or 0) > 0:
            self._in_stock.add(docno)
        price = int(doc.get("price") or 0)
        self._price[docno] = price
        self._updated_at[docno] = doc.get("updated_at") or ""
        self._by_price_bucket[_bucket_of(price)].add(docno)
        self._price_sorted.add((price, docno))
        values = self._value_of
        values["region"][docno] = doc.get("region") or ""
        values["category"][docno] = doc.get("category") or ""
        values["halal"][docno] = bool(doc.get("halal"))
        values["kind"][docno] = merchant.get("kind") or ""
        values["price"][docno] = _bucket_of(price)
        small = (values["halal"][docno], values["kind"][docno], values["price"][docno])
        code = self._small_codes.get(small)
        if code is None:
            code = self._small_codes[small] = len(self._small_values)
            self._small_values.append(small)
        self._small_code[docno] = code
        pricing = self._pricing.get(doc_id)
        if pricing is not None:
            self._priced[docno] = (pricing, parse_time(pricing.get("valid_until")))
        self._newest = None
        return True

    def set_pricing(self, pricing: dict) -> bool:
        """Apply a ``promotion.pricing_changed`` payload unless a newer one is applied."""
        product_id = str(pricing["product_id"])
        known = self._pricing.get(product_id)
        if known is not None and int(known.get("version") or 0) > int(pricing.get("version") or 0):
            return False
        self._pricing[product_id] = pricing
        docno = self._docno.get(product_id)
        if docno is not None:
            self._priced[docno] = (pricing, parse_time(pricing.get("valid_until")))
        return True

    def pricing(self, product_id: str) -> dict | None:
        return self._pricing.get(str(product_id))

    def pricings(self) -> list[dict]:
        """Every pricing payload held, for indexed products and for those not indexed yet."""
        return list(self._pricing.values())

    def version(self, doc_id: str) -> int:
        """The highest version of ``doc_id`` applied so far, removals included (0: none)."""
        return self._versions.get(str(doc_id), 0)

    def versions(self) -> dict[str, int]:
        """A copy of ``version`` for every id seen (a reindex compares two of them)."""
        return dict(self._versions)

    def remove(self, doc_id: str, version: int | None = None) -> bool:
        """Remove ``doc_id`` at ``version`` (default: the version it has now)."""
        doc_id = str(doc_id)
        known = self._versions.get(doc_id, 0)
        if version is None:
            version = known
        if version < known:
            return False
        self._versions[doc_id] = version
        return self._unlink(doc_id)

    def _unlink(self, doc_id: str) -> bool:
        docno = self._docno.pop(doc_id, None)
        if docno is None:
            return False
        doc = self._docs.pop(docno)
        for term in self._terms.pop(docno):
            postings = self._postings[term]
            del postings[docno]
            self._ranked.pop(term, None)
            if not postings:
                del self._postings[term]
        self._total_length -= self._length.pop(docno)
        merchant = doc.get("merchant") or {}
        for sets, key in ((self._by_region, doc.get("region") or ""),
                          (self._by_category, doc.get("category") or ""),
                          (self._by_parent, doc.get("category_parent") or ""),
                          (self._by_kind, merchant.get("kind") or "")):
            members = sets.get(key)
            if members is not None:
                members.discard(docno)
                if not members:
                    del sets[key]
        self._by_halal[bool(doc.get("halal"))].discard(docno)
        self._verified.discard(docno)
        self._in_stock.discard(docno)
        price = self._price.pop(docno)
        del self._updated_at[docno]
        self._by_price_bucket[_bucket_of(price)].discard(docno)
        self._price_sorted.discard((price, docno))
        self._priced.pop(docno, None)
        for values in self._value_of.values():
            values.pop(docno, None)
        del self._small_code[docno]
        self._newest = None
        return True

    # -- reads -------------------------------------------------------------------
    def shows(self, documents: dict[str, int], pricings: dict[str, int]) -> bool:
        """Whether the index holds exactly these document and pricing versions (a store's
        state, ``snapshot.store_state``) and no document besides."""
        if any(self._versions.get(doc_id) != version for doc_id, version in documents.items()):
            return False
        if any(doc_id not in documents for doc_id in self._docno):
            return False
        if len(self._pricing) != len(pricings):
            return False
        return all(int((self._pricing.get(product_id) or {}).get("version") or 0) == version
                   for product_id, version in pricings.items())

    def count(self) -> int:
        return len(self._docs)

    def get(self, doc_id: str) -> dict | None:
        docno = self._docno.get(str(doc_id))
        return None if docno is None else self._docs[docno]

    def documents(self) -> list[dict]:
        return list(self._docs.values())

    def _active_pricing(self, now: float):
        """(docno, pricing) of indexed products whose pricing has not expired."""
        for docno, (pricing, until) in self._priced.items():
            if until is None or until > now:
                yield docno, pricing

    def search(self, query: SearchQuery) -> SearchResult:
        now = time.time()
        end = query.offset + query.per_page
        plan = None
        matches = None  # None: every document
        relaxed = False
        groups: list[list[tuple[dict[int, int], float]]] = []
        if (query.q or "").strip():
            plan = plan_query(query.q, self.vocabulary)
            groups, matches, relaxed = self._text_matches(plan)
            if not groups:
                return SearchResult(total=0, items=[], facets=self._facets(set(), {}, now))  # only stopwords
        filters = self._filter_sets(query, matches, now)
        selected = _intersect([matches] + list(filters.values()))
        total = len(self._docs) if selected is None else len(selected)
        facets = self._facets(matches, filters, now, selected)
        docnos = self._order(query, plan, groups, selected, end, now, relaxed)[query.offset:end]
        terms = {alt.term for group in plan.groups for alt in group} if plan else set()
        items = [self._item(docno, terms, now) for docno in docnos]
        suggestion = None
        if plan is not None and plan.corrected and total:
            typed_total = self._typed_total(query, now)
            suggestion = did_you_mean(query.q, plan.corrected, typed_total, total, self._knows_word)
        return SearchResult(total=total, items=items, facets=facets, suggestion=suggestion)

    def _text_matches(self, plan, widen: bool = True) -> tuple[list, set | None, bool]:
        """The plan's groups of (postings, weight), the documents they match: those that
        cover the plan's minimum of its deciding groups (``QueryPlan.matching``), and when
        fewer than FEW_MATCHES do, those that cover one concept fewer
        (``QueryPlan.partial_matching``; ranked after them), or if none, any of them, or if
        the words find nothing, the query's places (``QueryPlan.places``); and whether the match was relaxed
        (not every deciding group required), so that documents may differ in what they cover.
        Without ``widen``, only those that cover the minimum (what the words as typed find)."""
        groups = [[(self._postings[alt.term], self._weight(alt, group)) for alt in group if alt.term in self._postings]
                  for group in plan.groups]
        deciding, need = plan.matching()
        group_sets = [self._group_docs(groups[index]) for index in deciding]
        if not group_sets:
            return [], set(), False
        relaxed = need < len(group_sets)
        if not relaxed:
            matches = _intersect(group_sets)
        else:
            covered = Counter(docno for docs in group_sets for docno in docs)
            matches = {docno for docno, count in covered.items() if count >= need}
        if not widen:
            return groups, matches, relaxed
        if len(matches) < FEW_MATCHES and len(group_sets) > 1:
            # Too few cover the minimum: partial matches follow them (coverage ranks).
            _deciding, partial_need, naming = plan.partial_matching()
            if partial_need < need and naming:
                covered = Counter(docno for docs in group_sets for docno in docs)
                named = set().union(*(self._group_docs(groups[index]) for index in naming))
                matches = {docno for docno, count in covered.items() if count >= partial_need and docno in named}
                relaxed = True
            if not matches:  # still nothing: any of them
                matches = set().union(*group_sets)
                relaxed = True
        places = plan.places()
        if not matches and places and places != deciding:
            # the words find nothing: the place the buyer named, rather than nothing
            matches = set().union(*(self._group_docs(groups[index]) for index in places))
            relaxed = True
        return groups, matches, relaxed

    def _weight(self, alternative, group) -> float:
        """An alternative's weight; an item of a family (a hypernym) is also capped near the
        family word itself: a rare item ("susu") has a high idf, and without the cap a listing
        of it would outrank one that says what the buyer typed. A family's name head scores as
        a term of idf ``FAMILY_HEAD_IDF`` (Elasticsearch: a constant score)."""
        if alternative.kind == "head" or name_term_of(alternative.term) is not None:
            return alternative.weight * FAMILY_HEAD_IDF / self._idf(len(self._postings[alternative.term]))
        if alternative.kind not in ("hypernym", "category"):
            return alternative.weight
        head = self._postings.get(group[0].term)
        item = self._postings[alternative.term]
        if not head:
            return alternative.weight
        # The square root softens the cap: a family word that many descriptions say in passing
        # ("dapur" in "dibuat di dapur rumahan") has a low idf, and a full cap would rank every
        # such listing above the family's items.
        return alternative.weight * min(1.0, (self._idf(len(head)) / self._idf(len(item))) ** 0.5)

    def _idf(self, df: int) -> float:
        n = len(self._docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _typed_total(self, query: SearchQuery, now: float) -> int:
        """How many results the words as typed find, without typo corrections and without
        partial matches (same filters; Elasticsearch's first request counts the same)."""
        groups, matches, _relaxed = self._text_matches(plan_query(query.q), widen=False)
        if not groups:
            return 0
        selected = _intersect([matches] + list(self._filter_sets(query, matches, now).values()))
        return len(self._docs) if selected is None else len(selected)

    def _knows_word(self, word: str) -> bool:
        return all(term in self._postings for term in query_terms(word))

    @staticmethod
    def _group_docs(alternatives: list[tuple[dict[int, int], float]]):
        if len(alternatives) == 1:
            return alternatives[0][0].keys()
        docs: set[int] = set()
        for postings, _weight in alternatives:
            docs.update(postings.keys())
        return docs

    def _item(self, docno: int, terms: set[str], now: float) -> dict:
        doc = self._docs[docno]
        priced = self._priced.get(docno)
        pricing = None
        if priced is not None and (priced[1] is None or priced[1] > now):
            pricing = priced[0]
        item = dict(doc)
        item.update(pricing_view(doc, pricing, now))
        item["highlight"] = highlight(doc, terms, _analyze_word)
        return item

    # -- filters and facets ----------------------------------------------------------
    def _filter_sets(self, query: SearchQuery, matches, now: float) -> dict[str, set[int]]:
        """One set of document numbers per active filter."""
        filters: dict[str, set[int]] = {}
        if query.region:
            filters["region"] = self._by_region.get(query.region, set())
        if query.category:
            filters["category"] = self._by_category.get(query.category) or self._by_parent.get(query.category) or set()
        if query.min_price is not None or query.max_price is not None:
            filters["price"] = self._price_set(query.min_price, query.max_price, matches, now)
        if query.halal is not None:
            filters["halal"] = self._by_halal[query.halal]
        if query.kind:
            filters["kind"] = self._by_kind.get(query.kind, set())
        if query.verified:
            filters["verified"] = self._verified
        if query.in_stock:
            filters["in_stock"] = self._in_stock
        if query.on_promo:
            filters["on_promo"] = {docno for docno, pricing in self._active_pricing(now)
                                   if pricing.get("promoted") or (pricing.get("discount_percent") or 0) > 0
                                   or int(pricing["effective_price"]) < self._price[docno]}
        return filters

    def _price_set(self, low: int | None, high: int | None, matches, now: float) -> set[int]:
        """Documents whose effective price is within [low, high]."""
        low = 0 if low is None else low
        high = math.inf if high is None else high
        start = self._price_sorted.bisect_left((low, -1))
        stop = self._price_sorted.bisect_right((high, math.inf))
        if matches is not None and len(matches) < stop - start:
            price = self._price
            result = {docno for docno in matches if low <= price[docno] <= high}
        else:
            result = {docno for _price, docno in self._price_sorted.islice(start, stop)}
        for docno, pricing in self._active_pricing(now):
            if low <= int(pricing["effective_price"]) <= high:
                if matches is None or docno in matches:
                    result.add(docno)
            else:
                result.discard(docno)
        return result

    def _facets(self, matches, filters: dict[str, set[int]], now: float, selected=None) -> dict:
        """Counts per facet value; each facet respects the active filters but its own."""
        if matches is not None and not matches:
            empty = set()
            bases = {name: empty for name in FACET_FILTERS}
        else:
            if selected is not None and not isinstance(selected, set):
                selected = set(selected)  # a postings view: as a set, each count walks the smaller side
            bases = {}
            for name in FACET_FILTERS:
                if name in filters:
                    base = _intersect([matches] + [s for other, s in filters.items() if other != name])
                    bases[name] = base if base is None or isinstance(base, set) else set(base)
                else:
                    bases[name] = selected
        known = self._small_facet_counts(bases)
        return {
            "region": [{"value": code, "label": REGIONS.get(code, code), "count": count}
                       for code, count in self._counts("region", self._by_region, bases["region"], known)],
            "category": [{"value": slug, "label": self._category_names.get(slug, slug), "count": count}
                         for slug, count in self._counts("category", self._by_category, bases["category"], known)],
            "price": self._price_facet(bases["price"], now, known),
            "halal": [{"value": value, "label": HALAL_LABELS[value], "count": count}
                      for value, count in self._counts("halal", self._by_halal, bases["halal"], known)],
            "kind": [{"value": kind, "label": KINDS.get(kind, kind), "count": count}
                     for kind, count in self._counts("kind", self._by_kind, bases["kind"], known)],
        }

    SMALL_FACETS = ("halal", "kind", "price")  # the order of a _small_values entry

    def _small_facet_counts(self, bases: dict) -> dict[str, Counter]:
        """The halal, kind and price counts in one walk over their base (the same documents when
        no filter of theirs is active), when that touches fewer entries than their set
        intersections; else {} (each is counted on its own, ``_raw_counts``)."""
        base = bases["halal"]
        if base is None or bases["kind"] is not base or bases["price"] is not base:
            return {}
        sets = (*self._by_halal.values(), *self._by_kind.values(), *self._by_price_bucket)
        if len(base) >= sum(min(len(members), len(base)) for members in sets):
            return {}
        counts: dict[str, Counter] = {name: Counter() for name in self.SMALL_FACETS}
        halal, kind, price = counts.values()
        for code, count in Counter(map(self._small_code.__getitem__, base)).items():
            halal_value, kind_value, bucket = self._small_values[code]
            halal[halal_value] += count
            kind[kind_value] += count
            price[bucket] += count
        return counts

    def _raw_counts(self, name: str, sets: dict, base, known: dict | None = None) -> dict:
        """value -> number of documents of ``base`` with it: by set intersections, or by one
        walk over ``base`` when that touches fewer entries (a broad query); ``known``: counts
        already made (``_small_facet_counts``)."""
        if known and name in known:
            return known[name]
        if base is None:
            return {value: len(members) for value, members in sets.items()}
        intersect_cost = sum(min(len(members), len(base)) for members in sets.values())
        if len(base) < intersect_cost:
            return Counter(map(self._value_of[name].__getitem__, base))
        return {value: len(base & members) for value, members in sets.items()}

    def _counts(self, name: str, sets: dict, base, known: dict | None = None) -> list[tuple]:
        counts = [(value, count) for value, count in self._raw_counts(name, sets, base, known).items()
                  if value != "" and count]
        counts.sort(key=lambda pair: (-pair[1], str(pair[0])))
        return counts

    def _price_facet(self, base, now: float, known: dict | None = None) -> list[dict]:
        raw = self._raw_counts("price", dict(enumerate(self._by_price_bucket)), base, known)
        counts = [raw.get(number, 0) for number in range(len(PRICE_BUCKETS))]
        # Move products with an active pricing to the bucket of their effective price.
        for docno, pricing in self._active_pricing(now):
            if base is not None and docno not in base:
                continue
            normal = _bucket_of(self._price[docno])
            effective = _bucket_of(int(pricing["effective_price"]))
            if normal != effective:
                counts[normal] -= 1
                counts[effective] += 1
        return [{"min": low, "max": high, "label": price_bucket_label(low, high), "count": count}
                for (low, high), count in zip(PRICE_BUCKETS, counts)]

    # -- ordering ----------------------------------------------------------------------
    def _order(self, query: SearchQuery, plan, groups, selected, end: int, now: float,
               relaxed: bool = False) -> list[int]:
        """The first ``end`` document numbers of ``selected`` in the order asked for."""
        if selected is not None and not selected:
            return []
        if query.sort in ("price_asc", "price_desc"):
            return self._by_price(selected, end, now, query.sort == "price_desc", query.min_price, query.max_price)
        if query.sort == "discount":
            discounted = sorted(
                ((-(pricing.get("discount_percent") or 0), self._docs[docno]["id"], docno)
                 for docno, pricing in self._active_pricing(now)
                 if (pricing.get("discount_percent") or 0) > 0 and (selected is None or docno in selected)))
            first = [docno for _d, _id, docno in discounted[:end]]
            if len(first) >= end:
                return first
            rest_set = set(self._docs) if selected is None else set(selected)
            rest_set.difference_update(docno for _d, _id, docno in discounted)
            return first + self._relevance(plan, groups, rest_set, end - len(first), now, relaxed)
        if query.sort == "newest" or plan is None:
            return self._newest_first(selected, end)
        return self._relevance(plan, groups, selected, end, now, relaxed)

    def _relevance(self, plan, groups, selected, end: int, now: float, relaxed: bool = False) -> list[int]:
        if plan is None:
            return self._newest_first(selected, end)
        counted_indexes = set(plan.counted())
        present = [alternatives for alternatives in groups if alternatives]
        counted: list[bool] | None = [index in counted_indexes for index, alternatives in enumerate(groups)
                                      if alternatives]
        if not plan.coverage_ranks(relaxed):
            counted = None  # every counted group was required: coverage is the same for all
        multipliers = self._multipliers(plan, selected, now)
        if len(present) == 1 and not plan.region_hint:
            # One group: a document scores its best alternative, so the first ``end`` of the
            # group are among the first ``end`` of each alternative's ranked list (kept sorted
            # by score): a common word, or a family of many items, costs a few slices instead
            # of scoring every document that has any of them.
            alone = len(present[0]) == 1  # then the selected documents are a subset of its postings
            picked_by_alternative = [self._first_selected(self._ranked_list(self._term_of(plan, postings), postings),
                                                          postings if alone else None, selected, end)
                                     for postings, _weight in present[0]]
            if alone and present[0][0][1] == 1.0 and not multipliers:
                return picked_by_alternative[0]
            # Promoted products (few) may move up by their bounded boost: rescore them with
            # the best plain ones.
            candidates = set().union(*picked_by_alternative) | set(multipliers)
            scored = self._scored(candidates, present, multipliers)
            return [scored_doc[-1] for scored_doc in heapq.nlargest(end, scored)]
        if selected is None:
            selected = self._docs.keys()
        if counted is not None and len(present) > 1 and sum(counted) > 1:
            # Covering more concepts ranks first: when enough documents cover every counted
            # group, the page is made of them alone, and nothing else needs a score.
            full = _intersect([self._group_docs(group) for group, counts in zip(present, counted) if counts])
            if full is not None and len(full) < len(selected):
                full = full & selected if isinstance(selected, set) else {d for d in full if d in selected}
                if len(full) >= end:
                    selected = full
        scored = self._scored(selected, present, multipliers, counted)
        return [scored_doc[-1] for scored_doc in heapq.nlargest(end, scored)]

    @staticmethod
    def _first_selected(ranked: list[int], postings, selected, end: int) -> list[int]:
        """The first ``end`` documents of ``ranked`` that are in ``selected``; ``postings`` (or
        None) is a set ``selected`` is known to be a subset of."""
        if selected is None or (postings is not None and len(selected) == len(postings)):
            return ranked[:end]
        picked = []
        for docno in ranked:
            if docno in selected:
                picked.append(docno)
                if len(picked) >= end:
                    break
        return picked

    def _term_of(self, plan, postings) -> str:
        for group in plan.groups:
            for alt in group:
                if self._postings.get(alt.term) is postings:
                    return alt.term
        raise LookupError("term not in plan")

    def _ranked_list(self, term: str, postings: dict[int, int]) -> list[int]:
        ranked = self._ranked.get(term)
        if ranked is None:
            # idf is the same for every document of one term, so the order only depends on
            # tf and length; a later change of the average length barely moves it.
            ranked = [scored[-1] for scored in sorted(self._scored(postings.keys(), [[(postings, 1.0)]], {}),
                                                      reverse=True)]
            self._ranked[term] = ranked
        return ranked

    def _multipliers(self, plan, selected, now: float) -> dict[int, float]:
        """docno -> relevance multiplier: the bounded promotion boost and the region hint,
        only for documents already selected (a boost never adds a document)."""
        multipliers: dict[int, float] = {}
        for docno, pricing in self._active_pricing(now):
            if pricing.get("promoted") and (selected is None or docno in selected):
                share = min(1.0, max(0.0, float(pricing.get("boost") or 0.0)))
                if share > 0:
                    multipliers[docno] = 1.0 + MAX_PROMOTION_BOOST * share
        if plan.region_hint:
            for docno in self._by_region.get(plan.region_hint, ()):
                if selected is None or docno in selected:
                    multipliers[docno] = multipliers.get(docno, 1.0) * (1.0 + REGION_HINT_BOOST)
        return multipliers

    def _by_price(self, selected, end: int, now: float, descending: bool, low: int | None = None,
                  high: int | None = None) -> list[int]:
        """The first ``end`` of ``selected`` by effective price, products of one price by id
        ascending (as Elasticsearch sorts them): every replica pages through a tie alike,
        whatever order it indexed the products in."""
        effective = {docno: int(pricing["effective_price"]) for docno, pricing in self._active_pricing(now)
                     if selected is None or docno in selected}
        docs = self._docs
        sign = -1 if descending else 1
        if selected is not None and len(selected) <= 2000:
            price = self._price
            keys = [(sign * effective.get(docno, price[docno]), docs[docno]["id"], docno) for docno in selected]
            return [docno for _p, _id, docno in heapq.nsmallest(end, keys)]
        # Walk the normal-price list (skipping products with a pricing), then merge those in.
        picked = []
        # Products without a pricing are selected by their normal price: walk only that range.
        start = self._price_sorted.bisect_left((0 if low is None else low, -1))
        stop = self._price_sorted.bisect_right((math.inf if high is None else high, math.inf))
        for price, docno in self._price_sorted.islice(start, stop, reverse=descending):
            if docno in effective or (selected is not None and docno not in selected):
                continue
            if len(picked) >= end and sign * price != picked[-1][0]:
                # Past the last price taken: the whole tie at it is in, to be ordered by id (a
                # page that cuts a tie of T products walks all T of them).
                break
            picked.append((sign * price, docs[docno]["id"], docno))
        merged = sorted(picked + [(sign * p, docs[d]["id"], d) for d, p in effective.items()])
        return [docno for _p, _id, docno in merged[:end]]

    def _scored(self, matches: Iterable[int], groups: list[list[tuple[dict[int, int], float]]],
                multipliers: dict[int, float], counted: list[bool] | None = None):
        """(score, updated_at, docno) per match: BM25 with weighted term frequencies; within
        a group the best alternative counts, scaled by its weight. With ``counted`` (per
        group: whether its coverage ranks) and more than one group, (covered groups, score,
        updated_at, docno): a document that covers more of the query's concepts comes first,
        BM25 orders the rest."""
        by_coverage = counted is not None and len(groups) > 1
        n = len(self._docs)
        avgdl = (self._total_length / n) if n else 1.0
        weighted = [([(p, weight * self._idf(len(p))) for p, weight in alternatives if p], counts)
                    for alternatives, counts in zip(groups, counted if by_coverage else [False] * len(groups))]
        weighted = [(group, counts) for group, counts in weighted if group]
        length = self._length
        updated_at = self._updated_at
        norm_a = K1 * (1 - B)
        norm_b = K1 * B / (avgdl or 1.0)
        singles = [(*group[0], counts) for group, counts in weighted if len(group) == 1]
        multiples = [(group, counts) for group, counts in weighted if len(group) > 1]
        k1_plus_1 = K1 + 1
        if len(singles) == 2 and not multiples and not multipliers and not by_coverage:
            # The common two-word query, unrolled.
            (first, idf1, _c1), (second, idf2, _c2) = singles
            first_get, second_get = first.get, second.get
            for docno in matches:
                norm = norm_a + norm_b * length[docno]
                score = 0.0
                tf = first_get(docno)
                if tf:
                    score += idf1 * tf * k1_plus_1 / (tf + norm)
                tf = second_get(docno)
                if tf:
                    score += idf2 * tf * k1_plus_1 / (tf + norm)
                yield round(score, 9), updated_at[docno], docno
            return
        for docno in matches:
            norm = norm_a + norm_b * length[docno]
            score = 0.0
            covered = 0
            for term_postings, idf, counts in singles:
                tf = term_postings.get(docno)
                if tf:
                    score += idf * tf * k1_plus_1 / (tf + norm)
                    covered += counts
            for group, counts in multiples:
                best = 0.0
                for term_postings, idf in group:
                    tf = term_postings.get(docno)
                    if tf:
                        value = idf * tf * k1_plus_1 / (tf + norm)
                        if value > best:
                            best = value
                if best:
                    score += best
                    covered += counts
            if multipliers:
                score *= multipliers.get(docno, 1.0)
            if by_coverage:
                yield covered, round(score, 9), updated_at[docno], docno
            else:
                yield round(score, 9), updated_at[docno], docno

    def _newest_first(self, selected, end: int) -> list[int]:
        docs = self._docs
        if selected is not None and len(selected) <= 2000:
            return heapq.nlargest(end, selected, key=lambda d: (docs[d].get("updated_at") or "", docs[d]["id"]))
        if self._newest is None:
            self._newest = sorted(
                docs, key=lambda d: (docs[d].get("updated_at") or "", docs[d]["id"]), reverse=True
            )
        if selected is None:
            return self._newest[:end]
        picked: list[int] = []
        for docno in self._newest:
            if docno in selected:
                picked.append(docno)
                if len(picked) >= end:
                    break
        return picked


# Product ids whose stored rows a follower loads and shows at a time.
FOLLOW_CHUNK = 1000


def _pricing_version(pricing: dict | None) -> int:
    return -1 if pricing is None else int(pricing.get("version") or 0)


class EmbeddedEngine:
    """The default engine. ``session_factory`` opens sessions on the search database;
    ``snapshot_path`` is where the index's snapshot lives ("default": beside the store, see
    ``snapshot.default_path``; None: no snapshot). With ``change_log`` every change it stages
    is also appended to ``search_changes``, and ``catch_up`` shows the changes other
    instances (replicas) on the store logged; all instances on one store must agree on it."""

    def __init__(self, session_factory: sessionmaker[Session], snapshot_path: Path | str | None = "default",
                 change_log: bool = False):
        self.session_factory = session_factory
        self.index = MemoryIndex()
        self.change_log = change_log
        self.applied_seq = 0  # the last change-log seq this index shows (catch_up)
        if snapshot_path == "default":
            self.snapshot_path = snapshot.default_path(session_factory)
        else:
            self.snapshot_path = None if snapshot_path is None else Path(snapshot_path)

    def start(self) -> None:
        """Load the memory index from its snapshot if that shows exactly what the store holds
        now, else (re)build it from ``search_documents`` and write a snapshot of it; then
        apply what other replicas logged meanwhile."""
        seq = self._log_position()  # before the load: what commits during it is followed after
        if self.snapshot_path is None or not self._load_snapshot():
            self.index = self._build()
            self.save_snapshot()
        self.applied_seq = seq
        if self.change_log:
            self.catch_up()

    def _log_position(self) -> int:
        if not self.change_log:
            return 0
        with self.session_factory() as session:
            return changes.last_seq(session)

    def reload(self) -> None:
        """Rebuild the whole index from the store (a follower behind the pruned log)."""
        seq = self._log_position()
        started = time.perf_counter()
        index = self._build()
        self.index = index  # searches used the old index during the build
        self.applied_seq = seq
        log.warning("search index reloaded from the store: %d documents in %.2f s (the change log "
                    "was pruned or rewritten past this replica)", index.count(), time.perf_counter() - started)

    def catch_up(self, page_size: int = 50) -> int:
        """Show every change logged after ``applied_seq`` (in pages of ``page_size`` log
        rows, one per writing transaction); how many log rows were read. A no-op without the
        change log."""
        if not self.change_log:
            return 0
        total = 0
        while True:
            read = self.follow_page(page_size)
            total += read
            if read < page_size:
                return total
            eventlet.sleep(0)  # a long backlog must not starve searches

    def follow_page(self, page_size: int) -> int:
        """Apply one page of the change log: load the current stored rows of its ids and show
        them (ids this index already shows at the stored version are skipped: its own writes).
        Reloads the whole index when the log was pruned past ``applied_seq``."""
        with self.session_factory() as session:
            rows = changes.read_after(session, self.applied_seq, page_size)
            # Read after the rows: a prune committed before the rows were read shows here.
            if self.applied_seq < changes.pruned_through(session):
                session.close()
                self.reload()
                return 0
            if not rows:
                return 0
            ids = sorted({product_id for _seq, product_ids in rows for product_id in product_ids})
            for start in range(0, len(ids), FOLLOW_CHUNK):  # bounded memory: a row may name an import's ids
                self._show_stored(session, ids[start:start + FOLLOW_CHUNK])
        self.applied_seq = rows[-1][0]
        return len(rows)

    def _show_stored(self, session: Session, ids: list[str]) -> None:
        index = self.index
        documents = SearchDocument.__table__
        pricings = SearchPricing.__table__
        stored = dict(select_in(session, documents, ("id", "version"), "id", ids))
        priced = dict(select_in(session, pricings, ("product_id", "version"), "product_id", ids))
        # What this index does not show at the stored version yet.
        stale = [doc_id for doc_id, version in stored.items()
                 if index.version(doc_id) != version or index.get(doc_id) is None]
        repriced = [product_id for product_id, version in priced.items()
                    if _pricing_version(index.pricing(product_id)) != version]
        loaded = dict(select_in(session, documents, ("id", "document"), "id", stale))
        new_pricing = dict(select_in(session, pricings, ("product_id", "pricing"), "product_id", repriced))
        # No I/O from here on: the index changes as one step for the other green threads (and
        # it is the index searches use now: a re-index may have swapped it during the reads).
        index = self.index
        for doc_id in ids:
            if doc_id in loaded:
                index.put(json.loads(loaded[doc_id]))
            elif doc_id not in stored:
                index.remove(doc_id)
            if doc_id in new_pricing:
                index.set_pricing(json.loads(new_pricing[doc_id]))

    def prune_log(self, keep: int) -> int:
        """Delete log rows older than the newest ``keep`` (one bounded step); how many went."""
        if not self.change_log:
            return 0
        with self.session_factory() as session:
            deleted = changes.prune(session, keep)
            session.commit()
        return deleted

    def stop(self) -> None:
        """A clean stop (no worker running): keep a snapshot for the next start."""
        self.save_snapshot()

    def _load_snapshot(self) -> bool:
        started = time.perf_counter()
        with self.session_factory() as session:
            state = snapshot.store_state(session)
        loaded, why = snapshot.read(self.snapshot_path, state)
        if loaded is not None:
            try:
                self.index = MemoryIndex.from_snapshot_state(loaded)
            except ValueError as exc:
                why = str(exc)
            else:
                log.info("search index loaded from %s: %d documents in %.2f s", self.snapshot_path,
                         self.index.count(), time.perf_counter() - started)
                return True
        log.log(logging.INFO if why == "no snapshot" else logging.WARNING,
                "search index snapshot %s not used (%s): building from the store", self.snapshot_path, why)
        return False

    def _build(self) -> MemoryIndex:
        index = MemoryIndex()
        with self.session_factory() as session:
            rows = session.execute(select(SearchDocument.document).execution_options(yield_per=1000))
            for n, (document,) in enumerate(rows, 1):
                index.put(json.loads(document))
                if n % 1000 == 0:
                    eventlet.sleep(0)  # a big load must not starve other green threads
            for (pricing,) in session.execute(select(SearchPricing.pricing)):
                index.set_pricing(json.loads(pricing))
        return index

    def save_snapshot(self) -> bool:
        """Write the index's snapshot if the index shows exactly what the store holds now
        (a change committed but not applied yet, or applied after the read, skips it)."""
        if self.snapshot_path is None:
            return False
        try:
            with self.session_factory() as session:
                state = snapshot.store_state(session)
            # No green thread switch from here to the end of the pickling: the index
            # cannot change between the check and the copy.
            index = self.index
            if not index.shows(*state):
                log.warning("search index snapshot not written: the index differs from the store")
                return False
            started = time.perf_counter()
            snapshot.write(self.snapshot_path, index, state)
        except Exception:
            log.exception("search index snapshot not written to %s", self.snapshot_path)
            return False
        log.info("search index snapshot written to %s in %.2f s", self.snapshot_path, time.perf_counter() - started)
        return True

    def stage(self, session: Session, change: Change) -> None:
        store_documents(session, change.upserts)
        remove_documents(session, change.removals)
        store_pricings(session, change.pricings)
        if self.change_log:
            changes.record(session, changes.touched_ids(change))  # last: it serializes the log's writers

    def apply(self, change: Change) -> None:
        for doc in change.upserts:
            self.index.put(doc)
        for removal in change.removals:
            self.index.remove(removal.id, removal.version)
        for pricing in change.pricings:
            self.index.set_pricing(pricing)

    def set_pricing(self, pricings: Iterable[dict]) -> None:
        """Store and show pricing payloads (tools and tests; events go through the indexer)."""
        self._stage_and_apply(Change(pricings=list(pricings)))

    def upsert(self, docs: Iterable[dict]) -> None:
        self._stage_and_apply(Change(upserts=list(docs)))

    def delete(self, ids: Iterable[str]) -> None:
        # No version: an explicit delete wins over whatever is stored now.
        self._stage_and_apply(Change(removals=[Removal(id=str(doc_id), version=None) for doc_id in ids]))

    def _stage_and_apply(self, change: Change) -> None:
        with self.session_factory() as session:
            self.stage(session, change)
            session.commit()
        self.apply(change)

    def search(self, query: SearchQuery) -> SearchResult:
        return self.index.search(query)

    def count(self) -> int:
        return self.index.count()
