"""The Si/C plant, wired from its line registry: FBCVD -> buffer -> carbon coating -> QC lab
(quarantine) -> powder warehouse -> mixing -> slurry tank -> coating/drying/calendering/slitting ->
electrode buffer -> prelithiation (dry room) -> released rolls.

:func:`simulate` builds every line of :data:`plants.lines.LINES` in order through its package's
``line.build`` (each takes the stores its upstream line published and publishes its own, see
:mod:`plants.wiring`), runs one replication and returns immutable frames; KPIs are pure functions of
those frames (:mod:`plants.kpi`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import import_module

import numpy as np
import pandas as pd
import simpy

from plants.lines import LINES, LOT_ORDER, PREFIX
from plants.lots import Lot, Lots
from plants.scenario import LoadedScenario
from plants.wiring import Built, Wiring
from twin.engine import relaxed_gc, run_counted
from twin.monitor import LevelLog
from twin.states import StateLog
from twin.streams import Streams

__all__ = ["Replication", "simulate"]


@dataclass(frozen=True)
class Replication:
    """Everything one replication produced."""

    replication: int
    seed: int
    horizon_h: float
    warmup_h: float
    events: int
    wall_s: float
    lots: pd.DataFrame
    genealogy: pd.DataFrame
    states: pd.DataFrame
    lot_events: pd.DataFrame
    levels: pd.DataFrame
    stays: pd.DataFrame
    supplies: dict[str, dict[str, float]]  # per bulk supply (silane, lithium): drawn, returned, deliveries

    @property
    def silane(self) -> dict[str, float]:
        return self.supplies["silane"]

    @property
    def lithium(self) -> dict[str, float]:
        return self.supplies["lithium"]


def simulate(loaded: LoadedScenario, replication: int = 0, horizon_h: float | None = None) -> Replication:
    sc = loaded.scenario
    horizon = sc.horizon_h if horizon_h is None else horizon_h
    env = simpy.Environment()
    w = Wiring(env, loaded, StateLog(), LevelLog(), Lots(), Streams(sc.seed, replication), horizon)
    built = [import_module(f"plants.{line.package}.line").build(w) for line in LINES]

    # One relaxed-GC block over the run and the frames, which are built from the run's ~10^6 live
    # records: no point re-scanning them. (With a block for the frames only, the collector's
    # default thresholds came back between the two, and a pass over every record followed.)
    # The records die with this call, by reference counting.
    with relaxed_gc():
        t0 = time.perf_counter()
        n_events = run_counted(env, horizon)
        wall = time.perf_counter() - t0

        frames = _frames(w.lots, built)
        whole = tuple(k for b in built for k in b.whole_parents)
        return Replication(
            replication=replication, seed=sc.seed, horizon_h=horizon, warmup_h=min(sc.warmup_h, horizon),
            events=n_events, wall_s=wall, lots=frames, genealogy=_genealogy(w.lots, frames, whole),
            states=w.log.frame(),
            lot_events=pd.DataFrame(w.lots.events, columns=["time_h", "lot_id", "status", "reason"]),
            levels=w.levels.frame(), stays=w.levels.stays_frame(),
            supplies={name: supply.balance() for name, supply in w.supplies.items()},
        )


def _frames(lots: Lots, built: list[Built]) -> pd.DataFrame:
    """One table of all lots, in flow order, with the physics outputs joined from the lines' lazy tables."""
    by_kind: dict[str, list[Lot]] = {}  # lots of every kind, in one pass
    for lot in lots.all:
        by_kind.setdefault(lot.line, []).append(lot)
    makers = {kind: fn for b in built for kind, fn in b.frames.items()}
    frames = [makers.get(kind, Lots.frame)(by_kind.get(kind, [])) for kind in LOT_ORDER]
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True, sort=False) if kept else frames[0]


def _genealogy(lots: Lots, frame: pd.DataFrame, whole_parents: tuple[str, ...]) -> pd.DataFrame:
    """Parent links with the kg drawn; a lot drawn whole (a CVD lot into a coater batch) gave its
    final mass, known only once its physics was evaluated."""
    g = lots.genealogy()
    if g.empty or not whole_parents:
        return g
    mass = pd.Series(frame["mass_kg"].to_numpy(), index=frame["lot_id"])  # set_index would copy all columns
    prefixes = tuple(PREFIX[k] for k in whole_parents)
    is_whole = np.array([p.startswith(prefixes) for p in g["parent_id"]], dtype=bool)
    g.loc[is_whole, "mass_kg"] = mass.reindex(g.loc[is_whole, "parent_id"]).to_numpy()
    return g
