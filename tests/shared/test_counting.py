"""shared.counting: counts per key kept in memory, taken at once, put back after a failure."""
import logging
from dataclasses import dataclass

import eventlet
import pytest

from shared.counting import CountingBuffer


class Tally(CountingBuffer[str, int]):
    def combine(self, known, value):
        return known + value

    def size(self, value):
        return value


@dataclass
class Hits:
    hits: int

    def add(self, other):
        self.hits += other.hits


class HitBuffer(CountingBuffer[str, Hits]):
    """A count that is an object updated in place, as search's query analytics does."""

    def combine(self, known, value):
        known.add(value)
        return known

    def size(self, value):
        return 1


def test_counts_add_up_per_key_in_the_order_first_seen():
    buffer = Tally()
    buffer.add_counts([("b", 1), ("a", 2)])
    buffer.add_counts([("b", 3), ("c", 1)])
    assert len(buffer) == 3 and buffer.pending == 7
    assert list(buffer.take().items()) == [("b", 4), ("a", 2), ("c", 1)]
    assert buffer.take() == {} and len(buffer) == 0 and buffer.pending == 0


def test_a_count_may_be_an_object_combined_in_place():
    buffer = HitBuffer()
    buffer.add_counts([("madu", Hits(1)), ("madu", Hits(2))])
    assert buffer.take() == {"madu": Hits(3)} and buffer.pending == 0


def test_unbounded_by_default():
    buffer = Tally()
    buffer.add_counts((str(n), 1) for n in range(10_000))
    assert len(buffer) == 10_000


def test_a_bound_drops_the_oldest_keys_and_says_how_many(caplog):
    buffer = Tally(max_keys=3)
    buffer.add_counts([("a", 1), ("b", 1), ("c", 1)])
    with caplog.at_level(logging.WARNING, logger="shared.counting"):
        buffer.add_counts([("a", 5), ("d", 1), ("e", 1)])  # "a" keeps its place: it is still the oldest
    assert list(buffer.take()) == ["c", "d", "e"]
    assert "dropped the 2 oldest" in caplog.text


def test_a_subclass_hears_of_dropped_keys_outside_the_lock():
    heard = []

    class Watched(Tally):
        def dropped(self, count):
            heard.append((count, self._lock.locked()))

    buffer = Watched(max_keys=1)
    buffer.add_counts([("a", 1), ("b", 1)])
    buffer.put_back({"c": 1})
    assert heard == [(1, False), (1, False)]  # the put-back "c" is older than "b": it goes
    assert buffer.take() == {"b": 1}


def test_max_keys_must_keep_something():
    with pytest.raises(ValueError):
        Tally(max_keys=0)


def test_put_back_counts_go_in_front_of_newer_ones_and_merge_with_them():
    buffer = Tally()
    buffer.add_counts([("a", 1), ("b", 1)])
    taken = buffer.take()
    buffer.add_counts([("c", 1), ("b", 2)])
    buffer.put_back(taken)
    assert list(buffer.take().items()) == [("a", 1), ("b", 3), ("c", 1)]


def test_put_back_merges_objects_combined_in_place():
    buffer = HitBuffer()
    buffer.add_counts([("madu", Hits(1))])
    taken = buffer.take()
    buffer.add_counts([("madu", Hits(2)), ("kopi", Hits(1))])
    buffer.put_back(taken)
    assert buffer.take() == {"madu": Hits(3), "kopi": Hits(1)}


@pytest.mark.parametrize("put_back_is_pending, pending", [(True, 5), (False, 1)])
def test_put_back_counts_are_pending_again_only_when_asked(put_back_is_pending, pending):
    buffer = Tally(put_back_is_pending=put_back_is_pending)
    buffer.add_counts([("a", 4)])
    taken = buffer.take()
    buffer.add_counts([("b", 1)])
    buffer.put_back(taken)
    assert buffer.pending == pending
    assert buffer.take() == {"a": 4, "b": 1}


def test_a_bounded_put_back_drops_the_oldest_which_are_the_put_back_ones():
    buffer = Tally(max_keys=3)
    buffer.add_counts([("a", 1), ("b", 1)])
    taken = buffer.take()
    buffer.add_counts([("c", 1), ("d", 1)])
    buffer.put_back(taken)
    assert list(buffer.take()) == ["b", "c", "d"]


def test_adds_from_many_green_threads_while_the_loop_takes_lose_nothing():
    """``combine`` yields (as a logging or slow one might): without the lock, a take between
    reading a key's count and storing the sum would count some twice or lose some."""

    class Yielding(Tally):
        def combine(self, known, value):
            eventlet.sleep(0)
            return known + value

    buffer = Yielding()
    taken = []

    def adder():
        for _ in range(50):
            buffer.add_counts([("a", 1), ("b", 1)])
            eventlet.sleep(0)

    def taker():
        for _ in range(200):
            taken.append(buffer.take())
            eventlet.sleep(0)

    threads = [eventlet.spawn(adder) for _ in range(10)] + [eventlet.spawn(taker)]
    for thread in threads:
        thread.wait()
    taken.append(buffer.take())
    assert sum(counts.get("a", 0) for counts in taken) == 500
    assert sum(counts.get("b", 0) for counts in taken) == 500
