"""The `etalase` command: run the platform, migrate, seed, manage admins and dead letters."""
from __future__ import annotations

import signal
import sys
import warnings
from pathlib import Path

import click

# eventlet prints a deprecation banner on import; it is noise for operators.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def _fail(message: str) -> None:
    click.echo(f"etalase: {message}", err=True)
    sys.exit(1)


def _config() -> dict:
    from services import platform

    return platform.load_config()


@click.group()
def main():
    """Etalase Sultra: etalase digital produk UMKM dan koperasi Sulawesi Tenggara."""


def _replica_counts(spec: str | None, config: dict) -> dict[str, int]:
    """The process count of each service from --replicas/ETALASE_REPLICAS; a bad spec, or
    replicas the configured databases cannot carry, stops `etalase run` in one line."""
    from services import platform, replicas

    if spec is None:
        return dict.fromkeys(replicas.SERVICES, 1)
    source = ("ETALASE_REPLICAS" if click.get_current_context().get_parameter_source("replicas")
              == click.core.ParameterSource.ENVIRONMENT else "--replicas")
    try:
        counts = replicas.parse_replicas(spec)
        settings = platform.service_settings(config)
        replicas.refuse_on_sqlite(counts, {name: entry.database_url for name, entry in settings.items()})
    except replicas.InvalidReplicas as exc:
        _fail(f"{source} {spec!r}: {exc}")
    return counts


@main.command()
@click.option("--host", default="127.0.0.1", envvar="HOST", show_default=True)
@click.option("--port", default=8000, envvar="PORT", type=int, show_default=True)
@click.option("--seed/--no-seed", default=True, help="Load the demo data on first run.")
@click.option("--replicas", envvar="ETALASE_REPLICAS", metavar="SERVICE=COUNT,...",
              help="Processes per service, e.g. search=2,gateway=2 (default one of each; env ETALASE_REPLICAS). "
                   "More than one catalog or promotion needs PostgreSQL.")
@click.option("--data-dir", envvar="ETALASE_DATA_DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Where the SQLite databases, media, logs and run status live (default ./var; "
                   "env ETALASE_DATA_DIR, or its older name ETALASE_VAR_DIR).")
def run(host: str, port: int, seed: bool, replicas: str | None, data_dir: Path | None):
    """Migrate, seed the demo data once, and run all four services."""
    import os

    from services import platform
    from services.replicas import describe
    from services.supervision import GaveUp, RestartPolicy
    from shared import supervisor_status
    from shared.settings import InvalidSetting, amqp_uri
    from shared.topology import QueueTypeMismatch

    if data_dir is not None:  # read by every service's settings, here and in the children
        os.environ["ETALASE_DATA_DIR"] = str(data_dir.absolute())
    config = _config()
    counts = _replica_counts(replicas, config)
    uri = amqp_uri(config)
    try:
        platform.check_broker(uri)
    except platform.BrokerUnreachable as exc:
        _fail(str(exc))
    platform.migrate_all(config)
    try:
        platform.declare_events_topology(uri)
    except (InvalidSetting, QueueTypeMismatch) as exc:
        _fail(str(exc))
    if seed:
        seeded = platform.seed_demo(config)
        if seeded:
            click.echo(f"etalase: demo data loaded ({seeded}); demo owners sign in with password '{platform.DEMO_PASSWORD}'")
    var_dir = platform.service_settings(config)["gateway"].var_dir
    supervisor = platform.Platform(
        platform.config_path(), host, port, log_dir=var_dir / "logs", restart_policy=RestartPolicy(),
        status_file=var_dir / supervisor_status.FILE_NAME, replicas=counts,
    )
    # `kill`, systemd and `docker stop` send SIGTERM: stop the services as Ctrl-C does
    # (the finally below), instead of dying and leaving them running. Once either signal is
    # handled the supervising loop has ended, so nothing is restarted while stopping.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if len(supervisor.replicas) > len(counts):
        click.echo(f"etalase: replicas {describe(counts)}: processes {', '.join(supervisor.replicas)}")
    click.echo(f"etalase: each process writes its log to {var_dir / 'logs'}/<process>.log")
    supervisor.start()
    try:
        try:
            supervisor.wait_healthy(timeout=90)
            click.echo(f"etalase: running at http://{host}:{port}  (Ctrl-C to stop)")
        except TimeoutError as exc:  # slow, or a service crashing and restarting: keep supervising
            click.echo(f"etalase: {exc}; still supervising (logs in {var_dir / 'logs'})", err=True)
        code = supervisor.wait()
    except KeyboardInterrupt:
        code = 0
    except GaveUp as exc:
        click.echo(f"etalase: {supervisor.gave_up_message(exc)}", err=True)
        code = 1
    finally:
        supervisor.stop()
    sys.exit(code)


@main.command()
def migrate():
    """Bring every service database to the latest schema."""
    from services import platform

    platform.migrate_all(_config())
    click.echo("etalase: databases migrated")


@main.command()
def seed():
    """Load the demo data (once; does nothing when the catalog has data)."""
    from services import platform

    config = _config()
    platform.migrate_all(config)
    counts = platform.seed_demo(config)
    click.echo(f"etalase: demo data loaded: {counts}" if counts else "etalase: catalog already has data; nothing seeded")


