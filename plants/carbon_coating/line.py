"""Carbon-coating line: batch (or continuous, kept hot) reactors drawing CVD lots from the buffer.

A breakdown during coating holds the batch and resumes after the repair (the shell keeps growing
for the remaining time); the coating time in the physics is the planned time.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from plants.buffers import PowderStore
from plants.carbon_coating import physics
from plants.carbon_coating.params import CoatingParams
from plants.carbon_coating.settings import BedType, CoatingMode, CoatingSettings, PowderSpecs
from plants.common import Materials
from plants.lines import LotKind, LotStatus
from plants.lots import Lot, Lots, with_columns
from plants.performance import POWDER_QUALITY
from plants.wiring import Built, Wiring
from twin.equipment import Crew, Machine, make_machines
from twin.lazy import Columns, LazyTable
from twin.resources import LeanResource
from twin.states import State

__all__ = ["OUTPUTS", "CoatingLine", "QualityLab", "build", "evaluator", "inputs", "powder_frame"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_POWDER = LotKind.POWDER
_COATING = LotStatus.COATING
_CONSUMED = LotStatus.CONSUMED
_QUARANTINE = LotStatus.QUARANTINE
_CVD = LotKind.CVD
_TESTING = LotStatus.TESTING
_REJECTED = LotStatus.REJECTED
_RELEASED = LotStatus.RELEASED


def inputs(lots_per_batch: int) -> tuple[str, ...]:
    return ("temperature_c", "shell_cv", *(f"cvd_row_{j}" for j in range(lots_per_batch)))


def evaluator(
    params: CoatingParams, fb: Materials, settings: CoatingSettings, cvd: LazyTable
) -> Callable[[Columns], Columns]:
    k = settings.cvd_lots_per_batch

    def evaluate(c: Columns) -> Columns:
        rows = np.stack([c[f"cvd_row_{j}"].astype(np.int64) for j in range(k)], axis=-1)
        m_c = cvd.take("scaffold_kg", rows)
        si_pore = cvd.take("si_pore_kg", rows)
        si_surf = cvd.take("si_surface_kg", rows)
        si = si_pore + si_surf
        vp = cvd.take("pore_volume_cm3_g", rows)
        sum_c, sum_si = m_c.sum(-1), si.sum(-1)
        w_c = m_c / sum_c[..., None]
        w_si = si / np.maximum(sum_si[..., None], 1e-300)
        pore_vol = (vp * w_c).sum(-1)
        dp = (cvd.take("particle_size_um", rows) * w_c).sum(-1)
        area = (cvd.take("surface_area_m2_g", rows) * w_c).sum(-1)
        sic_in = (cvd.take("sic_fraction", rows) * w_si).sum(-1)
        cryst_in = (cvd.take("crystallite_nm", rows) * w_si).sum(-1)
        pore_fill = si_pore.sum(-1) / (sum_c * pore_vol * fb.si_density_g_cm3)
        c_eth = cvd.take("c2h4_carbon_kg", rows).sum(-1)
        c_scaffold_sic = cvd.take("scaffold_carbon_in_sic_kg", rows).sum(-1)
        gradient = (cvd.take("gradient_index", rows) * w_si).sum(-1)
        charge = sum_c + sum_si + c_eth
        rho = physics.particle_density_g_cm3(pore_vol, (sum_si + c_eth) / sum_c, fb.carbon_skeletal_density_g_cm3)
        co = physics.coat(
            temperature_c=c["temperature_c"], acetylene_fraction=settings.acetylene_fraction,
            gas_flow_nm3_h=settings.total_gas_flow_nm3_h, time_h=settings.time_h, charge_kg=charge,
            particle_size_um=dp, particle_density_g_cm3=rho, crystallite_nm_in=cryst_in,
            sic_fraction_in=sic_in, k=params.kinetics, si_kg=sum_si, free_scaffold_carbon_kg=sum_c - c_scaffold_sic,
        )
        pw = physics.powder_properties(
            scaffold_kg=sum_c, si_pore_kg=si_pore.sum(-1), si_surface_kg=si_surf.sum(-1),
            shell_carbon_kg=co.shell_carbon_kg, sic_fraction=co.sic_fraction, crystallite_nm=co.crystallite_nm,
            shell_nm=co.shell_nm, shell_cv=c["shell_cv"], pore_volume_cm3_g=pore_vol, pore_fill=pore_fill,
            internal_area_m2_g=area, particle_size_um=dp,
            carbon_skeletal_density_g_cm3=fb.carbon_skeletal_density_g_cm3, si_density_g_cm3=fb.si_density_g_cm3,
            min_protective_nm=params.kinetics.min_protective_nm, pore_mouth_access=params.kinetics.pore_mouth_access,
            p=params.powder, c2h4_carbon_kg=c_eth,
        )
        return {
            # what came out: the charge (its CVD lots' recorded masses) plus the shell's carbon
            "mass_out_kg": charge + co.shell_carbon_kg,
            "si_kg": sum_si, "carbon_kg": pw.carbon_kg, "free_carbon_kg": pw.free_carbon_kg,
            "composition_kg": pw.mass_kg,
            "scaffold_carbon_kg": sum_c, "c2h4_carbon_kg": c_eth,
            "scaffold_carbon_in_sic_kg": c_scaffold_sic + co.scaffold_carbon_in_sic_kg,
            "shell_nm": co.shell_nm, "shell_carbon_kg": co.shell_carbon_kg,
            "acetylene_fed_kg": co.acetylene_fed_kg, "crystallite_nm": co.crystallite_nm,
            "sic_fraction": co.sic_fraction, "si_content_wt": pw.si_content_wt,
            "capacity_mah_g": pw.capacity_mah_g, "ice": pw.ice, "exposed_si_fraction": pw.exposed_si_fraction,
            "h2_test_l_per_g": pw.h2_test_l_per_g, "surface_area_m2_g": pw.surface_area_m2_g,
            "swelling": pw.swelling, "pore_fill": pore_fill, "particle_size_um": dp,
            "void_share": pw.void_share, "gradient_index": gradient,
            "particle_density_g_cm3": pw.mass_kg / sum_c / (pore_vol + 1.0 / fb.carbon_skeletal_density_g_cm3),
        }

    return evaluate


class CoatingLine:
    def __init__(
        self,
        env: simpy.Environment,
        params: CoatingParams,
        fb: Materials,
        settings: CoatingSettings,
        machines: list[Machine],
        crew: Crew,
        source: simpy.Store,
        cvd_table: LazyTable,
        lots: Lots,
        on_done: Callable[[Lot], None],
        rng: np.random.Generator,
        warehouse: simpy.Container | None = None,
        resume: dict[int, Resume] | None = None,
    ) -> None:
        self.env, self.p, self.s = env, params, settings
        self.crew, self.source, self.lots, self.on_done = crew, source, lots, on_done
        self.warehouse = warehouse
        self.table = LazyTable(inputs(settings.cvd_lots_per_batch), evaluator(params, fb, settings, cvd_table),
                               upstream=[cvd_table])
        eq = params.equipment
        self.rng = rng
        self.bias = rng.normal(0.0, eq.reactor_temperature_bias_sd_c, size=len(machines))
        self.cv_base = eq.shell_uniformity_cv_fluidized if settings.bed is BedType.FLUIDIZED else eq.shell_uniformity_cv_rotary
        self._z: list[tuple[float, float]] = []
        self.machines = machines
        self.restored_running: dict[str, Lot] = {}  # a plant state's powder lots in a coater, by id
        if resume is None:
            self.procs = [env.process(self._reactor(i, m)) for i, m in enumerate(machines)]
        else:  # started from a plant state: a coater in a batch (or down) first finishes it
            self.procs = [env.process(resume[i](self, i, m) if i in resume else self._reactor(i, m))
                          for i, m in enumerate(machines)]

    def _normals(self) -> tuple[float, float]:
        """Standard normal pair (batch temperature, shell CV) from a block drawn ahead in one call."""
        if not self._z:
            self._z = [(float(a), float(b)) for a, b in self.rng.standard_normal((1024, 2))][::-1]
        return self._z.pop()

    def _reactor(self, i: int, m: Machine) -> Generator[simpy.events.Event, Any, None]:
        eq, s, env = self.p.equipment, self.s, self.env
        hot_cycle = s.mode is CoatingMode.BATCH
        while True:
            if m.maintenance_due:
                yield from m.maintain()
            taken: list[Lot] = []
            for _ in range(s.cvd_lots_per_batch):
                get = self.source.get()
                if not get.triggered:
                    m.set(State.STARVED, "no CVD lot in buffer")
                taken.append((yield get))
            for lot in taken:
                lot.status = _COATING
            z_t, z_cv = self._normals()
            t = s.temperature_c + float(self.bias[i]) + eq.batch_temperature_sd_c * z_t
            cv = max(self.cv_base + eq.shell_uniformity_batch_sd * z_cv, 0.02)
            powder = self.lots.new(_POWDER, m.name, env.now, mass_kg=float("nan"),
                                   parents=[(x.id, x.mass_kg) for x in taken],
                                   props={"temperature_c": t, "shell_cv": cv})
            powder.row = self.table.append(t, cv, *(float(x.row) for x in taken))
            yield from m.with_crew(self.crew, eq.charge_h, "charge")
            if hot_cycle:
                yield from m.work(eq.heat_up_h, "heat-up")
            yield from m.work(s.time_h, "coating")
            if hot_cycle:
                yield from m.work(eq.purge_h, "purge")
                yield from m.work(eq.cool_h, "cool")
            if self.warehouse is not None:  # a place in the powder warehouse before discharging
                slot = self.warehouse.put(1)
                if not slot.triggered:
                    m.set(State.BLOCKED, "powder warehouse full")
                yield slot
            yield from m.with_crew(self.crew, eq.discharge_h, "discharge")
            powder.end_h = env.now
            powder.status = _QUARANTINE
            for lot in taken:
                lot.status = _CONSUMED
            m.set(State.IDLE, "batch done")
            self.on_done(powder)


class QualityLab:
    """Samples every powder lot: hands-on test time on a limited bench, then the turnaround
    (coin-cell formation) before the release decision against the scenario's specs."""

    def __init__(self, env: simpy.Environment, lab: Any, specs: PowderSpecs, coating: CoatingLine, lots: Lots,
                 store: PowderStore) -> None:
        self.env = env
        self.store = store
        self.lab = lab  # plants.parameters.LabParams: parallel_tests, hands_on_h, turnaround_h
        self.bench = LeanResource(env, capacity=self.lab.parallel_tests)
        self.specs = specs.items()
        self.coating = coating
        self.lots = lots

    def submit(self, lot: Lot) -> None:
        self.env.process(self._test(lot))

    def resume(self, lot: Lot, age_h: float) -> None:
        """A lot of a plant state in quarantine, made ``age_h`` before hour 0: its hands-on test time
        on the bench and its turnaround count from when it was made."""
        self.env.process(self._resume(lot, age_h))

    def _resume(self, lot: Lot, age_h: float) -> Generator[simpy.events.Event, Any, None]:
        hands_on = self.lab.hands_on_h
        if age_h < hands_on:
            with self.bench.request() as req:
                yield req
                lot.status = _TESTING
                yield self.env.timeout(hands_on - age_h)
            yield self.env.timeout(self.lab.turnaround_h)
        else:
            lot.status = _TESTING
            yield self.env.timeout(max(hands_on + self.lab.turnaround_h - age_h, 0.0))
        self._decide(lot)

    def _test(self, lot: Lot) -> Generator[simpy.events.Event, Any, None]:
        with self.bench.request() as req:
            yield req
            lot.status = _TESTING
            yield self.env.timeout(self.lab.hands_on_h)
        yield self.env.timeout(self.lab.turnaround_h)
        self._decide(lot)

    def _decide(self, lot: Lot) -> None:
        failed = [name for name, lim in self.specs if not lim.ok(self.coating.table.get(lot.row, name))]
        if failed:
            self.lots.finish(lot, _REJECTED, self.env.now, "off-spec: " + ", ".join(failed))
            self.store.reject()
        else:
            self.lots.finish(lot, _RELEASED, self.env.now)
            self.store.release(lot, self.coating.table.get(lot.row, "mass_out_kg"))


