"""How many processes of each service `etalase run` starts (``--replicas`` / ``ETALASE_REPLICAS``).

Plain functions, no processes: the spec parser, the refusal of replicas the database
cannot carry, and the plan of named processes that ``services.platform.Platform`` starts.

- ``parse_replicas("search=2,gateway=2")`` -> ``{"catalog": 1, "search": 2, "promotion": 1,
  "gateway": 2}``; anything else (unknown service, repeated service, count outside 1..16,
  garbage) raises ``InvalidReplicas`` naming the bad part and the accepted form.
- ``refuse_on_sqlite``: more than one catalog or promotion process on a SQLite database is
  refused (their writes read, then write, under row locks that only PostgreSQL has;
  SQLite lets one process write at a time);
  search and gateway replicas are fine on SQLite.
- ``replica_plan``: one ``Replica`` per process. A service with one process keeps its
  plain name (``search``, log ``logs/search.log``), as before replicas existed; with more,
  each is numbered from 1 (``search-1``, ``search-2``).

Each process learns who it is from its environment (``replica_env``): ``ETALASE_REPLICA``
(its name) and ``<SERVICE>_REPLICAS`` (how many processes its service has), e.g.
``ETALASE_REPLICA=search-2`` and ``SEARCH_REPLICAS=2``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SERVICES = ("catalog", "search", "promotion", "gateway")
MAX_REPLICAS = 16
# Services whose writing transactions need row locks (FOR UPDATE) to run in several processes.
NEEDS_POSTGRESQL = ("catalog", "promotion")
REPLICA_VARIABLE = "ETALASE_REPLICA"
ACCEPTED_FORM = (f"use SERVICE=COUNT[,SERVICE=COUNT...], e.g. search=2,gateway=2 "
                 f"(services: {', '.join(SERVICES)}; COUNT 1 to {MAX_REPLICAS})")
_COUNT = re.compile(r"[0-9]+")


class InvalidReplicas(ValueError):
    """A replica spec or count `etalase run` refuses; the message names the bad part."""


def parse_replicas(spec: str) -> dict[str, int]:
    """Every service's process count: those named in ``spec``, 1 for the others."""
    counts = dict.fromkeys(SERVICES, 1)
    if not spec.strip():
        raise InvalidReplicas(f"the replica spec is empty; {ACCEPTED_FORM}")
    seen: dict[str, str] = {}
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            raise InvalidReplicas(f"{spec!r} has an empty part (two commas, or a comma at an end); {ACCEPTED_FORM}")
        name, equals, count = (piece.strip() for piece in part.partition("="))
        if not equals or not name or not count:
            raise InvalidReplicas(f"{part!r} is not SERVICE=COUNT; {ACCEPTED_FORM}")
        if name not in SERVICES:
            raise InvalidReplicas(f"{part!r} names an unknown service {name!r}; {ACCEPTED_FORM}")
        if name in seen:
            raise InvalidReplicas(f"{name} is given twice ({seen[name]!r} and {part!r}); {ACCEPTED_FORM}")
        if not _COUNT.fullmatch(count) or not 1 <= int(count) <= MAX_REPLICAS:
            raise InvalidReplicas(f"{part!r}: the count must be a whole number from 1 to {MAX_REPLICAS}; {ACCEPTED_FORM}")
        seen[name] = part
        counts[name] = int(count)
    return counts


def refuse_on_sqlite(counts: dict[str, int], database_urls: dict[str, str]) -> None:
    """Raise ``InvalidReplicas`` when a service that needs PostgreSQL for several processes
    would run more than one on SQLite; ``database_urls`` maps a service to its database url."""
    for service in NEEDS_POSTGRESQL:
        url = database_urls.get(service, "")
        if counts.get(service, 1) > 1 and url.startswith("sqlite"):
            variable = f"{service.upper()}_DATABASE_URL"
            raise InvalidReplicas(
                f"{service}={counts[service]} needs PostgreSQL: the {service} database is SQLite ({url}), "
                f"which one process at a time may write, without the row locks its writes take on PostgreSQL. "
                f"Set {variable} to a PostgreSQL "
                f"database (e.g. {variable}=postgresql+pg8000://etalase@127.0.0.1/{service}), or run one "
                f"{service} process; search and gateway replicas work on SQLite")


@dataclass(frozen=True)
class Replica:
    name: str  # the process's name: its log file, its line in /health and in the supervisor's messages
    service: str
    count: int  # processes of this service

    def env(self) -> dict[str, str]:
        return replica_env(self)


def replica_plan(counts: dict[str, int]) -> list[Replica]:
    """The processes to start, service by service in the platform's order."""
    plan = []
    for service in SERVICES:
        count = counts.get(service, 1)
        if count == 1:
            plan.append(Replica(service, service, 1))
        else:
            plan += [Replica(f"{service}-{index}", service, count) for index in range(1, count + 1)]
    return plan


def replica_env(replica: Replica) -> dict[str, str]:
    """What a process is told about itself: its name and its service's process count. Search
    processes of more than one also keep the change log their embedded indexes follow one
    another by (``SEARCH_CHANGE_LOG``, off for a single process: docs/decisions/search-replicas.md)."""
    env = {REPLICA_VARIABLE: replica.name, f"{replica.service.upper()}_REPLICAS": str(replica.count)}
    if replica.service == "search" and replica.count > 1:
        env["SEARCH_CHANGE_LOG"] = "true"
    return env


def describe(counts: dict[str, int]) -> str:
    """``catalog=1, search=2, promotion=1, gateway=2`` for the operator."""
    return ", ".join(f"{service}={counts.get(service, 1)}" for service in SERVICES)
