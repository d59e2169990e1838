"""The carbon-coating line on tiny cases: one reactor, a stub CVD table, exact event logs.

Every random draw of the line is switched off through its parameters (no reactor bias, no batch
temperature or shell-uniformity scatter), machines never fail unless a test scripts a failure,
and every expected time is summed from the same parameters the line reads.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from plants.carbon_coating.line import CoatingLine
from plants.carbon_coating.settings import CoatingMode, CoatingSettings
from plants.common import M_C_G_MOL, M_SI_G_MOL, Materials
from plants.lines import LotKind, LotStatus
from plants.lots import Lots
from twin.calendar import ShiftCalendar
from twin.equipment import Crew, Machine
from twin.lazy import LazyTable
from twin.resources import LeanContainer
from twin.states import StateLog
from twin.streams import Streams

pytestmark = pytest.mark.component

CVD_COLUMNS = ("scaffold_kg", "si_pore_kg", "si_surface_kg", "pore_volume_cm3_g", "particle_size_um",
               "surface_area_m2_g", "sic_fraction", "crystallite_nm", "c2h4_carbon_kg", "scaffold_carbon_in_sic_kg",
               "gradient_index")
_C_PER_SI = 12.011 / 28.086
# Two CVD lots as the FBCVD line would leave them (what the coater reads from its table): the first's
# SiC took all its carbon from the ethylene, the second's half from the ethylene and half from the scaffold
CVD_ROWS = [
    {"scaffold_kg": 100.0, "si_pore_kg": 80.0, "si_surface_kg": 5.0, "pore_volume_cm3_g": 0.9,
     "particle_size_um": 8.0, "surface_area_m2_g": 900.0, "sic_fraction": 0.02, "crystallite_nm": 3.0,
     "c2h4_carbon_kg": 85.0 * 0.02 * _C_PER_SI, "scaffold_carbon_in_sic_kg": 0.0, "gradient_index": 0.0},
    {"scaffold_kg": 120.0, "si_pore_kg": 90.0, "si_surface_kg": 6.0, "pore_volume_cm3_g": 0.85,
     "particle_size_um": 10.0, "surface_area_m2_g": 850.0, "sic_fraction": 0.04, "crystallite_nm": 4.0,
     "c2h4_carbon_kg": 96.0 * 0.02 * _C_PER_SI, "scaffold_carbon_in_sic_kg": 96.0 * 0.02 * _C_PER_SI,
     "gradient_index": 0.1},
]


@pytest.fixture(scope="module")
def coating(params):
    """Coating parameters with every random scatter set to zero."""
    eq = params.coating.equipment.model_copy(update={
        "reactor_temperature_bias_sd_c": 0.0, "batch_temperature_sd_c": 0.0, "shell_uniformity_batch_sd": 0.0})
    return params.coating.model_copy(update={"equipment": eq})


@pytest.fixture(scope="module")
def materials(params):
    k = params.fbcvd.kinetics
    return Materials(k.si_density_g_cm3, k.carbon_skeletal_density_g_cm3)


def settings(**kw):
    base = {"temperature_c": 700.0, "acetylene_fraction": 0.12, "total_gas_flow_nm3_h": 100.0, "time_h": 2.0,
            "cvd_lots_per_batch": 2}
    return CoatingSettings(**{**base, **kw})


def machine(env, log, ttfs=None, repair_h=0.0):
    ttf = (lambda: 1e12) if ttfs is None else iter(ttfs).__next__
    return Machine(env, "K01", "coating", log, ttf, lambda: repair_h, 1e12, 0.0)


def states(log):
    return [(t, s, r) for t, _, _, s, r in log.rows]


class Case:
    """One coater (K01), a CVD buffer, a stub CVD table holding ``CVD_ROWS`` and the lots made."""

    def __init__(self, coating, materials, s, n_lots=2, ttfs=None, repair_h=0.0, warehouse_slots=100,
                 buffer_lots=True):
        self.env = env = simpy.Environment()
        self.log, self.lots, self.done = StateLog(), Lots(), []
        self.cvd_table = LazyTable(CVD_COLUMNS, lambda c: {})
        self.source = simpy.Store(env)
        self.cvd = []
        for j in range(n_lots):
            r = CVD_ROWS[j % len(CVD_ROWS)]
            lot = self.lots.new(LotKind.CVD, "R01", 0.0, mass_kg=r["scaffold_kg"])
            lot.row = self.cvd_table.append(*(r[c] for c in CVD_COLUMNS))
            lot.status = LotStatus.BUFFERED
            self.cvd.append(lot)
            if buffer_lots:
                self.source.put(lot)
        self.warehouse = LeanContainer(env, capacity=warehouse_slots, init=0)
        self.m = machine(env, self.log, ttfs, repair_h)
        self.line = CoatingLine(env, coating, materials, s, [self.m], Crew(env, 1, ShiftCalendar()), self.source,
                                self.cvd_table, self.lots, lambda lot: self.done.append((env.now, lot.id)),
                                Streams(7)("coating.batches"), warehouse=self.warehouse)

    def powder(self):
        return self.lots.of(LotKind.POWDER)


def batch_times(eq, s, t0=0.0, hot=True):
    """Phase start times of one batch charged at ``t0`` (summed in the order the line waits)."""
    t = {"charge": t0}
    now = t0 + eq.charge_h
    if hot:
        t["heat-up"] = now
        now = now + eq.heat_up_h
    t["coating"] = now
    now = now + s.time_h
    if hot:
        t["purge"] = now
        now = now + eq.purge_h
        t["cool"] = now
        now = now + eq.cool_h
    t["discharge"] = now
    t["done"] = now + eq.discharge_h
    return t


def test_one_batch_charge_heat_coat_purge_cool_discharge(coating, materials):
    s = settings()
    c = Case(coating, materials, s)
    c.env.run()
    t = batch_times(coating.equipment, s)
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (t["heat-up"], "working", "heat-up"),
        (t["coating"], "working", "coating"), (t["purge"], "working", "purge"), (t["cool"], "working", "cool"),
        (t["discharge"], "working", "discharge"), (t["done"], "idle", "batch done"),
        (t["done"], "starved", "no CVD lot in buffer"),
    ]
    (powder,) = c.powder()
    assert c.done == [(t["done"], "P000001")]
    assert (powder.status, powder.unit, powder.start_h, powder.end_h) == ("quarantine", "K01", 0.0, t["done"])
    assert powder.parents == (("C000001", 100.0), ("C000002", 120.0))
    assert [lot.status for lot in c.cvd] == [LotStatus.CONSUMED, LotStatus.CONSUMED]
    # no scatter: the batch runs at the set temperature with the fluidized bed's nominal shell CV
    assert powder.props == {"temperature_c": 700.0, "shell_cv": coating.equipment.shell_uniformity_cv_fluidized}
    assert {k: v.tolist() for k, v in c.line.table.inputs().items()} == {
        "temperature_c": [700.0], "shell_cv": [coating.equipment.shell_uniformity_cv_fluidized],
        "cvd_row_0": [0.0], "cvd_row_1": [1.0]}
    assert c.warehouse.level == 1  # the batch holds a warehouse slot


def test_continuous_mode_skips_heat_up_purge_and_cool(coating, materials):
    s = settings(mode=CoatingMode.CONTINUOUS, cvd_lots_per_batch=1)
    c = Case(coating, materials, s)
    c.env.run()
    eq = coating.equipment
    t1 = batch_times(eq, s, hot=False)
    t2 = batch_times(eq, s, t0=t1["done"], hot=False)
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (t1["coating"], "working", "coating"),
        (t1["discharge"], "working", "discharge"), (t1["done"], "idle", "batch done"),
        (t1["done"], "working", "charge"), (t2["coating"], "working", "coating"),
        (t2["discharge"], "working", "discharge"), (t2["done"], "idle", "batch done"),
        (t2["done"], "starved", "no CVD lot in buffer"),
    ]
    assert c.done == [(t1["done"], "P000001"), (t2["done"], "P000002")]
    assert [p.parents for p in c.powder()] == [(("C000001", 100.0),), (("C000002", 120.0),)]


def test_starved_until_every_lot_of_the_batch_is_in_the_buffer(coating, materials):
    s = settings()
    c = Case(coating, materials, s, buffer_lots=False)

    def deliver(lot, at):
        yield c.env.timeout(at)
        yield c.source.put(lot)

    c.env.process(deliver(c.cvd[0], 1.0))
    c.env.process(deliver(c.cvd[1], 4.0))
    c.env.run()
    t = batch_times(coating.equipment, s, t0=4.0)
    # one starved row per empty get: at 0 for the first lot, at 1 (first lot taken) for the second
    assert states(c.log)[:4] == [(0.0, "idle", "start"), (0.0, "starved", "no CVD lot in buffer"),
                                 (1.0, "starved", "no CVD lot in buffer"), (4.0, "working", "charge")]
    assert states(c.log)[-3:] == [(t["discharge"], "working", "discharge"), (t["done"], "idle", "batch done"),
                                  (t["done"], "starved", "no CVD lot in buffer")]
    (powder,) = c.powder()
    assert (powder.start_h, powder.end_h) == (4.0, t["done"])


def test_blocked_when_the_powder_warehouse_is_full(coating, materials):
    s = settings(cvd_lots_per_batch=1)
    c = Case(coating, materials, s, warehouse_slots=1)
    eq = coating.equipment
    t1 = batch_times(eq, s)
    t2 = batch_times(eq, s, t0=t1["done"])
    free_at = t2["discharge"] + 5.0  # the lab rejects the first lot: its slot comes free

    def lab():
        yield c.env.timeout(free_at)
        yield c.warehouse.get(1)

    c.env.process(lab())
    c.env.run()
    done2 = free_at + eq.discharge_h
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (t1["heat-up"], "working", "heat-up"),
        (t1["coating"], "working", "coating"), (t1["purge"], "working", "purge"), (t1["cool"], "working", "cool"),
        (t1["discharge"], "working", "discharge"), (t1["done"], "idle", "batch done"),
        (t1["done"], "working", "charge"), (t2["heat-up"], "working", "heat-up"),
        (t2["coating"], "working", "coating"), (t2["purge"], "working", "purge"), (t2["cool"], "working", "cool"),
        (t2["discharge"], "blocked", "powder warehouse full"), (free_at, "working", "discharge"),
        (done2, "idle", "batch done"), (done2, "starved", "no CVD lot in buffer"),
    ]
    # the second powder lot stays in the coater (charged) until it can be discharged
    assert c.done == [(t1["done"], "P000001"), (done2, "P000002")]
    assert [p.end_h for p in c.powder()] == [t1["done"], done2]
    assert c.warehouse.level == 1


def test_breakdown_while_coating_holds_the_batch_and_resumes(coating, materials):
    s = settings()
    eq = coating.equipment
    into_coating, repair_h = 1.0, 4.0
    c = Case(coating, materials, s, ttfs=[eq.charge_h + eq.heat_up_h + into_coating, 1e12], repair_h=repair_h)
    c.env.run()
    t = batch_times(eq, s)
    fail = t["coating"] + into_coating
    back = fail + repair_h
    purge = back + (s.time_h - into_coating)
    cool = purge + eq.purge_h
    discharge = cool + eq.cool_h
    done = discharge + eq.discharge_h
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (t["heat-up"], "working", "heat-up"),
        (t["coating"], "working", "coating"), (fail, "down", "failure in coating"), (back, "working", "coating"),
        (purge, "working", "purge"), (cool, "working", "cool"), (discharge, "working", "discharge"),
        (done, "idle", "batch done"), (done, "starved", "no CVD lot in buffer"),
    ]
    (powder,) = c.powder()
    assert (powder.status, powder.end_h) == ("quarantine", done)  # held, not scrapped
    assert c.m.failures == 1


def test_powder_mass_is_the_cvd_mass_in_plus_the_carbon_added(coating, materials):
    s = settings()
    c = Case(coating, materials, s)
    c.env.run()
    (powder,) = c.powder()
    get = c.line.table.get
    si = [r["si_pore_kg"] + r["si_surface_kg"] for r in CVD_ROWS]
    # a CVD lot's mass: scaffold + Si + the carbon its SiC took from the ethylene (scaffold carbon
    # bonded as SiC was in the lot already)
    cvd_in = sum(r["scaffold_kg"] + x + r["c2h4_carbon_kg"] for r, x in zip(CVD_ROWS, si, strict=True))
    shell = get(powder.row, "shell_carbon_kg")
    assert shell > 0.0
    assert get(powder.row, "si_kg") == pytest.approx(sum(si), rel=1e-12)
    # what comes out is what went in plus the shell: SiC the coater forms takes scaffold carbon, adds nothing
    assert get(powder.row, "mass_out_kg") == pytest.approx(cvd_in + shell, rel=1e-12)
    carbon_in = sum(r["scaffold_kg"] + r["c2h4_carbon_kg"] for r in CVD_ROWS) + shell
    assert get(powder.row, "carbon_kg") == pytest.approx(carbon_in, rel=1e-12)
    sic_c = sum(si) * get(powder.row, "sic_fraction") * M_C_G_MOL / M_SI_G_MOL
    assert get(powder.row, "free_carbon_kg") == pytest.approx(carbon_in - sic_c, rel=1e-12)
    # mass-weighted particle size of the charge (weights: scaffold kg)
    w = np.array([r["scaffold_kg"] for r in CVD_ROWS])
    dp = float((np.array([r["particle_size_um"] for r in CVD_ROWS]) * w / w.sum()).sum())
    assert get(powder.row, "particle_size_um") == pytest.approx(dp, rel=1e-12)
