"""The FBCVD line on tiny cases: one reactor, its scaffold store and silane tank, exact event logs.

Every random draw of the line is switched off through its parameters (no reactor bias or batch
temperature scatter, no scaffold lot-to-lot scatter unless a test asks for it, a fixed silane
lead time), machines never fail unless a test scripts a failure, and every expected time is summed
from the same parameters and settings the line reads, in the order the line waits.
"""

from __future__ import annotations

import math

import pytest
import simpy

from plants.common import M_SIH4_G_MOL, MOLAR_VOLUME_NM3_KMOL
from plants.fbcvd.line import INPUTS, FbcvdLine, ScaffoldStore, SilaneTank
from plants.fbcvd.settings import FbcvdSettings, GasProgram
from plants.lines import LotKind, LotStatus
from plants.lots import Lots
from twin.calendar import ShiftCalendar
from twin.equipment import Crew, Machine
from twin.monitor import LevelLog, MonitoredStore
from twin.states import StateLog
from twin.streams import Streams

pytestmark = pytest.mark.component

BUFFER = "CVD->coating"


@pytest.fixture(scope="module")
def fbcvd(params):
    """FBCVD parameters with every random scatter set to zero."""
    p = params.fbcvd
    eq = p.equipment.model_copy(update={"reactor_temperature_bias_sd_c": 0.0, "batch_temperature_sd_c": 0.0})
    scaffold = p.scaffold.model_copy(update={
        "pore_volume_sd_cm3_g": 0.0, "particle_size_sd_um": 0.0, "surface_area_sd_m2_g": 0.0})
    silane = p.silane.model_copy(update={"lead_time_sigma": 0.0})
    return p.model_copy(update={"equipment": eq, "scaffold": scaffold, "silane": silane})


def settings(**kw):
    base = {"bed_temperature_c": 460.0, "silane_fraction": 0.10, "total_gas_flow_nm3_h": 260.0, "c2h4_ratio": 0.20,
            "deposition_time_h": 6.0, "batch_mass_kg": 200.0}
    return FbcvdSettings(**{**base, **kw})


def silane_kg(y_start, y_end, flow_nm3_h, hours):
    """Silane fed over a linear ramp of the silane fraction: mean fraction x molar gas flow x time."""
    return 0.5 * (y_start + y_end) * flow_nm3_h * hours / MOLAR_VOLUME_NM3_KMOL * M_SIH4_G_MOL


def states(log):
    return [(t, s, r) for t, _, _, s, r in log.rows]


class Case:
    """One reactor (R01), a CVD->coating buffer, a scaffold store, a silane tank and the lots made."""

    def __init__(self, p, s, ttfs=None, repair_h=0.0, buffer_lots=12):
        self.env = env = simpy.Environment()
        self.p, self.s = p, s
        self.log, self.levels, self.lots = StateLog(), LevelLog(), Lots()
        ttf = (lambda: 1e12) if ttfs is None else iter(ttfs).__next__
        self.m = Machine(env, "R01", "fbcvd", self.log, ttf, lambda: repair_h, 1e12, 0.0)
        self.buffer = MonitoredStore(env, buffer_lots, BUFFER, self.levels)
        streams = Streams(7)
        self.scaffold = ScaffoldStore(p.scaffold, streams("scaffold.lots"), self.lots)
        self.tank = SilaneTank(env, p.silane, streams("silane.deliveries"))
        self.line = FbcvdLine(env, p, s, [self.m], Crew(env, 1, ShiftCalendar()), self.scaffold, self.tank,
                              self.buffer, self.lots, streams("fbcvd.temperature"))

    def cvd(self):
        return self.lots.of(LotKind.CVD)

    def inputs(self, row):
        return {name: float(v[row]) for name, v in self.line.table.inputs().items()}


def batch_times(eq, s, t0=0.0):
    """Phase start times of one batch charged at ``t0`` (summed in the order the line waits)."""
    t = {"charge": t0}
    now = t0 + eq.charge_h
    t["heat-up"] = now
    now = now + eq.heat_up_h
    t["deposition"] = now
    now = now + s.deposition_time_h
    t["purge"] = now
    now = now + eq.purge_h
    t["cool"] = now
    now = now + eq.cool_h
    t["discharge"] = now
    t["done"] = now + eq.discharge_h
    return t


