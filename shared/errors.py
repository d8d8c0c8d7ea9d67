"""Typed errors that cross RPC boundaries and map to one JSON error shape.

Every error the platform shows a caller has a stable ``code``, a human ``message``
(Bahasa Indonesia, written through ``shared.messages.t`` so that the gateway can show it in
English) and optional per-field details. Each class is registered with
nameko so that it arrives at the caller as itself, not as a ``RemoteError``.
"""
from typing import Any

from nameko.exceptions import deserialize_to_instance

from shared.messages import t


class EtalaseError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str = "", fields: dict[str, Any] | None = None):
        message = message or self.default_message
        fields = dict(fields or {})
        super().__init__(message, fields)
        self.message = message
        self.fields = fields

    default_message = t("Permintaan tidak dapat diproses.")

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}

    def __str__(self) -> str:
        return self.message if not self.fields else f"{self.message} {self.fields}"


@deserialize_to_instance
class BadRequest(EtalaseError):
    code = "bad_request"
    status = 400
    default_message = t("Permintaan tidak valid.")


@deserialize_to_instance
class ValidationFailed(EtalaseError):
    code = "validation_failed"
    status = 422
    default_message = t("Data tidak valid.")


@deserialize_to_instance
class Unauthorized(EtalaseError):
    code = "unauthorized"
    status = 401
    default_message = t("Silakan masuk terlebih dahulu.")


@deserialize_to_instance
class Forbidden(EtalaseError):
    code = "forbidden"
    status = 403
    default_message = t("Anda tidak berhak melakukan tindakan ini.")


@deserialize_to_instance
class NotFound(EtalaseError):
    code = "not_found"
    status = 404
    default_message = t("Data tidak ditemukan.")


@deserialize_to_instance
class Conflict(EtalaseError):
    code = "conflict"
    status = 409
    default_message = t("Data bertentangan dengan keadaan saat ini.")


@deserialize_to_instance
class PayloadTooLarge(EtalaseError):
    code = "payload_too_large"
    status = 413
    default_message = t("Permintaan terlalu besar.")


@deserialize_to_instance
class UpstreamError(EtalaseError):
    code = "upstream_error"
    status = 502
    default_message = t("Layanan mengalami kesalahan.")


@deserialize_to_instance
class ServiceUnavailable(EtalaseError):
    code = "service_unavailable"
    status = 503
    default_message = t("Layanan sedang tidak tersedia.")


@deserialize_to_instance
class Overloaded(ServiceUnavailable):
    """More work is waiting than can be answered in time: the caller gets 503 at once, with
    ``Retry-After``, instead of a 504 after waiting out the deadline."""

    code = "overloaded"
    status = 503
    default_message = t("Layanan sedang sangat sibuk. Silakan coba lagi beberapa saat lagi.")

    def __init__(self, message: str = "", fields: dict[str, Any] | None = None, retry_after: int = 1):
        super().__init__(message, fields)
        self.headers = {"Retry-After": str(retry_after)}


@deserialize_to_instance
class ServiceTimeout(EtalaseError):
    code = "service_timeout"
    status = 504
    default_message = t("Layanan tidak menjawab tepat waktu.")


@deserialize_to_instance
class PromoterNotApproved(Forbidden):
    """A promoter whose account an admin has not approved (pending, rejected or suspended)
    may draft and preview campaigns but not schedule one."""

    code = "promoter_not_approved"
    status = 403
    default_message = t("Akun promotor Anda belum disetujui admin, jadi kampanye belum dapat dijadwalkan.")


# The request header a client names its retries with (also the field of the 422s about it).
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


@deserialize_to_instance
class IdempotencyKeyReused(ValidationFailed):
    """An ``Idempotency-Key`` already used for another request (another body or another
    address) of the same account within 24 hours."""

    code = "idempotency_key_reused"
    status = 422
    default_message = t("Idempotency-Key ini sudah dipakai untuk permintaan lain (isi atau alamat berbeda) dalam 24 "
                        "jam terakhir. Gunakan kunci baru untuk permintaan baru.")

    def __init__(self, message: str = "", fields: dict[str, Any] | None = None):
        message = message or self.default_message
        super().__init__(message, fields or {IDEMPOTENCY_KEY_HEADER: message})
