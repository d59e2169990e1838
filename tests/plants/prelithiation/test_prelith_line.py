"""The prelithiation line and its dry room on tiny cases: one line (PL01), exact event logs.

The line draws no random numbers itself; the dry room's excursions come from a scripted
generator (or none at all), the Li supply's lead time has no scatter, and the machine never
fails. Every expected time is summed from the same parameters and settings the line reads.
"""

from __future__ import annotations

import functools

import pytest
import simpy

from plants.common import Limits
from plants.lines import LotKind, LotStatus
from plants.lots import Lots
from plants.parameters import load_parameter_set
from plants.prelithiation import physics as ph
from plants.prelithiation.line import DryRoom, PrelithLine
from plants.prelithiation.settings import PrelithSettings, PrelithSpecs
from twin.calendar import ShiftCalendar
from twin.equipment import Crew, Machine
from twin.monitor import LevelLog, MonitoredStore
from twin.states import StateLog
from twin.streams import Streams
from twin.supply import BulkSupply

pytestmark = pytest.mark.component

# An electrode roll as the casting line leaves it (the props the prelithiation line reads)
ROLL = {"areal_capacity_mah_cm2": 3.0, "blend_ice": 0.85, "area_m2": 1270.0, "sides": 2.0, "length_m": 1000.0,
        # the electrode's fade rates (plants.performance.degradation_rates), as the casting line leaves them
        "sei_sqrt": 0.003, "sei_linear": 3e-4, "lam": 3e-4, "si_capacity_share": 0.6}


@functools.lru_cache(maxsize=1)
def _reference():
    return load_parameter_set("reference-2025")[0]


@pytest.fixture(scope="module")
def prelith():
    """Prelithiation parameters of the reference set, with a dry room that never has an excursion."""
    p, _ = load_parameter_set("reference-2025")
    return p.prelith.model_copy(update={"dry_room": p.prelith.dry_room.model_copy(update={"excursions_per_year": 0.0})})


def settings(**kw):
    base = {"route": "thin_layer", "li_dose_fraction_of_loss": 0.8, "contact_time_min": 10.0, "pressure_mpa": 1.0,
            "line_speed_m_min": 40.0, "dew_point_c": -45.0}
    return PrelithSettings(**{**base, **kw})


class ScriptedRng:
    """Stands in for the dry room's generator: gaps between excursions as given, no duration scatter."""

    def __init__(self, gaps):
        self.gaps, self.calls = list(gaps), []

    def exponential(self, scale):
        self.calls.append(("exponential", scale))
        return self.gaps.pop(0)

    def normal(self, loc, scale):
        self.calls.append(("normal", loc, scale))
        return 0.0


def states(log):
    return [(t, s, r) for t, _, _, s, r in log.rows]


class Case:
    """One prelithiation line; electrode rolls arrive at the given times; Li stock ``li_kg``."""

    def __init__(self, prelith, s, arrivals=(0.0,), specs=None, li_kg=1000.0, delivery_kg=500.0, lead_h=10.0,
                 dry_room=None):
        self.env = env = simpy.Environment()
        self.log, self.lots = StateLog(), Lots()
        self.source = MonitoredStore(env, 16, "electrode rolls", LevelLog())
        self.rolls = []
        for at in arrivals:
            e = self.lots.new(LotKind.ROLL, "CL01", 0.0, mass_kg=150.0, props=dict(ROLL))
            e.status = LotStatus.BUFFERED
            self.rolls.append(e)
            env.process(self._arrive(e, at))
        # reorder point 0: with stock, no delivery is ordered; out of stock, one arrives after lead_h
        self.supply = BulkSupply(env, 10000.0, li_kg, 0.0, delivery_kg, lead_h, 0.0, Streams(7)("lithium.deliveries"))
        self.dry_room = dry_room or DryRoom(prelith.dry_room, 1000.0, Streams(7)("dry_room.excursions"))
        self.m = Machine(env, "PL01", "prelith", self.log, lambda: 1e12, lambda: 0.0, 1e12, 0.0)
        self.line = PrelithLine(env, prelith, s, specs or PrelithSpecs(), self.m, Crew(env, 1, ShiftCalendar()),
                                self.source, self.supply, self.dry_room, self.lots, _reference().cell,
                                _reference().performance)

    def _arrive(self, e, at):
        if at > 0:
            yield self.env.timeout(at)
        yield self.source.put(e)

    def out(self):
        return self.lots.of(LotKind.PRELITH_ROLL)


