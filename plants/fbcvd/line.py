"""FBCVD line: batch reactors sequencing charge, heat-up, deposition, purge, cool, discharge.

Breakdowns (see :mod:`twin.equipment`): during charge, heat-up, purge, cool or discharge the batch
waits for the repair and resumes; during deposition the run is cut off, the reactor is purged and
cooled after the repair, and the part-infiltrated lot is scrapped (reason ``breakdown``) with the
Si it received up to the failure. Silane not fed is returned to the tank.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from plants.common import Materials
from plants.fbcvd import physics
from plants.fbcvd.params import FbcvdParams, ScaffoldSupply, SilaneSupply
from plants.fbcvd.settings import FbcvdSettings
from plants.lines import LotKind, LotStatus
from plants.lots import Lot, Lots, with_columns
from plants.wiring import Built, Wiring
from twin.equipment import Crew, Machine, make_machines
from twin.lazy import Columns, LazyTable
from twin.monitor import MonitoredStore
from twin.states import State
from twin.supply import BulkSupply

__all__ = ["INPUTS", "OUTPUTS", "PHASES", "FbcvdLine", "ScaffoldStore", "SilaneTank", "build", "cvd_frame", "evaluator"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_CVD = LotKind.CVD
_SCAFFOLD = LotKind.SCAFFOLD
_BUFFERED = LotStatus.BUFFERED
_IN_PROCESS = LotStatus.IN_PROCESS
_SCRAPPED = LotStatus.SCRAPPED

INPUTS = (
    "temperature_c", "y_start", "y_end", "ratio_start", "ratio_end", "gas_flow_nm3_h", "deposition_time_h",
    "scaffold_kg", "pore_volume_cm3_g", "particle_size_um", "surface_area_m2_g",
)


def evaluator(params: FbcvdParams) -> Callable[[Columns], Columns]:
    def evaluate(c: Columns) -> Columns:
        r = physics.run_batch(
            temperature_c=c["temperature_c"], silane_fraction_start=c["y_start"], silane_fraction_end=c["y_end"],
            c2h4_ratio_start=c["ratio_start"], c2h4_ratio_end=c["ratio_end"], gas_flow_nm3_h=c["gas_flow_nm3_h"],
            deposition_time_h=c["deposition_time_h"], scaffold_mass_kg=c["scaffold_kg"],
            pore_volume_cm3_g=c["pore_volume_cm3_g"], particle_size_um=c["particle_size_um"],
            surface_area_m2_g=c["surface_area_m2_g"], k=params.kinetics,
        )
        si = r.si_deposited_kg
        return {
            "silane_fed_kg": r.silane_fed_kg, "si_fed_kg": r.si_fed_kg, "si_pore_kg": r.si_pore_kg,
            "si_surface_kg": r.si_surface_kg, "si_deposited_kg": si, "si_fines_kg": r.si_fines_kg,
            "si_exhaust_kg": r.si_exhaust_kg, "c2h4_fed_kg": r.c2h4_fed_kg, "h2_made_kg": r.h2_made_kg,
            "pore_fill": r.pore_fill, "crystallite_nm": r.crystallite_nm, "sic_fraction": r.sic_fraction,
            "surface_enrichment": r.surface_enrichment,
            "si_loading_wt": si / (si + c["scaffold_kg"]),
            "c2h4_carbon_kg": r.c2h4_carbon_kg, "scaffold_carbon_in_sic_kg": r.scaffold_carbon_in_sic_kg,
            "c2h4_consumed_kg": r.c2h4_consumed_kg, "gradient_index": r.gradient_index,
        }

    return evaluate


class ScaffoldStore:
    """Scaffold lots from the supplier, drawn first in, first out; properties vary lot to lot."""

    def __init__(self, supply: ScaffoldSupply, rng: np.random.Generator, lots: Lots) -> None:
        self.s = supply
        self.rng = rng
        self.lots = lots
        self.current: Lot | None = None
        self.left_kg = 0.0
        self.restored: list[Lot] = []  # scaffold lots in stock when the run started from a plant state

    def _new_lot(self) -> Lot:
        if self.restored:  # stock from a plant state first
            return self.restored.pop(0)
        s, g = self.s, self.rng
        vp = max(g.normal(s.pore_volume_mean_cm3_g, s.pore_volume_sd_cm3_g), 0.2 * s.pore_volume_mean_cm3_g)
        dp = max(g.normal(s.particle_size_mean_um, s.particle_size_sd_um), 0.2 * s.particle_size_mean_um)
        sa = max(g.normal(s.surface_area_mean_m2_g, s.surface_area_sd_m2_g), 0.2 * s.surface_area_mean_m2_g)
        return self.lots.new(_SCAFFOLD, "supplier", 0.0, mass_kg=s.lot_mass_kg,
                             props={"pore_volume_cm3_g": vp, "particle_size_um": dp, "surface_area_m2_g": sa})

    def draw(self, kg: float) -> list[tuple[Lot, float]]:
        if self.current is not None and self.left_kg - kg > -1e-9:  # the open lot covers it
            self.left_kg -= kg
            return [(self.current, kg)]
        parts = []
        need = kg
        while need > 1e-9:
            if self.left_kg <= 1e-9:
                self.current = self._new_lot()
                self.left_kg = self.s.lot_mass_kg
            assert self.current is not None
            take = min(need, self.left_kg)
            parts.append((self.current, take))
            self.left_kg -= take
            need -= take
        return parts


class SilaneTank(BulkSupply):
    """Bulk silane storage: a container refilled by deliveries ordered at the reorder point."""

    def __init__(self, env: simpy.Environment, s: SilaneSupply, rng: np.random.Generator) -> None:
        super().__init__(env, s.tank_capacity_kg, s.initial_level_kg, s.reorder_point_kg, s.delivery_kg,
                         s.lead_time_median_h, s.lead_time_sigma, rng)


class FbcvdLine:
    def __init__(
        self,
        env: simpy.Environment,
        params: FbcvdParams,
        settings: FbcvdSettings,
        machines: list[Machine],
        crew: Crew,
        scaffold: ScaffoldStore,
        tank: SilaneTank,
        out: simpy.Store,
        lots: Lots,
        rng: np.random.Generator,
        resume: dict[int, Resume] | None = None,
    ) -> None:
        self.env, self.p, self.s = env, params, settings
        self.crew, self.scaffold, self.tank, self.out, self.lots = crew, scaffold, tank, out, lots
        self.table = LazyTable(INPUTS, evaluator(params))
        self.rng = rng
        prog = settings.gas_program
        self.y0, self.r0 = settings.silane_fraction, settings.c2h4_ratio
        self.y1 = prog.silane_fraction_end if prog else self.y0
        self.r1 = prog.c2h4_ratio_end if prog else self.r0
        self.silane_per_batch_kg = physics.silane_feed_kg(self.y0, self.y1, settings.total_gas_flow_nm3_h,
                                                          settings.deposition_time_h)
        eq = params.equipment
        self.bias = (rng.normal(0.0, eq.reactor_temperature_bias_sd_c, size=len(machines))
                     if eq.reactor_temperature_bias_sd_c > 0 else np.zeros(len(machines)))
        self.noise = rng.normal(0.0, eq.batch_temperature_sd_c, size=4096) if eq.batch_temperature_sd_c > 0 else np.zeros(4096)
        self.batches_started = 0
        self.machines = machines
        self.blocked_lots: dict[str, Lot] = {}  # a plant state's finished lots held by blocked reactors
        self.restored_running: dict[str, Lot] = {}  # a plant state's lots in process, by id
        if resume is None:
            self.procs = [env.process(self._reactor(i, m)) for i, m in enumerate(machines)]
        else:  # started from a plant state: a machine in a batch (or down) first finishes it
            self.procs = [env.process(resume[i](self, i, m) if i in resume else self._reactor(i, m))
                          for i, m in enumerate(machines)]

    def _temperature(self, reactor: int) -> float:
        k = self.batches_started
        if k >= len(self.noise):
            eq = self.p.equipment
            more = (self.rng.normal(0.0, eq.batch_temperature_sd_c, size=len(self.noise))
                    if eq.batch_temperature_sd_c > 0 else np.zeros(len(self.noise)))
            self.noise = np.concatenate([self.noise, more])
        return self.s.bed_temperature_c + float(self.bias[reactor]) + float(self.noise[k])

    def _reactor(self, i: int, m: Machine) -> Generator[simpy.events.Event, Any, None]:
        eq, s, env = self.p.equipment, self.s, self.env
        while True:
            if m.maintenance_due:
                yield from m.maintain()
            parts = self.scaffold.draw(s.batch_mass_kg)
            kg = s.batch_mass_kg
            if len(parts) == 1:
                pr = parts[0][0].props
                vp, dp, sa = pr["pore_volume_cm3_g"], pr["particle_size_um"], pr["surface_area_m2_g"]
            else:
                vp = sum(lot.props["pore_volume_cm3_g"] * w for lot, w in parts) / kg
                dp = sum(lot.props["particle_size_um"] * w for lot, w in parts) / kg
                sa = sum(lot.props["surface_area_m2_g"] * w for lot, w in parts) / kg
            t_bed = self._temperature(i)
            self.batches_started += 1
            lot = self.lots.new(_CVD, m.name, env.now, mass_kg=kg, parents=[(p.id, w) for p, w in parts],
                                props={"temperature_c": t_bed})
            yield from m.with_crew(self.crew, eq.charge_h, "charge")
            yield from m.work(eq.heat_up_h, "heat-up")
            get = self.tank.draw(self.silane_per_batch_kg)
            if not get.triggered:
                m.set(State.STARVED, "silane tank empty")
            yield get
            lot.row = self.table.append(t_bed, self.y0, self.y1, self.r0, self.r1, s.total_gas_flow_nm3_h,
                                        s.deposition_time_h, kg, vp, dp, sa)
            lot.status = _IN_PROCESS
            done = yield from m.work(s.deposition_time_h, "deposition", abortable=True)
            if done < s.deposition_time_h:
                theta = done / s.deposition_time_h
                y_cut = self.y0 + (self.y1 - self.y0) * theta
                r_cut = self.r0 + (self.r1 - self.r0) * theta
                lot.row = self.table.append(t_bed, self.y0, y_cut, self.r0, r_cut, s.total_gas_flow_nm3_h,
                                            done, kg, vp, dp, sa)
                fed = physics.silane_feed_kg(self.y0, y_cut, s.total_gas_flow_nm3_h, done) if done > 0 else 0.0
                self.tank.give_back(self.silane_per_batch_kg - fed)
            yield from m.work(eq.purge_h, "purge")
            yield from m.work(eq.cool_h, "cool")
            yield from m.with_crew(self.crew, eq.discharge_h, "discharge")
            lot.end_h = env.now
            if done < s.deposition_time_h:
                self.lots.finish(lot, _SCRAPPED, env.now, "breakdown")
                m.set(State.IDLE, "batch scrapped")
                continue
            lot.status = _BUFFERED
            put = self.out.put(lot)
            if not put.triggered:
                m.set(State.BLOCKED, "CVD->coating buffer full")
            yield put
            m.set(State.IDLE, "batch done")

    # ------------------------------------------------------------------ started from a plant state
    def continue_batch(self, m: Machine, lot: Lot, k: int, left_h: float, scaffold: tuple[float, float, float, float],
                       attended: bool, draw_first: bool = False, cut_h: float | None = None,
                       ) -> Generator[simpy.events.Event, Any, None]:
        """Finish a batch a plant state shows in progress: phase ``k`` of :data:`PHASES` with ``left_h``
        to go (``attended``: its operator is on it), then the rest as :meth:`_reactor` does.
        ``draw_first``: the reactor was waiting for silane; ``cut_h``: the deposition was cut off by a
        failure after that many hours (the lot is scrapped when the reactor has been emptied).
        ``scaffold``: the charge's kg, pore volume, particle size and surface area."""
        eq, s, env = self.p.equipment, self.s, self.env
        kg, vp, dp, sa = scaffold
        t_bed = lot.props.get("temperature_c", s.bed_temperature_c)
        hours = (eq.charge_h, eq.heat_up_h, s.deposition_time_h, eq.purge_h, eq.cool_h, eq.discharge_h)
        dep = s.deposition_time_h
        done = dep
        if cut_h is not None:
            done = min(max(cut_h, 0.0), dep)
            theta = done / dep
            lot.row = self.table.append(t_bed, self.y0, self.y0 + (self.y1 - self.y0) * theta, self.r0,
                                        self.r0 + (self.r1 - self.r0) * theta, s.total_gas_flow_nm3_h, done, kg, vp, dp, sa)
        for j in range(k, len(PHASES)):
            name, h = PHASES[j], (left_h if j == k else hours[j])
            if name == "deposition":
                if j > k or draw_first:
                    get = self.tank.draw(self.silane_per_batch_kg)
                    if not get.triggered:
                        m.set(State.STARVED, "silane tank empty")
                    yield get
                lot.row = self.table.append(t_bed, self.y0, self.y1, self.r0, self.r1, s.total_gas_flow_nm3_h, dep,
                                            kg, vp, dp, sa)
                lot.status = _IN_PROCESS
                got = yield from m.work(h, "deposition", abortable=True)
                done = dep - h + got
                if got < h:
                    theta = done / dep
                    y_cut, r_cut = self.y0 + (self.y1 - self.y0) * theta, self.r0 + (self.r1 - self.r0) * theta
                    lot.row = self.table.append(t_bed, self.y0, y_cut, self.r0, r_cut, s.total_gas_flow_nm3_h, done,
                                                kg, vp, dp, sa)
                    # silane not fed in what was left of the run goes back to the tank
                    fed = physics.silane_feed_kg(self.y0, y_cut, s.total_gas_flow_nm3_h, done) if done > 0 else 0.0
                    self.tank.give_back(self.silane_per_batch_kg - fed)
            elif name in ("charge", "discharge") and (j > k or not attended):
                yield from m.with_crew(self.crew, h, name)
            else:
                yield from m.work(h, name)
        lot.end_h = env.now
        if done < dep - 1e-12:
            self.lots.finish(lot, _SCRAPPED, env.now, "breakdown")
            m.set(State.IDLE, "batch scrapped")
            return
        lot.status = _BUFFERED
        yield from self.discharge_into_buffer(m, lot)

    def discharge_into_buffer(self, m: Machine, lot: Lot) -> Generator[simpy.events.Event, Any, None]:
        put = self.out.put(lot)
        if not put.triggered:
            m.set(State.BLOCKED, "CVD->coating buffer full")
        yield put
        m.set(State.IDLE, "batch done")


