"""The slurry-casting line on tiny cases: one mixer (MX01), one coater (CL01), exact event logs.

The coater's random draws are switched off through the parameters (no roll-to-roll coat-weight
scatter, no press-density scatter, no web breaks, no defects); the crack draw is made harmless
(or certain) by the powder's particle size, with a seeded stream. Machines never fail. Every
expected time is summed from the same parameters and settings the line reads.
"""

from __future__ import annotations

import functools

import pytest
import simpy

from plants.buffers import PowderStore
from plants.common import Limits
from plants.lines import LotKind, LotStatus
from plants.lots import Lots
from plants.parameters import load_parameter_set
from plants.performance import RollRecipe
from plants.slurry_casting import physics as ph
from plants.slurry_casting.line import CastingLine
from plants.slurry_casting.settings import CastingSettings, ElectrodeSpecs
from twin.calendar import ShiftCalendar
from twin.equipment import Crew, Machine
from twin.monitor import LevelLog, MonitoredStore
from twin.states import StateLog
from twin.streams import Streams

pytestmark = pytest.mark.component

POWDER_CAPACITY, POWDER_ICE, POWDER_SI_PER_KG = 1600.0, 0.89, 0.45


@pytest.fixture(scope="module")
def casting():
    """Casting parameters with every random scatter of the coater set to zero."""
    p, _ = load_parameter_set("reference-2025")
    eq = p.casting.equipment.model_copy(update={
        "coat_weight_cv_roll": 0.0, "press_density_sd_g_cm3": 0.0, "web_breaks_per_km": 0.0,
        "defects_per_1000_m2": 0.0})
    return p.casting.model_copy(update={"equipment": eq})


def with_(params, section, **kw):
    return params.model_copy(update={section: getattr(params, section).model_copy(update=kw)})


def settings(mix_rolls=2.0, **kw):
    """Smoke-scenario casting settings; the mix batch holds ``mix_rolls`` rolls' worth of dry mass."""
    base = {"sic_share_of_active": 0.30, "binder_wt": 0.03, "conductive_wt": 0.002, "solids_wt": 0.50,
            "mix_batch_dry_kg": 800.0, "coat_weight_mg_cm2": 6.0, "line_speed_m_min": 10.0, "coated_width_m": 1.3,
            "dryer_air_temperature_c": 120.0, "dryer_air_flow_rel": 1.0, "press_density_g_cm3": 1.60,
            "roll_length_m": 1000.0}
    s = CastingSettings(**{**base, **kw})
    return s.model_copy(update={"mix_batch_dry_kg": mix_rolls * roll_kg(s)})


def roll_kg(s, length=None):
    """Dry mass of one roll, in the line's order of operations (no scatter: coat weight x 1.0)."""
    length = s.roll_length_m if length is None else length
    return length * s.coated_width_m * s.sides * (s.coat_weight_mg_cm2 * (1.0 + 0.0)) * 0.01


def powder_kg(s):
    return s.mix_batch_dry_kg * s.active_wt * s.sic_share_of_active


def states(log, unit):
    return [(t, s, r) for t, u, _, s, r in log.rows if u == unit]


# the powder's properties the performance model reads (plants.performance.POWDER_QUALITY order)
POWDER_QUALITY_VALUES = (7.0, 0.03, 0.001, 4.0, 0.33, 10.0, 0.28, 0.0, POWDER_SI_PER_KG, 1.56)


def _recipe(s):
    ref = _reference()
    return RollRecipe(s.sic_share_of_active, s.active_wt, s.binder_wt, s.binder.value == "paa",
                      ref.casting.materials.graphite_density_g_cm3, ref.cell.np_ratio, ref.cell.cathode_ice)


@functools.lru_cache(maxsize=1)
def _reference():
    return load_parameter_set("reference-2025")[0]


