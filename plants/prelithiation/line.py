"""Prelithiation line (roll to roll, in a dry room): lays Li on each electrode roll, then the roll
rests for the contact time before its outcome is fixed.

A roll's Li is drawn from the Li supply before it runs (the line is starved when the stock is
out). Dew-point excursions of the dry room follow a schedule drawn at the start of the run; during
one the line stops, and the roll on it is exposed to the wet air. Physics per roll runs in floats
(:mod:`plants.prelithiation.physics`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import simpy

from plants import performance as perf
from plants.cell import CellParams, first_cycle
from plants.lines import LotKind, LotStatus
from plants.lots import Lot, Lots
from plants.performance import PerformanceParams
from plants.prelithiation import physics as ph
from plants.prelithiation.params import DryRoomParams, PrelithParams
from plants.prelithiation.settings import PrelithSettings, PrelithSpecs
from plants.wiring import Built, Wiring
from twin.equipment import Crew, Machine, Proc, make_machines
from twin.monitor import MonitoredStore
from twin.states import State
from twin.supply import BulkSupply
from twin.units import HOURS_PER_YEAR

__all__ = ["DryRoom", "PrelithLine", "build"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_PRELITH_ROLL = LotKind.PRELITH_ROLL
_CONSUMED = LotStatus.CONSUMED
_PRELITHIATING = LotStatus.PRELITHIATING
_RELEASED = LotStatus.RELEASED
_SCRAPPED = LotStatus.SCRAPPED

class DryRoom:
    """Dew-point excursions as (start_h, end_h) intervals, drawn once for the whole horizon."""

    def __init__(self, p: DryRoomParams, horizon_h: float, rng: np.random.Generator) -> None:
        self.intervals: list[tuple[float, float]] = []
        rate_h = p.excursions_per_year / HOURS_PER_YEAR
        t = 0.0
        while rate_h > 0:
            t += float(rng.exponential(1.0 / rate_h))
            if t >= horizon_h:
                break
            d = p.excursion_median_h * float(np.exp(rng.normal(0.0, p.excursion_sigma)))
            self.intervals.append((t, t + d))
            t += d
        self._i = 0

    def next_excursion(self, t: float) -> tuple[float, float]:
        """The first excursion that has not ended by ``t`` (or (inf, inf))."""
        while self._i < len(self.intervals) and self.intervals[self._i][1] <= t:
            self._i += 1
        return self.intervals[self._i] if self._i < len(self.intervals) else (float("inf"), float("inf"))


class PrelithLine:
    def __init__(
        self,
        env: simpy.Environment,
        params: PrelithParams,
        settings: PrelithSettings,
        specs: PrelithSpecs,
        machine: Machine,
        crew: Crew,
        source: MonitoredStore,
        supply: BulkSupply,
        dry_room: DryRoom,
        lots: Lots,
        cell: CellParams,
        perf: PerformanceParams,
        resume: Callable[[Proc], Proc] | None = None,
    ) -> None:
        self.cell, self.perf = cell, perf
        self.figures_in_loop = any(name == "cycle_life_cycles" for name, _ in specs.items())
        self.env, self.p, self.s, self.specs = env, params, settings, specs
        self.crew, self.source, self.supply, self.dry_room, self.lots = crew, source, supply, dry_room, lots
        self.route = getattr(params.routes, settings.route.value)
        self.speed = min(settings.line_speed_m_min, params.equipment.max_speed_m_min)
        self.efficiency = ph.transfer_efficiency(settings.contact_time_min, settings.pressure_mpa, self.route)
        self.x_nominal = ph.humidity_ratio_g_kg(settings.dew_point_c)
        self.x_excursion = ph.humidity_ratio_g_kg(params.dry_room.excursion_dew_point_c)
        # per-run constants (settings and specs are frozen)
        self.fixed_dose = None if settings.li_dose_um is None else ph.um_to_mah_cm2(settings.li_dose_um, params.lithium)
        self.contact_h = settings.contact_time_min / 60.0
        self.spec_items = specs.items()
        self.machine = machine
        self.resumed: set[str] = set()  # machines finishing a plant state's roll first
        self.proc = env.process(self._line(machine) if resume is None else resume(self._line(machine)))

    def _dose_mah_cm2(self, e: Lot) -> float:
        if self.fixed_dose is not None:
            return self.fixed_dose
        expected = ph.li_needed_mah_cm2(e.props["areal_capacity_mah_cm2"], e.props["blend_ice"])
        if not math.isfinite(expected):
            # an electrode at ICE 0 loses without bound: no finite dose offsets that, so none is
            # laid (the roll keeps ICE 0 and is scrapped when it has rested, see _rested)
            return 0.0
        return self.s.li_dose_fraction_of_loss * expected  # type: ignore[operator]

    def _line(self, m: Machine) -> Proc:
        env, eq = self.env, self.p.equipment
        source, supply, lots, crew, dry_room = self.source, self.supply, self.lots, self.crew, self.dry_room
        lithium, speed, contact_h, name = self.p.lithium, self.speed, self.contact_h, m.name
        rested = self._rested
        while True:
            if m.maintenance_due:
                yield from m.maintain()
            get = source.get()
            if not get.triggered:
                m.set(State.STARVED, "no electrode roll")
            e: Lot = yield get
            e.status = _PRELITHIATING
            ep = e.props
            dose = self._dose_mah_cm2(e)
            li_area_m2 = ep["area_m2"] * ep["sides"]
            li_kg = ph.li_mass_kg(dose, li_area_m2, lithium)
            if li_kg > 0:  # a roll that needs no Li (no loss to offset) draws none
                draw = supply.draw(li_kg)
                if not draw.triggered:
                    m.set(State.STARVED, "Li supply empty")
                yield draw
            roll = lots.new(_PRELITH_ROLL, name, env.now, mass_kg=e.mass_kg, parents=[(e.id, e.mass_kg)],
                            props={"li_applied_kg": li_kg, "dose_mah_cm2": dose, "area_m2": ep["area_m2"]})
            run_h = ep["length_m"] / speed / 60.0
            wet_h = 0.0
            while run_h > 1e-12:
                start, end = dry_room.next_excursion(env.now)
                if start <= env.now:
                    m.set(State.DOWN, "dew-point excursion")
                    wet_h += end - env.now
                    yield env.timeout(end - env.now)
                    continue
                step = min(run_h, start - env.now)
                yield from m.work(step, "lithiation")
                run_h -= step
            yield from m.with_crew(crew, eq.roll_change_h, "roll change")
            e.status = _CONSUMED
            m.set(State.IDLE, "roll done")
            # The roll rests off the line for the contact time (one timeout, no process needed).
            rest = env.timeout(contact_h)
            rest.callbacks.append(lambda _ev, roll=roll, e=e, wet_h=wet_h: rested(roll, e, wet_h))

    def _durability(self, ep: dict[str, float], areal: float, r: ph.PrelithResult) -> dict[str, float]:
        """The reference cell built from this roll: Li reservoir after formation and cycle life."""
        c = self.cell
        loss = ph.li_needed_mah_cm2(areal, ep["blend_ice"])
        if not math.isfinite(loss) or areal <= 0:
            return {"li_reservoir_share": 0.0, "cycle_life_cycles": 0.0}
        formed = first_cycle(areal / c.np_ratio, c.cathode_ice, loss, r.compensating + r.residual)
        rates = perf.DurabilityRates(ep["sei_sqrt"], ep["sei_linear"], ep["lam"])
        life = perf.cycle_life(rates, ep["si_capacity_share"], c.np_ratio, formed.reservoir_share, self.perf)
        return {"li_reservoir_share": formed.reservoir_share, "cycle_life_cycles": float(life)}

    def _rested(self, roll: Lot, e: Lot, wet_h: float) -> None:
        """End of the contact time: the outcome is fixed."""
        now = self.env.now
        props, areal = roll.props, e.props["areal_capacity_mah_cm2"]
        dry_h = now - roll.start_h - wet_h
        exposure = self.x_nominal * dry_h + self.x_excursion * wet_h
        r = ph.prelithiate(areal, e.props["blend_ice"], props["dose_mah_cm2"],
                           self.efficiency, exposure, self.route.dose_cv, self.p.lithium)
        to_kg = props["li_applied_kg"] / r.applied if r.applied > 0 else 0.0
        props.update({
            "ice": r.ice, "residual_li_of_capacity": r.residual_of_capacity, "li_waste_kg": r.waste * to_kg,
            "li_degraded_kg": r.degraded * to_kg, "li_compensating_kg": r.compensating * to_kg,
            "li_residual_kg": r.residual * to_kg, "excursion_h": wet_h, "moisture_exposure_g_h_kg": exposure,
            "areal_capacity_mah_cm2": areal,
        })
        props["li_added_mah_cm2"] = r.compensating + r.residual
        if self.figures_in_loop:  # a cycle-life limit decides the roll; else plants.performance.complete, after the run
            props.update(self._durability(e.props, areal, r))
        roll.end_h = now
        if r.residual_of_capacity > self.p.lithium.residual_li_limit:
            self.lots.finish(roll, _SCRAPPED, now, "residual Li")
            return
        if not r.ice > 0:
            # gives back nothing in its first cycle (no reversible capacity, or a loss without bound):
            # not an electrode, whatever the specs say
            self.lots.finish(roll, _SCRAPPED, now, "off-spec: ice")
            return
        failed = [name for name, lim in self.spec_items if not lim.ok(props[name])]
        if failed:
            self.lots.finish(roll, _SCRAPPED, now, "off-spec: " + ", ".join(failed))
        else:
            self.lots.finish(roll, _RELEASED, now)


def _restore(w: Wiring, li: BulkSupply, machines: list[Machine], pl: PrelithParams) -> dict[str, Callable[[Proc], Proc]]:
    """The Li supply's level and open orders from the plant state, and the lines it shows down."""
    from plants import state as st_

    st = w.state
    st_.restore_supply(st, "lithium", li, w.streams("state.lithium.orders"))
    return st_.down_first(st, machines, pl.equipment, w.streams("state.prelith.repairs"))


