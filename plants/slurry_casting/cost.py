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

from twin.costing import scaled

__all__ = ["coating_drying_capex_usd", "design_area_m2_per_yr", "mix_materials_usd"]

F = Any


def mix_materials_usd(graphite_kg: F, binder_kg: F, conductive_kg: F, water_kg: F, graphite_usd_kg: F,
                      binder_usd_kg: F, conductive_usd_kg: F, water_usd_t: F) -> F:
    return graphite_kg * graphite_usd_kg + binder_kg * binder_usd_kg + conductive_kg * conductive_usd_kg + water_kg * water_usd_t / 1000.0


def design_area_m2_per_yr(lines: F, speed_m_min: F, width_m: F) -> F:
    return lines * speed_m_min * 60.0 * width_m * 8760.0


def coating_drying_capex_usd(capex0: F, area_m2_yr: F, base_area_m2_yr: F, exponent: F, water_kg_m2: F,
                             base_water_kg_m2: F, solvent_exponent: F) -> F:
    return scaled(capex0, area_m2_yr, base_area_m2_yr, exponent) * (water_kg_m2 / base_water_kg_m2) ** solvent_exponent
