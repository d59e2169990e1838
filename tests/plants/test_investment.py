"""The powder plant's investment case: the twin's figures in the cash flow, and its results."""

from __future__ import annotations

import math

import pytest

from plants.costing import cost_of
from plants.evaluate import evaluate
from plants.investment import cash_flow_inputs, investment_case, powder_capex_usd, tornado
from plants.plant import simulate
from twin.finance import npv

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def run(smoke):
    sc = smoke.with_set("horizon_h=300", "warmup_h=0")
    return sc, evaluate(simulate(sc), sc).summary


@pytest.fixture(scope="module")
def rep(smoke):
    return simulate(smoke.with_set("horizon_h=300", "warmup_h=0"))


def test_the_cash_flow_takes_the_twins_capital_output_and_unit_costs(run, rep):
    sc, s = run
    inp = cash_flow_inputs(s, sc)
    assert inp is not None
    assert inp.output_per_year == pytest.approx(s["powder.output_t_per_yr"] * 1000.0, rel=1e-12)
    led = cost_of(rep, sc).ledger
    mine = led[led["line"].isin(["fbcvd", "coating"])]
    var = mine.loc[mine["category"].isin(["materials", "utilities"]), "usd"].sum() / s["powder.output_kg"]
    fixed = mine.loc[mine["category"].isin(["labour", "overheads"]), "usd"].sum() * 8760.0 / rep.horizon_h
    assert inp.variable_cost_per_unit == pytest.approx(var, rel=1e-12)
    assert inp.fixed_cost_per_year == pytest.approx(fixed, rel=1e-12)
    assert inp.capex_usd == pytest.approx(powder_capex_usd(sc)) and 0 < inp.capex_usd < s["cost.capex_usd"]
    inv = sc.params.economics.investment
    assert inp.life_years == inv.plant_life_yr and inp.price_per_unit == inv.powder_price_usd_per_kg
    assert sum(inp.construction_schedule) == pytest.approx(1.0) and len(inp.construction_schedule) == inv.construction_years


def test_the_summary_figures_and_the_minimum_selling_price(run):
    sc, s = run
    msp = s["economics.minimum_selling_price_usd_per_kg"]
    assert math.isfinite(msp) and s["economics.npv_usd"] == pytest.approx(npv(cash_flow_inputs(s, sc)), rel=1e-12)
    at_msp = cash_flow_inputs(s, sc, price_per_unit=msp)
    assert abs(npv(at_msp)) <= 1e-6 * at_msp.capex_usd  # NPV = 0 at the minimum selling price
    # the price the scenario assumes is above or below the minimum exactly as the NPV says
    assert (s["economics.npv_usd"] > 0) == (sc.params.economics.investment.powder_price_usd_per_kg > msp)
    if math.isfinite(s["economics.irr"]):
        assert (s["economics.irr"] > sc.params.economics.investment.discount_rate) == (s["economics.npv_usd"] > 0)


def test_dearer_silane_raises_the_minimum_selling_price(run):
    sc, s = run
    dear = sc.with_set(f"overrides.economics.prices.silane_cny_per_t={2 * sc.params.economics.prices.silane_cny_per_t}")
    s2 = evaluate(simulate(dear), dear).summary
    assert s2["economics.minimum_selling_price_usd_per_kg"] > s["economics.minimum_selling_price_usd_per_kg"]
    assert s2["economics.npv_usd"] < s["economics.npv_usd"]


def test_the_tornado_ranks_the_drivers_around_the_base(run):
    sc, s = run
    t = tornado(s, sc)
    assert list(t["swing_usd"]) == sorted(t["swing_usd"], reverse=True)
    assert t.attrs["base_npv_usd"] == pytest.approx(s["economics.npv_usd"], rel=1e-12)
    price = t.set_index("driver").loc["powder price"]
    assert price["low_npv_usd"] < s["economics.npv_usd"] < price["high_npv_usd"]


def test_no_powder_no_investment_figures(smoke):
    sc = smoke.with_set("horizon_h=20", "warmup_h=0")  # nothing released yet
    s = evaluate(simulate(sc), sc).summary
    assert s["powder.output_kg"] == 0 and all(math.isnan(v) for v in investment_case(s, sc).values())
