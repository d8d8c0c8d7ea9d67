"""The inbox and aggregate state tables of a test consumer (shared.consumer's mixins on one
declarative base), for the accept_event tests and the consumer race tests."""
from sqlalchemy.orm import DeclarativeBase

from shared.consumer import AggregateStateMixin, InboxMixin


class Base(DeclarativeBase):
    pass


class Inbox(InboxMixin, Base):
    pass


class State(AggregateStateMixin, Base):
    pass
