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


class StateLog:
    """Append-only log of (time_h, unit, line, state, reason) rows.

    Rows hold the :class:`State` member (a ``str``, so it compares equal to its value); the frame
    carries plain strings.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, str, State, str]] = []

    def set(self, t: float, unit: str, line: str, state: State, reason: str = "") -> None:
        self.rows.append((t, unit, line, state, reason))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["time_h", "unit", "line", "state", "reason"])
        df["state"] = [s.value for s in df["state"]]
        return df


def state_shares(log: pd.DataFrame, horizon_h: float, start_h: float = 0.0) -> pd.DataFrame:
    """Time share of each state per unit over [start_h, horizon_h] (rows: unit, columns: states)."""
    if log.empty:
        return pd.DataFrame(columns=[s.value for s in State])
    df = log.sort_values(["unit", "time_h"], kind="stable")
    nxt = df.groupby("unit")["time_h"].shift(-1).fillna(horizon_h).to_numpy()
    t0 = np.clip(df["time_h"].to_numpy(), start_h, horizon_h)
    t1 = np.clip(nxt, start_h, horizon_h)
    dur = pd.Series(t1 - t0, index=df.index)
    table = dur.groupby([df["unit"], df["state"]]).sum().unstack(fill_value=0.0)
    for s in State:
        if s.value not in table.columns:
            table[s.value] = 0.0
    table = table[[s.value for s in State]]
    return table.div(horizon_h - start_h)