#: what a reactor does first when the run starts from a plant state
Resume = Callable[[FbcvdLine, int, Machine], Generator[simpy.events.Event, Any, None]]
#: the phases of an FBCVD batch, in order
PHASES = ("charge", "heat-up", "deposition", "purge", "cool", "discharge")
#: what :func:`evaluator` computes per batch (a restored lot's recorded values fill these)
OUTPUTS = ("silane_fed_kg", "si_fed_kg", "si_pore_kg", "si_surface_kg", "si_deposited_kg", "si_fines_kg",
           "si_exhaust_kg", "c2h4_fed_kg", "h2_made_kg", "pore_fill", "crystallite_nm", "sic_fraction",
           "surface_enrichment", "si_loading_wt", "c2h4_carbon_kg", "scaffold_carbon_in_sic_kg", "c2h4_consumed_kg",
           "gradient_index")


def scaffold_of(ls: Any, p: FbcvdParams, batch_kg: float) -> tuple[float, float, float, float]:
    """A CVD lot's charge (kg, pore volume, particle size, surface area) from its scaffold parents in
    a plant state (mass-weighted), else from its own recorded Si uptake and the scaffold means."""
    sc = p.scaffold
    par = [x for x in ls.parents if x.kind in ("", _SCAFFOLD.value)]
    kg = sum(x.mass_kg for x in par)
    if kg > 0:
        def mean(name: str, default: float) -> float:
            return sum(x.properties.get(name, default) * x.mass_kg for x in par) / kg

        return (kg, mean("pore_volume_cm3_g", sc.pore_volume_mean_cm3_g), mean("particle_size_um", sc.particle_size_mean_um),
                mean("surface_area_m2_g", sc.surface_area_mean_m2_g))
    pr = ls.properties
    added = pr.get("si_deposited_kg", float("nan")) + pr.get("c2h4_carbon_kg", 0.0)
    kg = ls.mass_kg - added if np.isfinite(added) and ls.where != "in process" else batch_kg
    vp = sc.pore_volume_mean_cm3_g
    fill, si_pore = pr.get("pore_fill"), pr.get("si_pore_kg")
    if fill and si_pore and fill > 0 and kg > 0:
        vp = si_pore / (kg * fill * p.kinetics.si_density_g_cm3)
    return kg, vp, sc.particle_size_mean_um, sc.surface_area_mean_m2_g


