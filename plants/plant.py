"""The Si/C plant, four lines: FBCVD -> buffer -> carbon coating -> QC lab (quarantine) -> powder
warehouse -> mixing -> slurry tank -> coating/drying/calendering/slitting -> electrode buffer ->
prelithiation (dry room) -> released rolls.

:func:`simulate` runs one replication and returns immutable frames; KPIs are pure functions of
those frames (:mod:`plants.kpi`).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from plants.carbon_coating.line import CoatingLine
from plants.common import M_C_G_MOL, M_SI_G_MOL, Materials
from plants.fbcvd.line import FbcvdLine, ScaffoldStore, SilaneTank
from plants.lines import PREFIX, LotKind, LotStatus
from plants.lots import Lot, Lots
from plants.prelithiation.line import DryRoom, PrelithLine
from plants.scenario import LoadedScenario
from plants.slurry_casting.line import CastingLine, PowderStore
from twin.engine import relaxed_gc, run_counted
from twin.equipment import Crew, Machine
from twin.monitor import LevelLog, MonitoredStore
from twin.resources import LeanResource
from twin.states import StateLog
from twin.streams import Streams
from twin.supply import BulkSupply

__all__ = ["Replication", "simulate"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_CVD = LotKind.CVD
_MIX = LotKind.MIX
_POWDER = LotKind.POWDER
_PRELITH_ROLL = LotKind.PRELITH_ROLL
_ROLL = LotKind.ROLL
_SCAFFOLD = LotKind.SCAFFOLD
_REJECTED = LotStatus.REJECTED
_RELEASED = LotStatus.RELEASED
_TESTING = LotStatus.TESTING


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
    silane: dict[str, float]
    lithium: dict[str, float]


def _machines(env: simpy.Environment, line: str, prefix: str, n: int, eq: Any, log: StateLog, streams: Streams,
              first: int = 0) -> list[Machine]:
    out = []
    for i in range(first, first + n):
        name = f"{prefix}{i + 1:02d}"
        g = streams(f"{line}.{name}.failures")
        mtbf, med, sig = eq.mtbf_h, eq.repair_median_h, eq.repair_sigma

        def ttf(g: np.random.Generator = g, mtbf: float = mtbf) -> float:
            return float(g.exponential(mtbf))

        def repair(g: np.random.Generator = g, med: float = med, sig: float = sig) -> float:
            return med * float(np.exp(g.normal(0.0, sig))) if sig > 0 else med

        out.append(Machine(env, name, line, log, ttf, repair, eq.maintenance_interval_h, eq.maintenance_h))
    return out


class QualityLab:
    """Samples every powder lot: hands-on test time on a limited bench, then the turnaround
    (coin-cell formation) before the release decision against the scenario's specs."""

    def __init__(self, env: simpy.Environment, loaded: LoadedScenario, coating: CoatingLine, lots: Lots,
                 store: PowderStore) -> None:
        self.env = env
        self.store = store
        self.lab = loaded.params.lab
        self.bench = LeanResource(env, capacity=self.lab.parallel_tests)
        self.specs = loaded.scenario.specs.powder.items()
        self.coating = coating
        self.lots = lots

    def submit(self, lot: Lot) -> None:
        self.env.process(self._test(lot))

    def _test(self, lot: Lot) -> Generator[simpy.events.Event, Any, None]:
        with self.bench.request() as req:
            yield req
            lot.status = _TESTING
            yield self.env.timeout(self.lab.hands_on_h)
        yield self.env.timeout(self.lab.turnaround_h)
        failed = [name for name, lim in self.specs if not lim.ok(self.coating.table.get(lot.row, name))]
        if failed:
            self.lots.finish(lot, _REJECTED, self.env.now, "off-spec: " + ", ".join(failed))
            self.store.reject()
        else:
            self.lots.finish(lot, _RELEASED, self.env.now)
            self.store.release(lot, self.coating.table.get(lot.row, "mass_out_kg"))


