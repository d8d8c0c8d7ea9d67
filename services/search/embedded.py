"""The embedded search engine: no server, documents in the search database, an inverted
index in memory.

- ``search_documents`` (SQLite or PostgreSQL) is the durable copy, written in the
  consumer's transaction; ``start()`` rebuilds the memory index from it.
- ``MemoryIndex`` answers queries: BM25 over analysed fields with per-field weights,
  AND semantics with a fallback to OR when AND finds nothing, region filter, paging.

All index mutations are plain Python without I/O, so under eventlet they are atomic
with respect to other green threads; every change carries its aggregate version, so
two workers that commit in one order and apply in the other still converge.
"""
from __future__ import annotations

import heapq
import json
import math
from typing import Iterable

import eventlet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.search.analysis import analyze, query_terms
from services.search.engine import Change, Removal, SearchQuery, SearchResult
from services.search.models import SearchDocument

# Field weights (integers keep posting values small and unboxed). The name matters most.
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


def _field_text(doc: dict, name: str) -> str:
    if name == "merchant_name":
        return (doc.get("merchant") or {}).get("name") or ""
    return doc.get(name) or ""


def weighted_terms(doc: dict) -> dict[str, int]:
    """term -> weighted term frequency over the searchable fields of ``doc``."""
    terms: dict[str, int] = {}
    for field_name, weight in FIELD_WEIGHTS:
        for term in analyze(_field_text(doc, field_name)):
            terms[term] = terms.get(term, 0) + weight
    return terms


class MemoryIndex:
    """An inverted index of search documents, kept only in memory."""

    def __init__(self):
        self._next = 0
        self._docno: dict[str, int] = {}  # product id -> internal number
        self._docs: dict[int, dict] = {}
        self._terms: dict[int, dict[str, int]] = {}  # what to unlink on removal
        self._length: dict[int, int] = {}
        self._total_length = 0
        self._postings: dict[str, dict[int, int]] = {}
        self._by_region: dict[str, set[int]] = {}
        # Highest version seen per id, removals included (a tombstone for late writers).
        self._versions: dict[str, int] = {}
        self._newest: list[int] | None = None  # cache for empty queries, reset on change
        self._ranked: dict[str, list[int]] = {}  # term -> docnos by score, reset on change

    # -- changes -----------------------------------------------------------------
    def put(self, doc: dict) -> bool:
        """Index ``doc`` unless a newer version (or removal) of it is already applied."""
        doc_id = str(doc["id"])
        version = int(doc.get("version") or 0)
        if version < self._versions.get(doc_id, 0):
            return False
        self._unlink(doc_id)
        self._versions[doc_id] = version
        docno = self._next
        self._next += 1
        terms = weighted_terms(doc)
        self._docno[doc_id] = docno
        self._docs[docno] = doc
        self._terms[docno] = terms
        length = sum(terms.values())
        self._length[docno] = length
        self._total_length += length
        for term, tf in terms.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = {}
            postings[docno] = tf
            self._ranked.pop(term, None)
        self._by_region.setdefault(doc.get("region") or "", set()).add(docno)
        self._newest = None
        return True

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
        region_docs = self._by_region.get(doc.get("region") or "")
        if region_docs is not None:
            region_docs.discard(docno)
        self._newest = None
        return True

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        return len(self._docs)

    def get(self, doc_id: str) -> dict | None:
        docno = self._docno.get(str(doc_id))
        return None if docno is None else self._docs[docno]

    def documents(self) -> list[dict]:
        return list(self._docs.values())

    def search(self, query: SearchQuery) -> SearchResult:
        end = query.offset + query.per_page
        region_docs = None
        if query.region:
            region_docs = self._by_region.get(query.region, set())
        if not (query.q or "").strip():
            return self._newest_first(region_docs, query.offset, end)
        terms = query_terms(query.q)
        if not terms:
            return SearchResult(total=0, items=[])  # only stopwords or punctuation
        postings = [self._postings.get(term) or {} for term in terms]
        present = [(term, p) for term, p in zip(terms, postings) if p]
        if len(present) == 1:
            # One word that the index knows (any other word matches nothing, so AND falls
            # back to this one): the ranked-list fast path.
            term, term_postings = present[0]
            return self._single_term(term, term_postings, region_docs, query.offset, end)
        matches = self._match_all(postings, region_docs)
        if not matches and len(present) > 1:
            # Nothing has every word: show what has some of them, best first.
            matches = self._match_any(postings, region_docs)
        ranked = heapq.nlargest(end, self._scored(matches, postings))
        items = [self._docs[docno] for _score, _updated, docno in ranked[query.offset:end]]
        return SearchResult(total=len(matches), items=items)

    def _single_term(self, term: str, postings: dict[int, int], region_docs: set[int] | None,
                     start: int, end: int) -> SearchResult:
        """A one-word query reads a per-term list kept sorted by score, so a common word
        costs a slice instead of scoring every document that has it."""
        ranked = self._ranked.get(term)
        if ranked is None:
            # idf is the same for every document of one term, so the order only depends on
            # tf and length; a later change of the average length barely moves it.
            ranked = [docno for _s, _u, docno in sorted(self._scored(postings.keys(), [postings]), reverse=True)]
            self._ranked[term] = ranked
        if region_docs is None:
            return SearchResult(total=len(ranked), items=[self._docs[d] for d in ranked[start:end]])
        picked: list[int] = []
        for docno in ranked:
            if docno in region_docs:
                picked.append(docno)
                if len(picked) >= end:
                    break
        total = len(region_docs.intersection(postings.keys()))
        return SearchResult(total=total, items=[self._docs[d] for d in picked[start:end]])

    def _match_all(self, postings: list[dict[int, int]], region_docs: set[int] | None) -> set[int]:
        ordered = sorted(postings, key=len)
        if not ordered[0]:
            return set()
        matches = set(ordered[0])
        for other in ordered[1:]:
            matches.intersection_update(other.keys())
            if not matches:
                return matches
        if region_docs is not None:
            matches &= region_docs
        return matches

    def _match_any(self, postings: list[dict[int, int]], region_docs: set[int] | None) -> set[int]:
        matches: set[int] = set()
        for term_postings in postings:
            matches.update(term_postings.keys())
        if region_docs is not None:
            matches &= region_docs
        return matches

    def _scored(self, matches: Iterable[int], postings: list[dict[int, int]]):
        """(score, updated_at, docno) per match: BM25 with weighted term frequencies."""
        n = len(self._docs)
        avgdl = (self._total_length / n) if n else 1.0
        idfs = [math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for p in postings]
        pairs = [(p, idf) for p, idf in zip(postings, idfs) if p]
        length = self._length
        docs = self._docs
        norm_a = K1 * (1 - B)
        norm_b = K1 * B / (avgdl or 1.0)
        for docno in matches:
            norm = norm_a + norm_b * length[docno]
            score = 0.0
            for term_postings, idf in pairs:
                tf = term_postings.get(docno)
                if tf:
                    score += idf * tf * (K1 + 1) / (tf + norm)
            yield round(score, 9), docs[docno].get("updated_at") or "", docno

    def _newest_first(self, region_docs: set[int] | None, start: int, end: int) -> SearchResult:
        if self._newest is None:
            docs = self._docs
            self._newest = sorted(
                docs, key=lambda d: (docs[d].get("updated_at") or "", docs[d]["id"]), reverse=True
            )
        if region_docs is None:
            return SearchResult(total=len(self._newest), items=[self._docs[d] for d in self._newest[start:end]])
        picked: list[int] = []
        for docno in self._newest:
            if docno in region_docs:
                picked.append(docno)
                if len(picked) >= end:
                    break
        return SearchResult(total=len(region_docs), items=[self._docs[d] for d in picked[start:end]])


