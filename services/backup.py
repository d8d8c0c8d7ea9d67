"""``etalase backup DIR`` and ``etalase restore DIR``: every service's database and the media.

A backup folder holds one copy per service database (``<service>.db`` through SQLite's online
backup API, or ``<service>.dump`` from ``pg_dump --format=custom``), the media files
(``media/``: product photos and logos) and ``manifest.json``, written last: a folder without
it is not a backup. The search index's snapshot is left out on purpose: it is derived data,
rebuilt from the search database when the service starts (and checked against the catalog by
``etalase search verify``).

What a backup guarantees (docs/decisions/backup-restore.md): each database is consistent in
itself (one transaction-consistent snapshot per database); the databases are copied one after
another, consumers before producers (search, promotion, then catalog, then gateway), so a
consumer never knows a newer version of a product than the catalog copied after it. Events in
flight between them are recovered after a restore by the outbox (pending rows are published
again), the inboxes (duplicates are no-ops) and ``etalase search verify --repair``.

Plain functions: the command line (services/cli.py) only prints what they return.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform as python_platform
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy.engine import URL, make_url

from shared.formatting import WITA

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# Consumers before producers: search and promotion only know what the catalog published before
# they were copied, so neither holds a product version newer than the catalog's copy; the
# gateway (the accounts that merchants and campaigns name) last, so every owner exists.
BACKUP_ORDER = ("search", "promotion", "catalog", "gateway")
MEDIA_DIR = "media"
# Events published this long before the backup started are published again after a restore:
# they may have been in a queue, not yet consumed, when the consumers were copied, and a
# restored platform usually gets a fresh broker. Consumers drop what they already applied.
REPLAY_WINDOW = timedelta(hours=1)
PG_DUMP = os.environ.get("ETALASE_PG_DUMP", "pg_dump")
PG_RESTORE = os.environ.get("ETALASE_PG_RESTORE", "pg_restore")
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """Why a backup or restore was refused or failed, as one sentence for the operator."""


@dataclass(frozen=True)
class Database:
    """One service's database, as the configuration names it."""

    service: str
    url: str

    @property
    def engine(self) -> str:
        return "sqlite" if make_url(self.url).get_backend_name() == "sqlite" else "postgresql"

    @property
    def sqlite_path(self) -> Path:
        return Path(make_url(self.url).database or "")

    @property
    def file_name(self) -> str:
        return f"{self.service}.db" if self.engine == "sqlite" else f"{self.service}.dump"


@dataclass(frozen=True)
class Layout:
    """Where the platform keeps its data: one database per service and the media folder."""

    databases: tuple[Database, ...]
    media_root: Path

    @classmethod
    def from_config(cls, config: dict) -> Layout:
        from services import platform

        settings = platform.service_settings(config)
        databases = tuple(Database(service, settings[service].database_url) for service in BACKUP_ORDER)
        return cls(databases, Path(settings["catalog"].media_root))


# --- small helpers ------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _times(moment: datetime) -> dict:
    return {"utc": moment.isoformat().replace("+00:00", "Z"), "wita": moment.astimezone(WITA).isoformat()}


