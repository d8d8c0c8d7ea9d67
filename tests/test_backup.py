"""services/backup.py on real databases (SQLite files and fresh PostgreSQL databases): a
backup restores to the same rows and media, and every refusal leaves the target untouched.
The platform under write load is tests/e2e/test_backup_restore.py."""
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import pytest
from backup_helpers import catalog_rows, config_for, layout_rows
from sqlalchemy import create_engine, text

from services import backup, platform
from shared.migrations import upgrade

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
SERVICES = backup.BACKUP_ORDER


@contextmanager
def postgres_databases(templates: dict[str, str] | None = None):
    """Four fresh PostgreSQL databases (never the shared ones), empty or copies of
    ``templates`` (service -> URL), dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    names = {service: f"etalase_t_{uuid.uuid4().hex[:10]}_{service}" for service in SERVICES}
    with admin.connect() as connection:
        for service, name in names.items():
            if templates:
                template = templates[service].rsplit("/", 1)[1]
                # a template must have no other session: the seeding's pooled ones are closed
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": template})
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            else:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {service: f"{base}/{name}" for service, name in names.items()}
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def engine(request):
    """The database engine of every data location in a test: SQLite files or PostgreSQL."""
    if request.param == "postgres" and request.config.getoption("--no-postgres"):
        pytest.skip("PostgreSQL disabled with --no-postgres")
    return request.param


@contextmanager
def empty_place(engine: str, var_dir: Path, templates: dict[str, str] | None = None):
    """A config for a data location: four databases and a media folder under ``var_dir``.
    The databases are empty, or copies of ``templates`` (service -> database URL)."""
    if engine == "sqlite":
        urls = {service: f"sqlite:///{var_dir / f'{service}.db'}" for service in SERVICES}
        if templates:
            var_dir.mkdir(parents=True)
            for service, url in urls.items():  # SQLite's backup API: the WAL's pages too
                with closing(sqlite3.connect(templates[service].removeprefix("sqlite:///"))) as source, \
                        closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as copy:
                    source.backup(copy)
        yield config_for(var_dir, urls)
    else:
        with postgres_databases(templates) as urls:
            yield config_for(var_dir, urls)


@pytest.fixture
def make_place(engine, tmp_path):
    """``make_place(name)``: a config for an empty data location (four databases and a media
    folder), on SQLite files or on fresh PostgreSQL databases."""
    with ExitStack() as places:
        yield lambda name: places.enter_context(empty_place(engine, tmp_path / name))


@pytest.fixture(scope="module")
def seeded_databases(engine, tmp_path_factory):
    """Migrated databases holding the demo data (accounts, merchants, products), made once per
    engine: migrating and seeding take seconds, a copy a fraction of one."""
    with empty_place(engine, tmp_path_factory.mktemp("seeded")) as config:
        platform.migrate_all(config)
        assert platform.seed_demo(config, with_images=False)
        yield {service: config[service.upper()]["DATABASE_URL"] for service in SERVICES}


@pytest.fixture
def seeded(seeded_databases, engine, tmp_path):
    """A data location of its own for the test, its databases copies of the seeded ones, and a
    few media files (drawing every demo photo would take most of the test's time)."""
    with empty_place(engine, tmp_path / "source", templates=seeded_databases) as config:
        media_root = backup.Layout.from_config(config).media_root
        for name in ("products/ab/foto-1.webp", "products/ab/foto-2.webp", "logos/cd/logo.webp"):
            (media_root / name).parent.mkdir(parents=True, exist_ok=True)
            (media_root / name).write_bytes(os.urandom(2048))
        (media_root / "products" / "ab" / ".half.webp.1234.tmp").write_bytes(b"half")  # an upload being written
        yield config


def test_backup_then_restore_gives_the_same_rows_and_media(seeded, make_place, tmp_path):
    source = backup.Layout.from_config(seeded)
    manifest = backup.backup(source, tmp_path / "backup")

    assert [item["service"] for item in manifest["databases"]] == list(SERVICES)
    for item in manifest["databases"]:
        assert item["alembic_revision"] == item["alembic_head_of_code"] is not None
        assert item["bytes"] == (tmp_path / "backup" / item["file"]).stat().st_size > 0
    assert manifest["media"]["count"] == 3  # not the half-written upload
    assert manifest["started_at"]["wita"].endswith("+08:00") and manifest["started_at"]["utc"].endswith("Z")

    target = backup.Layout.from_config(make_place("target"))
    backup.restore(target, tmp_path / "backup")

    assert layout_rows(target) == layout_rows(source)
    assert catalog_rows(target)  # the demo products, not two empty sets
    restored_media = {p.relative_to(target.media_root): p.read_bytes() for p in backup._media_files(target.media_root)}
    source_media = {p.relative_to(source.media_root): p.read_bytes() for p in backup._media_files(source.media_root)}
    assert restored_media == source_media
    for service in SERVICES:  # restored at the code's head: `etalase run` migrates nothing
        upgrade(service, target.databases[SERVICES.index(service)].url)
    assert layout_rows(target) == layout_rows(source)


def test_backup_refuses_a_folder_that_is_not_empty(seeded, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("milik orang lain")
    with pytest.raises(backup.BackupError, match="tidak kosong"):
        backup.backup(backup.Layout.from_config(seeded), folder)
    assert sorted(path.name for path in folder.iterdir()) == ["notes.txt"]


def test_restore_refuses_a_corrupted_backup_and_writes_nothing(seeded, make_place, tmp_path):
    backup.backup(backup.Layout.from_config(seeded), tmp_path / "backup")
    copy = tmp_path / "backup" / backup.read_manifest(tmp_path / "backup")["databases"][2]["file"]  # catalog
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    target = backup.Layout.from_config(make_place("target"))

    with pytest.raises(backup.BackupError, match=rf"rusak.*{copy.name} \(checksum berbeda\)"):
        backup.restore(target, tmp_path / "backup")
    assert catalog_rows(target) is None  # nothing restored, not even the databases that were fine


def test_restore_refuses_a_missing_media_file(seeded, make_place, tmp_path):
    manifest = backup.backup(backup.Layout.from_config(seeded), tmp_path / "backup")
    (tmp_path / "backup" / "media" / manifest["media"]["files"][0]["path"]).unlink()
    with pytest.raises(backup.BackupError, match=r"tidak ada\)"):
        backup.restore(backup.Layout.from_config(make_place("target")), tmp_path / "backup")


def test_restore_refuses_a_folder_without_manifest(tmp_path, make_place):
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "catalog.db").write_bytes(b"")
    with pytest.raises(backup.BackupError, match="manifest.json tidak ada"):
        backup.restore(backup.Layout.from_config(make_place("target")), tmp_path / "half")


def test_restore_refuses_a_target_with_data_unless_forced(seeded, make_place, tmp_path):
    backup.backup(backup.Layout.from_config(seeded), tmp_path / "backup")
    occupied = make_place("occupied")
    platform.migrate_all(occupied)
    target = backup.Layout.from_config(occupied)

    with pytest.raises(backup.BackupError, match="tujuan tidak kosong.*--force"):
        backup.restore(target, tmp_path / "backup")
    assert catalog_rows(target) == []

    backup.restore(target, tmp_path / "backup", force=True)
    assert layout_rows(target) == layout_rows(backup.Layout.from_config(seeded))


def test_restore_refuses_while_something_uses_a_database(seeded, make_place, tmp_path):
    backup.backup(backup.Layout.from_config(seeded), tmp_path / "backup")
    occupied = make_place("in-use")
    platform.migrate_all(occupied)
    target = backup.Layout.from_config(occupied)
    catalog_url = target.databases[SERVICES.index("catalog")].url
    holder = subprocess.Popen(  # another process with the catalog database open, as the platform has
        [sys.executable, "-c", "import sys, time\nfrom sqlalchemy import create_engine, text\n"
         "engine = create_engine(sys.argv[1]); connection = engine.connect(); connection.execute(text('SELECT 1'))\n"
         "print('open', flush=True); time.sleep(120)", catalog_url.replace("sqlite:///", "sqlite:///")],
        stdout=subprocess.PIPE, text=True, env=platform.child_env())
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(backup.BackupError, match="platform sedang berjalan.*catalog"):
            backup.restore(target, tmp_path / "backup", force=True)
    finally:
        holder.kill()
        holder.wait(10)
    assert catalog_rows(target) == []  # refused before anything was written
    backup.restore(target, tmp_path / "backup", force=True)
    assert catalog_rows(target)


def test_restore_refuses_another_database_engine(seeded, tmp_path):
    backup.backup(backup.Layout.from_config(seeded), tmp_path / "backup")
    source_engine = backup.read_manifest(tmp_path / "backup")["databases"][0]["engine"]
    if source_engine == "sqlite":
        other = "postgresql+pg8000://postgres@127.0.0.1:5432/etalase_t_never_created"
    else:
        other = f"sqlite:///{tmp_path / 'other' / 'search.db'}"
    layout = backup.Layout.from_config(seeded)
    swapped = backup.Layout((backup.Database("search", other), *layout.databases[1:]), tmp_path / "media")
    with pytest.raises(backup.BackupError, match="pulihkan ke mesin basis data yang sama"):
        backup.restore(swapped, tmp_path / "backup")


def test_command_line_backup_and_restore(tmp_path):
    """The thin CLI: exit codes and one line of why (SQLite, the default location)."""
    source, target = tmp_path / "source", tmp_path / "target"

    def etalase(var_dir, *args):
        env = platform.child_env({"ETALASE_VAR_DIR": str(var_dir)})
        for service in SERVICES:
            env.pop(f"{service.upper()}_DATABASE_URL", None)
            env.pop(f"{service.upper()}_MEDIA_ROOT", None)
        return subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    assert etalase(source, "migrate").returncode == 0
    made = etalase(source, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    assert "cadangan selesai" in made.stdout
    again = etalase(source, "backup", str(tmp_path / "backup"))
    assert again.returncode == 1 and "tidak kosong" in again.stderr
    restored = etalase(target, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert "etalase search verify" in restored.stdout
    refused = etalase(target, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert Path(target / "catalog.db").is_file()


def test_restore_publishes_again_the_events_of_the_hour_before_the_backup(seeded, make_place, tmp_path):
    """Events a consumer had not taken from its queue when the backup was taken are not lost
    with the old broker: the producer's relay publishes them again (consumers drop duplicates)."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select, update

    from services.catalog.models import OutboxMessage
    from shared.db import make_engine

    table = OutboxMessage.__table__
    source = backup.Layout.from_config(seeded)
    now = datetime.now(timezone.utc)
    engine = make_engine(source.databases[SERVICES.index("catalog")].url)
    with engine.begin() as connection:
        ids = connection.execute(select(table.c.id).order_by(table.c.id)).scalars().all()
        assert len(ids) > 10
        connection.execute(update(table).where(table.c.id <= ids[4]).values(
            status="published", published_at=now - timedelta(hours=3)))  # long consumed
        connection.execute(update(table).where(table.c.id > ids[4]).values(
            status="published", published_at=now - timedelta(minutes=5)))  # maybe still queued
    engine.dispose()
    backup.backup(source, tmp_path / "backup")
    target = backup.Layout.from_config(make_place("target"))
    backup.restore(target, tmp_path / "backup")

    engine = make_engine(target.databases[SERVICES.index("catalog")].url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(table.c.status, func.count()).group_by(table.c.status)).all())
    engine.dispose()
    assert statuses == {"published": 5, "pending": len(ids) - 5}
