"""Full reindex into a fresh index and an atomic switch while search keeps answering.

Embedded engine: a new ``MemoryIndex`` is built off to the side from the catalog export
(yielding to other green threads every few hundred documents); the documents table is
rewritten in one transaction; then the engine's index reference is swapped. Events keep
going to the old index during the build: every id whose version moved in the old index
since the build started is copied over (the newer version wins) before the swap, so no
event is lost.

Elasticsearch: ``<alias>-v<version>-<timestamp>`` is created (with the configured shard and
replica counts) and bulk-loaded, then one ``_aliases`` request removes the alias from the old
index and adds it to the new one; the old indices are then deleted by their concrete names (a
failed build deletes its own index the same way): Elasticsearch 8 refuses a wildcard in a
delete (``action.destructive_requires_name``).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Callable, Iterable

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import delete

from services.search import changes
from services.search.elastic import (
    INDEX_VERSION,
    ElasticsearchEngine,
    ElasticsearchError,
    bulk_failures,
    bulk_operations,
    with_stored_pricing,
)
from services.search.embedded import EmbeddedEngine, MemoryIndex
from services.search.engine import Change, Removal, document_from_snapshot
from services.search.models import SearchDocument
from services.search.store import remove_documents, store_documents
from services.search.verify import catalog_export
from shared.errors import Conflict
from shared.messages import t

log = logging.getLogger(__name__)

YIELD_EVERY = 200
BULK_SIZE = 500

IDLE, RUNNING, DONE, FAILED = "idle", "running", "done", "failed"


class Progress:
    def __init__(self):
        self.id: str | None = None
        self.status = IDLE
        self.done = 0
        self.total = 0
        self.error: str | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "done": self.done, "total": self.total, "error": self.error}


def listed_documents(snapshots: Iterable, progress: Progress) -> Iterable[dict]:
    for n, product in enumerate(snapshots, 1):
        progress.done = n
        if n > progress.total:
            progress.total = n
        if product.listed:
            yield document_from_snapshot(product)
        if n % YIELD_EVERY == 0:
            eventlet.sleep(0)


# -- embedded ---------------------------------------------------------------------------


def _changed_since(index: MemoryIndex, before: dict[str, int]) -> list[str]:
    return [doc_id for doc_id, version in index.versions().items() if before.get(doc_id) != version]


def _copy_changes(old: MemoryIndex, new: MemoryIndex, ids: Iterable[str]) -> None:
    """Bring ``new`` up to the old index's (newer) state for ``ids`` (no I/O: atomic)."""
    for doc_id in ids:
        version = old.version(doc_id)
        doc = old.get(doc_id)
        if doc is not None and int(doc.get("version") or 0) == version:
            new.put(doc)  # put keeps the higher version
        else:
            new.remove(doc_id, version)


def reindex_embedded(engine: EmbeddedEngine, snapshots: Iterable, progress: Progress) -> int:
    old = engine.index
    before = old.versions()
    new = MemoryIndex()
    for doc in listed_documents(snapshots, progress):
        new.put(doc)
    for pricing in old.pricings():
        new.set_pricing(pricing)
    # Events applied to the old index during the build win over the export when newer.
    _copy_changes(old, new, _changed_since(old, before))
    before = old.versions()
    docs = new.documents()
    with engine.session_factory() as session:  # the documents table in one transaction
        session.execute(delete(SearchDocument))
        for n, doc in enumerate(docs, 1):
            session.add(SearchDocument(id=str(doc["id"]), version=int(doc.get("version") or 0),
                                       region=doc.get("region") or "", document=json.dumps(doc, ensure_ascii=False)))
            if n % 1000 == 0:
                session.flush()
                eventlet.sleep(0)
        if engine.change_log:  # every replica reloads the rewritten store (last: it takes the log's lock)
            changes.require_reload(session)
        session.commit()
    # Events committed while the table was written: copy them and swap, with no yield between.
    changed = _changed_since(old, before)
    _copy_changes(old, new, changed)
    for pricing in old.pricings():
        new.set_pricing(pricing)
    engine.index = new
    if changed:  # their rows may have been replaced by the export's: write them again
        docs = {doc_id: new.get(doc_id) for doc_id in changed}
        with engine.session_factory() as session:
            store_documents(session, [doc for doc in docs.values() if doc is not None])
            remove_documents(session, [Removal(id=doc_id, version=new.version(doc_id))
                                       for doc_id, doc in docs.items() if doc is None])
            if engine.change_log:
                changes.record(session, sorted(docs))
            session.commit()
    return new.count()


