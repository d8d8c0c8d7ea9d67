"""The search service's objects alive at start are left out of the garbage collector's full
collections while it runs (``IndexBatcher.start``), and given back at stop."""
import gc

from services.search.batching import IndexBatcher


def test_the_objects_alive_at_start_are_frozen_until_stop():
    assert gc.get_freeze_count() == 0
    batcher = IndexBatcher()
    alive_at_start = []
    try:
        batcher.start()
        made_later = []
        assert gc.get_freeze_count() > 0
        tracked = gc.get_objects()  # what full collections look at: not the frozen objects
        assert not any(obj is alive_at_start for obj in tracked)
        assert any(obj is made_later for obj in tracked)
    finally:
        batcher.stop()
    assert gc.get_freeze_count() == 0
    assert any(obj is alive_at_start for obj in gc.get_objects())


def test_a_process_that_freezes_objects_itself_is_left_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        batcher = IndexBatcher()
        batcher.start()
        batcher.stop()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