def restore_table_row(table: LazyTable, ls: Any, p: FbcvdParams, settings: FbcvdSettings) -> tuple[int, float]:
    """A finished CVD lot of a plant state as a row of known outputs (its recorded properties) in the
    line's lazy table; returns the row and the lot's charge kg."""
    kg, vp, dp, sa = scaffold_of(ls, p, settings.batch_mass_kg)
    prog = settings.gas_program
    y1 = prog.silane_fraction_end if prog else settings.silane_fraction
    r1 = prog.c2h4_ratio_end if prog else settings.c2h4_ratio
    pr = ls.properties
    row = table.preset((pr.get("temperature_c", settings.bed_temperature_c), settings.silane_fraction, y1,
                        settings.c2h4_ratio, r1, settings.total_gas_flow_nm3_h, settings.deposition_time_h, kg, vp, dp, sa),
                       {k: v for k, v in pr.items() if k in OUTPUTS})
    return row, kg


def _restore(w: Wiring, machines: list[Machine], scaffold: ScaffoldStore, tank: SilaneTank, p: FbcvdParams,
             settings: FbcvdSettings) -> dict[int, Resume]:
    """Tank, open orders and scaffold stock from the plant state, and what each reactor does first."""
    from plants import state as ps

    st = w.state
    eq = p.equipment
    ps.restore_supply(st, "silane", tank, w.streams("state.silane.orders"))
    stock = sorted(st.lots_of(_SCAFFOLD.value, "stock"), key=lambda x: -x.progress_h)
    for j, ls in enumerate(stock):
        lot = ps.restore_lot(w.lots, ls, status=LotStatus.CHARGED)
        if j == 0:
            scaffold.current, scaffold.left_kg = lot, ls.remaining_kg
        else:
            scaffold.restored.append(lot)
    ps.keep_maintenance_count(machines, st)
    repairs = w.streams("state.fbcvd.repairs")
    hours = (eq.charge_h, eq.heat_up_h, settings.deposition_time_h, eq.purge_h, eq.cool_h, eq.discharge_h)
    phases = list(zip(PHASES, hours, strict=True))
    resume = {}
    for i, m in enumerate(machines):
        ms = st.machines.get(m.name)
        if ms is None:
            continue
        ls = st.running_on(_CVD.value, m.name)
        down_h = ps.down_time_h(ms, eq, repairs) if ms.state == "down" else None
        blocked = None
        if ms.state == "blocked" and ls is None:
            done = sorted((x for x in st.lots_of(_CVD.value, "buffer") if x.equipment == m.name),
                          key=lambda x: x.since_end_h if x.since_end_h is not None else 0.0)
            blocked = done[0].lot_id if done else None
        if ls is not None and ms.reason == "planned maintenance":
            ls = None  # noted when the lots are restored
        resume[i] = _resumer(ms, ls, down_h, blocked, phases, p, settings)
    return resume


