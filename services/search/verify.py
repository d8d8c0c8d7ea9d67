"""``etalase search verify``: compare the index with the catalog, report drift, repair it.

The catalog's side comes from its ``export_products`` RPC (live products, by id, with their
versions); the index's side is what searches answer from (the embedded engine's memory
index, or the documents behind the Elasticsearch alias).

- missing: in the catalog and listed, not in the index;
- stale:   in the index with a lower version than the catalog's;
- extra:   in the index but absent from the catalog or not listed there.

``repair`` goes through the path events use: stage the change in the search database
(moving ``aggregate_state`` forward), commit, then show it.
"""
from __future__ import annotations

from typing import Callable, Iterator

from services.search.engine import Change, Removal, document_from_snapshot
from services.search.indexer import commit_change
from services.search.models import AggregateState
from shared.consumer import dialect_insert
from shared.contracts import ProductSnapshot
from shared.events import utcnow

EXPORT_PAGE = 500
REPORT_IDS = 100  # ids listed per kind in the report (the counts are complete)


def catalog_export(call: Callable[..., dict], page: int = EXPORT_PAGE) -> Iterator[ProductSnapshot]:
    """Every live product of the catalog; ``call(after_id, limit)`` returns one export page."""
    after = None
    while True:
        result = call(after, page)
        for item in result.get("items") or []:
            yield ProductSnapshot.model_validate(item)
        after = result.get("next_after")
        if not after:
            return


def rpc_export(rpc) -> Callable[..., dict]:
    def call(after_id, limit):
        return rpc.call("catalog", "export_products", after_id=after_id, limit=limit, timeout=30)
    return call


def indexed_versions(engine) -> dict[str, int]:
    """id -> version of every document searches answer from."""
    index = getattr(engine, "index", None)
    if index is not None:  # embedded
        return {str(doc["id"]): int(doc.get("version") or 0) for doc in index.documents()}
    # Elasticsearch. Imported here: the client library takes half a second to load, and the
    # embedded engine (the default) never needs it.
    from elasticsearch.helpers import scan

    return {hit["_id"]: int(hit["_source"].get("version") or 0)
            for hit in scan(engine.client, index=engine.alias, _source=["version"], query={"query": {"match_all": {}}})}


def compare(snapshots: Iterator[ProductSnapshot], indexed: dict[str, int]) -> dict:
    """The drift between the catalog's snapshots and the index (see the module doc)."""
    missing, stale, extra = [], [], []
    wanted: dict[str, ProductSnapshot] = {}
    listed_ids: set[str] = set()
    checked = 0
    for product in snapshots:
        checked += 1
        if not product.listed:
            continue
        listed_ids.add(product.id)
        have = indexed.get(product.id)
        if have is None:
            missing.append(product.id)
            wanted[product.id] = product
        elif have < product.version:
            stale.append(product.id)
            wanted[product.id] = product
    extra = sorted(doc_id for doc_id in indexed if doc_id not in listed_ids)
    return {"checked": checked, "indexed": len(indexed), "listed": len(listed_ids),
            "missing": sorted(missing), "stale": sorted(stale), "extra": extra, "_wanted": wanted}


def _advance_state(session, product_id: str, version: int) -> None:
    """The product's known version moves up to the catalog's (a tombstone it outlived is
    lifted): one upsert, so a repair cannot race the indexer to insert the first row."""
    table = AggregateState.__table__
    insert = dialect_insert(session)(table).values(
        aggregate_type="product", aggregate_id=product_id, version=version, deleted=False, updated_at=utcnow())
    session.execute(insert.on_conflict_do_update(
        index_elements=["aggregate_type", "aggregate_id"],
        set_={"version": insert.excluded.version, "deleted": False, "updated_at": insert.excluded.updated_at},
        where=table.c.version < insert.excluded.version,
    ))


def repair(uow, engine, drift: dict) -> Change:
    """Upsert the catalog's snapshots of missing and stale products, remove the extras."""
    change = Change()
    for product in drift["_wanted"].values():
        _advance_state(uow.session, product.id, product.version)
        change.upserts.append(document_from_snapshot(product))
    change.removals = [Removal(id=doc_id, version=None) for doc_id in drift["extra"]]
    commit_change(uow, engine, change)
    return change


def report(drift: dict, repaired: bool) -> dict:
    """The public report: counts, the first ids of each kind, and whether it was repaired."""
    result = {"checked": drift["checked"], "indexed": drift["indexed"], "listed": drift["listed"],
              "in_sync": not (drift["missing"] or drift["stale"] or drift["extra"]), "repaired": repaired}
    for kind in ("missing", "stale", "extra"):
        result[kind] = {"count": len(drift[kind]), "ids": drift[kind][:REPORT_IDS]}
    return result


def verify(uow, engine, export_call, repair_drift: bool = False) -> dict:
    drift = compare(catalog_export(export_call), indexed_versions(engine))
    uow.commit()  # nothing read yet; keep no transaction open
    repaired = False
    if repair_drift and (drift["missing"] or drift["stale"] or drift["extra"]):
        repair(uow, engine, drift)
        repaired = True
    return report(drift, repaired)
