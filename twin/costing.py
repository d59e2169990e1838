"""Domain-free cost arithmetic in the shape of Argonne's BatPaC: scaling laws, overheads, a ledger.

* Scaling law for a step's capital, labour or floor area: X = X0 (R / R0)^p (BatPaC; CMU
  BatteryCost ``Manufacturing_Cost_Calculations.jl``).
* Overheads on direct labour and depreciation (BatPaC V5 shares, see the parameter set): variable
  overhead = a_L labour + a_D depreciation; GS&A = g (labour + variable overhead); R&D = r
  depreciation; working capital: a share of the period's variable cost tied up, charged at the
  cost of capital.
* A ledger is a list of immutable rows (line, step, category, item, usd); every total and every
  attribution is a sum over rows, so the parts add up to the total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

import pandas as pd
from pydantic import Field

from twin.params import ParamModel, Unit
from twin.units import HOURS_PER_YEAR

__all__ = ["CATEGORIES", "CapitalRow", "CostRow", "OverheadParams", "depreciation_usd", "ledger_frame", "overheads_usd", "scaled",
           "scaled_row"]

# The categories every cost row falls in; "scrap" only appears after attribution (cost that ended
# in scrapped or rejected material is moved there from the category it was spent in).
CATEGORIES = ("capital", "labour", "materials", "utilities", "overheads", "scrap")


def scaled(x0: Any, rate: Any, rate0: Any, exponent: Any) -> Any:
    """BatPaC scaling law X0 (R/R0)^p (floats or numpy arrays)."""
    return x0 * (rate / rate0) ** exponent


def depreciation_usd(capex_usd: float, life_yr: float, horizon_h: float) -> float:
    """Straight-line depreciation of ``capex_usd`` over ``life_yr``, for a period of ``horizon_h``."""
    return capex_usd / life_yr * horizon_h / HOURS_PER_YEAR


class OverheadParams(ParamModel):
    variable_overhead_labour_share: Annotated[float, Field(ge=0, le=5), Unit("1")]
    variable_overhead_depreciation_share: Annotated[float, Field(ge=0, le=5), Unit("1")]
    gsa_share: Annotated[float, Field(ge=0, le=5), Unit("1")]
    rnd_depreciation_share: Annotated[float, Field(ge=0, le=5), Unit("1")]
    working_capital_share: Annotated[float, Field(ge=0, le=5), Unit("1")]
    cost_of_capital: Annotated[float, Field(ge=0, le=1), Unit("1/yr")]
    equipment_life_yr: Annotated[float, Field(gt=0, le=100), Unit("yr")]
    building_life_yr: Annotated[float, Field(gt=0, le=100), Unit("yr")]
    building_usd_per_m2: Annotated[float, Field(ge=0), Unit("USD/m2")]
    maintenance_share_per_yr: Annotated[float, Field(ge=0, le=1), Unit("1/yr")]


def overheads_usd(labour_usd: float, depreciation_usd: float, variable_usd: float, horizon_h: float,
                  p: OverheadParams) -> dict[str, float]:
    """BatPaC-style overheads of one step over a period of ``horizon_h``.

    ``variable_usd`` is the step's materials + utilities over the period; the working capital tied
    up is ``working_capital_share`` of a year's worth of it, charged at ``cost_of_capital``.
    """
    variable_overhead = p.variable_overhead_labour_share * labour_usd + p.variable_overhead_depreciation_share * depreciation_usd
    years = horizon_h / HOURS_PER_YEAR
    annual_variable = variable_usd / years if years > 0 else 0.0
    return {
        "variable overhead": variable_overhead,
        "GS&A": p.gsa_share * (labour_usd + variable_overhead),
        "R&D": p.rnd_depreciation_share * depreciation_usd,
        "working capital": p.working_capital_share * annual_variable * p.cost_of_capital * years,
    }


@dataclass(frozen=True, slots=True)
class CostRow:
    line: str
    step: str
    category: str
    item: str
    usd: float
    formula: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"cost category {self.category!r} is not one of {CATEGORIES}")


def ledger_frame(rows: list[CostRow]) -> pd.DataFrame:
    return pd.DataFrame([(r.line, r.step, r.category, r.item, r.usd, r.formula) for r in rows],
                        columns=["line", "step", "category", "item", "usd", "formula"])


class CapitalRow(NamedTuple):
    """One capital item of a line: equipment capex, floor area and how they were sized."""

    line: str
    step: str
    capex_usd: float
    area_m2: float
    formula: str


def scaled_row(line: str, step: str, sp: Any, rate: float, driver: str) -> CapitalRow:
    """A BatPaC-scaled step (``sp`` has capex_usd, area_m2, base_rate, capex_exponent, area_exponent)
    sized at ``rate`` of ``driver``; no rate, no equipment."""
    if rate <= 0:
        return CapitalRow(line, step, 0.0, 0.0, f"no {driver}")
    return CapitalRow(line, step, scaled(sp.capex_usd, rate, sp.base_rate, sp.capex_exponent),
                      scaled(sp.area_m2, rate, sp.base_rate, sp.area_exponent),
                      f"BatPaC X0 (R/R0)^p, R = {rate:.4g} {driver}, R0 = {sp.base_rate:.4g}")
