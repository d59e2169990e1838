"""Buffers that record themselves: level rows over time and the residence of what passed through.

Both are SimPy resources subclassed (not patched): :class:`MonitoredStore` holds discrete items
(lots, rolls), :class:`FifoInventory` holds material by mass in lots and hands it out first in,
first out, splitting lots across draws. Level rows ``(time_h, buffer, level)`` go to a shared
:class:`LevelLog`; the time-weighted mean level and residence times (Little's law:
mean level = throughput x mean residence) are computed from those rows afterwards.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import simpy

from twin.resources import LeanContainer, LeanStore

__all__ = ["FifoInventory", "LevelLog", "MonitoredStore", "time_weighted_mean"]


class LevelLog:
    """Rows of (time_h, buffer, level, unit) appended on every change of a buffer's content."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, float, str]] = []
        #: (buffer, time_in_h, time_out_h, amount) of everything that left a buffer
        self.stays: list[tuple[str, float, float, float]] = []

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["time_h", "buffer", "level", "unit"])

    def stays_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.stays, columns=["buffer", "time_in_h", "time_out_h", "amount"])


def time_weighted_mean(times: np.ndarray, levels: np.ndarray, start_h: float, end_h: float) -> float:
    """Mean of a step function (level ``levels[i]`` from ``times[i]`` to ``times[i+1]``) over [start, end]."""
    if end_h <= start_h or len(times) == 0:
        return float("nan")
    t = np.clip(np.append(times, end_h), start_h, end_h)
    return float(np.sum(np.diff(t) * levels) / (end_h - start_h))


_store_put = simpy.Store._do_put
_store_get = simpy.Store._do_get


class MonitoredStore(LeanStore):
    """A :class:`simpy.Store` of items (:class:`~twin.resources.LeanStore`) with a finite capacity
    that logs its level and item stays."""

    def __init__(self, env: simpy.Environment, capacity: float, name: str, log: LevelLog) -> None:
        super().__init__(env, capacity)
        self.name = name
        self.log = log
        self._t_in: dict[int, float] = {}
        self._rows, self._stays = log.rows, log.stays
        log.rows.append((env.now, name, 0.0, "item"))

    # simpy.Store's methods called directly (not through super(), which costs an object per call)
    def _do_put(self, event: Any) -> None:
        items = self.items
        n = len(items)
        _store_put(self, event)
        if len(items) > n:
            now = self._env.now
            self._t_in[id(event.item)] = now
            self._rows.append((now, self.name, float(len(items)), "item"))

    def _do_get(self, event: Any) -> None:
        items = self.items
        n = len(items)
        if not n:  # nothing to hand out: simpy.Store._do_get would do nothing either
            return
        _store_get(self, event)
        if len(items) < n:
            now = self._env.now
            self._stays.append((self.name, self._t_in.pop(id(event.value)), now, 1.0))
            self._rows.append((now, self.name, float(len(items)), "item"))


class FifoInventory:
    """Material held as ``[item, kg left, time in]`` entries, drawn by mass first in, first out.

    ``put(item, kg)`` waits while the inventory is full (the supplier is blocked); ``get(kg)``
    waits until ``kg`` is there (the consumer is starved). After the get event, the consumer calls
    :meth:`take` with the same mass for the parts it received: ``[(item, kg), ...]``; a part is
    a whole lot or a piece of one, so one lot can feed several draws and one draw several lots.
    ``on_empty(item)`` is called when the last of an item has been taken.
    """

    def __init__(self, env: simpy.Environment, capacity_kg: float, name: str, log: LevelLog,
                 on_empty: Callable[[Any], None] | None = None) -> None:
        self.env = env
        self.on_empty = on_empty
        self.name = name
        self.log = log
        self.container = LeanContainer(env, capacity=capacity_kg, init=0)
        self.entries: deque[list[Any]] = deque()
        self.put_kg = 0.0
        self.taken_kg = 0.0
        log.rows.append((env.now, name, 0.0, "kg"))

    @property
    def level_kg(self) -> float:
        return float(self.container.level)

    def put(self, item: Any, kg: float) -> simpy.events.Event:
        ev = self.container.put(kg)
        ev.callbacks.append(lambda _ev: self._arrived(item, kg))
        return ev

    def _arrived(self, item: Any, kg: float) -> None:
        now = self.env.now
        self.entries.append([item, kg, now])
        self.put_kg += kg
        self.log.rows.append((now, self.name, self.put_kg - self.taken_kg, "kg"))

    def get(self, kg: float) -> simpy.events.Event:
        return self.container.get(kg)

    def take(self, kg: float) -> list[tuple[Any, float]]:
        """The parts of a filled :meth:`get` of ``kg``, oldest first."""
        now = self.env.now
        parts: list[tuple[Any, float]] = []
        need = kg
        entries, stays, name = self.entries, self.log.stays, self.name
        while need > 1e-9 and entries:  # below a microgram is rounding, not material
            entry = entries[0]
            part = min(need, entry[1])
            parts.append((entry[0], part))
            entry[1] -= part
            need -= part
            stays.append((name, entry[2], now, part))
            if entry[1] <= 1e-9:
                entries.popleft()
                if self.on_empty is not None:
                    self.on_empty(entry[0])
        self.taken_kg += sum(p for _, p in parts)
        self.log.rows.append((now, self.name, self.put_kg - self.taken_kg, "kg"))
        return parts