#: what :func:`evaluator` computes per batch (a restored lot's recorded values fill these)
OUTPUTS = ("mass_out_kg", "si_kg", "carbon_kg", "free_carbon_kg", "composition_kg", "scaffold_carbon_kg", "c2h4_carbon_kg",
           "scaffold_carbon_in_sic_kg", "shell_nm", "shell_carbon_kg", "acetylene_fed_kg", "crystallite_nm", "sic_fraction",
           "si_content_wt", "capacity_mah_g", "ice", "exposed_si_fraction", "h2_test_l_per_g", "surface_area_m2_g",
           "swelling", "pore_fill", "particle_size_um", "void_share", "gradient_index", "particle_density_g_cm3")
Resume = Callable[[CoatingLine, int, Machine], Generator[simpy.events.Event, Any, None]]


def _continue(line: CoatingLine, m: Machine, powder: Lot, taken: list[Lot], phases: list[tuple[str, float]], k: int,
              left_h: float, attended: bool, has_slot: bool) -> Generator[simpy.events.Event, Any, None]:
    """Finish a coater batch a plant state shows in progress (phase ``k`` with ``left_h`` to go), then
    hand the lot to the lab as :meth:`CoatingLine._reactor` does."""
    env = line.env
    for j in range(k, len(phases)):
        name, h = phases[j][0], (left_h if j == k else phases[j][1])
        if name == "discharge" and line.warehouse is not None and not has_slot:
            slot = line.warehouse.put(1)
            if not slot.triggered:
                m.set(State.BLOCKED, "powder warehouse full")
            yield slot
        if name in ("charge", "discharge") and (j > k or not attended):
            yield from m.with_crew(line.crew, h, name)
        else:
            yield from m.work(h, name)
    powder.end_h = env.now
    powder.status = _QUARANTINE
    for lot in taken:
        lot.status = _CONSUMED
    m.set(State.IDLE, "batch done")
    line.on_done(powder)


