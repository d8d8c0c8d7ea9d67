"""The embedded engine's index snapshot (services/search/snapshot.py): a start uses it only
when it shows exactly what the store holds, and builds from the store otherwise."""
import logging
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from services.search import snapshot
from services.search.embedded import EmbeddedEngine
from services.search.engine import SearchQuery
from services.search.models import SearchDocument
from services.search.store import store_documents

from search_factories import document, pricing

NAMES = ["Kopi Bubuk Toraja", "Kopi Luwak", "Madu Hutan", "Teripang Kering", "Kerupuk Teripang", "Abon Ikan Tuna",
         "Sambal Roa", "Kain Tenun Ikat", "Gula Aren Cair", "Keripik Pisang Coklat", "Minyak Kelapa Murni",
         "Dodol Durian"]
REGIONS = ["7402", "7471", "7401", "7403"]
QUERIES = ["", "kopi", "teripang", "madu hutan", "kerupuk", "kopi toraja", "sambal ikan", "tenun", "kelapa"]


@pytest.fixture
def snapshot_file(search_db, tmp_path) -> Path:
    """SQLite: the default place, beside the database file; PostgreSQL: a file in tmp_path."""
    default = snapshot.default_path(search_db)
    if default is not None:
        assert default.name.endswith(".db.index-snapshot")
        return default
    return tmp_path / "search.index-snapshot"


@pytest.fixture
def start(search_db, snapshot_file):
    """``start()``: a started engine on the store and its snapshot, as a restarted service."""
    def make() -> EmbeddedEngine:
        engine = EmbeddedEngine(search_db, snapshot_file)
        engine.start()
        return engine
    return make


def fill(engine: EmbeddedEngine, count: int = 36) -> None:
    engine.upsert([document(f"p{n:03d}", 1 + n % 3, name=NAMES[n % len(NAMES)], region=REGIONS[n % len(REGIONS)],
                            price=10_000 + 1_000 * n, updated_at=f"2025-01-{1 + n % 28:02d}T00:00:00+00:00")
                   for n in range(count)])
    engine.set_pricing([pricing("p001", 2, normal_price=11_000, effective_price=8_800, discount_percent=20),
                        pricing("p005", 1, normal_price=15_000, promoted=True, boost=1.0),
                        pricing("p999", 1)])  # a product not indexed yet


def results(engine: EmbeddedEngine) -> list:
    return [engine.search(SearchQuery(q=q, sort=sort, per_page=50))
            for q in QUERIES for sort in ("relevance", "price_asc", "newest")]


def built_results(search_db) -> list:
    """The results of an index built from the store now (ties are broken by the order
    documents were indexed in, so a live index can differ from any restarted one)."""
    fresh = EmbeddedEngine(search_db, None)
    fresh.start()
    return results(fresh)


def loaded_from_snapshot(caplog) -> bool:
    return any("loaded from" in record.getMessage() for record in caplog.records)


def why_not_used(caplog) -> str:
    return " ".join(record.getMessage() for record in caplog.records if "not used" in record.getMessage())


def test_a_start_from_the_snapshot_gives_the_same_results_as_a_build(search_db, start, snapshot_file, caplog):
    fill(EmbeddedEngine(search_db, None))  # stored only
    built = start()  # a full build, which writes the snapshot
    assert snapshot_file.exists()
    caplog.set_level(logging.INFO)
    loaded = start()
    assert loaded_from_snapshot(caplog), why_not_used(caplog)
    fresh = EmbeddedEngine(search_db, None)
    fresh.start()
    assert loaded.count() == fresh.count() == built.count() == 36
    assert results(loaded) == results(fresh)
    assert loaded.index.pricing("p999") == fresh.index.pricing("p999")
    # The loaded index keeps working: changes apply as on a built one.
    loaded.upsert([document("p100", 1, name="Kopi Gayo")])
    loaded.delete(["p000"])
    fresh.upsert([document("p100", 1, name="Kopi Gayo")])
    fresh.delete(["p000"])
    assert [r.total for r in results(loaded)] == [r.total for r in results(fresh)]
    assert loaded.search(SearchQuery(q="gayo")).items[0]["id"] == "p100"


def test_a_clean_stop_keeps_the_changes_made_since_the_start(search_db, start, caplog):
    engine = start()
    fill(engine)
    engine.upsert([document("p003", 5, name="Kopi Robusta Lampung")])
    engine.delete(["p004"])
    assert engine.stop() is None
    caplog.set_level(logging.INFO)
    restarted = start()
    assert loaded_from_snapshot(caplog), why_not_used(caplog)
    assert restarted.count() == 35
    assert restarted.index.get("p004") is None
    assert restarted.search(SearchQuery(q="robusta")).items[0]["id"] == "p003"
    fresh = EmbeddedEngine(search_db, None)
    fresh.start()
    assert [r.total for r in results(restarted)] == [r.total for r in results(fresh)]


