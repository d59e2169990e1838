"""Equipment states recorded as immutable rows; time-weighted shares are computed from the rows."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

__all__ = ["State", "StateLog", "state_shares"]


class State(str, Enum):
    WORKING = "working"
    BLOCKED = "blocked"  # output buffer full
    STARVED = "starved"  # waiting for input material or utilities
    DOWN = "down"  # failed, under repair or planned maintenance
    IDLE = "idle"  # waiting for an operator or the shift calendar


Key = tuple[str, str, str, str]  # (unit, line, state, reason)


class StateLog:
    """Append-only log of (time_h, unit, line, state, reason) rows.

    Stored as two columns rather than a tuple per row: ``times`` and ``keys``, where a row's key is
    its (unit, line, state, reason), one shared tuple per distinct combination (a few hundred
    against ~10^5 rows in a plant-year). Appending a row then allocates nothing the garbage
    collector tracks, so its passes during the run do not keep re-scanning the log. States are
    plain strings, the :class:`State` member's value (to which the member compares equal).
    :attr:`rows` rebuilds the row tuples.
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.keys: list[Key] = []
        self._shared: dict[Key, Key] = {}

    def key(self, unit: str, line: str, state: State | str, reason: str = "") -> Key:
        """The shared key tuple for a row (``state`` a :class:`State` or its value)."""
        k = (unit, line, getattr(state, "_value_", state), reason)
        return self._shared.setdefault(k, k)

    def set(self, t: float, unit: str, line: str, state: State, reason: str = "") -> None:
        self.times.append(t)
        self.keys.append(self.key(unit, line, state, reason))

    @property
    def rows(self) -> list[tuple[float, str, str, str, str]]:
        return [(t, *k) for t, k in zip(self.times, self.keys, strict=True)]

    def frame(self) -> pd.DataFrame:
        if not self.times:
            return pd.DataFrame([], columns=["time_h", "unit", "line", "state", "reason"])
        df = pd.DataFrame(self.keys, columns=["unit", "line", "state", "reason"])
        df.insert(0, "time_h", np.array(self.times))  # float64, as pandas would infer from the list
        return df


def state_shares(log: pd.DataFrame, horizon_h: float, start_h: float = 0.0) -> pd.DataFrame:
    """Time share of each state per unit over [start_h, horizon_h] (rows: unit, columns: states)."""
    if log.empty:
        return pd.DataFrame(columns=[s.value for s in State])
    # Units and states as integer codes in sorted order (the order a sort or groupby on the strings
    # gives): ordering and grouping ~10^5 rows then compares integers, not strings.
    unit, units = pd.factorize(log["unit"], sort=True)
    state, states = pd.factorize(log["state"], sort=True)
    # rows by unit, then time, then position: two stable sorts (what a stable sort on both columns does)
    order = np.argsort(log["time_h"].to_numpy(), kind="stable")
    # (codes in the smallest integer type: numpy sorts those stably by radix, in linear time)
    order = order[np.argsort(unit[order].astype(np.min_scalar_type(len(units))), kind="stable")]
    t, unit, state = log["time_h"].to_numpy()[order], unit[order], state[order]
    # a row lasts until the unit's next row, its last row until the horizon
    nxt = np.full(len(t), np.nan)
    nxt[:-1] = np.where(unit[1:] == unit[:-1], t[1:], np.nan)
    nxt = np.where(np.isnan(nxt), horizon_h, nxt)
    dur = pd.Series(np.clip(nxt, start_h, horizon_h) - np.clip(t, start_h, horizon_h))
    # sums per (unit, state), each over its rows in the same order as before (pandas' compensated sum)
    cell = unit.astype(np.int64) * len(states) + state
    sums = dur.groupby(cell).sum()
    table = np.zeros((len(units), len(states)))
    table[sums.index.to_numpy() // len(states), sums.index.to_numpy() % len(states)] = sums.to_numpy()
    frame = pd.DataFrame(table, index=pd.Index(units, name="unit"), columns=pd.Index(states, name="state"))
    for s in State:
        if s.value not in frame.columns:
            frame[s.value] = 0.0
    frame = frame[[s.value for s in State]]
    return frame.div(horizon_h - start_h)