def _restore(w: Wiring, machines: list[Machine], settings: CoatingSettings, eq: Any) -> dict[int, Resume]:
    """What each coater does first when the run starts from a plant state: stays down for the rest
    of a repair, finishes the batch it is in."""
    from plants import state as ps

    st = w.state
    ps.keep_maintenance_count(machines, st)
    hot = settings.mode is CoatingMode.BATCH
    phases = [("charge", eq.charge_h), *([("heat-up", eq.heat_up_h)] if hot else []), ("coating", settings.time_h),
              *([("purge", eq.purge_h), ("cool", eq.cool_h)] if hot else []), ("discharge", eq.discharge_h)]
    repairs = w.streams("state.coating.repairs")
    inside = w.ports.get("cvd_in_coaters", {})
    resume: dict[int, Resume] = {}
    for i, m in enumerate(machines):
        ms = st.machines.get(m.name)
        if ms is None:
            continue
        ls = st.running_on(_POWDER.value, m.name)
        if ls is not None and ms.reason == "planned maintenance":
            ls = None  # noted when the lots are restored
        taken = [inside[p.lot_id] for p in ls.parents if p.lot_id in inside] if ls is not None else []
        if ls is not None and (len(taken) != len(ls.parents) or not taken):
            st.skipped.append(f"{ls.lot_id}: coater batch in process on {m.name} without its CVD lots' properties "
                              "(not restored)")
            ls = None
        down_h = ps.down_time_h(ms, eq, repairs) if ms.state == "down" else None
        k, left = ps.phase_left(phases, ms, ls) if ls is not None else (0, 0.0)
        has_slot = ls is not None and phases[k][0] == "discharge" and ms.state in ("working", "down")
        resume[i] = _resumer(ms, ls, taken, down_h, phases, k, left, has_slot)
    return resume


