"""Consumption and energy of a fluidized-bed CVD batch. Pure functions (floats or numpy arrays).

* Electric heat per batch = heat-up of the reactor and bed, (C_reactor + m_bed c_p) dT, plus the
  heat lost while hot, UA dT t_hot, plus heating the gas fed, V c_p,gas dT, less the heat
  SiH4 -> Si + 2 H2 releases (0.339 kWh/kg Si, process-data 1), all over the heater efficiency;
  the duty never goes below zero (the exotherm cannot pay for more than the batch needs).
* Nitrogen: the gas that is neither silane nor ethylene while depositing, and the whole flow while
  the bed is fluidized hot without silane (heat-up, purge, cool-down), at 1.2506 kg/Nm3.
* Silane, ethylene and hydrogen are taken from the batch's own mass balance (the lot record).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from plants import _num as nm
from plants.common import (
    N2_KG_PER_NM3,
    SIH4_KG_PER_NM3,
    CostContext,
    EmissionRow,
    column,
)
from plants.economics import batch_heat_kwh
from plants.lines import LotKind
from twin.costing import CapitalRow, CostRow, scaled_row
from twin.units import HOURS_PER_YEAR

__all__ = [
    "DIRECT", "EMITS", "batch_heat_kwh", "capital_rows", "charged_kg", "crews", "design_rates", "nitrogen_kg",
    "period_emissions", "period_rows", "unreacted_ethylene_kg",
]

F = Any


def nitrogen_kg(total_flow_nm3_h: F, silane_fraction: F, c2h4_ratio: F, deposition_h: F, inert_h: F) -> F:
    """N2 fed in one batch: diluent while depositing plus the full flow while inert (kg)."""
    diluent = nm.clip(1.0 - silane_fraction * (1.0 + c2h4_ratio), 0.0, 1.0)
    return total_flow_nm3_h * (diluent * deposition_h + inert_h) * N2_KG_PER_NM3


# ----------------------------------------------------------------------------- the line's share of the plant's costs
def _scaffold_direct(lots: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """Scaffold lots carry their purchase price."""
    e = ctx.params.economics
    return pd.DataFrame({"materials_usd": lots["mass_kg"] * e.cny(e.prices.scaffold_carbon_cny_per_t) / 1000.0})


def _cvd_kwh(cvd: pd.DataFrame, ctx: CostContext) -> np.ndarray:
    """Electricity of each CVD batch (kWh): the heat balance of :func:`batch_heat_kwh`."""
    fs, eq, en = ctx.settings.fbcvd, ctx.params.fbcvd.equipment, ctx.params.economics.energy
    hot_h = eq.heat_up_h + fs.deposition_time_h + eq.purge_h
    temp = cvd["temperature_c"].fillna(fs.bed_temperature_c) if "temperature_c" in cvd else fs.bed_temperature_c
    return np.asarray(batch_heat_kwh(charged_kg(ctx.genealogy, cvd).to_numpy(), np.asarray(temp, dtype=float), hot_h,
                                     fs.total_gas_flow_nm3_h * hot_h, column(cvd, "si_deposited_kg").to_numpy(), en))


def _cvd_nitrogen_kg(ctx: CostContext) -> float:
    fs, eq = ctx.settings.fbcvd, ctx.params.fbcvd.equipment
    inert_h = eq.heat_up_h + eq.purge_h + eq.cool_h
    return float(nitrogen_kg(fs.total_gas_flow_nm3_h, fs.mean_silane_fraction, fs.mean_c2h4_ratio, fs.deposition_time_h,
                             inert_h))


def _cvd_direct(cvd: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A CVD batch's gases (silane, ethylene, nitrogen, less the hydrogen credit) and its heat."""
    e = ctx.params.economics
    pr = e.prices
    n2 = _cvd_nitrogen_kg(ctx)
    materials = (column(cvd, "silane_fed_kg") * e.cny(pr.silane_cny_per_t) / 1000.0
                 + column(cvd, "c2h4_fed_kg") * pr.ethylene_usd_per_kg
                 + n2 * pr.nitrogen_usd_per_kg - column(cvd, "h2_made_kg") * pr.hydrogen_credit_usd_per_kg)
    kwh = _cvd_kwh(cvd, ctx)
    return pd.DataFrame({"materials_usd": materials, "utilities_usd": kwh * pr.electricity_usd_per_kwh}, index=cvd.index)