def simulate(loaded: LoadedScenario, replication: int = 0, horizon_h: float | None = None) -> Replication:
    sc, p = loaded.scenario, loaded.params
    horizon = sc.horizon_h if horizon_h is None else horizon_h
    streams = Streams(sc.seed, replication)
    env = simpy.Environment()
    log = StateLog()
    levels = LevelLog()
    lots = Lots()

    # Powder lines
    fb_eq, co_eq = p.fbcvd.equipment, p.coating.equipment
    fb_machines = _machines(env, "fbcvd", "R", fb_eq.reactor_count, fb_eq, log, streams)
    co_machines = _machines(env, "coating", "K", co_eq.reactor_count, co_eq, log, streams)
    buffer = MonitoredStore(env, p.buffers.cvd_to_coating_lots, "CVD->coating", levels)
    scaffold = ScaffoldStore(p.fbcvd.scaffold, streams("scaffold.lots"), lots)
    tank = SilaneTank(env, p.fbcvd.silane, streams("silane.deliveries"))
    fb = FbcvdLine(env, p.fbcvd, sc.settings.fbcvd, fb_machines, Crew(env, fb_eq.operators_per_shift, sc.calendar),
                   scaffold, tank, buffer, lots, streams("fbcvd.temperature"))
    store = PowderStore(env, p.buffers.powder_store_lots, levels)
    lab_ref: list[QualityLab] = []
    co = CoatingLine(env, p.coating, Materials(p.fbcvd.kinetics.si_density_g_cm3, p.fbcvd.kinetics.carbon_skeletal_density_g_cm3),
                     sc.settings.coating, co_machines,
                     Crew(env, co_eq.operators_per_shift, sc.calendar), buffer, fb.table, lots,
                     lambda lot: lab_ref[0].submit(lot), streams("coating.batches"), warehouse=store.slots)
    lab_ref.append(QualityLab(env, loaded, co, lots, store))

    # Electrode lines
    ca, cs = p.casting, sc.settings.casting
    n_lines = ca.equipment.line_count
    mix_crew = Crew(env, ca.mixer.operators_per_shift * n_lines, sc.calendar)
    cast_crew = Crew(env, ca.equipment.operators_per_shift * n_lines, sc.calendar)
    electrode_buffer = MonitoredStore(env, ca.equipment.electrode_buffer_rolls, "electrode rolls", levels)
    table = co.table

    def powder_props(lot: Lot) -> tuple[float, float, float, float, float]:
        mass = table.get(lot.row, "mass_out_kg")
        return (table.get(lot.row, "capacity_mah_g"), table.get(lot.row, "ice"), table.get(lot.row, "particle_size_um"),
                table.get(lot.row, "si_kg") / mass, mass)

    casting = []
    for i in range(n_lines):
        mixers = _machines(env, "mixing", "MX", ca.mixer.mixers_per_line, ca.mixer, log, streams,
                           first=i * ca.mixer.mixers_per_line)
        (coater,) = _machines(env, "casting", "CL", 1, ca.equipment, log, streams, first=i)
        casting.append(CastingLine(env, i, ca, cs, sc.specs.electrode, mixers, coater, mix_crew, cast_crew, store,
                                   powder_props, electrode_buffer, lots, streams(f"casting.line{i + 1}"), levels))
    pl, ps = p.prelith, sc.settings.prelith
    li = BulkSupply.from_params(env, pl.li_supply, streams("lithium.deliveries"))
    dry_room = DryRoom(pl.dry_room, horizon, streams("dry_room.excursions"))
    pl_crew = Crew(env, pl.equipment.operators_per_shift * pl.equipment.line_count, sc.calendar)
    _prelith_lines = [PrelithLine(env, pl, ps, sc.specs.prelith, m, pl_crew, electrode_buffer, li, dry_room, lots)
                      for m in _machines(env, "prelith", "PL", pl.equipment.line_count, pl.equipment, log, streams)]

    # One relaxed-GC block over the run and the frames, which are built from the run's ~10^6 live
    # records: no point re-scanning them. (With a block for the frames only, the collector's
    # default thresholds came back between the two, and a pass over every record followed.)
    # The records die with this call, by reference counting.
    with relaxed_gc():
        t0 = time.perf_counter()
        n_events = run_counted(env, horizon)
        wall = time.perf_counter() - t0

        frames = _frames(lots, fb, co)
        return Replication(
            replication=replication, seed=sc.seed, horizon_h=horizon, warmup_h=min(sc.warmup_h, horizon),
            events=n_events, wall_s=wall, lots=frames, genealogy=_genealogy(lots, frames),
            states=log.frame(),
            lot_events=pd.DataFrame(lots.events, columns=["time_h", "lot_id", "status", "reason"]),
            levels=levels.frame(), stays=levels.stays_frame(),
            silane=tank.balance(), lithium=li.balance(),
        )