def _restore_rolls(w: Wiring, line: PrelithLine, resume: dict[str, Callable[[Proc], Proc]]) -> None:
    """Prelithiated rolls of the plant state in process on ``line``: one on the line finishes its run and
    roll change, then rests; one resting rests for the rest of the contact time; then the outcome is
    fixed as in a run (the excursions they met so far are not known: none)."""
    from plants import state as st_

    st = w.state
    name = line.machine.name
    for ls in sorted(st.lots_of(_PRELITH_ROLL.value, "in process"), key=lambda x: x.progress_h):
        if ls.equipment != name:
            continue
        par = [p for p in ls.parents if p.kind in ("", LotKind.ROLL.value)]
        need = {"area_m2", "sides", "length_m", "areal_capacity_mah_cm2", "blend_ice", "sei_sqrt", "sei_linear", "lam",
                "si_capacity_share"}
        if len(par) != 1 or not need <= set(par[0].properties) or "dose_mah_cm2" not in ls.properties:
            st.skipped.append(f"{ls.lot_id}: prelithiated roll in process without its electrode roll's properties "
                              "(not restored)")
            continue
        # its electrode roll joins the run (used up: not output), so the roll's cell figures find it
        e = st_.restore_lot(w.lots, st_.as_lot_state(par[0]), status=_CONSUMED)
        e.start_h = e.end_h = -ls.progress_h  # finished when the prelithiated roll started
        pr = ls.properties
        roll = st_.restore_lot(w.lots, ls, props={k: pr[k] for k in ("li_applied_kg", "dose_mah_cm2", "area_m2") if k in pr},
                               status=LotStatus.CHARGED, parents=True)
        run_h = e.props["length_m"] / line.speed / 60.0
        on_line_h = run_h + line.p.equipment.roll_change_h
        ms = st.machines.get(name)
        if ls.progress_h < on_line_h and ms is not None and name not in line.resumed:
            k, left = st_.phase_left([("lithiation", run_h), ("roll change", line.p.equipment.roll_change_h)], ms, ls)
            line.resumed.add(name)
            first = resume.get(name)
            resume[name] = _finish_on_line(line, roll, e, k, left, run_h, first)
        else:
            rest = line.env.timeout(max(line.contact_h - max(ls.progress_h - on_line_h, 0.0), 0.0))
            rest.callbacks.append(lambda _ev, roll=roll, e=e: line._rested(roll, e, 0.0))


