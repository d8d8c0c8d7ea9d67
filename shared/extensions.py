"""nameko extensions every service may use: typed settings loaded once per container, a
timer whose interval comes from those settings, and the startup's objects kept out of the
garbage collector's full collections."""
import gc
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from shared.leader import leader_of, leads
from shared.settings import ServiceSettings


class Settings(DependencyProvider):
    """Loads the typed settings when the container starts (never at import time) and hands
    the same read-only object to every worker."""

    def __init__(self, settings_cls: type[ServiceSettings]):
        self.settings_cls = settings_cls
        self.settings: ServiceSettings | None = None

    def setup(self) -> None:
        self.settings = self.settings_cls.load()

    def get_dependency(self, worker_ctx: Any) -> ServiceSettings | None:
        return self.settings


class SettingsTimer(Timer):
    """nameko's ``@timer(interval=...)`` fixes the interval when the class is defined, before
    any configuration is loaded; this one reads it in ``setup()`` (so tests and deployments
    can set it, e.g. ``CATALOG: {HALAL_CHECK_INTERVAL: 0.2}``).

    With ``leader`` (the attribute of the service's ``shared.leader.Leadership``), a tick
    runs the method only on the leading replica; elsewhere the tick is a no-op (no worker)."""

    def __init__(self, settings_cls: type[ServiceSettings], setting: str, eager: bool = False,
                 leader: str | None = None, **kwargs: Any):
        self.settings_cls = settings_cls
        self.setting = setting
        self.leader = leader
        self.skipped_ticks = 0  # ticks that ran nothing here: another replica leads
        super().__init__(interval=None, eager=eager, **kwargs)

    def setup(self) -> None:
        interval = float(getattr(self.settings_cls.load(), self.setting))
        if interval <= 0:
            raise ValueError(f"{self.setting} must be > 0 seconds, got {interval}")
        self.interval = interval
        super().setup()

    def handle_timer_tick(self) -> None:
        if not leads(leader_of(self.container, self.leader)):
            self.skipped_ticks += 1
            self.worker_complete.send()  # nameko's loop waits for it before the next tick
            return
        super().handle_timer_tick()


settings_timer = SettingsTimer.decorator


def freeze_objects_alive(collect_first: bool = False) -> bool:
    """Leave the objects alive now out of the garbage collector's full collections
    (``gc.freeze``; with ``collect_first``, after one collection of what is garbage already)
    and say so; a process that froze objects itself is left alone (False). Whoever froze
    them gives them back with ``gc.unfreeze()``."""
    if gc.get_freeze_count():
        return False
    if collect_first:
        gc.collect()
    gc.freeze()
    return True


class StartupObjectsFrozen(DependencyProvider):
    """While the service runs, the objects it made to start (modules, nameko's container,
    kombu, SQLAlchemy's mappers and pool, pydantic's validators, a loaded search index: about
    100,000) are left out of the garbage collector's full collections (``gc.freeze``, after
    one collection of the startup's garbage). A burst of events keeps enough objects alive
    through a batch to set off a full collection every few thousand events, and each scanned
    all of them again (60-80 ms; about a tenth of promotion's CPU over a burst, more in search
    as its index grew). A frozen object that later dies in a reference cycle waits for
    ``stop``, which unfreezes everything. A process that froze objects itself is left alone.

    While it runs, a full collection is also considered only after ``FULL_COLLECTION_AFTER``
    collections of the middle generation instead of Python's 10: what the service keeps
    (search's memory index: a million objects more per 100,000 documents) is not frozen, and
    with the default the collector scanned it ten times over a 100k burst (1.56 s of the
    indexing path's 13.3 s in one process; 0.62 s at 100). Python still waits, either way,
    until a quarter of the old generation is new since the last full collection."""

    FULL_COLLECTION_AFTER = 100

    def __init__(self) -> None:
        self.froze = False
        self.thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        self.froze = freeze_objects_alive(collect_first=True)
        if self.froze:
            self.thresholds = gc.get_threshold()
            young, middle, _ = self.thresholds
            gc.set_threshold(young, middle, self.FULL_COLLECTION_AFTER)

    def stop(self) -> None:
        if self.froze:
            gc.unfreeze()
            self.froze = False
        if self.thresholds is not None:
            gc.set_threshold(*self.thresholds)
            self.thresholds = None

    def kill(self) -> None:
        self.stop()