class Case:
    """One casting line; powder released as ``[(time_h, kg), ...]`` (one lot each)."""

    def __init__(self, casting, s, powder, specs=None, buffer_rolls=16, particle_um=20.0):
        self.env = env = simpy.Environment()
        self.log, self.levels, self.lots = StateLog(), LevelLog(), Lots()
        self.store = PowderStore(env, 10, self.levels)
        for at, kg in powder:
            env.process(self._release(at, kg))
        cal = ShiftCalendar()

        def m(name, line):
            return Machine(env, name, line, self.log, lambda: 1e12, lambda: 0.0, 1e12, 0.0)

        self.out = MonitoredStore(env, buffer_rolls, "electrode rolls", self.levels)
        self.line = CastingLine(
            env, 0, casting, s, specs or ElectrodeSpecs(), [m("MX01", "mixing")], m("CL01", "casting"),
            Crew(env, 1, cal), Crew(env, 1, cal), self.store,
            lambda lot: (POWDER_CAPACITY, POWDER_ICE, particle_um, POWDER_SI_PER_KG, lot.mass_kg),
            lambda lot: POWDER_QUALITY_VALUES, _reference().performance, _recipe(s), True,
            self.out, self.lots, Streams(7)("casting.line1"), self.levels)

    def _release(self, at, kg):
        if at > 0:
            yield self.env.timeout(at)
        lot = self.lots.new(LotKind.POWDER, "K01", self.env.now, mass_kg=kg)
        lot.status = LotStatus.RELEASED
        self.store.slots.put(1)  # the coater held a warehouse slot for it
        self.store.release(lot, kg)
        yield self.env.timeout(0)

    def of(self, kind):
        return self.lots.of(kind)


def mix_times(mx, t0):
    """Phase starts of one mix batch charged at ``t0``; 'done' is the end of its discharge."""
    t = {"charge": t0, "mixing": t0 + mx.charge_h}
    t["discharge"] = t["mixing"] + mx.mix_h
    t["done"] = t["discharge"] + mx.discharge_h
    return t


def test_one_mix_batch_becomes_two_rolls(casting):
    s = settings()
    c = Case(casting, s, powder=[(0.0, powder_kg(s))])
    c.env.run()
    mx, eq = casting.mixer, casting.equipment
    t = mix_times(mx, 0.0)
    assert ph.max_dry_speed_m_min(s.sides * s.coat_weight_mg_cm2 * 0.01 * ph.water_per_dry_kg(s.solids_wt),
                                  ph.evaporation_capacity_kg_m2_h(120.0, 1.0, casting.dryer),
                                  casting.dryer.length_m) > s.line_speed_m_min  # the set speed binds
    coat_h = s.roll_length_m / s.line_speed_m_min / 60.0
    r1_change = t["done"] + coat_h
    r1 = r1_change + eq.roll_change_h
    r2_change = r1 + coat_h
    r2 = r2_change + eq.roll_change_h
    assert states(c.log, "MX01") == [
        (0.0, "idle", "start"), (0.0, "working", "charge"), (t["mixing"], "working", "mixing"),
        (t["discharge"], "working", "discharge"), (t["done"], "idle", "batch done"),
        (t["done"], "starved", "no released powder"),
    ]
    assert states(c.log, "CL01") == [
        (0.0, "idle", "start"), (0.0, "starved", "slurry tank empty"), (t["done"], "working", "coating"),
        (r1_change, "working", "roll change"), (r1, "idle", "roll done"), (r1, "working", "coating"),
        (r2_change, "working", "roll change"), (r2, "idle", "roll done"), (r2, "starved", "slurry tank empty"),
    ]
    (powder,), (mix,), rolls = c.of(LotKind.POWDER), c.of(LotKind.MIX), c.of(LotKind.ROLL)
    x = roll_kg(s)
    assert (mix.parents, mix.mass_kg, mix.start_h, mix.end_h) == ((("P000001", powder_kg(s)),), 2 * x, 0.0, t["done"])
    assert [(r.id, r.parents, r.mass_kg, r.start_h, r.end_h, r.status) for r in rolls] == [
        ("E000001", (("M000001", x),), x, t["done"], r1, "buffered"),
        ("E000002", (("M000001", x),), x, r1, r2, "buffered"),
    ]
    assert c.out.items == rolls
    # drawn to the last kg: the powder lot and the mix are used up, the powder's warehouse slot freed
    assert (powder.status, mix.status) == (LotStatus.CONSUMED, LotStatus.CONSUMED)
    assert c.store.slots.level == 0 and c.line.slurry.level_kg == 0.0
    assert c.lots.events == []  # nothing scrapped
    assert all(r.props["crack_probability"] < 1e-6 for r in rolls)