def _resumer(ms: Any, ls: Any, down_h: float | None, blocked: str | None, phases: list[tuple[str, float]],
             p: FbcvdParams, settings: FbcvdSettings) -> Resume:
    def run(line: FbcvdLine, i: int, m: Machine) -> Generator[simpy.events.Event, Any, None]:
        from plants import state as ps

        if down_h is not None:
            yield from ps.stays_down(m, ms, down_h)
        if blocked is not None:
            lot = line.blocked_lots.pop(blocked, None)
            if lot is not None:
                yield from line.discharge_into_buffer(m, lot)
        elif ls is not None:
            lot = line.restored_running[ls.lot_id]
            charge = scaffold_of(ls, p, settings.batch_mass_kg)
            k, left = ps.phase_left(phases, ms, ls)
            cut = None
            if ms.state == "down" and ms.reason == "failure in deposition":
                cut = phases[2][1] - left  # the deposition done before the failure
                k, left = 3, phases[3][1]
            draw_first = ms.state == "starved" and ms.reason == "silane tank empty"
            if draw_first:
                k, left = 2, phases[2][1]
            yield from line.continue_batch(m, lot, k, left, charge, attended=ms.state in ("working", "down"),
                                           draw_first=draw_first, cut_h=cut)
        yield from line._reactor(i, m)

    return run


