"""Consumption and capital of the electrode line. Pure functions (floats or numpy arrays).

* Materials of a mix batch: graphite, binder (CMC/SBR or PAA) and conductive additive (SWCNT or
  carbon black) at their prices; water; Cu foil by web area (the whole coated web, scrap included).
* Capital of a BatPaC step: X0 (R/R0)^p with R the step's design rate; the coating/drying step
  also scales with the water evaporated per m2 against BatPaC's baseline to the power 0.2
  (process-data 4.1).
* Design rate of the line: lines x speed x coated width x 60 min/h x 8760 h/yr (m2 of web a year).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.common import CostContext, EmissionRow, column
from plants.lines import LotKind
from plants.slurry_casting.settings import Binder, Conductive
from twin.costing import CapitalRow, CostRow, scaled, scaled_row
from twin.units import HOURS_PER_YEAR

__all__ = [
    "DIRECT",
    "EMITS",
    "capital_rows",
    "coating_drying_capex_usd",
    "crews",
    "design_area_m2_per_yr",
    "design_rates",
    "mix_materials_usd",
    "period_emissions",
    "period_rows",
]

F = Any


def mix_materials_usd(graphite_kg: F, binder_kg: F, conductive_kg: F, water_kg: F, graphite_usd_kg: F,
                      binder_usd_kg: F, conductive_usd_kg: F, water_usd_t: F) -> F:
    return (graphite_kg * graphite_usd_kg + binder_kg * binder_usd_kg + conductive_kg * conductive_usd_kg
            + water_kg * water_usd_t / 1000.0)


def design_area_m2_per_yr(lines: F, speed_m_min: F, width_m: F) -> F:
    return lines * speed_m_min * 60.0 * width_m * HOURS_PER_YEAR


def coating_drying_capex_usd(capex0: F, area_m2_yr: F, base_area_m2_yr: F, exponent: F, water_kg_m2: F,
                             base_water_kg_m2: F, solvent_exponent: F) -> F:
    return scaled(capex0, area_m2_yr, base_area_m2_yr, exponent) * (water_kg_m2 / base_water_kg_m2) ** solvent_exponent


# ----------------------------------------------------------------------------- the line's share of the plant's costs
def _hours(lots: pd.DataFrame, horizon_h: float) -> pd.Series:
    end = lots["end_h"].fillna(horizon_h).clip(upper=horizon_h)
    return (end - lots["start_h"]).clip(lower=0.0)


def _mix_direct(mx: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A mix batch's graphite, binder, conductive additive and water, and the mixer's power."""
    c, e = ctx.settings.casting, ctx.params.economics
    pr, en = e.prices, e.energy
    binder = pr.paa_usd_per_kg if c.binder is Binder.PAA else pr.cmc_sbr_usd_per_kg
    cond = pr.swcnt_usd_per_kg if c.conductive is Conductive.SWCNT else pr.carbon_black_usd_per_kg
    materials = mix_materials_usd(column(mx, "graphite_kg"), column(mx, "binder_kg"), column(mx, "conductive_kg"),
                                  column(mx, "water_kg"), e.cny(pr.graphite_cny_per_t) / 1000.0, binder, cond, pr.water_usd_per_t)
    m = ctx.params.casting.mixer
    return pd.DataFrame({"materials_usd": materials,
                         "utilities_usd": en.mixer_kw * (m.charge_h + m.mix_h + m.discharge_h) * pr.electricity_usd_per_kwh},
                        index=mx.index)