def _frames(lots: Lots, fb: FbcvdLine, co: CoatingLine) -> pd.DataFrame:
    """One table of all lots with the physics outputs joined from the lines' lazy tables."""
    by_line: dict[str, list[Lot]] = {}  # lots.of(line) for every line, in one pass
    for lot in lots.all:
        by_line.setdefault(lot.line, []).append(lot)

    def of(line: str) -> list[Lot]:
        return by_line.get(line, [])

    scaffold = Lots.frame(of(_SCAFFOLD))
    cvd_lots = of(_CVD)
    cvd = Lots.frame(cvd_lots)
    if len(fb.table):
        out = fb.table.outputs()
        rows = np.array([x.row for x in cvd_lots])
        has = rows >= 0
        cols = {}
        for name, values in out.items():
            col = np.full(len(cvd_lots), np.nan)
            col[has] = values[rows[has]]
            cols[name] = col
        cvd = _with_columns(cvd, cols)
        cvd["mass_kg"] = cvd["mass_kg"] + np.where(has, cvd["si_deposited_kg"].fillna(0.0), 0.0) * (
            1.0 + cvd["sic_fraction"].fillna(0.0) * M_C_G_MOL / M_SI_G_MOL)
    powder_lots = of(_POWDER)
    powder = Lots.frame(powder_lots)
    if len(co.table):
        out = co.table.outputs()
        rows = np.array([x.row for x in powder_lots])
        powder = _with_columns(powder, {name: values[rows] for name, values in out.items()})
        powder["mass_kg"] = powder["mass_out_kg"]
        powder = powder.drop(columns=["mass_out_kg"])
    electrode = [Lots.frame(of(line)) for line in (_MIX, _ROLL, _PRELITH_ROLL)]
    frames = [f for f in (scaffold, cvd, powder, *electrode) if not f.empty]
    return pd.concat(frames, ignore_index=True, sort=False) if frames else scaffold


def _with_columns(df: pd.DataFrame, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """``df[name] = values`` for each column, in one concat rather than one insert each (a column
    ``df`` already has is replaced in place, as the assignment would)."""
    for name in [name for name in cols if name in df.columns]:
        df[name] = cols.pop(name)
    return pd.concat([df, pd.DataFrame(cols, index=df.index)], axis=1) if cols else df


def _genealogy(lots: Lots, frame: pd.DataFrame) -> pd.DataFrame:
    g = lots.genealogy()
    if g.empty:
        return g
    mass = pd.Series(frame["mass_kg"].to_numpy(), index=frame["lot_id"])  # set_index would copy all columns
    is_cvd_parent = np.array([p.startswith(PREFIX[_CVD]) for p in g["parent_id"]], dtype=bool)
    g.loc[is_cvd_parent, "mass_kg"] = mass.reindex(g.loc[is_cvd_parent, "parent_id"]).to_numpy()
    return g
