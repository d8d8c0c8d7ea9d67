"""Deliver events to several workers at once, as a consumer with prefetch > 1 (or several
instances of a service) does, and count what would be retried."""
from __future__ import annotations

from typing import Callable, Iterable

import eventlet
from eventlet.event import Event as GreenEvent
from sqlalchemy.orm import Session, sessionmaker

from shared.events import Event


def burst(session_factory: sessionmaker[Session], rounds: Iterable[list[Event]],
          apply: Callable[[Session, Event], object], attempts: int = 5) -> list[str]:
    """Each round's events start together, one green thread and session each (pg8000's
    sockets are green, so on PostgreSQL they really run at once; SQLite's single connection
    makes them take turns). A delivery that raises is rolled back and tried again, as the
    consumer's retry queue would; returns one line per such failure (none is the goal)."""
    failures: list[str] = []

    def deliver(event: Event, start: GreenEvent) -> None:
        start.wait()
        for _ in range(attempts):
            with session_factory() as session:
                try:
                    apply(session, event)
                    session.commit()
                    return
                except Exception as error:  # noqa: BLE001  # every kind of failure is a retry
                    session.rollback()
                    failures.append(f"{event.type} {event.aggregate_id} v{event.aggregate_version}: {error!r}"[:400])

    for events in rounds:
        start = GreenEvent()
        workers = [eventlet.spawn(deliver, event, start) for event in events]
        eventlet.sleep(0)  # every worker is waiting at the start line
        start.send()
        for worker in workers:
            worker.wait()
    return failures