def _store_upsert(session: Session, doc: dict) -> None:
    version = int(doc.get("version") or 0)
    row = session.get(SearchDocument, str(doc["id"]))
    if row is None:
        session.add(SearchDocument(
            id=str(doc["id"]), version=version, region=doc.get("region") or "",
            document=json.dumps(doc, ensure_ascii=False),
        ))
    elif row.version <= version:
        row.version = version
        row.region = doc.get("region") or ""
        row.document = json.dumps(doc, ensure_ascii=False)


def _store_remove(session: Session, removal: Removal) -> None:
    row = session.get(SearchDocument, removal.id)
    if row is not None and (removal.version is None or row.version <= removal.version):
        session.delete(row)


class EmbeddedEngine:
    """The default engine. ``session_factory`` opens sessions on the search database."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory
        self.index = MemoryIndex()

    def start(self) -> None:
        """(Re)build the memory index from ``search_documents``."""
        index = MemoryIndex()
        with self.session_factory() as session:
            rows = session.execute(select(SearchDocument.document).execution_options(yield_per=1000))
            for n, (document,) in enumerate(rows, 1):
                index.put(json.loads(document))
                if n % 1000 == 0:
                    eventlet.sleep(0)  # a big load must not starve other green threads
        self.index = index

    def stage(self, session: Session, change: Change) -> None:
        for doc in change.upserts:
            _store_upsert(session, doc)
        for removal in change.removals:
            _store_remove(session, removal)

    def apply(self, change: Change) -> None:
        for doc in change.upserts:
            self.index.put(doc)
        for removal in change.removals:
            self.index.remove(removal.id, removal.version)

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