def test_a_snapshot_is_not_written_from_an_index_that_differs_from_the_store(search_db, start, snapshot_file):
    engine = start()
    fill(engine)
    with search_db() as session:  # committed by another worker, not applied here yet
        store_documents(session, [document("p050", 1, name="Kopi Sidikalang")])
        session.commit()
    before = snapshot_file.read_bytes()
    assert engine.save_snapshot() is False
    assert snapshot_file.read_bytes() == before


@pytest.mark.parametrize("change", ["added", "removed", "newer version", "pricing"])
def test_a_store_changed_after_the_snapshot_is_detected(search_db, start, change, caplog):
    engine = start()
    fill(engine)
    engine.stop()
    other = EmbeddedEngine(search_db, None)  # another instance on the store: writes no snapshot
    other.start()
    if change == "added":
        other.upsert([document("p050", 1, name="Kopi Sidikalang")])
    elif change == "removed":
        other.delete(["p001"])
    elif change == "newer version":
        other.upsert([document("p002", 9, name="Madu Sumbawa")])
    else:
        other.set_pricing([pricing("p005", 2, normal_price=15_000, effective_price=9_000, discount_percent=40)])
    caplog.set_level(logging.INFO)
    restarted = start()
    assert not loaded_from_snapshot(caplog)
    assert "store changed" in why_not_used(caplog)
    assert results(restarted) == built_results(search_db)
    # ... and the rebuild wrote a snapshot of the store as it is now, which the next start uses.
    caplog.clear()
    again = start()
    assert loaded_from_snapshot(caplog), why_not_used(caplog)
    assert results(again) == built_results(search_db)


def test_a_document_rewritten_at_another_version_by_hand_is_detected(search_db, start, caplog):
    engine = start()
    fill(engine)
    engine.stop()
    with search_db() as session:
        session.execute(update(SearchDocument).where(SearchDocument.id == "p007").values(version=99))
        session.execute(delete(SearchDocument).where(SearchDocument.id == "p008"))
        session.commit()
    caplog.set_level(logging.INFO)
    restarted = start()
    assert not loaded_from_snapshot(caplog)
    assert restarted.count() == 35 and restarted.index.get("p008") is None


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "garbage", "empty", "pickle of something else"])
def test_a_corrupt_snapshot_falls_back_to_the_store(search_db, start, snapshot_file, damage, caplog):
    engine = start()
    fill(engine)
    engine.stop()
    expected = built_results(search_db)
    data = snapshot_file.read_bytes()
    if damage == "truncated":
        snapshot_file.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":
        middle = len(data) // 2
        snapshot_file.write_bytes(data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:])
    elif damage == "garbage":
        snapshot_file.write_bytes(b"\x00\xff" * 1000)
    elif damage == "empty":
        snapshot_file.write_bytes(b"")
    else:
        import pickle
        import struct
        import zlib
        body = pickle.dumps(["not", "an", "index"])
        snapshot_file.write_bytes(snapshot.MAGIC + struct.pack("<QI", len(body), zlib.crc32(body)) + body)
    caplog.set_level(logging.INFO)
    restarted = start()
    assert not loaded_from_snapshot(caplog)
    assert why_not_used(caplog)
    assert results(restarted) == expected


@pytest.mark.parametrize("mismatch", ["format", "analysis code"])
def test_a_snapshot_of_another_format_or_analysis_code_falls_back(search_db, start, mismatch, monkeypatch, caplog):
    engine = start()
    fill(engine)
    engine.stop()
    expected = built_results(search_db)
    if mismatch == "format":
        monkeypatch.setattr(snapshot, "INDEX_FORMAT", snapshot.INDEX_FORMAT + 1)
    else:
        monkeypatch.setattr(snapshot, "CODE_VERSION", "0" * 64)
    caplog.set_level(logging.INFO)
    restarted = start()
    assert not loaded_from_snapshot(caplog)
    assert ("format" if mismatch == "format" else "analysis code") in why_not_used(caplog)
    assert results(restarted) == expected


def test_the_code_version_covers_how_documents_are_analysed():
    covered = {Path(name).name for name in snapshot._ANALYSIS_SOURCES}
    assert {"analysis.py", "embedded.py"} <= covered  # analyze(), weighted_terms()
