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
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import numpy as np
import pandas as pd
import simpy

from plants.lines import LINES, LOT_ORDER, PREFIX, LotKind
from plants.lots import Lot, Lots
from plants.performance import complete
from plants.scenario import LoadedScenario
from plants.slurry_casting.line import roll_recipe
from plants.wiring import Built, Wiring
from twin.engine import relaxed_gc, run_counted
from twin.monitor import LevelLog
from twin.states import StateLog
from twin.streams import Streams

__all__ = ["Replication", "simulate"]


#: the leading columns every lot has (Lots.frame: lot_id ... row); the physics columns follow
_BASE_COLUMNS = 10


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
    deliveries: pd.DataFrame = field(default_factory=pd.DataFrame)  # supply, ordered_h, time_h (received), mass_kg
    tanks: pd.DataFrame = field(default_factory=pd.DataFrame)  # supply, time_h, level_kg after every change
    _by_kind: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)
    _links: list[np.ndarray] = field(default_factory=list, init=False, repr=False, compare=False)
    _masks: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: derived tables the evaluation builds once and reads several times (read-only by convention)
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def links(self) -> tuple[np.ndarray, np.ndarray]:
        """The genealogy's child and parent lots as row positions in ``lots`` (-1: not a lot of this
        run), computed once: filters on them are integer work, not string hashing."""
        if not self._links:
            ids = pd.Index(self.lots["lot_id"].to_numpy())
            g = self.genealogy
            self._links.extend([ids.get_indexer(g["lot_id"].to_numpy()), ids.get_indexer(g["parent_id"].to_numpy())])
        return self._links[0], self._links[1]

    def link_mask(self, children: pd.DataFrame | None = None, parents: pd.DataFrame | None = None) -> np.ndarray:
        """Genealogy rows whose child is among ``children`` and parent among ``parents`` (rows of
        ``lots``; None: any)."""
        child, parent = self.links()
        keep = np.ones(len(child), dtype=bool)
        for rows, side in ((children, child), (parents, parent)):
            if rows is not None:
                member = np.zeros(len(self.lots) + 1, dtype=bool)  # the extra slot is -1 (no such lot)
                member[self.lots.index.get_indexer(rows.index)] = True
                member[-1] = False
                keep &= member[side]
        return keep

    def of(self, kind: str) -> pd.DataFrame:
        """The lots of one kind (rows of ``lots``, its index kept) with the columns that kind has, split
        once and cached: the evaluation asks for them dozens of times, and each boolean filter of the
        wide lot table copies every column. A column no lot of the kind recorded is absent, not NaN."""
        if not self._by_kind:
            self._split_by_kind()
        if kind not in self._by_kind:
            raise KeyError(f"no lot kind {kind!r}; kinds: {list(self._by_kind)}")
        return self._by_kind[kind]

    def _split_by_kind(self) -> None:
        lots = self.lots
        kinds = lots["line"].to_numpy()
        physics = lots.columns[_BASE_COLUMNS:]
        # which lots recorded each physics column (one NaN scan per column over all lots; a scan per
        # column and kind costs six times as many pandas calls)
        recorded = np.empty((len(physics), len(lots)), dtype=bool)
        for j, col in enumerate(physics):
            values = lots[col].to_numpy()
            recorded[j] = ~np.isnan(values) if values.dtype.kind == "f" else lots[col].notna().to_numpy()
        for k in LOT_ORDER:
            rows = np.flatnonzero(kinds == k)
            if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
                # _frames writes each kind as one block of rows: a slice, no copy yet
                mine, has = lots.iloc[rows[0]:rows[-1] + 1], recorded[:, rows[0]:rows[-1] + 1]
            else:
                mine, has = lots.iloc[rows], recorded[:, rows]
            # only the columns this kind of lot has (the wide table holds every kind's): a filter of the
            # subset then copies a dozen columns, not a hundred. Built column by column from Series (the
            # wide table is in ~100 blocks, and a column take visits every one; Series keep their dtypes)
            own = [*lots.columns[:_BASE_COLUMNS], *physics[has.any(axis=1)]]
            frame = pd.DataFrame({c: mine[c] for c in own})
            frame.index = lots.index[rows]  # the index a filter by rows gives (not a range from the slice)
            self._by_kind[k] = frame

    def kind_mask(self, *kinds: str) -> np.ndarray:
        """Boolean mask over the rows of ``lots``: the lots of any of ``kinds``. Each kind's mask is one
        comparison of the object column ``line``, made once and cached (the evaluation asks dozens of
        times); a cached mask is read-only."""
        for k in kinds:
            if k not in self._masks:
                mask = self.lots["line"].to_numpy() == k
                mask.flags.writeable = False
                self._masks[k] = mask
        if len(kinds) == 1:
            return self._masks[kinds[0]]
        return np.logical_or.reduce([self._masks[k] for k in kinds])

    @property
    def silane(self) -> dict[str, float]:
        return self.supplies["silane"]

    @property
    def lithium(self) -> dict[str, float]:
        return self.supplies["lithium"]


def simulate(loaded: LoadedScenario, replication: int = 0, horizon_h: float | None = None,
             state: Any = None) -> Replication:
    """One replication; ``state`` (a :class:`plants.state.PlantState`): start from that plant state at
    hour 0 instead of an empty, idle plant (each line restores its part when it is built)."""
    sc = loaded.scenario
    horizon = sc.horizon_h if horizon_h is None else horizon_h
    env = simpy.Environment()
    w = Wiring(env, loaded, StateLog(), LevelLog(), Lots(), Streams(sc.seed, replication), horizon, state=state)
    if state is not None:  # new lots are numbered after every lot the state names
        for lot in state.lots:
            w.lots.reserve(lot.kind, lot.lot_id)
            for parent in lot.parents:
                w.lots.reserve(parent.kind, parent.lot_id)
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
        frames = complete(frames, LotKind.ROLL, LotKind.PRELITH_ROLL, roll_recipe(w), loaded.params.performance)
        whole = tuple(k for b in built for k in b.whole_parents)
        return Replication(
            replication=replication, seed=sc.seed, horizon_h=horizon, warmup_h=min(sc.warmup_h, horizon),
            events=n_events, wall_s=wall, lots=frames, genealogy=_genealogy(w.lots, frames, whole),
            states=w.log.frame(),
            lot_events=pd.DataFrame(w.lots.events, columns=["time_h", "lot_id", "status", "reason"]),
            levels=w.levels.frame(), stays=w.levels.stays_frame(),
            supplies={name: supply.balance() for name, supply in w.supplies.items()},
            deliveries=pd.DataFrame([(name, o, t, kg) for name, supply in w.supplies.items() for o, t, kg in supply.orders],
                                    columns=["supply", "ordered_h", "time_h", "mass_kg"]),
            tanks=pd.DataFrame([(name, t, kg) for name, supply in w.supplies.items() for t, kg in supply.levels],
                               columns=["supply", "time_h", "level_kg"]),
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
