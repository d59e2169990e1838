"""The investment case of the powder plant: the twin's capital, output and unit costs in a cash flow
over the plant's life (:mod:`twin.finance`), giving NPV, IRR, payback and the minimum selling price
of the powder.

What the twin gives, per replication:

* capital: the installed capital (equipment and building) of the lines that make powder (FBCVD,
  carbon coating and the QC lab), at their design rates (:func:`plants.costing.capital`);
* output: the simulated rate of released powder (``powder.output_t_per_yr``), taken as the plant's
  full-capacity output, reached through the ramp-up of the parameter set;
* variable cost per kg: the powder lines' materials and utilities of the period over the released
  powder (scrapped and rejected material included, as a yield loss);
* fixed cost per year: their labour and overheads of the period, per year (paid whatever the output).

The twin's capital charge (depreciation) is left out of the operating costs: the cash flow has the
capital itself, spent over the construction years, and its tax depreciation.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from plants.costing import capital
from plants.lines import OWNER, LotKind
from plants.scenario import LoadedScenario
from twin.finance import CashFlowInputs, cash_flows, evaluate, npv
from twin.units import HOURS_PER_YEAR

__all__ = ["POWDER_LINES", "cash_flow_inputs", "investment_case", "investment_table", "operating_costs", "powder_capex_usd",
           "tornado"]

POWDER_LINES = tuple(dict.fromkeys(OWNER[k] for k in (LotKind.SCAFFOLD, LotKind.CVD, LotKind.POWDER)))


def powder_capex_usd(loaded: LoadedScenario) -> float:
    """Installed capital of the powder lines: equipment plus building area."""
    b = loaded.params.economics.overheads.building_usd_per_m2
    return float(sum(c + a * b for line, _, c, a, _ in capital(loaded) if line in POWDER_LINES))


def cash_flow_inputs(summary: dict[str, Any], loaded: LoadedScenario, capex_usd: float | None = None,
                     **changes: float) -> CashFlowInputs | None:
    """The cash-flow inputs of a run (its summary) and the scenario's investment parameters; None
    when the run released no powder (no output, no unit costs). ``changes`` override any input by
    name (for sensitivities: ``price_per_unit=...``)."""
    inv = loaded.params.economics.investment
    out_kg = float(summary.get("powder.output_t_per_yr", math.nan)) * 1000.0
    variable = float(summary.get("economics.variable_cost_usd_per_kg", math.nan))
    fixed = float(summary.get("economics.fixed_cost_usd_per_yr", math.nan))
    if not out_kg > 0 or not (math.isfinite(variable) and math.isfinite(fixed)):
        return None
    n_c = inv.construction_years
    first = inv.construction_first_year_share if n_c > 1 else 1.0
    schedule = (first, *([(1.0 - first) / (n_c - 1)] * (n_c - 1))) if n_c > 1 else (1.0,)
    ramp = (inv.ramp_up_first_year, inv.ramp_up_second_year)[: inv.plant_life_yr]
    kw: dict[str, Any] = dict(
        capex_usd=powder_capex_usd(loaded) if capex_usd is None else capex_usd, construction_schedule=schedule,
        life_years=inv.plant_life_yr, ramp_up=ramp, output_per_year=out_kg, price_per_unit=inv.powder_price_usd_per_kg,
        price_escalation=inv.price_escalation_per_yr,
        variable_cost_per_unit=variable, fixed_cost_per_year=fixed,
        working_capital_share=inv.working_capital_share_of_revenue, tax_rate=inv.tax_rate,
        depreciation_years=min(inv.tax_depreciation_yr, inv.plant_life_yr), salvage_share=inv.salvage_share,
        discount_rate=inv.discount_rate)
    kw.update(changes)
    return CashFlowInputs(**kw)


def operating_costs(ledger: pd.DataFrame, horizon_h: float, powder_kg: float) -> dict[str, float]:
    """The powder lines' operating costs from the period's ledger: materials and utilities per kg of
    released powder (what scrapped and rejected material used included, as a yield loss), labour and
    overheads per year (paid whatever the output). Capital is not among them: the cash flow has the
    capital itself."""
    mine = ledger[ledger["line"].isin(POWDER_LINES)]
    by = mine.groupby("category")["usd"].sum()
    variable = float(by.get("materials", 0.0) + by.get("utilities", 0.0))
    fixed = float(by.get("labour", 0.0) + by.get("overheads", 0.0))
    return {"economics.variable_cost_usd_per_kg": variable / powder_kg if powder_kg > 0 else math.nan,
            "economics.fixed_cost_usd_per_yr": fixed * HOURS_PER_YEAR / horizon_h}


def investment_case(summary: dict[str, Any], loaded: LoadedScenario) -> dict[str, float]:
    """``economics.*`` KPIs of a run: NPV, IRR, payback and the powder's minimum selling price."""
    inp = cash_flow_inputs(summary, loaded)
    keys = ("npv_usd", "irr", "payback_years", "minimum_selling_price_usd_per_kg", "capex_usd")
    if inp is None:
        return {f"economics.{k}": math.nan for k in keys}
    r = evaluate(inp)
    return {"economics.npv_usd": r["npv_usd"], "economics.irr": r["irr"], "economics.payback_years": r["payback_years"],
            "economics.minimum_selling_price_usd_per_kg": r["minimum_selling_price_per_unit"],
            "economics.capex_usd": inp.capex_usd}


def investment_table(summary: dict[str, Any], loaded: LoadedScenario) -> pd.DataFrame:
    """The year-by-year cash flow of a run (empty when it released no powder)."""
    inp = cash_flow_inputs(summary, loaded)
    return cash_flows(inp) if inp is not None else pd.DataFrame()


def tornado(summary: dict[str, Any], loaded: LoadedScenario, swing: float = 0.2) -> pd.DataFrame:
    """NPV with each main driver moved by -/+ ``swing`` (relative) around the run's figures: the
    selling price, the capital, the silane price (through the silane used per kg), the output and
    the discount rate. Sorted by the width of the swing."""
    base = cash_flow_inputs(summary, loaded)
    if base is None:
        return pd.DataFrame()
    e = loaded.params.economics
    silane_usd_per_kg = e.cny(e.prices.silane_cny_per_t) / 1000.0 * float(summary.get("consumption.silane_kg_per_kg", 0.0))
    drivers = {
        "powder price": lambda f: {"price_per_unit": base.price_per_unit * f},
        "capital": lambda f: {"capex_usd": base.capex_usd * f},
        "silane price": lambda f: {"variable_cost_per_unit": base.variable_cost_per_unit + silane_usd_per_kg * (f - 1.0)},
        "output": lambda f: {"output_per_year": base.output_per_year * f},  # fixed cost per year stays
        "discount rate": lambda f: {"discount_rate": base.discount_rate * f},
    }
    rows = []
    for name, change in drivers.items():
        lo_inp = cash_flow_inputs(summary, loaded, **change(1.0 - swing))
        hi_inp = cash_flow_inputs(summary, loaded, **change(1.0 + swing))
        assert lo_inp is not None and hi_inp is not None  # base is not None, so neither is a variant
        lo, hi = npv(lo_inp), npv(hi_inp)
        rows.append({"driver": name, "low_npv_usd": lo, "high_npv_usd": hi, "swing_usd": abs(hi - lo)})
    out = pd.DataFrame(rows).sort_values("swing_usd", ascending=False, ignore_index=True)
    out.attrs["base_npv_usd"] = npv(base)
    return out
