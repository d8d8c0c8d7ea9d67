"""The objects alive when a service starts are left out of the garbage collector's full
collections while it runs, and full collections are considered less often
(shared.extensions.StartupObjectsFrozen); both given back at stop."""
import gc
import weakref

from shared.extensions import StartupObjectsFrozen


class Cycle:
    self = None


def test_the_objects_alive_at_start_are_frozen_until_stop():
    assert gc.get_freeze_count() == 0
    frozen = StartupObjectsFrozen()
    alive_at_start = []
    try:
        frozen.start()
        made_later = []
        assert gc.get_freeze_count() > 0
        tracked = gc.get_objects()  # what full collections look at: not the frozen objects
        assert not any(obj is alive_at_start for obj in tracked)
        assert any(obj is made_later for obj in tracked)
        cycle = Cycle()  # garbage made while frozen is still collected
        cycle.self = cycle
        collected = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert collected() is None
    finally:
        frozen.stop()
    assert gc.get_freeze_count() == 0
    assert any(obj is alive_at_start for obj in gc.get_objects())


def test_full_collections_are_considered_less_often_while_it_runs():
    before = gc.get_threshold()
    frozen = StartupObjectsFrozen()
    try:
        frozen.start()
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2]
        assert full == StartupObjectsFrozen.FULL_COLLECTION_AFTER > before[2]
    finally:
        frozen.stop()
    assert gc.get_threshold() == before


def test_a_process_that_freezes_objects_itself_is_left_alone():
    # Which objects are frozen, not how many: a frozen object still dies when its last
    # reference goes, so the count moves with whatever else the process (a pytest worker that
    # ran other tests) lets go of meanwhile.
    frozen_by_the_process = []
    gc.freeze()
    try:
        made_after = []
        frozen = StartupObjectsFrozen()
        thresholds = gc.get_threshold()
        frozen.start()
        assert gc.get_threshold() == thresholds
        assert not frozen.froze
        assert any(obj is made_after for obj in gc.get_objects())  # not frozen again
        frozen.stop()
        assert not any(obj is frozen_by_the_process for obj in gc.get_objects())  # not unfrozen
    finally:
        gc.unfreeze()
    assert any(obj is frozen_by_the_process for obj in gc.get_objects())
