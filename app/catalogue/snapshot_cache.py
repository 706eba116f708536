"""What is built once per catalogue snapshot (a tuple, never changed), kept for the last
two snapshots: the one being served and the one replacing it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from app.catalogue.records import InitiativeRecord

T = TypeVar("T")
KEEP = 2


class SnapshotCache(Generic[T]):
    def __init__(self, build: Callable[[Sequence[InitiativeRecord]], T]) -> None:
        self._build = build
        self._built: OrderedDict[int, tuple[tuple[InitiativeRecord, ...], T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, records: Sequence[InitiativeRecord]) -> T:
        """The built value for `records`. Other sequences than tuples (an upload's rows) are
        built each time, never kept."""
        if not isinstance(records, tuple):
            return self._build(records)
        key = id(records)
        with self._lock:
            found = self._built.get(key)
            if found is not None and found[0] is records:
                self._built.move_to_end(key)
                return found[1]
        value = self._build(records)  # built outside the lock; a race builds it twice
        with self._lock:
            self._built[key] = (records, value)
            self._built.move_to_end(key)
            while len(self._built) > KEEP:
                self._built.popitem(last=False)
        return value