def phases(t, last="discharge"):
    """The state rows of a batch's phases from charge to ``last`` (``t`` from :func:`batch_times`)."""
    names = ["charge", "heat-up", "deposition", "purge", "cool", "discharge"]
    return [(t[n], "working", n) for n in names[: names.index(last) + 1]]


def test_one_batch_charge_heat_deposit_purge_cool_discharge(fbcvd):
    s = settings()
    c = Case(fbcvd, s)
    eq = fbcvd.equipment
    t1 = batch_times(eq, s)
    t2 = batch_times(eq, s, t0=t1["done"])
    c.env.run(until=t2["deposition"] + 1.0)
    assert states(c.log) == [
        (0.0, "idle", "start"), *phases(t1), (t1["done"], "idle", "batch done"),
        *phases(t2, last="deposition"),
    ]
    lot1, lot2 = c.cvd()
    assert (lot1.id, lot1.status, lot1.unit, lot1.start_h, lot1.end_h) == (
        "C000001", LotStatus.BUFFERED, "R01", 0.0, t1["done"])
    assert lot1.mass_kg == s.batch_mass_kg
    assert lot1.parents == (("S000001", s.batch_mass_kg),)
    assert lot1.props == {"temperature_c": s.bed_temperature_c}  # no bias, no batch scatter
    assert (lot1.row, lot1.reason) == (0, "")
    # the second batch is depositing: it has its row, no end time, and is not in the buffer
    assert (lot2.id, lot2.status, lot2.start_h, lot2.row) == ("C000002", LotStatus.IN_PROCESS, t1["done"], 1)
    assert math.isnan(lot2.end_h)
    assert c.buffer.items == [lot1]
    assert c.levels.rows == [(0.0, BUFFER, 0.0, "item"), (t1["done"], BUFFER, 1.0, "item")]
    (scaffold,) = c.lots.of(LotKind.SCAFFOLD)
    sc = fbcvd.scaffold
    assert (scaffold.id, scaffold.mass_kg) == ("S000001", sc.lot_mass_kg)
    assert scaffold.props == {"pore_volume_cm3_g": sc.pore_volume_mean_cm3_g,
                              "particle_size_um": sc.particle_size_mean_um,
                              "surface_area_m2_g": sc.surface_area_mean_m2_g}
    assert c.scaffold.left_kg == sc.lot_mass_kg - 2 * s.batch_mass_kg
    # the row the physics is evaluated on: the settings, the bed temperature and the scaffold's properties
    assert c.inputs(0) == dict(zip(INPUTS, (
        s.bed_temperature_c, s.silane_fraction, s.silane_fraction, s.c2h4_ratio, s.c2h4_ratio,
        s.total_gas_flow_nm3_h, s.deposition_time_h, s.batch_mass_kg, sc.pore_volume_mean_cm3_g,
        sc.particle_size_mean_um, sc.surface_area_mean_m2_g), strict=True))
    # a full batch of silane drawn at each deposition start, none returned, no delivery due yet
    per_batch = silane_kg(s.silane_fraction, s.silane_fraction, s.total_gas_flow_nm3_h, s.deposition_time_h)
    assert c.line.silane_per_batch_kg == pytest.approx(per_batch, rel=1e-12)
    assert c.line.table.get(0, "silane_fed_kg") == pytest.approx(per_batch, rel=1e-12)
    assert c.tank.drawn_kg == 2 * c.line.silane_per_batch_kg
    assert (c.tank.returned_kg, c.tank.deliveries) == (0.0, [])
    assert c.tank.level_kg == pytest.approx(fbcvd.silane.initial_level_kg - 2 * per_batch, rel=1e-12)


