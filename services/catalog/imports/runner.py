"""Running imports: a pending job is claimed, then its rows are handled chunk by chunk.

``run_job`` parses the stored file and hands its rows to ``chunks.run_chunk`` a chunk at a
time (``FIRST_CHUNK_ROWS``, then ``CHUNK_ROWS`` each: ``chunk_bounds``), one transaction
each, so a 10,000-row file never holds one giant transaction; it resumes after
``processed_rows`` and can be told to stop between chunks.
``ImportRunner`` does this in the background of the catalog service; the CLI calls
``run_job`` itself.
"""
from __future__ import annotations

import gc
import logging
import time
from pathlib import Path
from typing import Any, Callable

import eventlet
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.catalog import fetch
from services.catalog.imports.chunks import RetryChunk, run_chunk, taken_slugs
from services.catalog.imports.jobs import DONE, FAILED, PENDING, RUNNING
from services.catalog.imports.offload import off_the_hub
from services.catalog.imports.parsing import SheetRow, parse_file
from services.catalog.imports.photo_urls import Fetcher
from services.catalog.models import ImportJob, ImportRowError, Merchant
from services.catalog.settings import CatalogSettings
from shared.background import BackgroundProvider
from shared.db import UnitOfWork, sibling_dependency
from shared.errors import EtalaseError
from shared.events import utcnow
from shared.extensions import freeze_objects_alive
from shared.messages import t

log = logging.getLogger(__name__)

FIRST_CHUNK_ROWS = 100  # the first transaction: its products reach search while the rest is written
CHUNK_ROWS = 500  # rows per transaction after the first; so at most 500 products per event batch


def chunk_bounds(total_rows: int, start: int = 0) -> list[tuple[int, int, int]]:
    """(batch, first row index, end row index) of each chunk from row index ``start`` on.
    The chunks always fall at the same rows for a file (``FIRST_CHUNK_ROWS``, then
    ``CHUNK_ROWS`` each), so a job resumed from ``processed_rows`` redoes no row and numbers
    its batches on; a resume between bounds (a job begun with other sizes) finishes that
    chunk short."""
    bounds, batch, first, end = [], 1, 0, min(FIRST_CHUNK_ROWS, total_rows)
    while first < total_rows:
        if end > start:
            bounds.append((batch, max(first, start), end))
        batch, first, end = batch + 1, end, min(end + CHUNK_ROWS, total_rows)
    return bounds


def claim_next_job(session: Session) -> str | None:
    """Mark the oldest pending job running and return its id (None if there is none, or
    another process claimed it first). Commits."""
    job_id = session.scalar(
        select(ImportJob.id).where(ImportJob.status == PENDING).order_by(ImportJob.created_at).limit(1)
    )
    if job_id is None:
        session.rollback()
        return None
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == PENDING)
        .values(status=RUNNING, started_at=func.coalesce(ImportJob.started_at, utcnow()))
    ).rowcount
    session.commit()
    return job_id if claimed == 1 else None


def requeue_stalled_jobs(session: Session, seen: dict, now: float, stall_seconds: float) -> list[str]:
    """Put back to pending a running job whose progress has not moved for ``stall_seconds``
    (its process died). ``seen`` (id -> (processed_rows, since)) is the caller's memory."""
    requeued = []
    running = session.execute(select(ImportJob.id, ImportJob.processed_rows).where(ImportJob.status == RUNNING)).all()
    for job_id, processed in running:
        last = seen.get(job_id)
        if last is None or last[0] != processed:
            seen[job_id] = (processed, now)
            continue
        if now - last[1] >= stall_seconds:
            moved = session.execute(
                update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == RUNNING,
                                        ImportJob.processed_rows == processed).values(status=PENDING)
            ).rowcount
            if moved:
                requeued.append(job_id)
            seen.pop(job_id, None)
    for job_id in set(seen) - {job_id for job_id, _ in running}:
        seen.pop(job_id)
    session.commit()
    return requeued


