"""Lithium and dry-room costs of prelithiation. Pure functions (floats or numpy arrays).

* Li bought = Li drawn from the supply; its price is the metal index times the route's premium
  for the form it comes in (foil, transferred thin layer, chemical reagent).
* Dry-room air handling: ANL's ~400 kW for a 16 000 m3 room (process-data 5) scaled by the room
  volume, and raised by a share per degC the room is kept drier than the reference dew point.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants import _num as nm
from plants.common import CostContext, EmissionRow, column
from plants.economics import EnergyParams
from plants.lines import LotKind
from plants.prelithiation.settings import PrelithRoute
from twin.costing import CapitalRow, CostRow, scaled_row

__all__ = [
    "DIRECT", "EMITS", "capital_rows", "crews", "design_rates", "dry_room_kw", "lithium_usd", "period_emissions",
    "period_rows",
]

F = Any


def lithium_usd(li_kg: F, metal_usd_per_kg: F, premium: F) -> F:
    return li_kg * metal_usd_per_kg * premium


def dry_room_kw(floor_m2: F, dew_point_c: F, e: EnergyParams) -> F:
    drier = nm.maximum(e.dry_room_dew_point_ref_c - dew_point_c, 0.0)
    return floor_m2 * e.dry_room_height_m * e.dry_room_kw_per_m3 * (1.0 + e.dry_room_energy_per_degc * drier)


# ----------------------------------------------------------------------------- the line's share of the plant's costs
def _prelith_direct(pl: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    """A prelithiated roll's lithium (metal price x the route's premium) and the line's power."""
    s, e = ctx.settings.prelith, ctx.params.economics
    pr, en = e.prices, e.energy
    premium = {PrelithRoute.LI_FOIL: pr.li_foil_premium, PrelithRoute.THIN_LAYER: pr.li_thin_layer_premium,
               PrelithRoute.CHEMICAL: pr.li_chemical_premium}[s.route]
    end = pl["end_h"].fillna(ctx.horizon_h).clip(upper=ctx.horizon_h)
    hours = (end - pl["start_h"]).clip(lower=0.0)
    return pd.DataFrame({"materials_usd": lithium_usd(column(pl, "li_applied_kg"), e.cny(pr.lithium_cny_per_t) / 1000.0, premium),
                         "utilities_usd": en.prelith_line_kw * hours * pr.electricity_usd_per_kwh}, index=pl.index)


def _prelith_emits(pl: pd.DataFrame, ctx: CostContext) -> pd.DataFrame:
    f, en = ctx.params.emissions, ctx.params.economics.energy
    end = pl["end_h"].fillna(ctx.horizon_h).clip(upper=ctx.horizon_h)
    kwh = en.prelith_line_kw * (end - pl["start_h"]).clip(lower=0.0)
    return pd.DataFrame({"materials_kg": column(pl, "li_applied_kg") * f.lithium_kg_per_kg,
                         "electricity_kg": kwh * f.grid_kg_per_kwh, "electricity_kwh": kwh}, index=pl.index)


DIRECT = {LotKind.PRELITH_ROLL: _prelith_direct}
EMITS = {LotKind.PRELITH_ROLL: _prelith_emits}


def design_rates(ctx: CostContext) -> dict[str, float]:
    return {}


def _floor_m2(ctx: CostContext) -> float:
    return float(ctx.params.prelith.equipment.line_count * ctx.params.economics.capital.prelith_line.area_m2)


def capital_rows(ctx: CostContext) -> list[CapitalRow]:
    cap, n_p = ctx.params.economics.capital, ctx.params.prelith.equipment.line_count
    floor = n_p * cap.prelith_line.area_m2
    return [CapitalRow("prelith", "lines", n_p * cap.prelith_line.capex_usd, floor, f"{n_p} lines x capex"),
            scaled_row("prelith", "dry room", cap.dry_room, floor, "dry-room floor m2")]


def crews(ctx: CostContext) -> dict[str, float]:
    eq = ctx.params.prelith.equipment
    return {"prelith": eq.operators_per_shift * eq.line_count}


def _dry_room_kwh(ctx: CostContext) -> tuple[float, float]:
    """The dry room's air handling: power (kW) and energy over the period (kWh)."""
    kw = dry_room_kw(_floor_m2(ctx), ctx.settings.prelith.dew_point_c, ctx.params.economics.energy)
    return kw, kw * ctx.horizon_h


def period_emissions(ctx: CostContext) -> list[EmissionRow]:
    kw, kwh = _dry_room_kwh(ctx)
    g = ctx.params.emissions.grid_kg_per_kwh
    return [EmissionRow("prelith", "dry room", "electricity", "air handling", kwh * g, kwh,
                        f"{kw:.4g} kW x {ctx.horizon_h:g} h x {g:g} kg CO2e/kWh")]


def period_rows(ctx: CostContext) -> list[CostRow]:
    """The dry room's air handling runs the whole period, whatever the line does."""
    e, h = ctx.params.economics, ctx.horizon_h
    kw = dry_room_kw(_floor_m2(ctx), ctx.settings.prelith.dew_point_c, e.energy)
    return [CostRow("prelith", "dry room", "utilities", "air handling", kw * h * e.prices.electricity_usd_per_kwh,
                    f"{kw:.4g} kW x {h:g} h x electricity price")]