def cvd_frame(cvd_lots: list[Lot], table: LazyTable) -> pd.DataFrame:
    """The CVD lots with their physics joined from the line's lazy table; a batch's mass grows by
    the Si it took up and the carbon its SiC took from the ethylene (SiC formed with the scaffold's
    own carbon adds nothing: that carbon was already in the lot)."""
    cvd = Lots.frame(cvd_lots)
    if len(table):
        out = table.outputs()
        rows = np.array([x.row for x in cvd_lots])
        has = rows >= 0
        cols = {}
        for name, values in out.items():
            col = np.full(len(cvd_lots), np.nan)
            col[has] = values[rows[has]]
            cols[name] = col
        cvd = with_columns(cvd, cols)
        cvd["mass_kg"] = cvd["mass_kg"] + np.where(has, (cvd["si_deposited_kg"] + cvd["c2h4_carbon_kg"]).fillna(0.0), 0.0)
    return cvd


def _restore_lots(w: Wiring, line: FbcvdLine, buffer: MonitoredStore, p: FbcvdParams, settings: FbcvdSettings) -> None:
    """CVD lots of the plant state: in the buffer (oldest first; a blocked reactor's own lot waits
    with it) with rows of known outputs, and those in process (their reactor finishes them)."""
    from plants import state as ps

    st = w.state
    restored = {x.id for x in w.lots.all}  # the scaffold lots in stock
    line.blocked_lots = {}
    line.restored_running = {}
    waiting = sorted(st.lots_of(_CVD.value, "buffer"), key=lambda x: -(x.since_end_h if x.since_end_h is not None else 0.0))
    blocked = {m.name for m in line.machines if (ms := st.machines.get(m.name)) is not None and ms.state == "blocked"}
    held = set()
    for name in blocked:
        mine = [x for x in waiting if x.equipment == name]
        if mine and not any(x.equipment == name for x in st.lots_of(_CVD.value, "in process")):
            held.add(min(mine, key=lambda x: x.since_end_h if x.since_end_h is not None else 0.0).lot_id)
    for ls in waiting:
        row, kg = restore_table_row(line.table, ls, p, settings)
        lot = ps.restore_lot(w.lots, ls, mass_kg=kg, props={"temperature_c": ls.properties.get("temperature_c",
                                                                                              settings.bed_temperature_c)})
        lot.row = row
        if ls.lot_id in held:
            line.blocked_lots[ls.lot_id] = lot
        else:
            buffer.put(lot)
    # the CVD lots inside a coater batch in progress (the state lists them under the powder lot)
    inside: dict[str, Lot] = {}
    for powder in st.lots_of(LotKind.POWDER.value, "in process"):
        for par in powder.parents:
            if par.kind == _CVD.value and par.lot_id not in inside:
                ls = ps.as_lot_state(par)
                row, kg = restore_table_row(line.table, ls, p, settings)
                lot = ps.restore_lot(w.lots, ls, mass_kg=kg, props={"temperature_c": par.properties.get(
                    "temperature_c", settings.bed_temperature_c)}, status=LotStatus.COATING)
                lot.row = row
                inside[par.lot_id] = lot
    w.ports["cvd_in_coaters"] = inside
    names = {m.name for m in line.machines}
    for ls in st.lots_of(_CVD.value, "in process"):
        ms = st.machines.get(ls.equipment)
        if ls.equipment not in names or ms is None or ms.reason == "planned maintenance":
            st.skipped.append(f"{ls.lot_id}: CVD batch in process on {ls.equipment or '?'}, a reactor the scenario "
                              "or the state does not have in a batch (not restored)")
            continue
        kg = scaffold_of(ls, p, settings.batch_mass_kg)[0]
        lot = ps.restore_lot(w.lots, ls, mass_kg=kg, props={"temperature_c": ls.properties.get("temperature_c",
                                                                                              settings.bed_temperature_c)},
                             status=LotStatus.CHARGED, parents=all(x.lot_id in restored for x in ls.parents))
        line.restored_running[ls.lot_id] = lot


