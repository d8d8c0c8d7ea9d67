"""Events of the same aggregates delivered to several workers at once (first versions,
redeliveries, versions out of order, a delete): the inbox and the aggregate state are
single upserts, so no delivery fails and has to be retried, on PostgreSQL (really
concurrent) as on SQLite, and the guarantees hold: each event applied at most once, versions
applied in increasing order, nothing after a tombstone."""
import random

from consumer_models import Base, Inbox, State
from race_helpers import burst
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from shared.consumer import accept_event
from shared.events import Event

WORKERS = 8
VERSIONS = 6


class Applied(Base):
    """What the consumer applied, in the order it applied it (ids are taken while the
    aggregate's state row is held)."""

    __tablename__ = "applied"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)


def apply(session, event):
    if accept_event(session, event, Inbox, State):
        session.add(Applied(event_id=event.id, aggregate_id=event.aggregate_id, version=event.aggregate_version))


def event(aggregate, version, kind="updated"):
    return Event(type=f"catalog.product_{kind}", aggregate_id=aggregate, aggregate_version=version, payload={})


def schedule(seed=0):
    """Rounds of WORKERS deliveries; two aggregates at a time, so each round has several
    events of one product, the first round their first versions. Every event is delivered
    twice; ``a`` and ``c`` end with a delete (their highest version)."""
    rng = random.Random(seed)
    events, rounds = [], []
    for pair in (("a", "b"), ("c", "d")):
        deliveries = []
        for aggregate in pair:
            mine = [event(aggregate, version) for version in range(1, VERSIONS + 1)]
            if aggregate in ("a", "c"):
                mine.append(event(aggregate, VERSIONS + 1, "deleted"))
            events += mine
            deliveries += mine * 2
        rng.shuffle(deliveries)
        rounds += [deliveries[i:i + WORKERS] for i in range(0, len(deliveries), WORKERS)]
    return events, rounds


def test_a_burst_of_the_same_aggregates_at_several_workers_needs_no_retry(tables):
    factory = tables(Base)
    events, rounds = schedule()
    first = rounds[0]
    assert len({e.aggregate_id for e in first}) < len(first) and len({e.id for e in first}) < len(first), \
        "the first round must race on a first state row and on a redelivered event"

    failures = burst(factory, rounds, apply)

    assert failures == []
    with factory() as session:
        assert set(session.scalars(select(Inbox.event_id))) == {e.id for e in events}
        states = {s.aggregate_id: (s.version, s.deleted) for s in session.scalars(select(State))}
        assert states == {"a": (7, True), "b": (6, False), "c": (7, True), "d": (6, False)}
        applied = session.execute(select(Applied.event_id, Applied.aggregate_id, Applied.version).order_by(Applied.id)).all()
    assert len({row.event_id for row in applied}) == len(applied)  # none applied twice
    for aggregate, (last, _deleted) in states.items():
        versions = [row.version for row in applied if row.aggregate_id == aggregate]
        assert versions == sorted(set(versions)) and versions[-1] == last  # in order; the tombstone is last
