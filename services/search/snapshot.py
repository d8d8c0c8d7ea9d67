"""A snapshot of the embedded engine's memory index, kept beside the store so that a start
does not analyse every stored document again.

The file holds the index's state together with the store's state it was verified against:
the (id, version) of every ``search_documents`` row and the (product id, version) of every
``search_pricing`` row. A start uses the snapshot only if the store has exactly those rows at
those versions now, and if it was written by the same format and the same analysis code;
otherwise (or if the file is missing, truncated or corrupt) it says why and builds from the
store. A snapshot is only written from an index verified to match the store at that moment.

Where: a SQLite store keeps it next to the database file (``<db>.index-snapshot``); for
PostgreSQL it goes in the directory ``SEARCH_INDEX_SNAPSHOT_DIR`` if set, else nowhere.
"""
from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import struct
import zlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from services.search.models import SearchDocument, SearchPricing

log = logging.getLogger(__name__)

# Bump when the pickled layout of MemoryIndex changes in a way the code hash does not show.
INDEX_FORMAT = 1
MAGIC = b"ETALASE-INDEX\n"
_HEADER = struct.Struct("<QI")  # body length, crc32 of the body

# How a document becomes terms: a change to any of these files invalidates every snapshot
# (conservative: any edit of them, not only one that changes analysis).
_ANALYSIS_SOURCES = ("analysis.py", "embedded.py", "language.py")


def _code_version() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _ANALYSIS_SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


CODE_VERSION = _code_version()

StoreState = tuple[dict[str, int], dict[str, int]]  # document versions, pricing versions


def default_path(session_factory: sessionmaker[Session]) -> Path | None:
    """Where the snapshot of the index on this store lives (None: no snapshot)."""
    bind = session_factory.kw.get("bind")
    if bind is None:
        return None
    url = make_url(str(bind.url))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return Path(url.database + ".index-snapshot")
    directory = os.environ.get("SEARCH_INDEX_SNAPSHOT_DIR")
    if not directory:
        return None
    return Path(directory) / f"{url.host}-{url.port}-{url.database}.index-snapshot"


def store_state(session: Session) -> StoreState:
    """What the store holds, as far as the index is concerned: versions per id."""
    documents = dict(session.execute(select(SearchDocument.id, SearchDocument.version)).tuples().all())
    pricings = dict(session.execute(select(SearchPricing.product_id, SearchPricing.version)).tuples().all())
    return documents, pricings


def write(path: Path, index, state: StoreState) -> None:
    """Write the snapshot atomically: a reader sees the old file or the new one, whole."""
    body = pickle.dumps({"format": INDEX_FORMAT, "code": CODE_VERSION, "store": state,
                         "index": index.snapshot_state()}, protocol=5)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(MAGIC)
            file.write(_HEADER.pack(len(body), zlib.crc32(body)))
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read(path: Path, state: StoreState) -> tuple[dict | None, str]:
    """(index state, "") if the snapshot at ``path`` is whole, of this format and code, and
    taken from exactly the store described by ``state``; else (None, why not)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None, "no snapshot"
    except OSError as exc:
        return None, f"unreadable: {exc}"
    start = len(MAGIC) + _HEADER.size
    if not data.startswith(MAGIC) or len(data) < start:
        return None, "not a snapshot file"
    length, crc = _HEADER.unpack_from(data, len(MAGIC))
    body = memoryview(data)[start:]
    if len(body) != length or zlib.crc32(body) != crc:
        return None, "corrupt (length or checksum)"
    enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic collector would run hundreds of times
    try:
        snapshot = pickle.loads(body)
    except Exception as exc:  # a checksum match makes this unlikely, but never fail a start on it
        return None, f"unreadable pickle: {exc!r}"
    finally:
        if enabled:
            gc.enable()
    if not isinstance(snapshot, dict):
        return None, "not a snapshot"
    if snapshot.get("format") != INDEX_FORMAT:
        return None, f"format {snapshot.get('format')} is not {INDEX_FORMAT}"
    if snapshot.get("code") != CODE_VERSION:
        return None, "written by another version of the analysis code"
    documents, pricings = snapshot.get("store") or ({}, {})
    if len(documents) != len(state[0]) or len(pricings) != len(state[1]):
        return None, (f"store changed: {len(state[0])} documents and {len(state[1])} pricings now, "
                      f"{len(documents)} and {len(pricings)} in the snapshot")
    if documents != state[0] or pricings != state[1]:
        return None, "store changed: some document or pricing has another version"
    return snapshot["index"], ""