def test_blocked_while_the_cvd_to_coating_buffer_is_full(fbcvd):
    s = settings()
    eq = fbcvd.equipment
    c = Case(fbcvd, s, buffer_lots=1)
    t1 = batch_times(eq, s)
    t2 = batch_times(eq, s, t0=t1["done"])
    free_at = t2["done"] + 5.0  # the coater takes the first lot: the buffer's only slot comes free
    taken = []

    def coater():
        yield c.env.timeout(free_at)
        taken.append((c.env.now, (yield c.buffer.get()).id))

    c.env.process(coater())
    t3 = batch_times(eq, s, t0=free_at)
    c.env.run(until=t3["heat-up"] + 1.0)
    assert states(c.log) == [
        (0.0, "idle", "start"), *phases(t1), (t1["done"], "idle", "batch done"),
        *phases(t2), (t2["done"], "blocked", "CVD->coating buffer full"),
        (free_at, "idle", "batch done"), *phases(t3, last="heat-up"),
    ]
    lot1, lot2, lot3 = c.cvd()
    assert taken == [(free_at, lot1.id)] and lot1.end_h == t1["done"]
    # the second lot's discharge ended when the reactor blocked; it waited in the reactor until the slot freed
    assert (lot2.status, lot2.end_h) == (LotStatus.BUFFERED, t2["done"])
    assert c.buffer.items == [lot2]
    assert (lot3.start_h, lot3.status) == (free_at, LotStatus.CHARGED)
    assert c.levels.rows == [(0.0, BUFFER, 0.0, "item"), (t1["done"], BUFFER, 1.0, "item"),
                             (free_at, BUFFER, 0.0, "item"), (free_at, BUFFER, 1.0, "item")]
    assert c.levels.stays == [(BUFFER, t1["done"], free_at, 1.0)]


def test_starved_while_the_silane_tank_is_empty(fbcvd):
    s = settings()
    eq, sil = fbcvd.equipment, fbcvd.silane
    tiny = 100.0  # less than one batch needs, and below the reorder point: the first draw orders a delivery
    p = fbcvd.model_copy(update={"silane": sil.model_copy(update={"initial_level_kg": tiny})})
    c = Case(p, s)
    per_batch = c.line.silane_per_batch_kg
    assert tiny < per_batch and tiny <= sil.reorder_point_kg
    t1 = batch_times(eq, s)
    arrive = t1["deposition"] + sil.lead_time_median_h  # ordered by the draw at the deposition start

    c.env.run(until=t1["deposition"] + 1.0)
    (lot1,) = c.cvd()
    # waiting: the draw is not counted, the batch has no physics row and is not depositing
    assert (lot1.status, lot1.row, len(c.line.table)) == (LotStatus.CHARGED, -1, 0)
    assert (c.tank.drawn_kg, c.tank.level_kg, c.tank.on_order) == (0.0, tiny, True)

    purge = arrive + s.deposition_time_h  # the deposition runs in full from the delivery
    cool = purge + eq.purge_h
    discharge = cool + eq.cool_h
    done = discharge + eq.discharge_h
    t2 = batch_times(eq, s, t0=done)
    c.env.run(until=t2["deposition"] + 1.0)
    assert states(c.log) == [
        (0.0, "idle", "start"), *phases(t1, last="heat-up"), (t1["deposition"], "starved", "silane tank empty"),
        (arrive, "working", "deposition"), (purge, "working", "purge"), (cool, "working", "cool"),
        (discharge, "working", "discharge"), (done, "idle", "batch done"),
        *phases(t2, last="deposition"),  # the delivery lasts: no wait on the second batch
    ]
    assert c.tank.deliveries == [(arrive, sil.delivery_kg)]
    assert (c.tank.delivered_kg, c.tank.on_order) == (sil.delivery_kg, False)
    assert c.tank.drawn_kg == 2 * per_batch
    assert c.tank.level_kg == pytest.approx(tiny + sil.delivery_kg - 2 * per_batch, rel=1e-12)
    lot1, lot2 = c.cvd()
    assert (lot1.status, lot1.start_h, lot1.end_h, lot1.row) == (LotStatus.BUFFERED, 0.0, done, 0)
    assert (lot2.status, lot2.start_h) == (LotStatus.IN_PROCESS, done)