def test_roll_area_water_and_powder_properties_follow_from_the_mix(casting):
    s = settings()
    c = Case(casting, s, powder=[(0.0, powder_kg(s))])
    c.env.run()
    (mix,), rolls = c.of(LotKind.MIX), c.of(LotKind.ROLL)
    trim = casting.equipment.edge_trim_m
    for r in rolls:
        pr = r.props
        assert pr["length_m"] == s.roll_length_m and pr["scrap_length_m"] == 0.0
        assert pr["coated_area_m2"] == s.roll_length_m * s.coated_width_m
        assert pr["area_m2"] == s.roll_length_m * (s.coated_width_m - trim)
        assert pr["good_share"] == pytest.approx((s.coated_width_m - trim) / s.coated_width_m, rel=1e-12)
        assert pr["coat_weight_mg_cm2"] == s.coat_weight_mg_cm2 and pr["press_density_g_cm3"] == s.press_density_g_cm3
        assert pr["line_speed_m_min"] == s.line_speed_m_min and pr["sides"] == 2.0
        assert pr["si_kg"] == pytest.approx(mix.props["si_kg"] / 2, rel=1e-12)
        assert pr["dryer_energy_kwh"] == pytest.approx(pr["water_evaporated_kg"] * casting.dryer.kwh_per_kg_water,
                                                       rel=1e-12)
        assert pr["blend_capacity_mah_g"] == pytest.approx(
            s.sic_share_of_active * POWDER_CAPACITY + (1 - s.sic_share_of_active) * casting.materials.graphite_capacity_mah_g,
            rel=1e-12)
    # the water mixed in is the water the dryer took out of the two rolls that used up the mix
    assert mix.props["water_kg"] == s.mix_batch_dry_kg * (1.0 / s.solids_wt - 1.0)
    assert sum(r.props["water_evaporated_kg"] for r in rolls) == pytest.approx(mix.props["water_kg"], rel=1e-12)
    assert mix.props["si_kg"] == pytest.approx(powder_kg(s) * POWDER_SI_PER_KG, rel=1e-12)


def test_changeover_stops_the_line_and_adds_its_scrap_to_the_next_roll(casting):
    params = with_(casting, "equipment", changeover_every_km=1.0)  # due after every 1000 m roll
    s = settings(mix_rolls=3.0)
    c = Case(params, s, powder=[(0.0, powder_kg(s))])
    c.env.run()
    eq = params.equipment
    t0 = mix_times(casting.mixer, 0.0)["done"]
    r1 = t0 + s.roll_length_m / s.line_speed_m_min / 60.0 + eq.roll_change_h
    length2 = s.roll_length_m + eq.changeover_scrap_m
    coat2 = r1 + eq.changeover_h
    change2 = coat2 + length2 / s.line_speed_m_min / 60.0
    r2 = change2 + eq.roll_change_h
    assert states(c.log, "CL01")[-6:] == [
        (r1, "idle", "roll done"), (r1, "working", "changeover"), (coat2, "working", "coating"),
        (change2, "working", "roll change"), (r2, "idle", "roll done"),
        (r2, "starved", "slurry tank empty"),  # 0.8 rolls' worth left, a 1.2-roll draw (changeover again)
    ]
    r_1, r_2 = c.of(LotKind.ROLL)
    assert r_1.props["changeover_scrap_m"] == 0.0 and r_1.mass_kg == roll_kg(s)
    assert (r_2.props["length_m"], r_2.props["scrap_length_m"], r_2.props["changeover_scrap_m"]) == (
        length2, eq.changeover_scrap_m, eq.changeover_scrap_m)
    assert r_2.mass_kg == roll_kg(s, length2)
    assert r_2.props["area_m2"] == (length2 - eq.changeover_scrap_m) * (s.coated_width_m - eq.edge_trim_m)
    assert c.line.km_since_changeover == length2 / 1000.0


def test_coater_blocked_while_the_electrode_buffer_is_full(casting):
    s = settings()
    c = Case(casting, s, powder=[(0.0, powder_kg(s))], buffer_rolls=1)
    take_at = 20.0

    def prelith():
        yield c.env.timeout(take_at)
        yield c.out.get()

    c.env.process(prelith())
    c.env.run()
    t0 = mix_times(casting.mixer, 0.0)["done"]
    coat_h = s.roll_length_m / s.line_speed_m_min / 60.0
    r1 = t0 + coat_h + casting.equipment.roll_change_h
    r2 = r1 + coat_h + casting.equipment.roll_change_h
    assert r2 < take_at
    assert states(c.log, "CL01")[-5:] == [
        (r1, "working", "coating"), (r1 + coat_h, "working", "roll change"), (r2, "blocked", "electrode buffer full"),
        (take_at, "idle", "roll done"), (take_at, "starved", "slurry tank empty"),
    ]
    assert [r.id for r in c.out.items] == ["E000002"]
    assert c.of(LotKind.ROLL)[1].end_h == r2  # made at r2, waits on the coater until there is room