def build(w: Wiring) -> Built:
    """The FBCVD reactors, their scaffold store and silane tank, and the CVD-to-coating buffer
    (published as ``cvd_buffer``, with the lots' physics table as ``cvd_table``)."""
    sc, p = w.loaded.scenario, w.loaded.params
    eq = p.fbcvd.equipment
    machines = make_machines(w.env, "fbcvd", "R", eq.reactor_count, eq, w.log, w.streams)
    buffer = MonitoredStore(w.env, p.buffers.cvd_to_coating_lots, "CVD->coating", w.levels)
    scaffold = ScaffoldStore(p.fbcvd.scaffold, w.streams("scaffold.lots"), w.lots)
    tank = SilaneTank(w.env, p.fbcvd.silane, w.streams("silane.deliveries"))
    resume = None if w.state is None else _restore(w, machines, scaffold, tank, p.fbcvd, sc.settings.fbcvd)
    line = FbcvdLine(w.env, p.fbcvd, sc.settings.fbcvd, machines, Crew(w.env, eq.operators_per_shift, sc.calendar),
                     scaffold, tank, buffer, w.lots, w.streams("fbcvd.temperature"), resume=resume)
    if w.state is not None:
        _restore_lots(w, line, buffer, p.fbcvd, sc.settings.fbcvd)
    k = p.fbcvd.kinetics
    w.ports.update(cvd_buffer=buffer, cvd_table=line.table,
                   materials=Materials(k.si_density_g_cm3, k.carbon_skeletal_density_g_cm3))
    w.supplies["silane"] = tank
    table = line.table
    return Built(frames={_CVD: lambda lots: cvd_frame(lots, table)}, handle=line)
