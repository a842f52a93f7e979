"""A bounded, thread-safe memory kept by a server process: least recently used out first, by
number of entries or by a weight per entry. For values that never go stale under their key (the
key names everything they depend on), so nothing ever needs to be invalidated: the compiled
policy statements (``permissions.policy.statements_for``) and the feed bodies
(``calendars.feeds``)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Kept:
    def __init__(self, limit: int, weight: Callable[[Any], int] = lambda value: 1):
        self.limit, self.weight, self.held = limit, weight, 0
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` (a value heavier than the whole limit is not kept)."""
        weight = self.weight(value)
        if weight > self.limit:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            self.held += weight - (self.weight(old) if old is not None else 0)
            self.entries[key] = value
            while self.held > self.limit:
                _, dropped = self.entries.popitem(last=False)
                self.held -= self.weight(dropped)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.held = 0

    def __len__(self) -> int:
        return len(self.entries)