def test_mixer_starved_for_powder_then_blocked_by_a_full_slurry_tank(casting):
    s = settings(line_speed_m_min=5.0)  # a slow coater: 1000 m take 3.33 h
    params = with_(casting, "mixer", slurry_tank_dry_kg=s.mix_batch_dry_kg)  # room for one batch
    c = Case(params, s, powder=[(2.0, 2 * powder_kg(s))])
    c.env.run()
    mx = params.mixer
    m1 = mix_times(mx, 2.0)
    m2 = mix_times(mx, m1["done"])
    # roll 1 starts on mix 1 at once; roll 2 (the rest of mix 1) empties the tank when roll 1 is off
    r1 = m1["done"] + s.roll_length_m / s.line_speed_m_min / 60.0 + params.equipment.roll_change_h
    assert m2["done"] < r1
    assert states(c.log, "MX01") == [
        (0.0, "idle", "start"), (0.0, "starved", "no released powder"),
        (2.0, "working", "charge"), (m1["mixing"], "working", "mixing"), (m1["discharge"], "working", "discharge"),
        (m1["done"], "idle", "batch done"),
        (m1["done"], "working", "charge"), (m2["mixing"], "working", "mixing"), (m2["discharge"], "working", "discharge"),
        (m2["done"], "blocked", "slurry tank full"), (r1, "idle", "batch done"),
        (r1, "starved", "no released powder"),
    ]
    assert states(c.log, "CL01")[:4] == [(0.0, "idle", "start"), (0.0, "starved", "slurry tank empty"),
                                         (m1["done"], "working", "coating"),
                                         (m1["done"] + s.roll_length_m / s.line_speed_m_min / 60.0, "working", "roll change")]
    mixes = c.of(LotKind.MIX)
    assert [(m.start_h, m.end_h) for m in mixes] == [(2.0, m1["done"]), (m1["done"], r1)]
    assert [m.parents for m in mixes] == [(("P000001", powder_kg(s)),)] * 2
    assert len(c.of(LotKind.ROLL)) == 4 and c.of(LotKind.POWDER)[0].status == LotStatus.CONSUMED


@pytest.mark.parametrize(("specs", "particle_um", "reason"), [
    (ElectrodeSpecs(press_density_g_cm3=Limits(max=1.0)), 20.0, "off-spec: press_density_g_cm3"),
    (ElectrodeSpecs(), 0.05, "crack"),  # fine particles: the dried film is far above its critical thickness
], ids=["off-spec", "crack"])
def test_scrapped_rolls_never_reach_the_buffer(casting, specs, particle_um, reason):
    s = settings()
    c = Case(casting, s, powder=[(0.0, powder_kg(s))], specs=specs, particle_um=particle_um)
    c.env.run()
    t0 = mix_times(casting.mixer, 0.0)["done"]
    coat_h = s.roll_length_m / s.line_speed_m_min / 60.0
    r1 = t0 + coat_h + casting.equipment.roll_change_h
    r2 = r1 + coat_h + casting.equipment.roll_change_h
    assert states(c.log, "CL01") == [
        (0.0, "idle", "start"), (0.0, "starved", "slurry tank empty"), (t0, "working", "coating"),
        (t0 + coat_h, "working", "roll change"), (r1, "idle", "roll scrapped"), (r1, "working", "coating"),
        (r1 + coat_h, "working", "roll change"), (r2, "idle", "roll scrapped"), (r2, "starved", "slurry tank empty"),
    ]
    assert c.out.items == []
    assert c.lots.events == [(r1, "E000001", "scrapped", reason), (r2, "E000002", "scrapped", reason)]
    assert [(r.status, r.props["area_m2"], r.props["good_share"]) for r in c.of(LotKind.ROLL)] == [
        ("scrapped", 0.0, 0.0)] * 2
