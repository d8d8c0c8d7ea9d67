"""Starting an import and reading its progress: the ``ImportJob`` as the owner sees it.

``start_import`` (RPC, quick) checks the actor, the size, the format and the row count and
stores a pending job with the file; the rows are handled later by ``runner.run_job``.
``get_import`` reports a job's status, counts and row errors to the owner of its merchant.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.access import require_owner, require_owns
from services.catalog.imports.offload import off_the_hub
from services.catalog.imports.parsing import parse_file
from services.catalog.imports.sheet import FILE, MAX_FILE_BYTES, file_error
from services.catalog.models import ImportJob, ImportRowError, Merchant, new_id
from shared.actor import Actor
from shared.errors import BadRequest, NotFound, ValidationFailed
from shared.events import utcnow
from shared.messages import t
from shared.text import UnsafeText, clean_text

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
# A row problem is an ERROR (the row was not saved) or a WARNING (saved, e.g. a photo not fetched).
ERROR, WARNING = "error", "warning"

MAX_REPORTED_ERRORS = 500


def _owned_merchant(session: Session, actor: Actor, merchant_id) -> Merchant:
    owner_id = require_owner(actor)
    if not isinstance(merchant_id, str) or not merchant_id.strip():
        raise ValidationFailed(t("Data tidak valid."), {"merchant_id": t("wajib diisi")})
    merchant = session.get(Merchant, merchant_id.strip())
    if merchant is None:
        raise ValidationFailed(t("Data tidak valid."), {"merchant_id": t("usaha tidak ditemukan")})
    require_owns(owner_id, merchant)
    return merchant


def decode_upload(data_b64) -> bytes:
    if not isinstance(data_b64, str) or not data_b64:
        raise ValidationFailed(t("File wajib diunggah."), {FILE: t("Pilih file CSV atau XLSX.")})
    if len(data_b64) > 4 * ((MAX_FILE_BYTES + 2) // 3) + 4:
        raise file_error(t("Ukuran file melebihi batas %(max)s MB.", max=MAX_FILE_BYTES // (1024 * 1024)), too_large=True)
    try:
        return base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(t("Data file tidak terbaca."), {FILE: t("Data file tidak terbaca.")}) from None


def create_job(session: Session, merchant: Merchant, actor_id: str, filename, data: bytes) -> ImportJob:
    """Check the file (size, format, header, row count) and stage a pending job."""
    filename = (filename if isinstance(filename, str) else "").strip()[:200] or "impor"
    try:
        filename = clean_text(filename)  # it is stored and shown: no control characters
    except UnsafeText as problem:
        raise ValidationFailed(t("Nama file tidak valid."), {FILE: problem.message}) from None
    file_format, rows = off_the_hub(parse_file, filename, data)
    job = ImportJob(
        id=new_id(), merchant_id=merchant.id, actor_id=actor_id, filename=filename, file_format=file_format,
        content=data, status=PENDING, total_rows=len(rows), processed_rows=0, created_count=0,
        updated_count=0, unchanged_count=0, failed_count=0, warning_count=0, created_at=utcnow(),
    )
    session.add(job)
    return job


def start_import(session: Session, actor: Actor, merchant_id, filename, data_b64) -> dict:
    """Validate quickly and store a pending job (the caller commits). The owner only."""
    merchant = _owned_merchant(session, actor, merchant_id)
    data = decode_upload(data_b64)
    job = create_job(session, merchant, str(actor["id"]), filename, data)
    return {"id": job.id, "status": job.status}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _problems(session: Session, job: ImportJob, severity: str) -> list[ImportRowError]:
    return list(session.scalars(
        select(ImportRowError).where(ImportRowError.import_id == job.id, ImportRowError.severity == severity)
        .order_by(ImportRowError.id).limit(MAX_REPORTED_ERRORS + 1)
    ))


def job_to_dict(session: Session, job: ImportJob) -> dict:
    """The job as its owner sees it: ``counts.failed`` rows were not saved (``errors`` says
    why, by row and column); ``counts.warnings`` rows were saved with a problem (``warnings``)."""
    errors = _problems(session, job, ERROR)
    warnings = _problems(session, job, WARNING)
    return {
        "id": job.id,
        "merchant_id": job.merchant_id,
        "filename": job.filename,
        "format": job.file_format,
        "status": job.status,
        "error": job.error,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "counts": {
            "total": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
            "warnings": job.warning_count,
        },
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors[:MAX_REPORTED_ERRORS]],
        "errors_truncated": len(errors) > MAX_REPORTED_ERRORS,
        "warnings": [{"row": w.row, "column": w.column, "message": w.message} for w in warnings[:MAX_REPORTED_ERRORS]],
        "warnings_truncated": len(warnings) > MAX_REPORTED_ERRORS,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def get_import(session: Session, actor: Actor, import_id) -> dict:
    """An import, for the owner of its merchant; anyone else gets 404 (not even "it exists")."""
    owner_id = require_owner(actor)
    job = session.get(ImportJob, import_id) if isinstance(import_id, str) else None
    if job is None or session.get(Merchant, job.merchant_id).owner_id != owner_id:
        raise NotFound(t("Impor tidak ditemukan."), {"import_id": str(import_id)})
    return job_to_dict(session, job)
