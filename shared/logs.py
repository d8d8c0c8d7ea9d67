"""Logging pieces named by deploy/nameko.yaml's LOGGING section."""
from __future__ import annotations

import logging


class ExpectedErrorsWithoutTraceback(logging.Filter):
    """nameko logs an entrypoint's *expected* exception (a 422 the caller is told about, such
    as ``ValidationFailed``) at WARNING with its whole traceback. The one line says what
    happened; the traceback of an answered bad request is noise in the operator's log. Other
    records keep their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
            record.exc_info = None
            record.exc_text = None
        return True
