"""The supervisor's status file: how many times `etalase run` restarted each service, read by
the gateway for ``/health``.

The gateway is itself one of the supervised children, so it cannot ask the supervisor; the
supervisor writes this small JSON file (atomically: a temporary file then ``os.replace``)
whenever a service starts or exits, and passes its path to every child in
``ETALASE_SUPERVISOR_STATUS``. Without that variable (docker compose, a service started by
hand) nothing supervises the processes here and ``/health`` leaves restarts out.

The file, one entry per process (a service run with replicas has one per replica, named
``search-1``, ``search-2``; ``service`` says whose replica it is)::

    {"services": {"search": {"service": "search", "restarts": 1, "last_reason": "SIGKILL",
                             "last_restart_at": "2026-12-05T09:41:07+08:00"}, ...}}
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_VAR = "ETALASE_SUPERVISOR_STATUS"
FILE_NAME = "supervisor-status.json"


def write_status(path: Path, services: dict[str, dict[str, Any]]) -> None:
    """Replace the file at ``path`` in one step, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"services": services}, handle, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_restarts(path: Path) -> dict[str, dict[str, Any]] | None:
    """Each process's ``restarts``, ``last_reason`` and ``last_restart_at`` (and ``service``
    when the file names it) from the file, or None when it cannot be read (not written yet,
    or not valid)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        services = data["services"]
        return {str(name): _entry(entry) for name, entry in services.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    read = {"service": str(entry["service"])} if "service" in entry else {}
    return {
        **read,
        "restarts": int(entry["restarts"]),
        "last_reason": entry.get("last_reason"),
        "last_restart_at": entry.get("last_restart_at"),
    }