# -- Elasticsearch ----------------------------------------------------------------------


def new_index_name(alias: str, version: int, now: float | None = None) -> str:
    return f"{alias}-v{version}-{time.strftime('%Y%m%d%H%M%S', time.gmtime(time.time() if now is None else now))}"


def alias_actions(alias: str, old_indices: Iterable[str], new_index: str) -> list[dict]:
    """One ``_aliases`` request: remove the alias from the old indices, add it to the new one."""
    actions = [{"remove": {"index": index, "alias": alias}} for index in sorted(old_indices)]
    actions.append({"add": {"index": new_index, "alias": alias}})
    return actions


def reindex_elastic(engine: ElasticsearchEngine, snapshots: Iterable, progress: Progress, session_factory=None,
                    now=None) -> int:
    client = engine.client
    name = new_index_name(engine.alias, INDEX_VERSION, now)
    body = engine.index_body()
    client.indices.create(index=name, settings=body["settings"], mappings=body["mappings"])
    try:
        loaded = _load(client, name, snapshots, progress, session_factory)
        client.indices.refresh(index=name)
        old = [index for index in engine.indices() if index != name]
        client.indices.update_aliases(actions=alias_actions(engine.alias, old, name))
    except Exception:
        client.indices.delete(index=name, ignore_unavailable=True)  # the half-built index, by its name
        raise
    if old:
        # Searches now go to the new index; the old ones only take space. A write that
        # resolved the alias just before the swap is lost with them (as it would be missing
        # from the new index anyway): `etalase search verify --repair` finds such a product.
        client.indices.delete(index=old, ignore_unavailable=True)
    return loaded


def _load(client, name: str, snapshots: Iterable, progress: Progress, session_factory) -> int:
    loaded = 0

    def flush(batch: list[dict]) -> None:
        nonlocal loaded
        change = Change(upserts=batch)
        if session_factory is not None:
            with session_factory() as session:
                with_stored_pricing(session, change)
        response = client.bulk(operations=bulk_operations(name, change), refresh=False)
        failures = bulk_failures(dict(response))
        if failures:
            raise ElasticsearchError(f"bulk write failed: {failures[:3]!r}")
        loaded += len(batch)

    batch: list[dict] = []
    for doc in listed_documents(snapshots, progress):
        batch.append(doc)
        if len(batch) >= BULK_SIZE:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    return loaded


# -- the runner -------------------------------------------------------------------------


class ReindexRunner(DependencyProvider):
    """One reindex at a time, in a managed green thread of the container."""

    def setup(self):
        self.progress = Progress()
        self._thread = None

    def get_dependency(self, worker_ctx):
        return self

    def status(self) -> dict:
        return self.progress.as_dict()

    def begin(self, engine, export_call: Callable[..., dict], session_factory=None) -> dict:
        if self.progress.status == RUNNING:
            raise Conflict(t("Pengindeksan ulang sedang berjalan."), {"id": self.progress.id})
        progress = self.progress = Progress()
        progress.id = uuid.uuid4().hex
        progress.status = RUNNING
        progress.started_at = time.time()

        def run():
            try:
                try:
                    progress.total = int(export_call(None, 1).get("total") or 0)
                except Exception:  # noqa: BLE001 - the total is only for the progress bar
                    progress.total = 0
                snapshots = catalog_export(export_call)
                if hasattr(engine, "index"):
                    count = reindex_embedded(engine, snapshots, progress)
                else:
                    count = reindex_elastic(engine, snapshots, progress, session_factory)
                progress.total = progress.done
                progress.status = DONE
                log.info("reindex %s done: %d documents", progress.id, count)
            except Exception as exc:  # noqa: BLE001 - reported through reindex_status
                log.exception("reindex %s failed", progress.id)
                progress.status = FAILED
                progress.error = str(exc)[:500]
            finally:
                progress.finished_at = time.time()

        self._thread = self.container.spawn_managed_thread(run, identifier="search_reindex")
        return {"id": progress.id, "status": progress.status}
