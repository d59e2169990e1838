"""Typed economic parameters: currency and cost year, prices, capital per step, energy data.

Prices quoted in CNY stay in CNY in the parameter set (as the sources give them) and are turned
into the cost currency with ``cny_per_usd``, an input like any other: a scenario overrides it with
``overrides: {economics: {cny_per_usd: 7.3}}`` or ``--set overrides.economics.cny_per_usd=7.3``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from plants import _num as nm
from twin.costing import OverheadParams
from twin.params import ParamModel, Unit

__all__ = [
    "CapitalParams", "EconomicsParams", "EmissionFactors", "EnergyParams", "InvestmentParams", "Prices", "ScaledStep", "UnitStep",
    "batch_heat_kwh",
]

NonNeg = Field(ge=0)
Pos = Field(gt=0)


class Prices(ParamModel):
    scaffold_carbon_cny_per_t: Annotated[float, NonNeg, Unit("CNY/t")]
    silane_cny_per_t: Annotated[float, NonNeg, Unit("CNY/t")]
    ethylene_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    acetylene_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    nitrogen_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    hydrogen_credit_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    graphite_cny_per_t: Annotated[float, NonNeg, Unit("CNY/t")]
    cmc_sbr_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    paa_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    swcnt_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    carbon_black_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    cu_foil_usd_per_m2: Annotated[float, NonNeg, Unit("USD/m2")]
    water_usd_per_t: Annotated[float, NonNeg, Unit("USD/t")]
    lithium_cny_per_t: Annotated[float, NonNeg, Unit("CNY/t")]
    li_foil_premium: Annotated[float, Field(ge=1, le=20), Unit("1")]
    li_thin_layer_premium: Annotated[float, Field(ge=1, le=20), Unit("1")]
    li_chemical_premium: Annotated[float, Field(ge=1, le=20), Unit("1")]
    electricity_usd_per_kwh: Annotated[float, NonNeg, Unit("USD/kWh")]
    labour_usd_per_h: Annotated[float, NonNeg, Unit("USD/h")]


class UnitStep(ParamModel):
    """Equipment bought per unit (a reactor, a line, a test station) with its floor area."""

    capex_usd: Annotated[float, NonNeg, Unit("USD")]
    area_m2: Annotated[float, NonNeg, Unit("m2")]


class ScaledStep(ParamModel):
    """A BatPaC step: capital and area scale with the step's rate driver as X0 (R/R0)^p."""

    capex_usd: Annotated[float, NonNeg, Unit("USD")]
    capex_exponent: Annotated[float, Field(ge=0, le=1.5), Unit("1")]
    area_m2: Annotated[float, NonNeg, Unit("m2")]
    area_exponent: Annotated[float, Field(ge=0, le=1.5), Unit("1")]
    base_rate: Annotated[float, Pos, Unit("driver/yr")]


class CapitalParams(ParamModel):
    fbcvd_reactor: UnitStep
    silane_handling: ScaledStep  # driver: silane kg/yr
    coating_reactor: UnitStep
    powder_handling: ScaledStep  # driver: powder kg/yr
    qc_station: UnitStep
    mixing: ScaledStep  # driver: anode active material kg/yr (BatPaC)
    coating_drying: ScaledStep  # driver: electrode m2/yr (BatPaC)
    coating_solvent_exponent: Annotated[float, Field(ge=0, le=1), Unit("1")]
    base_water_kg_per_m2: Annotated[float, Pos, Unit("kg/m2")]
    calendering: ScaledStep
    slitting: ScaledStep
    vacuum_drying: ScaledStep
    material_handling: ScaledStep
    prelith_line: UnitStep
    dry_room: ScaledStep  # driver: dry-room floor area m2


class EnergyParams(ParamModel):
    reactor_heat_capacity_kj_k: Annotated[float, NonNeg, Unit("kJ/K")]
    reactor_heat_loss_kw_k: Annotated[float, NonNeg, Unit("kW/K")]
    carbon_cp_kj_kg_k: Annotated[float, Pos, Unit("kJ/kg/K")]
    gas_cp_kj_nm3_k: Annotated[float, Pos, Unit("kJ/Nm3/K")]
    heater_efficiency: Annotated[float, Field(gt=0, le=1), Unit("1")]
    silane_reaction_heat_kwh_per_kg_si: Annotated[float, NonNeg, Unit("kWh/kg")]
    mixer_kw: Annotated[float, NonNeg, Unit("kW")]
    casting_line_kw: Annotated[float, NonNeg, Unit("kW")]
    prelith_line_kw: Annotated[float, NonNeg, Unit("kW")]
    dry_room_kw_per_m3: Annotated[float, NonNeg, Unit("kW/m3")]
    dry_room_height_m: Annotated[float, Pos, Unit("m")]
    dry_room_dew_point_ref_c: Annotated[float, Field(ge=-80, le=0), Unit("degC")]
    dry_room_energy_per_degc: Annotated[float, Field(ge=0, le=0.5), Unit("1/degC")]


