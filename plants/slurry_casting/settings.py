"""What a scenario sets on the slurry-casting line (``settings.casting``) and the electrode's spec limits."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from plants.common import Limits, SpecGroup, Strict

__all__ = ["Binder", "CastingSettings", "Conductive", "ElectrodeSpecs"]


class Binder(str, Enum):
    CMC_SBR = "cmc_sbr"
    PAA = "paa"


class Conductive(str, Enum):
    SWCNT = "swcnt"
    CARBON_BLACK = "carbon_black"


class CastingSettings(Strict):
    sic_share_of_active: Annotated[float, Field(gt=0, le=1, description="Si/C powder share of the active blend (rest graphite)")]
    binder: Binder = Binder.CMC_SBR
    binder_wt: Annotated[float, Field(gt=0, le=0.2, description="binder share of the dry electrode")]
    conductive: Conductive = Conductive.SWCNT
    conductive_wt: Annotated[float, Field(ge=0, le=0.1)]
    solids_wt: Annotated[float, Field(gt=0.2, lt=0.8, description="solids mass fraction of the slurry")]
    mix_batch_dry_kg: Annotated[float, Field(gt=0)]
    coat_weight_mg_cm2: Annotated[float, Field(gt=0, le=40, description="dry coat weight per side")]
    sides: Annotated[int, Field(ge=1, le=2)] = 2
    line_speed_m_min: Annotated[float, Field(gt=0, le=300)]
    coated_width_m: Annotated[float, Field(gt=0, le=3)]
    dryer_air_temperature_c: Annotated[float, Field(ge=30, le=200)]
    dryer_air_flow_rel: Annotated[float, Field(gt=0, le=3, description="air flow relative to the dryer's design flow")]
    press_density_g_cm3: Annotated[float, Field(gt=0.5, lt=2.5)]
    roll_length_m: Annotated[float, Field(gt=10, le=20000)]
    lanes: Annotated[int, Field(ge=1, le=20)] = 4

    @model_validator(mode="after")
    def _dry_blend(self) -> CastingSettings:
        if self.binder_wt + self.conductive_wt >= 0.5:
            raise ValueError(f"binder_wt + conductive_wt = {self.binder_wt + self.conductive_wt:g} leaves too little "
                             "active material (must be < 0.5)")
        return self

    @property
    def active_wt(self) -> float:
        return 1.0 - self.binder_wt - self.conductive_wt


class ElectrodeSpecs(SpecGroup):
    areal_capacity_mah_cm2: Limits | None = None
    press_density_g_cm3: Limits | None = None
    electrode_swelling_pct: Limits | None = None
    rate_retention: Limits | None = None
