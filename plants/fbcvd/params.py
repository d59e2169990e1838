"""Typed parameters of the fluidized-bed CVD line (values and sources live in the parameter set)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from twin.params import ParamModel, Reliability, Unit

__all__ = ["FbcvdEquipment", "FbcvdKinetics", "FbcvdParams", "ScaffoldSupply", "SilaneSupply"]

Pos = Field(gt=0)
NonNeg = Field(ge=0)
Frac = Field(gt=0, lt=1)


class FbcvdKinetics(ParamModel):
    """Rate constants and bed/scaffold constants used by :mod:`plants.fbcvd.physics`."""

    het_prefactor_cm_s: Annotated[float, Pos, Unit("cm/s")]
    het_activation_temperature_k: Annotated[float, Pos, Unit("K")]
    hydrogen_inhibition_1_kpa: Annotated[float, NonNeg, Unit("1/kPa")]
    silane_inhibition_prefactor_1_kpa: Annotated[float, NonNeg, Unit("1/kPa")]
    silane_inhibition_temperature_k: Annotated[float, NonNeg, Unit("K")]
    hom_prefactor_1_s: Annotated[float, Pos, Unit("1/s")]
    hom_activation_temperature_k: Annotated[float, Pos, Unit("K")]
    gas_diffusivity_prefactor_cm2_s: Annotated[float, Pos, Unit("cm2/s/K^1.5")]
    nucleation_fraction_half: Annotated[float, Frac, Unit("mol/mol")]
    nucleation_order: Annotated[float, Field(gt=0, le=10), Unit("1")]
    pore_diameter_nm: Annotated[float, Field(gt=0.3, le=100), Unit("nm")]
    pore_porosity_over_tortuosity: Annotated[float, Field(gt=0, le=1), Unit("1")]
    carbon_skeletal_density_g_cm3: Annotated[float, Field(gt=1, lt=2.5), Unit("g/cm3")]
    si_density_g_cm3: Annotated[float, Field(gt=2, lt=2.5), Unit("g/cm3")]
    bed_bulk_density_kg_m3: Annotated[float, Field(gt=50, lt=2000), Unit("kg/m3")]
    bed_voidage: Annotated[float, Frac, Unit("1")]
    bubble_diameter_cm: Annotated[float, Field(gt=0.1, le=100), Unit("cm")]
    bubble_fraction: Annotated[float, Frac, Unit("1")]
    umf_cm_s: Annotated[float, Pos, Unit("cm/s")]
    crystallite_nm_at_ratio_0: Annotated[float, Pos, Unit("nm")]
    crystallite_nm_at_ratio_half: Annotated[float, Pos, Unit("nm")]
    crystallite_min_nm: Annotated[float, Field(gt=0.2, lt=5), Unit("nm")]
    crystallite_reference_temperature_c: Annotated[float, Field(ge=300, le=800), Unit("degC")]
    crystallite_growth_activation_j_mol: Annotated[float, NonNeg, Unit("J/mol")]
    sic_per_ratio: Annotated[float, NonNeg, Unit("1")]
    sic_activation_j_mol: Annotated[float, NonNeg, Unit("J/mol")]
    sic_c2h4_max: Annotated[float, Field(gt=0, le=1), Unit("mol/mol")]
    sic_thermal_max: Annotated[float, Field(ge=0, le=1), Unit("mol/mol")]
    sic_thermal_onset_c: Annotated[float, Field(ge=300, le=1500), Unit("degC")]
    sic_thermal_width_c: Annotated[float, Pos, Unit("degC")]

    @model_validator(mode="after")
    def _ordered(self) -> FbcvdKinetics:
        if self.crystallite_nm_at_ratio_half <= self.crystallite_min_nm:
            raise ValueError("crystallite_nm_at_ratio_half must be above crystallite_min_nm (the floor)")
        if self.crystallite_nm_at_ratio_half >= self.crystallite_nm_at_ratio_0:
            raise ValueError(
                "crystallite_nm_at_ratio_half must be below crystallite_nm_at_ratio_0 "
                "(C2H4 inhibits Si growth)"
            )
        return self


class FbcvdEquipment(Reliability):
    reactor_count: Annotated[int, Field(ge=1, le=200), Unit("1")]
    max_charge_kg: Annotated[float, Pos, Unit("kg")]
    charge_h: Annotated[float, NonNeg, Unit("h")]
    heat_up_h: Annotated[float, NonNeg, Unit("h")]
    purge_h: Annotated[float, NonNeg, Unit("h")]
    cool_h: Annotated[float, NonNeg, Unit("h")]
    discharge_h: Annotated[float, NonNeg, Unit("h")]
    reactor_temperature_bias_sd_c: Annotated[float, NonNeg, Unit("degC")]
    batch_temperature_sd_c: Annotated[float, NonNeg, Unit("degC")]


class ScaffoldSupply(ParamModel):
    lot_mass_kg: Annotated[float, Pos, Unit("kg")]
    pore_volume_mean_cm3_g: Annotated[float, Field(gt=0.1, le=2.0), Unit("cm3/g")]
    pore_volume_sd_cm3_g: Annotated[float, NonNeg, Unit("cm3/g")]
    particle_size_mean_um: Annotated[float, Field(gt=0.5, le=100), Unit("um")]
    particle_size_sd_um: Annotated[float, NonNeg, Unit("um")]
    surface_area_mean_m2_g: Annotated[float, Field(gt=10, le=3500), Unit("m2/g")]
    surface_area_sd_m2_g: Annotated[float, NonNeg, Unit("m2/g")]


class SilaneSupply(ParamModel):
    tank_capacity_kg: Annotated[float, Pos, Unit("kg")]
    initial_level_kg: Annotated[float, NonNeg, Unit("kg")]
    reorder_point_kg: Annotated[float, NonNeg, Unit("kg")]
    delivery_kg: Annotated[float, Pos, Unit("kg")]
    lead_time_median_h: Annotated[float, Pos, Unit("h")]
    lead_time_sigma: Annotated[float, Field(ge=0, le=3), Unit("1")]

    @model_validator(mode="after")
    def _fits(self) -> SilaneSupply:
        if self.initial_level_kg > self.tank_capacity_kg:
            raise ValueError("initial_level_kg exceeds tank_capacity_kg")
        if self.delivery_kg > self.tank_capacity_kg:
            raise ValueError("delivery_kg exceeds tank_capacity_kg: a delivery could never be unloaded")
        if self.reorder_point_kg + self.delivery_kg > self.tank_capacity_kg:
            raise ValueError(
                "reorder_point_kg + delivery_kg exceeds tank_capacity_kg: a delivery ordered at the "
                "reorder point would not fit"
            )
        return self


class FbcvdParams(ParamModel):
    kinetics: FbcvdKinetics
    equipment: FbcvdEquipment
    scaffold: ScaffoldSupply
    silane: SilaneSupply
