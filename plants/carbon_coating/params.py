"""Typed parameters of the carbon-coating line and of the finished-powder property relations."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from twin.params import ParamModel, Reliability, Unit

__all__ = ["CoatingEquipment", "CoatingKinetics", "CoatingParams", "PowderProperties"]

Pos = Field(gt=0)
NonNeg = Field(ge=0)


class CoatingKinetics(ParamModel):
    growth_nm_h_ref: Annotated[float, Pos, Unit("nm/h")]
    reference_temperature_c: Annotated[float, Field(ge=400, le=1200), Unit("degC")]
    reference_acetylene_fraction: Annotated[float, Field(gt=0, lt=1), Unit("mol/mol")]
    activation_j_mol: Annotated[float, Pos, Unit("J/mol")]
    carbon_utilization_max: Annotated[float, Field(gt=0, le=1), Unit("1")]
    shell_density_g_cm3: Annotated[float, Field(gt=1, lt=2.3), Unit("g/cm3")]
    min_protective_nm: Annotated[float, Pos, Unit("nm")]
    pore_mouth_access: Annotated[float, Field(ge=0, le=1), Unit("1")]
    crystallization_onset_c: Annotated[float, Field(ge=400, le=1200), Unit("degC")]
    crystallite_growth_nm2_h_ref: Annotated[float, NonNeg, Unit("nm2/h")]
    crystallite_growth_activation_j_mol: Annotated[float, NonNeg, Unit("J/mol")]
    sic_onset_c: Annotated[float, Field(ge=600, le=1500), Unit("degC")]
    sic_growth_1_h_ref: Annotated[float, NonNeg, Unit("1/h")]
    sic_growth_activation_j_mol: Annotated[float, NonNeg, Unit("J/mol")]


class CoatingEquipment(Reliability):
    reactor_count: Annotated[int, Field(ge=1, le=200), Unit("1")]
    max_charge_kg: Annotated[float, Pos, Unit("kg")]
    charge_h: Annotated[float, NonNeg, Unit("h")]
    heat_up_h: Annotated[float, NonNeg, Unit("h")]
    purge_h: Annotated[float, NonNeg, Unit("h")]
    cool_h: Annotated[float, NonNeg, Unit("h")]
    discharge_h: Annotated[float, NonNeg, Unit("h")]
    reactor_temperature_bias_sd_c: Annotated[float, NonNeg, Unit("degC")]
    batch_temperature_sd_c: Annotated[float, NonNeg, Unit("degC")]
    shell_uniformity_cv_fluidized: Annotated[float, Field(gt=0, lt=2), Unit("1")]
    shell_uniformity_cv_rotary: Annotated[float, Field(gt=0, lt=2), Unit("1")]
    shell_uniformity_batch_sd: Annotated[float, NonNeg, Unit("1")]


class PowderProperties(ParamModel):
    """Relations from composition and structure to the finished powder's properties."""

    si_capacity_mah_g: Annotated[float, Pos, Unit("mAh/g")]
    carbon_capacity_mah_g: Annotated[float, NonNeg, Unit("mAh/g")]
    shell_kinetic_loss_per_nm: Annotated[float, NonNeg, Unit("1/nm")]
    ice_intrinsic: Annotated[float, Field(gt=0.5, le=1), Unit("1")]
    ice_floor: Annotated[float, Field(ge=0, lt=0.9), Unit("1")]
    ice_loss_per_m2_g: Annotated[float, NonNeg, Unit("g/m2")]
    ice_loss_per_exposed_si: Annotated[float, NonNeg, Unit("1")]
    ice_loss_per_ln_nm: Annotated[float, NonNeg, Unit("1")]
    pore_sealing_nm: Annotated[float, Pos, Unit("nm")]
    si_volume_expansion: Annotated[float, Pos, Unit("1")]
    matrix_accommodation: Annotated[float, Field(ge=0, le=1), Unit("1")]
    h2_per_exposed_si_l_g: Annotated[float, Pos, Unit("L/g")]


class CoatingParams(ParamModel):
    kinetics: CoatingKinetics
    equipment: CoatingEquipment
    powder: PowderProperties
