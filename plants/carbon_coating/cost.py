"""Consumption and energy of a carbon-coating batch. Pure functions (floats or numpy arrays).

The coater is a heated fluidized (or rotary) bed like the CVD reactor: the same heat balance
(:func:`plants.economics.batch_heat_kwh`) without a reaction credit (acetylene pyrolysis heat is
small against the heat-up and is neglected), and nitrogen as the diluent of acetylene while
coating plus the full flow while hot and inert. Run continuously (mode ``continuous``) the coater
stays hot: no vessel heat-up, no heat-up/purge/cool phases (as the line sequences it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from plants import _num as nm
from plants.carbon_coating.settings import CoatingMode
from plants.common import M_C2H2_G_MOL, M_C_G_MOL, N2_KG_PER_NM3, CostContext, EmissionRow, column
from plants.economics import EnergyParams, batch_heat_kwh
from plants.lines import LotKind, LotStatus
from twin.costing import CapitalRow, CostRow, scaled_row

__all__ = [
    "DIRECT", "EMITS", "capital_rows", "coating_heat_kwh", "coating_nitrogen_kg", "crews", "design_rates",
    "period_emissions", "period_rows", "unreacted_acetylene_kg",
]

F = Any


def coating_heat_kwh(bed_kg: F, temperature_c: F, hot_h: F, gas_nm3: F, e: EnergyParams, reheat_vessel: bool = True) -> F:
    """Heat per batch; a coater run continuously (kept hot) heats only the powder and gas, not the vessel."""
    return batch_heat_kwh(bed_kg, temperature_c, hot_h, gas_nm3, 0.0,
                          e if reheat_vessel else e.model_copy(update={"reactor_heat_capacity_kj_k": 0.0}))


def coating_nitrogen_kg(total_flow_nm3_h: F, acetylene_fraction: F, coating_h: F, inert_h: F) -> F:
    diluent = nm.clip(1.0 - acetylene_fraction, 0.0, 1.0)
    return total_flow_nm3_h * (diluent * coating_h + inert_h) * N2_KG_PER_NM3


# ----------------------------------------------------------------------------- the line's share of the plant's costs
def _powder_kwh(pw: pd.DataFrame, ctx: CostContext) -> np.ndarray:
    """Electricity of each coater batch (kWh): the heated-bed balance (a continuous coater stays hot)."""
    cs, eq, en = ctx.settings.coating, ctx.params.coating.equipment, ctx.params.economics.energy
    batch = cs.mode is CoatingMode.BATCH
    hot_h = eq.heat_up_h + cs.time_h + eq.purge_h if batch else cs.time_h
    temp = pw["temperature_c"].fillna(cs.temperature_c) if "temperature_c" in pw else cs.temperature_c
    return np.asarray(coating_heat_kwh(pw["mass_kg"].to_numpy(), np.asarray(temp, dtype=float), hot_h,
                                       cs.total_gas_flow_nm3_h * hot_h, en, reheat_vessel=batch))


def _powder_nitrogen_kg(ctx: CostContext) -> float:
    cs, eq = ctx.settings.coating, ctx.params.coating.equipment
    inert_h = eq.heat_up_h + eq.purge_h + eq.cool_h if cs.mode is CoatingMode.BATCH else 0.0
    return float(coating_nitrogen_kg(cs.total_gas_flow_nm3_h, cs.acetylene_fraction, cs.time_h, inert_h))


def _powder_direct(pw: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A coater batch's acetylene, nitrogen and heat, and the QC lab's hands-on time for a tested lot."""
    p = ctx.params
    pr = p.economics.prices
    materials = column(pw, "acetylene_fed_kg") * pr.acetylene_usd_per_kg + _powder_nitrogen_kg(ctx) * pr.nitrogen_usd_per_kg
    kwh = _powder_kwh(pw, ctx)
    tested = pw["status"].isin([LotStatus.RELEASED, LotStatus.CONSUMED, LotStatus.REJECTED, LotStatus.TESTING])
    labour = np.where(tested.to_numpy(), p.lab.hands_on_h * pr.labour_usd_per_h, 0.0)
    return pd.DataFrame({"materials_usd": materials, "utilities_usd": kwh * pr.electricity_usd_per_kwh,
                         "labour_usd": labour}, index=pw.index)


def unreacted_acetylene_kg(pw: pd.DataFrame) -> pd.Series:
    """Acetylene leaving a coater batch unburnt in the shell (to the flare): fed less the carbon the
    shell took, at one C2H2 per two C (carbon the coater bonds as SiC is not credited: an upper bound)."""
    return (column(pw, "acetylene_fed_kg") - column(pw, "shell_carbon_kg") * M_C2H2_G_MOL / (2.0 * M_C_G_MOL)).clip(lower=0.0)


def _powder_emits(pw: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    f = ctx.params.emissions
    kwh = _powder_kwh(pw, ctx)
    materials = column(pw, "acetylene_fed_kg") * f.acetylene_kg_per_kg + _powder_nitrogen_kg(ctx) * f.nitrogen_kg_per_kg
    return pd.DataFrame({"materials_kg": materials, "electricity_kg": kwh * f.grid_kg_per_kwh,
                         "direct_kg": unreacted_acetylene_kg(pw) * f.flare_acetylene_kg_per_kg, "electricity_kwh": kwh},
                        index=pw.index)


DIRECT = {LotKind.POWDER: _powder_direct}
EMITS = {LotKind.POWDER: _powder_emits}


def design_rates(ctx: CostContext) -> dict[str, float]:
    return {}


def capital_rows(ctx: CostContext) -> list[CapitalRow]:
    p, cap = ctx.params, ctx.params.economics.capital
    n_k, n_q = p.coating.equipment.reactor_count, p.lab.parallel_tests
    return [CapitalRow("coating", "coaters", n_k * cap.coating_reactor.capex_usd, n_k * cap.coating_reactor.area_m2,
                       f"{n_k} coaters x capex"),
            scaled_row("coating", "powder handling", cap.powder_handling, ctx.design["fbcvd.scaffold_kg_per_yr"],
                       "design scaffold kg/yr"),
            CapitalRow("coating", "QC lab", n_q * cap.qc_station.capex_usd, n_q * cap.qc_station.area_m2,
                       f"{n_q} stations x capex")]


def crews(ctx: CostContext) -> dict[str, float]:
    return {"coating": ctx.params.coating.equipment.operators_per_shift}


def period_rows(ctx: CostContext) -> list[CostRow]:
    return []


def period_emissions(ctx: CostContext) -> list[EmissionRow]:
    return []