def test_rolls_are_lithiated_one_after_another_and_released_after_resting(prelith):
    s = settings()
    c = Case(prelith, s, arrivals=(0.0, 0.0))
    c.env.run()
    eq = prelith.equipment
    run_h = ROLL["length_m"] / min(s.line_speed_m_min, eq.max_speed_m_min) / 60.0
    rest_h = s.contact_time_min / 60.0
    change1 = run_h
    done1 = change1 + eq.roll_change_h
    change2 = done1 + run_h
    done2 = change2 + eq.roll_change_h
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "lithiation"), (change1, "working", "roll change"),
        (done1, "idle", "roll done"), (done1, "working", "lithiation"),  # the next roll runs while the first rests
        (change2, "working", "roll change"), (done2, "idle", "roll done"), (done2, "starved", "no electrode roll"),
    ]
    assert c.lots.events == [(done1 + rest_h, "L000001", "released", ""), (done2 + rest_h, "L000002", "released", "")]
    assert [(x.parents, x.mass_kg, x.start_h, x.end_h, x.status) for x in c.out()] == [
        ((("E000001", 150.0),), 150.0, 0.0, done1 + rest_h, "released"),
        ((("E000002", 150.0),), 150.0, done1, done2 + rest_h, "released"),
    ]
    assert [e.status for e in c.rolls] == [LotStatus.CONSUMED, LotStatus.CONSUMED]
    # the roll's exposure: the nominal dry room for its whole time from start to the end of the rest
    x = ph.humidity_ratio_g_kg(s.dew_point_c)
    assert c.out()[0].props["excursion_h"] == 0.0
    assert c.out()[0].props["moisture_exposure_g_h_kg"] == pytest.approx(x * (done1 + rest_h), rel=1e-12)


def test_starved_for_an_electrode_roll_then_for_lithium(prelith):
    s = settings()
    lead_h = 10.0
    c = Case(prelith, s, arrivals=(1.5,), li_kg=0.0, delivery_kg=500.0, lead_h=lead_h)
    c.env.run()
    eq = prelith.equipment
    start = 1.5 + lead_h  # the draw at 1.5 orders a delivery (lead time without scatter)
    change = start + ROLL["length_m"] / s.line_speed_m_min / 60.0
    done = change + eq.roll_change_h
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "starved", "no electrode roll"), (1.5, "starved", "Li supply empty"),
        (start, "working", "lithiation"), (change, "working", "roll change"), (done, "idle", "roll done"),
        (done, "starved", "no electrode roll"),
    ]
    (roll,) = c.out()
    assert roll.start_h == start  # the prelithiated roll exists once its Li is drawn
    assert c.rolls[0].status == LotStatus.CONSUMED
    assert c.supply.deliveries == [(start, 500.0)]
    assert c.supply.drawn_kg == roll.props["li_applied_kg"]
    assert c.supply.level_kg == pytest.approx(500.0 - roll.props["li_applied_kg"], rel=1e-12)


def test_dew_point_excursion_stops_the_line_and_counts_as_wet_exposure(prelith):
    dr = prelith.dry_room.model_copy(update={"excursions_per_year": 8760.0, "excursion_sigma": 0.0})
    room = DryRoom(dr, 50.0, ScriptedRng([0.25, 100.0]))  # one excursion, from 0.25 h for the median duration
    wet_from, wet_to = 0.25, 0.25 + dr.excursion_median_h
    assert room.intervals == [(wet_from, wet_to)]
    s = settings()
    c = Case(prelith, s, dry_room=room)
    c.env.run()
    eq = prelith.equipment
    run_h = ROLL["length_m"] / s.line_speed_m_min / 60.0
    change = wet_to + (run_h - wet_from)  # the rest of the run after the excursion
    done = change + eq.roll_change_h
    assert states(c.log) == [
        (0.0, "idle", "start"), (0.0, "working", "lithiation"), (wet_from, "down", "dew-point excursion"),
        (wet_to, "working", "lithiation"), (change, "working", "roll change"), (done, "idle", "roll done"),
        (done, "starved", "no electrode roll"),
    ]
    (roll,) = c.out()
    rest_h = s.contact_time_min / 60.0
    wet_h = wet_to - wet_from
    x_dry, x_wet = ph.humidity_ratio_g_kg(s.dew_point_c), ph.humidity_ratio_g_kg(dr.excursion_dew_point_c)
    assert roll.props["excursion_h"] == wet_h
    assert roll.props["moisture_exposure_g_h_kg"] == pytest.approx(x_dry * (done + rest_h - wet_h) + x_wet * wet_h,
                                                                   rel=1e-12)
    assert c.lots.events == [(done + rest_h, "L000001", "released", "")]