def _resumer(ms: Any, ls: Any, taken: list[Lot], down_h: float | None, phases: list[tuple[str, float]], k: int,
             left: float, has_slot: bool) -> Resume:
    def run(line: CoatingLine, i: int, m: Machine) -> Generator[simpy.events.Event, Any, None]:
        from plants import state as ps

        if down_h is not None:
            yield from ps.stays_down(m, ms, down_h)
        if ls is not None:
            pr = ls.properties
            s = line.s
            t = pr.get("temperature_c", s.temperature_c)
            cv = pr.get("shell_cv", line.cv_base)
            powder = line.restored_running[ls.lot_id]
            powder.props = {"temperature_c": t, "shell_cv": cv}
            for lot in taken:
                lot.status = _COATING
            powder.row = line.table.append(t, cv, *(float(x.row) for x in taken))
            yield from _continue(line, m, powder, taken, phases, k, left, ms.state in ("working", "down"), has_slot)
        yield from line._reactor(i, m)

    return run


def _restore_lots(w: Wiring, line: CoatingLine, lab: QualityLab, store: PowderStore) -> None:
    """Powder lots of the plant state: in quarantine (the lab goes on with them), released in the
    warehouse (their remaining kg, oldest first), in a coater (finished by :func:`_resumer`)."""
    from plants import state as ps

    st = w.state
    inside = w.ports.get("cvd_in_coaters", {})
    line.restored_running = {}
    names = {m.name for m in line.machines}
    for ls in st.lots_of(_POWDER.value, "in process"):
        ms = st.machines.get(ls.equipment)
        if ls.equipment not in names or ms is None or ms.reason == "planned maintenance" \
                or not all(p.lot_id in inside for p in ls.parents) or not ls.parents:
            if ls.equipment not in names or ms is None or ms.reason == "planned maintenance":
                st.skipped.append(f"{ls.lot_id}: coater batch in process on {ls.equipment or '?'}, a coater the "
                                  "scenario or the state does not have in a batch (not restored)")
            continue
        lot = ps.restore_lot(w.lots, ls, mass_kg=float("nan"), props={}, status=LotStatus.CHARGED,
                             parents=all(p.lot_id in inside for p in ls.parents))
        line.restored_running[ls.lot_id] = lot
    for ls in sorted(st.lots_of(_POWDER.value, ("quarantine", "stock")), key=lambda x: -x.progress_h):
        pr = ls.properties
        row = line.table.preset((pr.get("temperature_c", line.s.temperature_c), pr.get("shell_cv", line.cv_base),
                                 *([-1.0] * line.s.cvd_lots_per_batch)),
                                {**{k: v for k, v in pr.items() if k in OUTPUTS}, "mass_out_kg": ls.mass_kg})
        lot = ps.restore_lot(w.lots, ls, mass_kg=float("nan"),
                             props={k: pr[k] for k in ("temperature_c", "shell_cv") if k in pr})
        lot.row = row
        if ls.where == "quarantine":
            store.slots.put(1)
            lab.resume(lot, ls.since_end_h if ls.since_end_h is not None else 0.0)
        elif ls.remaining_kg > 0:
            store.slots.put(1)
            store.release(lot, ls.remaining_kg)
        else:
            lot.status = _CONSUMED
    # a coater discharging holds its warehouse slot already
    for m in line.machines:
        ms = st.machines.get(m.name)
        if ms is not None and ms.state in ("working", "down") and ms.reason.removeprefix("failure in ") == "discharge" \
                and any(x.equipment == m.name for x in st.lots_of(_POWDER.value, "in process")):
            store.slots.put(1)