def _roll_direct(ro: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A mother roll's Cu foil (the whole coated web) and its dryer and line power."""
    e = ctx.params.economics
    pr, en = e.prices, e.energy
    return pd.DataFrame({"materials_usd": column(ro, "coated_area_m2") * pr.cu_foil_usd_per_m2,
                         "utilities_usd": (column(ro, "dryer_energy_kwh") + en.casting_line_kw * _hours(ro, ctx.horizon_h))
                         * pr.electricity_usd_per_kwh}, index=ro.index)


def _mix_emits(mx: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    c, f, en = ctx.settings.casting, ctx.params.emissions, ctx.params.economics.energy
    binder = f.paa_kg_per_kg if c.binder is Binder.PAA else f.cmc_sbr_kg_per_kg
    cond = f.swcnt_kg_per_kg if c.conductive is Conductive.SWCNT else f.carbon_black_kg_per_kg
    materials = mix_materials_usd(column(mx, "graphite_kg"), column(mx, "binder_kg"), column(mx, "conductive_kg"),
                                  column(mx, "water_kg"), f.graphite_kg_per_kg, binder, cond, f.water_kg_per_t)
    m = ctx.params.casting.mixer
    kwh = pd.Series(en.mixer_kw * (m.charge_h + m.mix_h + m.discharge_h), index=mx.index)
    return pd.DataFrame({"materials_kg": materials, "electricity_kg": kwh * f.grid_kg_per_kwh, "electricity_kwh": kwh},
                        index=mx.index)


def _roll_emits(ro: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    f, en = ctx.params.emissions, ctx.params.economics.energy
    kwh = column(ro, "dryer_energy_kwh") + en.casting_line_kw * _hours(ro, ctx.horizon_h)
    return pd.DataFrame({"materials_kg": column(ro, "coated_area_m2") * f.cu_foil_kg_per_m2,
                         "electricity_kg": kwh * f.grid_kg_per_kwh, "electricity_kwh": kwh}, index=ro.index)


DIRECT = {LotKind.MIX: _mix_direct, LotKind.ROLL: _roll_direct}
EMITS = {LotKind.MIX: _mix_emits, LotKind.ROLL: _roll_emits}


def design_rates(ctx: CostContext) -> dict[str, float]:
    c, eq = ctx.settings.casting, ctx.params.casting.equipment
    return {"casting.area_m2_per_yr": design_area_m2_per_yr(eq.line_count, min(c.line_speed_m_min, eq.max_speed_m_min),
                                                            c.coated_width_m)}


def capital_rows(ctx: CostContext) -> list[CapitalRow]:
    c, cap = ctx.settings.casting, ctx.params.economics.capital
    area_yr = ctx.design["casting.area_m2_per_yr"]
    active_kg_yr = area_yr * c.sides * c.coat_weight_mg_cm2 * 10.0 / 1000.0 * c.active_wt  # mg/cm2 x 10 = g/m2
    rows = [scaled_row("mixing", "mixing", cap.mixing, active_kg_yr, "design anode active material kg/yr")]
    water_kg_m2 = c.sides * c.coat_weight_mg_cm2 * 10.0 / 1000.0 * (1.0 / c.solids_wt - 1.0)
    cd = cap.coating_drying
    rows.append(CapitalRow("casting", "coating + drying",
                           coating_drying_capex_usd(cd.capex_usd, area_yr, cd.base_rate, cd.capex_exponent, water_kg_m2,
                                                    cap.base_water_kg_per_m2, cap.coating_solvent_exponent),
                           scaled(cd.area_m2, area_yr, cd.base_rate, cd.area_exponent),
                           f"BatPaC X0 (R/R0)^p x (water/m2 / base)^{cap.coating_solvent_exponent:g}, R = {area_yr:.4g} m2/yr"))
    for step, sp in (("calendering", cap.calendering), ("slitting", cap.slitting), ("vacuum drying", cap.vacuum_drying),
                     ("material handling", cap.material_handling)):
        rows.append(scaled_row("casting", step, sp, area_yr, "design electrode m2/yr"))
    return rows


def crews(ctx: CostContext) -> dict[str, float]:
    ca = ctx.params.casting
    return {"mixing": ca.mixer.operators_per_shift * ca.equipment.line_count,
            "casting": ca.equipment.operators_per_shift * ca.equipment.line_count}


def period_rows(ctx: CostContext) -> list[CostRow]:
    return []


def period_emissions(ctx: CostContext) -> list[EmissionRow]:
    return []
