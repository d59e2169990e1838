"""The techno-economic cash flow against a textbook NPV/IRR example, a fully hand-worked year-by-year case,
an independent BioSTEAM-TEA-style loop, properties of the minimum selling price, and input validation."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

from twin.finance import (
    COLUMNS,
    CashFlowInputs,
    cash_flows,
    evaluate,
    irr,
    minimum_selling_price,
    npv,
    payback_years,
)

pytestmark = pytest.mark.unit

CENT = 0.005


def _textbook() -> CashFlowInputs:
    """Invest 1000 at t = 0, receive 400 at t = 1, 2, 3; 10 %; no tax, no working capital, no salvage."""
    return CashFlowInputs(capex_usd=1000.0, construction_schedule=(1.0,), life_years=3, output_per_year=1.0,
                          price_per_unit=400.0, variable_cost_per_unit=0.0, fixed_cost_per_year=0.0, tax_rate=0.0,
                          depreciation_years=3, discount_rate=0.10)


def test_textbook_npv_irr_and_payback():
    inp = _textbook()
    table = cash_flows(inp)
    assert table["net_cash_flow"].tolist() == [-1000.0, 400.0, 400.0, 400.0]
    assert table["phase"].tolist() == ["construction", "operation", "operation", "operation"]

    by_hand = -1000.0 + 400.0 * (1 / 1.1 + 1 / 1.21 + 1 / 1.331)  # -5.2592036...
    assert by_hand == pytest.approx(-5.259203606, abs=1e-9)
    assert npv(inp) == pytest.approx(by_hand, abs=1e-9)
    assert table["discounted_cash_flow"].sum() == pytest.approx(by_hand, abs=1e-9)

    # IRR: 400 (x + x^2 + x^3) = 1000 with x = 1/(1+i): the one positive real root of the cubic
    roots = np.roots([400.0, 400.0, 400.0, -1000.0])
    x = float(next(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0))
    assert 1 / x - 1 == pytest.approx(0.0970, abs=5e-5)
    assert irr(inp) == pytest.approx(1 / x - 1, abs=1e-9)

    assert payback_years(inp) == pytest.approx(2.5, abs=1e-12)  # -1000 -> -600 -> -200 -> +200: 2 years + 200/400
    # the price that earns exactly 10 %: 1000 = P (1/1.1 + 1/1.21 + 1/1.331)
    assert minimum_selling_price(inp) == pytest.approx(1000.0 / (1 / 1.1 + 1 / 1.21 + 1 / 1.331), rel=1e-12)


def _hand_case() -> CashFlowInputs:
    return CashFlowInputs(capex_usd=1000.0, construction_schedule=(0.4, 0.6), life_years=4, ramp_up=(0.5,),
                          output_per_year=100.0, price_per_unit=10.0, price_escalation=0.10, variable_cost_per_unit=2.0,
                          fixed_cost_per_year=150.0, working_capital_share=0.10, tax_rate=0.25, depreciation_years=3,
                          salvage_share=0.10, discount_rate=0.10)


def test_hand_worked_case_with_tax_loss_carry_forward_depreciation_working_capital_and_salvage():
    # Working capital W = 0.10 * 100 units * 10 $ = 100, invested in year 1 (start-up), recovered in year 5.
    # Depreciation 1000 / 3 in operating years 1..3 (calendar 2..4). Salvage 0.10 * 1000 = 100 in year 5, taxed.
    # year 0: capex 400                                                    CF = -400
    # year 1: capex 600, working capital 100                               CF = -700
    # year 2: 50 units at 10.00: R 500, V 100, F 150, D 333.33 -> TI -83.33 (loss carried), tax 0
    #         CF = 500 - 100 - 150 = 250
    # year 3: 100 units at 11.00: R 1100, V 200, F 150, D 333.33 -> TI 416.67, less loss 83.33 -> 333.33 taxed
    #         tax 83.33, CF = 1100 - 350 - 83.33 = 666.67
    # year 4: 100 units at 12.10: R 1210, TI = 1210 - 350 - 333.33 = 526.67, tax 131.67, CF = 1210 - 350 - 131.67 = 728.33
    # year 5: 100 units at 13.31: R 1331, D 0, salvage 100 -> TI = 1331 - 350 + 100 = 1081, tax 270.25
    #         CF = 1331 - 350 - 270.25 + 100 (salvage) + 100 (working capital back) = 910.75
    expected_cf = [-400.0, -700.0, 250.0, 2000.0 / 3.0, 2185.0 / 3.0, 910.75]
    expected_tax = [0.0, 0.0, 0.0, 250.0 / 3.0, 395.0 / 3.0, 270.25]
    expected_taxable = [0.0, 0.0, -250.0 / 3.0, 1250.0 / 3.0, 1580.0 / 3.0, 1081.0]
    inp = _hand_case()
    table = cash_flows(inp)
    assert list(table.columns) == list(COLUMNS)
    assert table["year"].tolist() == [0, 1, 2, 3, 4, 5]
    assert table["phase"].tolist() == ["construction"] * 2 + ["operation"] * 4
    assert table["capacity_share"].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0, 1.0]
    assert table["revenue"].to_numpy() == pytest.approx([0.0, 0.0, 500.0, 1100.0, 1210.0, 1331.0], abs=CENT)
    assert table["capex"].to_numpy() == pytest.approx([400.0, 600.0, 0, 0, 0, 0], abs=CENT)
    assert table["working_capital"].to_numpy() == pytest.approx([0.0, 100.0, 0, 0, 0, -100.0], abs=CENT)
    assert table["salvage"].to_numpy() == pytest.approx([0, 0, 0, 0, 0, 100.0], abs=CENT)
    assert table["taxable_income"].to_numpy() == pytest.approx(expected_taxable, abs=CENT)
    assert table["tax"].to_numpy() == pytest.approx(expected_tax, abs=CENT)
    assert table["net_cash_flow"].to_numpy() == pytest.approx(expected_cf, abs=CENT)
    assert table["cumulative_cash_flow"].to_numpy() == pytest.approx(np.cumsum(expected_cf), abs=CENT)

    expected_npv = sum(cf / 1.1**t for t, cf in enumerate(expected_cf))
    assert npv(inp) == pytest.approx(expected_npv, abs=CENT)
    assert table["discounted_cash_flow"].to_numpy() == pytest.approx([cf / 1.1**t for t, cf in enumerate(expected_cf)], abs=CENT)
    # cumulative -400, -1100, -850, -183.33, +545: two operating years, then 183.33 of the 728.33 of the third
    assert payback_years(inp) == pytest.approx(2.0 + (550.0 / 3.0) / (2185.0 / 3.0), abs=1e-12)

    # without carry-forward year 3 would be taxed on all of 416.67: the carried loss saves 0.25 * 83.33 there
    no_loss = replace(inp, ramp_up=())  # full capacity from the start: no loss year, no carry-forward
    assert cash_flows(no_loss)["tax"].iloc[3] == pytest.approx(0.25 * 1250.0 / 3.0, abs=CENT)


def _npv_at(inp: CashFlowInputs, price: float) -> float:
    return npv(replace(inp, price_per_unit=price))


@st.composite
def _valid_inputs(draw: Any) -> CashFlowInputs:
    """Valid inputs in the region where the NPV provably rises with the price and the cash flow changes sign
    once (costs >= 0, discount rate >= 0, tax < 1, non-decreasing ramp-up, no falling price, modest working
    capital), so the IRR is unique."""
    n_c = draw(st.integers(1, 3))
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=n_c, max_size=n_c))
    life = draw(st.integers(1, 30))
    ramp = sorted(draw(st.lists(st.floats(0.5, 1.0), max_size=min(3, life))))
    return CashFlowInputs(
        capex_usd=draw(st.floats(1e3, 1e8)),
        construction_schedule=tuple(w / sum(weights) for w in weights),
        life_years=life,
        ramp_up=tuple(ramp),
        output_per_year=draw(st.floats(1.0, 1e7)),
        price_per_unit=draw(st.floats(0.0, 100.0)),
        price_escalation=draw(st.floats(0.0, 0.05)),
        variable_cost_per_unit=draw(st.floats(0.0, 50.0)),
        fixed_cost_per_year=draw(st.floats(0.0, 1e7)),
        working_capital_share=draw(st.floats(0.0, 0.2)),
        tax_rate=draw(st.floats(0.0, 0.6)),
        depreciation_years=draw(st.integers(1, life)),
        salvage_share=draw(st.floats(0.0, 0.3)),
        discount_rate=draw(st.floats(0.0, 0.3)),
    )


@given(_valid_inputs(), st.floats(0.0, 1e3), st.floats(0.0, 1e3))
def test_minimum_selling_price_zeroes_npv_npv_rises_with_price_and_irr_equals_discount_rate(inp, price, step):
    msp = minimum_selling_price(inp)
    assert math.isfinite(msp)
    at = replace(inp, price_per_unit=msp)
    scale = float(cash_flows(at)["net_cash_flow"].abs().sum())
    assert abs(npv(at)) <= 1e-6 * scale
    assert irr(at) == pytest.approx(inp.discount_rate, abs=1e-7)
    # just below the price the NPV is negative, just above positive
    assert _npv_at(inp, msp - 1e-3 * max(1.0, msp)) < 0.0 < _npv_at(inp, msp + 1e-3 * max(1.0, msp))
    # monotone: a higher price never lowers the NPV
    assert _npv_at(inp, price) <= _npv_at(inp, price + step) + 1e-9 * scale


def test_degenerate_results_are_nan():
    inp = _textbook()
    free = replace(inp, price_per_unit=0.0)  # nothing ever comes back
    assert math.isnan(irr(free))
    assert math.isnan(payback_years(free))
    assert math.isnan(minimum_selling_price(replace(inp, output_per_year=0.0)))  # the price does not matter
    assert payback_years(replace(inp, capex_usd=0.0)) == 0.0  # nothing to pay back at start-up
    got = evaluate(inp)
    assert set(got) == {"npv_usd", "irr", "payback_years", "minimum_selling_price_per_unit"}
    assert got["npv_usd"] == npv(inp) and got["irr"] == irr(inp)
    assert got["payback_years"] == payback_years(inp) and got["minimum_selling_price_per_unit"] == minimum_selling_price(inp)


_BASE: dict[str, Any] = {"capex_usd": 1000.0, "construction_schedule": (0.5, 0.5), "life_years": 5, "ramp_up": (0.5,),
                         "output_per_year": 10.0, "price_per_unit": 50.0, "variable_cost_per_unit": 5.0,
                         "fixed_cost_per_year": 20.0, "working_capital_share": 0.1, "tax_rate": 0.3, "depreciation_years": 5,
                         "salvage_share": 0.1, "discount_rate": 0.08}


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("capex_usd", -1.0, ">= 0"),
    ("capex_usd", math.nan, "finite"),
    ("construction_schedule", (0.5, 0.4), "summing to 1"),
    ("construction_schedule", (0.5, 0.5 + 2e-9), "summing to 1"),
    ("construction_schedule", (), "non-empty"),
    ("construction_schedule[0]", (1.2, -0.2), r"\[0, 1\]"),
    ("construction_schedule", "ab", "sequence"),
    ("life_years", 0, ">= 1"),
    ("life_years", 2.5, "integer"),
    ("life_years", True, "integer"),
    ("ramp_up[1]", (0.5, 1.5), r"\[0, 1\]"),
    ("ramp_up", (0.5,) * 6, "at most life_years"),
    ("output_per_year", -1.0, ">= 0"),
    ("price_per_unit", math.inf, "finite"),
    ("price_escalation", -1.0, "> -1"),
    ("variable_cost_per_unit", -0.1, ">= 0"),
    ("fixed_cost_per_year", -1.0, ">= 0"),
    ("working_capital_share", 1.5, r"\[0, 1\]"),
    ("tax_rate", -0.1, r"\[0, 1\]"),
    ("tax_rate", 1.1, r"\[0, 1\]"),
    ("depreciation_years", 0, r"\[1, life_years = 5\]"),
    ("depreciation_years", 6, r"\[1, life_years = 5\]"),
    ("salvage_share", 2.0, r"\[0, 1\]"),
    ("discount_rate", -1.0, "> -1"),
    ("discount_rate", "0.1", "finite number"),
])
def test_validation_errors_name_the_field_and_what_is_allowed(field, value, allowed):
    name = field.split("[")[0]
    with pytest.raises(ValueError, match=rf"CashFlowInputs\.{name}.*{allowed}") as info:
        CashFlowInputs(**{**_BASE, name: value})
    assert f"CashFlowInputs.{field} " in str(info.value)


def test_valid_inputs_are_normalised_and_frozen():
    inp = CashFlowInputs(**{**_BASE, "construction_schedule": [0.5, 0.5 + 5e-10], "ramp_up": [1], "capex_usd": 1000})
    assert inp.construction_schedule == (0.5, 0.5 + 5e-10) and inp.ramp_up == (1.0,)
    assert isinstance(inp.capex_usd, float)
    hash(inp)
    with pytest.raises(FrozenInstanceError):
        inp.tax_rate = 0.5  # type: ignore[misc]


def _biosteam_style(inp: CashFlowInputs, *, startup_months: float, startup_frac: float, wc_over_fci: float,
                    irr_rate: float) -> tuple[float, list[float]]:
    """The cash flow the way BioSTEAM's TEA builds it (biosteam/_tea.py, no loan, no replacements, straight-line
    depreciation in place of MACRS, tax on positive taxable income only), written out year by year; returns the
    NPV (discounted to the end of the last construction year, exponents -start+1 .. years) and the cash flows."""
    start, years = len(inp.construction_schedule), inp.life_years
    fci = tdc = inp.capex_usd
    sales = inp.price_per_unit * inp.output_per_year
    voc = inp.variable_cost_per_unit * inp.output_per_year
    foc = inp.fixed_cost_per_year
    wc = wc_over_fci * fci
    w0 = startup_months / 12.0
    w1 = 1.0 - w0
    flows = []
    for i in range(start + years):
        capital = fci * inp.construction_schedule[i] if i < start else 0.0
        working = wc if i == start - 1 else 0.0
        if i == start + years - 1:
            working -= wc
        if i < start:
            cost = revenue = 0.0
        elif i == start:  # start-up year: a fraction w0 of it at reduced sales and variable cost, full fixed cost
            cost = w0 * startup_frac * voc + w1 * voc + w0 * 1.0 * foc + w1 * foc
            revenue = w0 * startup_frac * sales + w1 * sales
        else:
            cost, revenue = voc + foc, sales
        dep = tdc / inp.depreciation_years if start <= i < start + inp.depreciation_years else 0.0
        taxable = revenue - cost - dep
        nontaxable = dep - capital - working
        tax = inp.tax_rate * taxable if taxable > 0.0 else 0.0
        flows.append(taxable - tax + nontaxable)
    npv_bst = sum(cf / (1.0 + irr_rate) ** (i - start + 1) for i, cf in enumerate(flows))
    return npv_bst, flows


def test_npv_matches_a_biosteam_style_loop_to_the_cent():
    # BioSTEAM: 4 start-up months at 40 % sales and variable cost -> our first-year capacity 1/3 * 0.4 + 2/3 = 0.8;
    # working capital 5 % of FCI -> our share of a year's full-capacity revenue: 0.05 * 5e6 / (3.0 * 1e6) = 1/12.
    r = 0.10
    inp = CashFlowInputs(capex_usd=5.0e6, construction_schedule=(0.4, 0.6), life_years=10, ramp_up=(4 / 12 * 0.4 + 8 / 12,),
                         output_per_year=1.0e6, price_per_unit=3.0, variable_cost_per_unit=1.2, fixed_cost_per_year=4.0e5,
                         working_capital_share=0.05 * 5.0e6 / 3.0e6, tax_rate=0.35, depreciation_years=7, discount_rate=r)
    npv_bst, flows = _biosteam_style(inp, startup_months=4.0, startup_frac=0.4, wc_over_fci=0.05, irr_rate=r)
    table = cash_flows(inp)
    assert (table.loc[table["phase"] == "operation", "taxable_income"] > 0).all()  # no loss: carry-forward is moot here
    assert table["net_cash_flow"].to_numpy() == pytest.approx(flows, abs=CENT)
    # BioSTEAM discounts to the start of operation (end of year start - 1); we discount to year 0
    assert npv(inp) == pytest.approx(npv_bst / (1.0 + r) ** (len(inp.construction_schedule) - 1), abs=CENT)
    assert npv(inp) > 1.0e6  # a non-trivial case, not a zero
    # the IRR does not depend on where one discounts to
    irr_bst = brentq(lambda i: sum(cf / (1.0 + i) ** (t - 1) for t, cf in enumerate(flows)), 0.0, 1.0, xtol=1e-14)
    assert irr(inp) == pytest.approx(irr_bst, abs=1e-9)


def test_carry_forward_is_the_one_departure_from_biosteam_tax():
    # a start-up year at 10 % capacity makes a loss; BioSTEAM pays no tax on it and forgets it, we carry it forward
    r = 0.10
    inp = CashFlowInputs(capex_usd=5.0e6, construction_schedule=(1.0,), life_years=5, ramp_up=(0.1,), output_per_year=1.0e6,
                         price_per_unit=5.0, variable_cost_per_unit=1.2, fixed_cost_per_year=4.0e5, tax_rate=0.35,
                         depreciation_years=5, discount_rate=r)
    npv_bst, _ = _biosteam_style(inp, startup_months=12.0, startup_frac=0.1, wc_over_fci=0.0, irr_rate=r)
    loss = -(0.1 * 1.0e6 * (5.0 - 1.2) - 4.0e5 - 1.0e6)  # 1.02 M USD, absorbed by the next year's income of 2.4 M USD
    assert 1.0e6 * (5.0 - 1.2) - 4.0e5 - 1.0e6 > loss
    assert npv(inp) - npv_bst == pytest.approx(0.35 * loss / 1.1**2, abs=CENT)