class EmissionFactors(ParamModel):
    """Cradle-to-gate greenhouse-gas factors (kg CO2e) of what the plant buys, of its electricity and
    of burning what it vents. A location is a grid factor: a coal-heavy grid and a hydro grid are two
    values of ``grid_kg_per_kwh``."""

    grid: str = ""  # what the grid factor stands for (a label, e.g. "CN national average 2022")
    grid_kg_per_kwh: Annotated[float, NonNeg, Unit("kg/kWh")]
    scaffold_carbon_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    silane_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    ethylene_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    acetylene_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    nitrogen_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    graphite_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    cmc_sbr_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    paa_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    swcnt_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    carbon_black_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    water_kg_per_t: Annotated[float, NonNeg, Unit("kg/t")]
    cu_foil_kg_per_m2: Annotated[float, NonNeg, Unit("kg/m2")]
    lithium_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    flare_ethylene_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]
    flare_acetylene_kg_per_kg: Annotated[float, NonNeg, Unit("kg/kg")]


class InvestmentParams(ParamModel):
    """The investment case of the powder plant (FBCVD, coating, QC): a cash flow over its life."""

    construction_years: Annotated[int, Field(ge=1, le=10), Unit("yr")]
    construction_first_year_share: Annotated[float, Field(gt=0, le=1), Unit("1")]  # of capex; the rest evenly after
    ramp_up_first_year: Annotated[float, Field(ge=0, le=1), Unit("1")]  # capacity share in operating year 1
    ramp_up_second_year: Annotated[float, Field(ge=0, le=1), Unit("1")]
    plant_life_yr: Annotated[int, Field(ge=1, le=60), Unit("yr")]
    powder_price_usd_per_kg: Annotated[float, NonNeg, Unit("USD/kg")]
    price_escalation_per_yr: Annotated[float, Field(gt=-1, lt=1), Unit("1/yr")]
    tax_rate: Annotated[float, Field(ge=0, le=1), Unit("1")]
    tax_depreciation_yr: Annotated[int, Field(ge=1, le=60), Unit("yr")]
    salvage_share: Annotated[float, Field(ge=0, le=1), Unit("1")]
    working_capital_share_of_revenue: Annotated[float, Field(ge=0, le=1), Unit("1")]
    discount_rate: Annotated[float, Field(gt=-1, lt=1), Unit("1/yr")]


class EconomicsParams(ParamModel):
    currency: str = "USD"
    cost_year: int = 2025
    cny_per_usd: Annotated[float, Field(gt=0), Unit("CNY/USD")]
    prices: Prices
    overheads: OverheadParams
    capital: CapitalParams
    energy: EnergyParams
    investment: InvestmentParams

    def cny(self, value_cny: float) -> float:
        """A CNY amount in the cost currency (USD)."""
        return value_cny / self.cny_per_usd


# The heat balance of a heated bed (the CVD reactor and the coater share it).
AMBIENT_C = 25.0


def batch_heat_kwh(bed_kg: Any, temperature_c: Any, hot_h: Any, gas_nm3: Any, reaction_si_kg: Any, e: EnergyParams) -> Any:
    """Electric energy to heat one batch, hold it at temperature and heat its gas (kWh)."""
    dt = temperature_c - AMBIENT_C
    heat_up = (e.reactor_heat_capacity_kj_k + bed_kg * e.carbon_cp_kj_kg_k) * dt / 3600.0
    losses = e.reactor_heat_loss_kw_k * dt * hot_h
    gas = gas_nm3 * e.gas_cp_kj_nm3_k * dt / 3600.0
    net = heat_up + losses + gas - reaction_si_kg * e.silane_reaction_heat_kwh_per_kg_si
    return nm.maximum(net, 0.0) / e.heater_efficiency