@pytest.mark.parametrize("dose", [{"li_dose_fraction_of_loss": 0.8}, {"li_dose_um": 2.0}], ids=["fraction", "um"])
def test_li_applied_is_drawn_from_the_supply_and_splits_exactly(prelith, dose):
    s = settings(**{"li_dose_fraction_of_loss": None, **dose})
    c = Case(prelith, s)
    c.env.run()
    (roll,) = c.out()
    pr, li = roll.props, prelith.lithium
    if s.li_dose_um is None:
        expected = s.li_dose_fraction_of_loss * ph.li_needed_mah_cm2(ROLL["areal_capacity_mah_cm2"], ROLL["blend_ice"])
    else:
        expected = s.li_dose_um * 1e-4 * li.density_g_cm3 * li.capacity_mah_g
    assert pr["dose_mah_cm2"] == pytest.approx(expected, rel=1e-12)
    # Li on both coated sides of the good area: mAh/cm2 / (mAh/g) x 1e4 cm2/m2 x m2 / 1000 g/kg
    applied = pr["dose_mah_cm2"] / li.capacity_mah_g * 1e4 * (ROLL["area_m2"] * ROLL["sides"]) / 1e3
    assert pr["li_applied_kg"] == pytest.approx(applied, rel=1e-12)
    assert c.supply.drawn_kg == pr["li_applied_kg"]
    parts = ("li_waste_kg", "li_degraded_kg", "li_compensating_kg", "li_residual_kg")
    assert all(pr[k] >= 0.0 for k in parts) and pr["li_waste_kg"] > 0.0 and pr["li_degraded_kg"] > 0.0
    assert sum(pr[k] for k in parts) == pytest.approx(pr["li_applied_kg"], rel=1e-12)
    assert roll.status == "released" and pr["ice"] > ROLL["blend_ice"]


@pytest.mark.parametrize(("dose", "specs", "reason"), [
    (0.8, PrelithSpecs(ice=Limits(min=0.99)), "off-spec: ice"),  # too little Li for a tight ICE spec
    (3.0, PrelithSpecs(), "residual Li"),  # three times the loss: metallic Li left over
], ids=["off-spec", "residual-li"])
def test_roll_scrapped_when_its_outcome_fails(prelith, dose, specs, reason):
    s = settings(li_dose_fraction_of_loss=dose)
    c = Case(prelith, s, specs=specs)
    c.env.run()
    done = ROLL["length_m"] / s.line_speed_m_min / 60.0 + prelith.equipment.roll_change_h
    rest_h = s.contact_time_min / 60.0
    (roll,) = c.out()
    assert c.lots.events == [(done + rest_h, "L000001", "scrapped", reason)]
    assert (roll.status, roll.reason, roll.end_h) == ("scrapped", reason, done + rest_h)
    if reason == "residual Li":
        assert roll.props["residual_li_of_capacity"] > prelith.lithium.residual_li_limit
    else:
        assert roll.props["residual_li_of_capacity"] <= prelith.lithium.residual_li_limit < 0.99
        assert roll.props["ice"] < 0.99
    # the line itself does not wait for the outcome
    assert states(c.log)[-2:] == [(done, "idle", "roll done"), (done, "starved", "no electrode roll")]


def test_dry_room_draws_its_excursions_once_and_hands_them_out_in_order(prelith):
    dr = prelith.dry_room.model_copy(update={"excursions_per_year": 8760.0 / 2, "excursion_sigma": 0.6})
    rng = ScriptedRng([0.25, 1.0, 100.0])
    room = DryRoom(dr, 10.0, rng)
    d = dr.excursion_median_h  # normal draw 0: the median duration
    assert room.intervals == [(0.25, 0.25 + d), (0.25 + d + 1.0, 0.25 + d + 1.0 + d)]
    assert rng.calls == [("exponential", 2.0), ("normal", 0.0, 0.6), ("exponential", 2.0), ("normal", 0.0, 0.6),
                         ("exponential", 2.0)]  # the third gap passes the 10 h horizon
    first, second = room.intervals
    assert room.next_excursion(0.0) == first
    assert room.next_excursion(1.0) == first  # under way
    assert room.next_excursion(first[1]) == second  # ended exactly now: the next one
    assert room.next_excursion(second[1] + 1.0) == (float("inf"), float("inf"))
    assert DryRoom(prelith.dry_room, 1e6, ScriptedRng([])).intervals == []  # no excursions a year: no draws