def _libpq(url: str) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments and environment for a SQLAlchemy URL (the
    password travels in PGPASSWORD, never on a command line other users can read)."""
    parsed: URL = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _run(command: list[str], env: dict, what: str) -> str:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=6 * 3600)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} tidak ditemukan: pasang klien PostgreSQL (paket postgresql-client)") from None
    if result.returncode != 0:
        raise BackupError(f"{what} gagal: {result.stderr.strip()[-500:]}")
    return result.stdout


def _pg_tool_version(tool: str) -> str:
    return _run([tool, "--version"], dict(os.environ), f"{tool} --version").strip()


def _code_head(service: str) -> str | None:
    """The newest Alembic revision this code knows for ``service``."""
    from alembic.script import ScriptDirectory

    from shared.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config(service, "sqlite://")).get_current_head()


def _known_revision(service: str, revision: str | None) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from shared.migrations import alembic_config

    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config(service, "sqlite://")).get_revision(revision) is not None
    except CommandError:
        return False


def _postgres_revision(url: str) -> str | None:
    from sqlalchemy import text

    from shared.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            try:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
                return None
    finally:
        engine.dispose()


def _media_files(root: Path) -> Iterable[Path]:
    """Every media file under ``root`` except a half-written upload (hidden ``.*.tmp``)."""
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.name.startswith("."))


def _is_empty_dir(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


# --- backup -------------------------------------------------------------------------------

def _backup_sqlite(database: Database, target: Path) -> str | None:
    """One consistent copy through SQLite's online backup API, in a single step: the copy is
    the database as one read transaction saw it; in WAL mode writers go on meanwhile."""
    source_path = database.sqlite_path
    if not source_path.is_file():
        raise BackupError(f"basis data {database.service} tidak ada: {source_path}")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=60)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: everything in one step, so no restart on writes
        problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"salinan {database.service} rusak: {problem}")
        # The copy keeps the source's WAL mode; a backup file is one self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")
        try:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # never migrated
            row = None
        return row[0] if row else None
    finally:
        copy.close()
        source.close()


def _backup_postgres(database: Database, target: Path) -> None:
    """``pg_dump`` runs in one repeatable-read transaction: a consistent snapshot."""
    args, env = _libpq(database.url)
    _run([PG_DUMP, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args],
         env, f"pg_dump {database.service}")


def backup(layout: Layout, directory: Path, progress: Callable[[str], None] = lambda _: None,
           now: Callable[[], datetime] = _now) -> dict:
    """Copy every database and the media into ``directory`` (absent or empty) and write the
    manifest last; returns the manifest."""
    directory = Path(directory)
    if not _is_empty_dir(directory):
        raise BackupError(f"folder {directory} tidak kosong: cadangan hanya ditulis ke folder baru atau kosong")
    directory.mkdir(parents=True, exist_ok=True)
    started = now()
    databases = []
    for database in layout.databases:
        progress(f"mencadangkan basis data {database.service} ({database.engine})")
        target = directory / database.file_name
        entry: dict = {"service": database.service, "engine": database.engine, "file": database.file_name,
                       "started_at": _times(now())}
        if database.engine == "sqlite":
            entry["alembic_revision"] = _backup_sqlite(database, target)
            entry["sqlite_version"] = sqlite3.sqlite_version
        else:
            entry["alembic_revision"] = _postgres_revision(database.url)
            _backup_postgres(database, target)
            entry["pg_dump_version"] = _pg_tool_version(PG_DUMP)
        entry["alembic_head_of_code"] = _code_head(database.service)
        entry["bytes"] = target.stat().st_size
        entry["sha256"] = sha256_of(target)
        databases.append(entry)
    # Media after the databases: a photo's file is written before its row commits, so every
    # photo the copied databases name is already on disk here.
    progress("mencadangkan media")
    media = []
    for path in _media_files(layout.media_root):
        relative = path.relative_to(layout.media_root)
        target = directory / MEDIA_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, target)
        except FileNotFoundError:
            continue  # removed meanwhile (a photo deleted during the backup): not needed
        media.append({"path": relative.as_posix(), "bytes": target.stat().st_size, "sha256": sha256_of(target)})
    finished = now()
    manifest = {
        "format": MANIFEST_FORMAT,
        "started_at": _times(started),
        "finished_at": _times(finished),
        "versions": {"etalase": _package_version(), "python": python_platform.python_version(),
                     "sqlite": sqlite3.sqlite_version},
        "order": list(BACKUP_ORDER),
        "databases": databases,
        "media": {"files": media, "count": len(media), "bytes": sum(item["bytes"] for item in media)},
        "left_out": ["search index snapshot (rebuilt from the search database at start)", "logs"],
    }
    _write_json_atomic(directory / MANIFEST, manifest)
    return manifest


def _package_version() -> str:
    try:
        return metadata.version("etalase")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_json_atomic(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# --- restore ------------------------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path} tidak ada: bukan folder cadangan (atau cadangan tidak selesai)") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} tidak terbaca: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{path}: format manifest tidak dikenal")
    return manifest


def check_backup(directory: Path, manifest: dict) -> None:
    """Every file the manifest names is present, of its size and checksum; nothing else is read
    before this passes."""
    directory = Path(directory)
    bad = []
    entries = [(item["file"], item) for item in manifest.get("databases", [])]
    entries += [(f"{MEDIA_DIR}/{item['path']}", item) for item in manifest.get("media", {}).get("files", [])]
    for name, item in entries:
        path = directory / name
        if not path.resolve().is_relative_to(directory.resolve()):
            bad.append(f"{name} (di luar folder cadangan)")
        elif not path.is_file():
            bad.append(f"{name} (tidak ada)")
        elif path.stat().st_size != item["bytes"] or sha256_of(path) != item["sha256"]:
            bad.append(f"{name} (checksum berbeda)")
    if bad:
        shown = ", ".join(bad[:10]) + (f", dan {len(bad) - 10} lainnya" if len(bad) > 10 else "")
        raise BackupError(f"cadangan rusak, tidak ada yang dipulihkan: {shown}")


def processes_holding(paths: Iterable[Path]) -> set[int]:
    """Ids of other processes that have one of ``paths`` open (Linux /proc; processes of other
    users cannot be seen and are not reported)."""
    wanted = {str(path.resolve()) for path in paths}
    holders = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        holders.add(int(proc.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return holders


def _postgres_sessions(url: str) -> int:
    """Other sessions connected to this PostgreSQL database right now."""
    from sqlalchemy import text

    from shared.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalar() or 0)
    finally:
        engine.dispose()


def _postgres_tables(url: str) -> int:
    from sqlalchemy import text

    from shared.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )).scalar() or 0)
    finally:
        engine.dispose()


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def running_services(layout: Layout) -> list[str]:
    """The services whose database something is using now (the platform, or a tool)."""
    in_use = []
    for database in layout.databases:
        if database.engine == "sqlite":
            files = [path for path in _sqlite_files(database.sqlite_path) if path.exists()]
            if files and processes_holding(files):
                in_use.append(database.service)
        elif _postgres_sessions(database.url):
            in_use.append(database.service)
    return in_use


def _not_empty(layout: Layout) -> list[str]:
    """What already holds data where the restore would write."""
    found = []
    for database in layout.databases:
        if database.engine == "sqlite":
            if database.sqlite_path.exists() and database.sqlite_path.stat().st_size > 0:
                found.append(str(database.sqlite_path))
        elif _postgres_tables(database.url):
            found.append(f"{database.service} ({make_url(database.url).database})")
    if not _is_empty_dir(layout.media_root):
        found.append(str(layout.media_root))
    return found


def _restore_sqlite(source: Path, database: Database) -> None:
    """Write the copy beside the target through the backup API, then rename it into place:
    the database is the old one or the restored one, never half of each."""
    target = database.sqlite_path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.restore.tmp")
    temporary.unlink(missing_ok=True)
    backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    fresh = sqlite3.connect(temporary)
    try:
        backup_copy.backup(fresh)
        fresh.execute("PRAGMA journal_mode=WAL")  # as the services open it (shared/db.py)
    finally:
        fresh.close()
        backup_copy.close()
    for stale in _sqlite_files(target)[1:]:
        stale.unlink(missing_ok=True)
    os.replace(temporary, target)


def _restore_postgres(source: Path, database: Database) -> None:
    """Objects of the dump are dropped first if they exist (``--clean --if-exists``), then
    created and filled; one transaction, so a failure leaves the database as it was."""
    args, env = _libpq(database.url)
    _run([PG_RESTORE, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, str(source)], env, f"pg_restore {database.service}")


def _index_snapshot(database: Database) -> Path | None:
    """Where the search service keeps its index snapshot for this database (see
    services/search/snapshot.py), so a restore can remove one that no longer applies."""
    if database.service != "search":
        return None
    if database.engine == "sqlite":
        return Path(f"{database.sqlite_path}.index-snapshot")
    directory = os.environ.get("SEARCH_INDEX_SNAPSHOT_DIR")
    if not directory:
        return None
    url = make_url(database.url)
    return Path(directory) / f"{url.host}-{url.port}-{url.database}.index-snapshot"


def restore(layout: Layout, directory: Path, force: bool = False,
            progress: Callable[[str], None] = lambda _: None) -> dict:
    """Restore every database and the media of the backup in ``directory`` into ``layout``.

    Refused, before anything is written, when the backup is incomplete or corrupt, when a
    service's database is in use (the platform runs), when a database's engine differs from
    the backup's or its schema is newer than this code knows, and when the target already
    holds data (unless ``force``). Returns the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    progress("memeriksa checksum cadangan")
    check_backup(directory, manifest)
    entries = {item["service"]: item for item in manifest["databases"]}
    missing = [database.service for database in layout.databases if database.service not in entries]
    if missing:
        raise BackupError(f"cadangan tidak memuat basis data: {', '.join(missing)}")
    for database in layout.databases:
        entry = entries[database.service]
        if entry["engine"] != database.engine:
            raise BackupError(f"{database.service}: cadangan dari {entry['engine']}, tujuan {database.engine}; "
                              "pulihkan ke mesin basis data yang sama")
        if not _known_revision(database.service, entry.get("alembic_revision")):
            raise BackupError(f"{database.service}: skema cadangan ({entry['alembic_revision']}) lebih baru dari "
                              "kode ini; pasang versi Etalase yang membuat cadangan")
    running = running_services(layout)
    if running:
        raise BackupError(f"platform sedang berjalan (basis data dipakai: {', '.join(running)}); hentikan dulu")
    if not force:
        occupied = _not_empty(layout)
        if occupied:
            raise BackupError(f"tujuan tidak kosong: {', '.join(occupied)}; gunakan --force untuk menimpa")
    for database in layout.databases:
        progress(f"memulihkan basis data {database.service}")
        source = directory / entries[database.service]["file"]
        if database.engine == "sqlite":
            _restore_sqlite(source, database)
        else:
            _restore_postgres(source, database)
        snapshot = _index_snapshot(database)
        if snapshot is not None:
            snapshot.unlink(missing_ok=True)  # derived from the old store: rebuilt at start
    replayed = republish_recent_events(layout, _parse_utc(manifest["started_at"]["utc"]) - REPLAY_WINDOW)
    progress(f"{sum(replayed.values())} event terakhir akan diterbitkan ulang: " +
             ", ".join(f"{service} {count}" for service, count in replayed.items()))
    progress("memulihkan media")
    _restore_media(directory / MEDIA_DIR, layout.media_root, manifest["media"]["files"])
    return manifest