@main.group()
def admin():
    """Manage admin (Dinas curator) accounts."""


@admin.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def admin_create(email: str, name: str, password_stdin: bool):
    """Create an admin account. Admins can only be created here, never through the API."""
    from services import platform
    from services.gateway.admin import create_admin
    from shared.db import make_engine, make_session_factory
    from shared.errors import EtalaseError

    password = sys.stdin.readline().rstrip("\r\n")
    config = _config()
    settings = platform.service_settings(config)["gateway"]
    from shared.migrations import upgrade

    upgrade("gateway", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            try:
                account = create_admin(session, email, name, password)
            except EtalaseError as exc:
                details = "; ".join(f"{field}: {reason}" for field, reason in exc.fields.items())
                _fail(f"{exc.message} {details}".strip())
            session.commit()
    finally:
        engine.dispose()
    click.echo(f"etalase: admin {account['email']} created (id {account['id']})")


@main.command("switch-queues")
@click.argument("queue_type", required=False, type=click.Choice(["classic", "quorum"]))
def switch_queues(queue_type: str | None):
    """Redeclare the event queues as classic or quorum queues (default: RABBITMQ_QUEUE_TYPE),
    keeping their messages; the platform must be stopped (docs/decisions/queue-types.md)."""
    from shared.queue_switch import SwitchRefused, switch_queue_type
    from shared.settings import InvalidSetting, amqp_uri, rabbitmq_queue_type

    config = _config()
    try:
        report = switch_queue_type(amqp_uri(config), queue_type or rabbitmq_queue_type(config))
    except (InvalidSetting, SwitchRefused) as exc:
        _fail(str(exc))
    for name in [*report.switched, *(name for name in report.moved if name not in report.switched)]:
        click.echo(f"etalase: {name} is a {report.queue_type} queue ({report.moved.get(name, 0)} message(s) kept)")
    if not report.switched and not report.moved:
        click.echo(f"etalase: every event queue already is a {report.queue_type} queue")


@main.group("dead-letters")
def dead_letters():
    """Inspect and replay events that failed too often."""


@dead_letters.command("count")
def dead_letters_count():
    from kombu import Connection

    from shared.settings import amqp_uri
    from shared.topology import SUBSCRIPTIONS, declare_topology

    with Connection(amqp_uri(_config())) as connection:
        declare_topology(connection)
        channel = connection.channel()
        for name, sub in SUBSCRIPTIONS.items():
            _, count, _ = channel.queue_declare(sub.dead_queue_name, passive=True)
            click.echo(f"{name}: {count} dead letter(s) in {sub.dead_queue_name}")
        channel.close()


@dead_letters.command("replay")
@click.argument("subscription", type=click.Choice(["search", "promotion"]))
@click.option("--limit", default=1000, show_default=True)
def dead_letters_replay(subscription: str, limit: int):
    from shared.consumer import replay_dead_letters
    from shared.settings import amqp_uri

    moved = replay_dead_letters(subscription, limit=limit, uri=amqp_uri(_config()))
    click.echo(f"etalase: {moved} message(s) moved back to {subscription}")



@main.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path):
    """Cadangkan basis data setiap layanan dan media ke DIRECTORY (baru atau kosong); platform boleh berjalan."""
    from services import backup

    try:
        manifest = backup.backup(backup.Layout.from_config(_config()), directory,
                                 progress=lambda step: click.echo(f"etalase: {step}"))
    except backup.BackupError as exc:
        _fail(str(exc))
    for database in manifest["databases"]:
        click.echo(f"  {database['file']}: {database['bytes']:,} bytes, revisi {database['alembic_revision']}")
    click.echo(f"  media: {manifest['media']['count']} berkas, {manifest['media']['bytes']:,} bytes")
    click.echo(f"etalase: cadangan selesai di {directory} ({manifest['finished_at']['wita']})")


@main.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Timpa data yang sudah ada di tujuan.")
def restore_command(directory: Path, force: bool):
    """Pulihkan cadangan DIRECTORY ke lokasi data yang dikonfigurasi (platform harus berhenti)."""
    from services import backup

    try:
        manifest = backup.restore(backup.Layout.from_config(_config()), directory, force=force,
                                  progress=lambda step: click.echo(f"etalase: {step}"))
    except backup.BackupError as exc:
        _fail(str(exc))
    click.echo(f"etalase: cadangan {manifest['started_at']['wita']} dipulihkan. Jalankan `etalase run`, "
               "lalu `etalase search verify --repair` agar indeks sama dengan katalog")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--merchant", "merchant_id", required=True, help="Id usaha (merchant) pemilik produk.")