def _finish_on_line(line: PrelithLine, roll: Lot, e: Lot, k: int, left: float, run_h: float,
                    first: Callable[[Proc], Proc] | None) -> Callable[[Proc], Proc]:
    def wrap(proc: Proc) -> Proc:
        m, eq = line.machine, line.p.equipment
        if first is not None:  # down first (the roll waits on the line)
            yield from first(_nothing())
        phases = (("lithiation", run_h), ("roll change", eq.roll_change_h))
        for j in range(k, len(phases)):
            name, h = phases[j][0], (left if j == k else phases[j][1])
            if name == "roll change" and j > k:
                yield from m.with_crew(line.crew, h, name)
            else:
                yield from m.work(h, name)
        m.set(State.IDLE, "roll done")
        rest = line.env.timeout(line.contact_h)
        rest.callbacks.append(lambda _ev: line._rested(roll, e, 0.0))
        yield from proc

    return wrap


def _late(resume: dict[str, Callable[[Proc], Proc]], name: str) -> Callable[[Proc], Proc]:
    """The wrapper of machine ``name`` as it stands when its process first runs (the state's rolls are
    restored after the lines are built)."""
    def wrap(proc: Proc) -> Proc:
        chosen = resume.get(name)
        yield from (proc if chosen is None else chosen(proc))

    return wrap


def _nothing() -> Proc:
    return
    yield


def build(w: Wiring) -> Built:
    """The prelithiation lines in their dry room, drawing Li from its supply (registered as
    ``lithium``) and electrode rolls from ``electrode_buffer``."""
    sc, p = w.loaded.scenario, w.loaded.params
    pl, ps = p.prelith, sc.settings.prelith
    li = BulkSupply.from_params(w.env, pl.li_supply, w.streams("lithium.deliveries"))
    dry_room = DryRoom(pl.dry_room, w.horizon_h, w.streams("dry_room.excursions"))
    crew = Crew(w.env, pl.equipment.operators_per_shift * pl.equipment.line_count, sc.calendar)
    machines = make_machines(w.env, "prelith", "PL", pl.equipment.line_count, pl.equipment, w.log, w.streams)
    resume = None if w.state is None else _restore(w, li, machines, pl)
    lines = []
    for m in machines:
        lines.append(PrelithLine(w.env, pl, ps, sc.specs.prelith, m, crew, w.ports["electrode_buffer"], li, dry_room,
                                 w.lots, p.cell, p.performance,
                                 resume=None if resume is None else _late(resume, m.name)))
    if resume is not None:  # the state's rolls in process, each on its line
        for line in lines:
            _restore_rolls(w, line, resume)
    w.supplies["lithium"] = li
    return Built(handle=lines)