def _parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _outbox_tables() -> dict:
    from services.catalog.models import OutboxMessage
    from services.promotion.models import Outbox as PromotionOutbox
    from services.search.models import Outbox as SearchOutbox

    return {"catalog": OutboxMessage.__table__, "promotion": PromotionOutbox.__table__,
            "search": SearchOutbox.__table__}


def republish_recent_events(layout: Layout, since: datetime) -> dict[str, int]:
    """Mark the outbox rows published since ``since`` as pending again, so each producing
    service's relay publishes them once more when the restored platform starts: the events
    that were in a queue when the backup was taken reach their consumers, which ignore the
    ones they had already applied (inbox of event ids, aggregate versions). Rows per service."""
    from sqlalchemy import update

    from shared.db import make_engine
    from shared.outbox import PENDING, PUBLISHED

    counts = {}
    tables = _outbox_tables()
    for database in layout.databases:
        table = tables.get(database.service)
        if table is None:
            continue
        engine = make_engine(database.url)
        try:
            with engine.begin() as connection:
                result = connection.execute(update(table)
                                            .where(table.c.status == PUBLISHED, table.c.published_at >= since)
                                            .values(status=PENDING, published_at=None))
                counts[database.service] = result.rowcount or 0
        finally:
            engine.dispose()
    return counts


def _restore_media(source: Path, media_root: Path, files: list[dict]) -> None:
    """Copy the backup's media into a fresh folder beside the media root, then swap it in."""
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the gateway serves it
    try:
        for item in files:
            target = staging / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / item["path"], target)
        old = media_root.with_name(f".{media_root.name}.old-{os.getpid()}")
        if media_root.exists():
            os.replace(media_root, old)
        os.replace(staging, media_root)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