def import_products(file: str, merchant_id: str):
    """Impor produk dari FILE (CSV atau XLSX) ke usaha MERCHANT, langsung ke basis data katalog."""
    from pathlib import Path

    from services import platform
    from services.catalog import imports
    from services.catalog.models import Merchant
    from shared.db import UnitOfWork, make_engine, make_session_factory
    from shared.errors import EtalaseError
    from shared.migrations import upgrade

    settings = platform.service_settings(_config())["catalog"]
    upgrade("catalog", settings.database_url)
    engine = make_engine(settings.database_url)
    uow = UnitOfWork(make_session_factory(engine), [])
    try:
        merchant = uow.session.get(Merchant, merchant_id)
        if merchant is None:
            _fail(f"usaha {merchant_id} tidak ditemukan")
        try:
            # The operator has the database itself, so no owner check; the file checks are the
            # API's. The events wait in the outbox for the catalog service's relay.
            job = imports.create_job(uow.session, merchant, "cli", Path(file).name, Path(file).read_bytes())
        except EtalaseError as exc:
            _fail("; ".join(str(reason) for reason in exc.fields.values()) or exc.message)
        job.status = imports.RUNNING
        job.started_at = job.created_at
        uow.commit()
        with click.progressbar(length=job.total_rows, label=f"Mengimpor {job.total_rows} baris") as bar:
            def progress(done: int, _total: int) -> None:
                bar.update(done - bar.pos)

            status = imports.run_job(uow, job.id, media_root=Path(settings.media_root), progress=progress)
        report = imports.get_import(uow.session, {"id": merchant.owner_id, "role": "owner"}, job.id)
    finally:
        uow.close()
        engine.dispose()
    counts = report["counts"]
    click.echo(
        f"etalase: impor {report['id']} {status}: {counts['total']} baris, {counts['created']} dibuat, "
        f"{counts['updated']} diperbarui, {counts['unchanged']} tidak berubah, {counts['failed']} gagal"
    )
    if report["error"]:
        click.echo(f"etalase: {report['error']}", err=True)
    for error in report["errors"]:
        click.echo(f"  baris {error['row']}, kolom {error['column'] or '-'}: {error['message']}")
    if report["errors_truncated"]:
        click.echo(f"  (hanya {len(report['errors'])} kesalahan pertama yang ditampilkan)")
    sys.exit(0 if status == imports.DONE else 1)


@main.group("search")
def search_ops():
    """Periksa dan bangun ulang indeks pencarian (layanan search harus berjalan)."""


def _search_call(method: str, timeout: float = 600, **kwargs):
    """Call the running search service over RPC with the configured broker."""
    from nameko.standalone.rpc import ClusterRpcClient

    from shared.errors import EtalaseError
    from shared.settings import amqp_uri

    config = _config()
    try:
        with ClusterRpcClient(uri=amqp_uri(config), timeout=timeout) as client:
            return getattr(client.search, method)(**kwargs)
    except EtalaseError as exc:
        _fail(exc.message)
    except Exception as exc:  # noqa: BLE001 - the operator needs a line, not a traceback
        _fail(f"layanan search tidak dapat dihubungi: {exc}")


def print_verify_report(report: dict) -> None:
    click.echo(f"etalase: {report['checked']} produk di katalog ({report['listed']} tampil), "
               f"{report['indexed']} dokumen di indeks")
    labels = {"missing": "hilang dari indeks", "stale": "versi usang", "extra": "tidak seharusnya ada"}
    for kind, label in labels.items():
        part = report[kind]
        line = f"  {label}: {part['count']}"
        if part["ids"]:
            line += " (" + ", ".join(part["ids"][:20]) + (", …" if part["count"] > 20 else "") + ")"
        click.echo(line)
    if report["in_sync"]:
        click.echo("etalase: indeks sesuai dengan katalog")
    elif report["repaired"]:
        click.echo("etalase: selisih sudah diperbaiki")
    else:
        click.echo("etalase: indeks berbeda dari katalog; jalankan dengan --repair untuk memperbaiki")


@search_ops.command("verify")
@click.option("--repair", is_flag=True, help="Perbaiki selisih yang ditemukan.")
def search_verify(repair: bool):
    """Bandingkan indeks pencarian dengan katalog dan laporkan selisihnya."""
    report = _search_call("verify", repair=repair)
    print_verify_report(report)
    sys.exit(0 if report["in_sync"] or report["repaired"] else 1)


@search_ops.command("reindex")
@click.option("--interval", default=0.5, show_default=True, help="Detik antara dua pemeriksaan kemajuan.")
def search_reindex(interval: float):
    """Bangun ulang indeks dari katalog lalu ganti secara atomik (pencarian tetap berjalan)."""
    import time

    started = _search_call("start_reindex", timeout=30)
    status = _search_call("reindex_status", timeout=30)
    with click.progressbar(length=max(int(status.get("total") or 0), 1), label="Membangun ulang indeks") as bar:
        while True:
            status = _search_call("reindex_status", timeout=30)
            total = int(status.get("total") or 0)
            if total and bar.length != total:
                bar.length = total
            bar.update(max(0, int(status.get("done") or 0) - bar.pos))
            if status["status"] != "running" or status.get("id") != started["id"]:
                break
            time.sleep(interval)
    if status["status"] != "done":
        _fail(f"pengindeksan ulang gagal: {status.get('error') or status['status']}")
    click.echo(f"etalase: indeks dibangun ulang dari {status['done']} produk")


if __name__ == "__main__":
    main()
