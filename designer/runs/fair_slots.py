"""The server's run slots, shared fairly: a freed slot goes to the waiting run of the workspace
that is running the fewest, then to the one that has waited longest."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class FairSlots:
    """At most `size` runs at once; no workspace's queue holds back another workspace's runs."""

    def __init__(self, size: int):
        self.size = size
        self.changed = threading.Condition()
        self.running: Counter[int] = Counter()
        self.waiting: list[tuple[int, int]] = []  # (arrival, workspace)
        self.arrivals = itertools.count()

    def _next(self) -> tuple[int, int]:
        return min(self.waiting, key=lambda waiter: (self.running[waiter[1]], waiter[0]))

    @contextmanager
    def slot(self, workspace: int) -> Iterator[None]:
        """Hold a slot for one run of `workspace` (blocks until it is this run's turn)."""
        with self.changed:
            me = (next(self.arrivals), workspace)
            self.waiting.append(me)
            while self.running.total() >= self.size or self._next() != me:
                self.changed.wait()
            self.waiting.remove(me)
            self.running[workspace] += 1
            self.changed.notify_all()  # a slot may be left for the next waiter
        try:
            yield
        finally:
            with self.changed:
                self.running[workspace] -= 1
                self.changed.notify_all()