def test_breakdown_in_deposition_scraps_the_batch_and_returns_the_silane_not_fed(fbcvd):
    # a gas program, so the silane fed up to the cut depends on where the ramp was cut
    s = settings(gas_program=GasProgram(silane_fraction_end=0.05, c2h4_ratio_end=0.4))
    eq = fbcvd.equipment
    into, repair_h = 1.5, 4.0
    c = Case(fbcvd, s, ttfs=[eq.charge_h + eq.heat_up_h + into, 1e12], repair_h=repair_h)
    t1 = batch_times(eq, s)
    fail = t1["deposition"] + into
    back = fail + repair_h
    cool = back + eq.purge_h
    discharge = cool + eq.cool_h
    scrapped = discharge + eq.discharge_h
    t2 = batch_times(eq, s, t0=scrapped)

    c.env.run(until=t2["heat-up"] + 1.0)  # the next batch charged, its silane not drawn yet
    assert states(c.log) == [
        (0.0, "idle", "start"), *phases(t1, last="deposition"), (fail, "down", "failure in deposition"),
        (back, "working", "purge"), (cool, "working", "cool"), (discharge, "working", "discharge"),
        (scrapped, "idle", "batch scrapped"), *phases(t2, last="heat-up"),
    ]
    assert c.m.failures == 1
    lot1, lot2 = c.cvd()
    assert (lot1.status, lot1.reason, lot1.start_h, lot1.end_h) == (LotStatus.SCRAPPED, "breakdown", 0.0, scrapped)
    assert c.lots.events == [(scrapped, "C000001", "scrapped", "breakdown")]
    assert c.buffer.items == [] and c.levels.rows == [(0.0, BUFFER, 0.0, "item")]
    assert lot2.status == LotStatus.CHARGED
    # the lot's row is re-appended with the ramp cut where the run stopped
    theta = into / s.deposition_time_h
    y0, y1 = s.silane_fraction, s.gas_program.silane_fraction_end
    r0, r1 = s.c2h4_ratio, s.gas_program.c2h4_ratio_end
    assert (lot1.row, len(c.line.table)) == (1, 2)
    cut = c.inputs(lot1.row)
    assert (cut["deposition_time_h"], cut["y_start"], cut["ratio_start"]) == (into, y0, r0)
    assert cut["y_end"] == pytest.approx(y0 + (y1 - y0) * theta, rel=1e-15)
    assert cut["ratio_end"] == pytest.approx(r0 + (r1 - r0) * theta, rel=1e-15)
    # silane: the full batch was drawn; what was not fed before the cut went back to the tank
    full = silane_kg(y0, y1, s.total_gas_flow_nm3_h, s.deposition_time_h)
    fed = c.line.table.get(lot1.row, "silane_fed_kg")
    assert fed == pytest.approx(silane_kg(y0, cut["y_end"], s.total_gas_flow_nm3_h, into), rel=1e-12)
    assert 0.0 < fed < full
    assert c.tank.drawn_kg == pytest.approx(full, rel=1e-12)
    assert c.tank.returned_kg == pytest.approx(full - fed, rel=1e-12)
    assert c.tank.drawn_kg - c.tank.returned_kg == pytest.approx(fed, rel=1e-12)
    b = c.tank.balance()
    assert b["initial_kg"] + b["delivered_kg"] == pytest.approx(b["drawn_kg"] - b["returned_kg"] + b["level_kg"],
                                                                rel=1e-12)

    # the next batch runs in full: the tank's net draw is what the lots' rows say was fed
    c.env.run(until=t2["deposition"] + 1.0)
    assert (lot2.status, lot2.row) == (LotStatus.IN_PROCESS, 2)
    fed_all = sum(c.line.table.get(lot.row, "silane_fed_kg") for lot in c.cvd())
    assert c.tank.drawn_kg - c.tank.returned_kg == pytest.approx(fed_all, rel=1e-12)


