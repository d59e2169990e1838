"""Typed parameters of the slurry-casting line (mixing, coating + drying, calendering, slitting)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from twin.params import ParamModel, Reliability, Unit

__all__ = [
    "CastingEquipment",
    "CastingMaterials",
    "CastingParams",
    "ConductiveAdditive",
    "ConductiveAdditives",
    "CrackingParams",
    "DryerParams",
    "MixerEquipment",
]

Pos = Field(gt=0)
NonNeg = Field(ge=0)
Frac = Field(ge=0, lt=1)


class MixerEquipment(Reliability):
    mixers_per_line: Annotated[int, Field(ge=1, le=20), Unit("1")]
    max_batch_dry_kg: Annotated[float, Pos, Unit("kg")]
    charge_h: Annotated[float, NonNeg, Unit("h")]
    mix_h: Annotated[float, Pos, Unit("h")]
    discharge_h: Annotated[float, NonNeg, Unit("h")]
    slurry_tank_dry_kg: Annotated[float, Pos, Unit("kg")]


class CastingEquipment(Reliability):
    line_count: Annotated[int, Field(ge=1, le=50), Unit("1")]
    max_speed_m_min: Annotated[float, Pos, Unit("m/min")]
    max_web_width_m: Annotated[float, Pos, Unit("m")]
    edge_trim_m: Annotated[float, NonNeg, Unit("m")]
    roll_change_h: Annotated[float, NonNeg, Unit("h")]
    web_breaks_per_km: Annotated[float, NonNeg, Unit("1/km")]
    web_break_repair_h: Annotated[float, NonNeg, Unit("h")]
    web_break_scrap_m: Annotated[float, NonNeg, Unit("m")]
    changeover_every_km: Annotated[float, Pos, Unit("km")]
    changeover_h: Annotated[float, NonNeg, Unit("h")]
    changeover_scrap_m: Annotated[float, NonNeg, Unit("m")]
    coat_weight_cv_roll: Annotated[float, Frac, Unit("1")]
    coat_weight_cv_along: Annotated[float, Frac, Unit("1")]
    coat_weight_cv_across: Annotated[float, Frac, Unit("1")]
    coat_weight_tolerance: Annotated[float, Field(gt=0, lt=1), Unit("1")]
    press_density_sd_g_cm3: Annotated[float, NonNeg, Unit("g/cm3")]
    defects_per_1000_m2: Annotated[float, NonNeg, Unit("1/1000 m2")]
    electrode_buffer_rolls: Annotated[int, Field(ge=1, le=10000), Unit("roll")]


class DryerParams(ParamModel):
    length_m: Annotated[float, Pos, Unit("m")]
    evaporation_ref_kg_m2_h: Annotated[float, Pos, Unit("kg/m2/h")]
    air_temperature_ref_c: Annotated[float, Field(gt=20, le=250), Unit("degC")]
    wet_bulb_c: Annotated[float, Field(ge=0, le=60), Unit("degC")]
    air_flow_exponent: Annotated[float, Field(ge=0, le=2), Unit("1")]
    kwh_per_kg_water: Annotated[float, Field(ge=0.627, le=10), Unit("kWh/kg")]


class CrackingParams(ParamModel):
    """Critical cracking thickness (Singh & Tirumkudulu 2007 form) and its modifiers."""

    shear_modulus_pa: Annotated[float, Pos, Unit("Pa")]
    coordination_number: Annotated[float, Field(gt=0, le=12), Unit("1")]
    phi_rcp: Annotated[float, Field(gt=0.3, lt=0.75), Unit("1")]
    surface_tension_n_m: Annotated[float, Pos, Unit("N/m")]
    binder_toughening_per_wt: Annotated[float, NonNeg, Unit("1")]
    paa_binder_factor: Annotated[float, Pos, Unit("1")]
    drying_rate_exponent: Annotated[float, NonNeg, Unit("1")]
    drying_rate_ref_kg_m2_h: Annotated[float, Pos, Unit("kg/m2/h")]
    solids_exponent: Annotated[float, NonNeg, Unit("1")]
    solids_ref_wt: Annotated[float, Field(gt=0, lt=1), Unit("1")]
    log_width: Annotated[float, Field(gt=0, le=2), Unit("1")]
    dried_porosity: Annotated[float, Field(gt=0.1, lt=0.9), Unit("1")]


class CastingMaterials(ParamModel):
    graphite_capacity_mah_g: Annotated[float, Pos, Unit("mAh/g")]
    graphite_ice: Annotated[float, Field(gt=0.5, le=1), Unit("1")]
    graphite_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    sic_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    binder_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    conductive_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    min_porosity: Annotated[float, Field(gt=0, lt=0.6), Unit("1")]


class ConductiveAdditive(ParamModel):
    """Electronic network an additive builds: the loading at which it reaches 1 - 1/e of its effect."""

    characteristic_wt: Annotated[float, Field(gt=0, lt=0.2), Unit("1")]


class ConductiveAdditives(ParamModel):
    utilization_without: Annotated[float, Field(gt=0, le=1), Unit("1")]
    swcnt: ConductiveAdditive
    carbon_black: ConductiveAdditive


class CastingParams(ParamModel):
    mixer: MixerEquipment
    equipment: CastingEquipment
    dryer: DryerParams
    cracking: CrackingParams
    materials: CastingMaterials
    conductive: ConductiveAdditives