def unreacted_ethylene_kg(cvd: pd.DataFrame) -> pd.Series:
    """Ethylene leaving a batch unreacted (to the flare): fed less what was cracked for the carbon its
    SiC took from the ethylene (one C2H4 per two C bonded; the lot record's ``c2h4_consumed_kg``)."""
    return (column(cvd, "c2h4_fed_kg") - column(cvd, "c2h4_consumed_kg")).clip(lower=0.0)


def _scaffold_emits(lots: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    f = ctx.params.emissions
    return pd.DataFrame({"materials_kg": lots["mass_kg"] * f.scaffold_carbon_kg_per_kg}, index=lots.index)


def _cvd_emits(cvd: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A CVD batch's purchased gases, its electricity and the flare of its unreacted ethylene (the
    unreacted silane burns to SiO2 and the hydrogen to water: no CO2)."""
    f = ctx.params.emissions
    kwh = _cvd_kwh(cvd, ctx)
    materials = (column(cvd, "silane_fed_kg") * f.silane_kg_per_kg + column(cvd, "c2h4_fed_kg") * f.ethylene_kg_per_kg
                 + _cvd_nitrogen_kg(ctx) * f.nitrogen_kg_per_kg)
    return pd.DataFrame({"materials_kg": materials, "electricity_kg": kwh * f.grid_kg_per_kwh,
                         "direct_kg": unreacted_ethylene_kg(cvd) * f.flare_ethylene_kg_per_kg, "electricity_kwh": kwh},
                        index=cvd.index)


DIRECT = {LotKind.SCAFFOLD: _scaffold_direct, LotKind.CVD: _cvd_direct}
EMITS = {LotKind.SCAFFOLD: _scaffold_emits, LotKind.CVD: _cvd_emits}


def charged_kg(genealogy: pd.DataFrame, cvd: pd.DataFrame) -> pd.Series:
    """Scaffold mass charged into each CVD batch (from the genealogy)."""
    g = genealogy
    kg = g[g["lot_id"].isin(cvd["lot_id"])].groupby("lot_id")["mass_kg"].sum() if len(g) else pd.Series(dtype=float)
    return cvd["lot_id"].map(kg).fillna(0.0).set_axis(cvd.index)


def design_rates(ctx: CostContext) -> dict[str, float]:
    """What the reactors can do a year at these settings: equipment is sized on design rates, not on
    what a replication happened to produce (capital is the same whatever the machines did)."""
    fs, eq = ctx.settings.fbcvd, ctx.params.fbcvd.equipment
    cycle_h = eq.charge_h + eq.heat_up_h + fs.deposition_time_h + eq.purge_h + eq.cool_h + eq.discharge_h
    batches_yr = eq.reactor_count * HOURS_PER_YEAR / cycle_h
    silane_kg_yr = batches_yr * fs.total_gas_flow_nm3_h * fs.mean_silane_fraction * fs.deposition_time_h * SIH4_KG_PER_NM3
    return {"fbcvd.silane_kg_per_yr": silane_kg_yr, "fbcvd.scaffold_kg_per_yr": batches_yr * fs.batch_mass_kg}


def capital_rows(ctx: CostContext) -> list[CapitalRow]:
    cap, n_r = ctx.params.economics.capital, ctx.params.fbcvd.equipment.reactor_count
    return [CapitalRow("fbcvd", "reactors", n_r * cap.fbcvd_reactor.capex_usd, n_r * cap.fbcvd_reactor.area_m2,
                       f"{n_r} reactors x capex"),
            scaled_row("fbcvd", "silane handling", cap.silane_handling, ctx.design["fbcvd.silane_kg_per_yr"],
                       "design silane kg/yr")]


def crews(ctx: CostContext) -> dict[str, float]:
    """Operators per shift, by stage."""
    return {"fbcvd": ctx.params.fbcvd.equipment.operators_per_shift}


def period_rows(ctx: CostContext) -> list[CostRow]:
    return []


def period_emissions(ctx: CostContext) -> list[EmissionRow]:
    return []