def powder_frame(powder_lots: list[Lot], table: LazyTable) -> pd.DataFrame:
    """The powder lots with their physics joined from the coater's lazy table (mass: what came out)."""
    powder = Lots.frame(powder_lots)
    if len(table):
        out = table.outputs()
        rows = np.array([x.row for x in powder_lots])
        powder = with_columns(powder, {name: values[rows] for name, values in out.items()})
        powder["mass_kg"] = powder["mass_out_kg"]
        powder = powder.drop(columns=["mass_out_kg"])
    return powder


def build(w: Wiring) -> Built:
    """The coaters, the QC lab and the powder warehouse (published as ``powder_store``, with a
    released lot's properties as ``powder_props``); takes ``cvd_buffer``, ``cvd_table`` and
    ``materials`` from the FBCVD line."""
    sc, p = w.loaded.scenario, w.loaded.params
    eq = p.coating.equipment
    machines = make_machines(w.env, "coating", "K", eq.reactor_count, eq, w.log, w.streams)
    store = PowderStore(w.env, p.buffers.powder_store_lots, w.levels)
    lab_ref: list[QualityLab] = []
    resume = None if w.state is None else _restore(w, machines, sc.settings.coating, eq)
    line = CoatingLine(w.env, p.coating, w.ports["materials"], sc.settings.coating, machines,
                       Crew(w.env, eq.operators_per_shift, sc.calendar), w.ports["cvd_buffer"], w.ports["cvd_table"], w.lots,
                       lambda lot: lab_ref[0].submit(lot), w.streams("coating.batches"), warehouse=store.slots,
                       resume=resume)
    lab_ref.append(QualityLab(w.env, p.lab, sc.specs.powder, line, w.lots, store))
    if w.state is not None:
        _restore_lots(w, line, lab_ref[0], store)
    table = line.table

    def powder_props(lot: Lot) -> tuple[float, float, float, float, float]:
        mass = table.get(lot.row, "mass_out_kg")
        return (table.get(lot.row, "capacity_mah_g"), table.get(lot.row, "ice"), table.get(lot.row, "particle_size_um"),
                table.get(lot.row, "si_kg") / mass, mass)

    def powder_quality(lot: Lot) -> tuple[float, ...]:
        return tuple(table.get(lot.row, name) for name in POWDER_QUALITY)

    w.ports.update(powder_store=store, powder_props=powder_props, powder_quality=powder_quality)
    return Built(frames={_POWDER: lambda lots: powder_frame(lots, table)}, whole_parents=(_CVD,), handle=line)