def test_scaffold_charged_is_the_genealogy_parent_mass(fbcvd):
    # 300 kg batches from 1000 kg scaffold lots: the fourth batch takes the last 100 kg of the first lot
    # and 200 kg of the second. Lot-to-lot scatter on, so the split batch's properties are a blend.
    s = settings(batch_mass_kg=300.0)
    p = fbcvd.model_copy(update={"scaffold": fbcvd.scaffold.model_copy(update={
        "pore_volume_sd_cm3_g": 0.04, "particle_size_sd_um": 0.6, "surface_area_sd_m2_g": 80.0})})
    c = Case(p, s)
    eq, lot_kg = p.equipment, p.scaffold.lot_mass_kg
    t = [batch_times(eq, s)]
    for _ in range(3):
        t.append(batch_times(eq, s, t0=t[-1]["done"]))
    c.env.run(until=t[-1]["done"] + eq.charge_h / 2)  # five batches charged, four done
    cvd = c.cvd()
    assert [lot.start_h for lot in cvd] == [x["charge"] for x in t] + [t[-1]["done"]]
    assert [lot.status for lot in cvd] == [LotStatus.BUFFERED] * 4 + [LotStatus.CHARGED]
    g = c.lots.genealogy()
    parent_kg = g.groupby("lot_id")["mass_kg"].sum()
    for lot in cvd:
        assert lot.mass_kg == s.batch_mass_kg
        assert parent_kg[lot.id] == pytest.approx(lot.mass_kg, rel=1e-12)
    assert cvd[3].parents == (("S000001", lot_kg - 3 * s.batch_mass_kg), ("S000002", 4 * s.batch_mass_kg - lot_kg))
    # every kg charged came out of a scaffold lot, and the open lot holds the rest
    drawn = g.groupby("parent_id")["mass_kg"].sum()
    assert drawn["S000001"] == pytest.approx(lot_kg, rel=1e-12)
    assert drawn.sum() == pytest.approx(len(cvd) * s.batch_mass_kg, rel=1e-12)
    assert c.scaffold.left_kg == pytest.approx(2 * lot_kg - drawn.sum(), rel=1e-12)
    assert [x.id for x in c.lots.of(LotKind.SCAFFOLD)] == ["S000001", "S000002"]
    # the split batch's scaffold properties are the mass-weighted mean of its parents'
    by_id = {x.id: x for x in c.lots.all}
    row = c.inputs(cvd[3].row)
    assert row["scaffold_kg"] == s.batch_mass_kg
    for name in ("pore_volume_cm3_g", "particle_size_um", "surface_area_m2_g"):
        mean = sum(by_id[pid].props[name] * kg for pid, kg in cvd[3].parents) / s.batch_mass_kg
        assert row[name] == pytest.approx(mean, rel=1e-12)
        assert row[name] != by_id["S000001"].props[name]
        assert c.inputs(cvd[0].row)[name] == by_id["S000001"].props[name]


def test_fbcvd_single_reactor_batch_sequence(smoke):
    """One reactor, no failures, no maintenance: the exact phase log of the first batch."""
    from plants.app.api import load

    sets = ["overrides.fbcvd.equipment.reactor_count=1", "overrides.fbcvd.equipment.mtbf_h=1e12",
            "overrides.coating.equipment.mtbf_h=1e12", "horizon_h=14"]
    from plants.plant import simulate

    rep = simulate(load(smoke.path, sets))
    r1 = rep.states[rep.states["unit"] == "R01"][["time_h", "state", "reason"]]
    assert [tuple(x) for x in r1.itertuples(index=False)] == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (0.5, "working", "heat-up"),
        (2.5, "working", "deposition"), (8.5, "working", "purge"), (9.5, "working", "cool"),
        (12.0, "working", "discharge"), (12.5, "idle", "batch done"), (12.5, "working", "charge"),
        (13.0, "working", "heat-up"),
    ]
    cvd = rep.lots[rep.lots["line"] == "fbcvd"]
    assert list(cvd["status"]) == ["buffered", "charged"]
    assert cvd["parents"].iloc[0] == "S000001"