def run_job(
    uow: UnitOfWork,
    job_id: str,
    *,
    media_root: Path,
    fetcher: Fetcher = fetch.fetch_photo,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> str:
    """Process a claimed job chunk by chunk, committing each (``uow``: a ``UnitOfWork``).
    Resumes after ``processed_rows``. Returns the job's status afterwards."""
    session = uow.session
    job = session.get(ImportJob, job_id)
    if job is None or job.status != RUNNING:
        session.rollback()
        return job.status if job else FAILED
    try:
        _format, rows = off_the_hub(parse_file, job.filename, job.content or b"")
    except EtalaseError as problem:
        return _finish(uow, job, FAILED, problem.message)
    merchant = session.get(Merchant, job.merchant_id)
    first_row_of_sku: dict[str, int] = {}
    for row in rows:
        first_row_of_sku.setdefault(row.values.get("sku", "").strip(), row.number)
    job.total_rows = len(rows)
    stored_errors = session.scalar(
        select(func.count()).select_from(ImportRowError).where(ImportRowError.import_id == job.id)
    ) or 0
    uow.commit()
    # The objects alive now stay out of the garbage collector's full collections until the
    # chunks are done: about 120,000 in the catalog service at rest (nameko, kombu,
    # SQLAlchemy, pydantic) and the parsed file's rows. A 10,000-row import sets off two full
    # collections, and each scanned all of them (75 ms, a fifth of the job's CPU).
    froze = freeze_objects_alive()
    try:
        return _run_chunks(uow, job, merchant, rows, first_row_of_sku, stored_errors, media_root, fetcher,
                           progress, should_stop)
    finally:
        if froze:
            gc.unfreeze()


def _run_chunks(uow: UnitOfWork, job: ImportJob, merchant: Merchant, rows: list[SheetRow],
                first_row_of_sku: dict[str, int], stored_errors: int, media_root: Path, fetcher: Fetcher,
                progress: Callable[[int, int], None] | None, should_stop: Callable[[], bool]) -> str:
    session = uow.session
    # The merchant's product slugs, read once and kept up to date by each chunk (reading them
    # per chunk made an import quadratic); read again after a chunk had to be redone.
    slugs: set[str] | None = None
    for batch, chunk_start, chunk_end in chunk_bounds(len(rows), job.processed_rows):
        if should_stop():
            job.status = PENDING  # picked up again (from processed_rows) when a runner starts
            uow.commit()
            return PENDING
        chunk = rows[chunk_start:chunk_end]
        for attempt in (1, 2):
            if slugs is None:
                slugs = taken_slugs(session, merchant.id)
            try:
                stored_errors = run_chunk(
                    uow, job, merchant, chunk, batch, chunk_end, first_row_of_sku,
                    stored_errors, media_root, fetcher, slugs,
                )
                break
            except RetryChunk:
                slugs = None  # a concurrent writer may have taken a slug too
                uow.rollback()
                session.refresh(job)
                if attempt == 2:
                    return _finish(uow, job, FAILED, t(
                        "Produk diubah bersamaan saat impor (baris %(first)s–%(last)s). Impor ulang file yang sama.",
                        first=chunk[0].number, last=chunk[-1].number))
            except Exception:
                slugs = None
                log.exception("import %s: chunk %d failed", job.id, batch)
                uow.rollback()
                session.refresh(job)
                return _finish(uow, job, FAILED, t(
                    "Terjadi kesalahan saat memproses baris %(first)s–%(last)s. Baris sebelumnya sudah tersimpan.",
                    first=chunk[0].number, last=chunk[-1].number))
        if progress is not None:
            progress(job.processed_rows, job.total_rows)
        eventlet.sleep(0)  # let RPC workers and the relay run between chunks
    return _finish(uow, job, DONE, None)


def _finish(uow: UnitOfWork, job: ImportJob, status: str, error: str | None) -> str:
    job.status = status
    job.error = error
    job.finished_at = utcnow()
    job.content = None  # the file is not kept once processed
    uow.commit()
    return status


class ImportRunner(BackgroundProvider):
    """Runs pending imports in a managed green thread of the catalog container, one at a
    time: woken by ``wake()`` after ``start_import`` commits, and polling every
    ``poll_interval`` seconds anyway (jobs left pending by a stop are resumed at start-up).
    On stop it finishes the current chunk and leaves the job pending, so it resumes from
    ``processed_rows``."""

    thread_name = "import_runner"
    STALL_SECONDS = 3600.0  # a running job without progress this long was orphaned by a dead process
    STOP_WAIT_SECONDS = 60.0  # how long a stop waits for the current chunk to finish

    def __init__(self, database_attr: str = "db", poll_interval: float = 2.0):
        super().__init__()
        self.database_attr = database_attr
        self.poll_interval = poll_interval
        self._seen: dict = {}  # requeue_stalled_jobs' memory of the running jobs' progress

    def setup(self) -> None:
        self.media_root = Path(CatalogSettings.load().media_root)

    def get_dependency(self, worker_ctx: Any) -> ImportRunner:
        return self  # entry points call wake() after starting an import

    def stop(self) -> None:
        super().stop()
        self.join(self.STOP_WAIT_SECONDS)

    def run(self) -> None:
        database = sibling_dependency(self.container, self.database_attr)
        while self.loop.running:
            try:
                self.run_pending(database)
            except Exception:  # noqa: BLE001 - keep the runner alive; the next poll retries
                log.exception("import runner failed")
            self.loop.wait(self.poll_interval)

    def run_pending(self, database: Any) -> None:
        uow = database.new_unit()
        try:
            requeue_stalled_jobs(uow.session, self._seen, time.monotonic(), self.STALL_SECONDS)
            while self.loop.running:
                job_id = claim_next_job(uow.session)
                if job_id is None:
                    return
                status = run_job(uow, job_id, media_root=self.media_root, should_stop=lambda: not self.loop.running)
                log.info("import %s: %s", job_id, status)
        finally:
            uow.rollback()
            uow.close()
