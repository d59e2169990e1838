"""What a scenario sets on the prelithiation line (``settings.prelith``) and its spec limits."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from plants.common import Limits, SpecGroup, Strict

__all__ = ["PrelithRoute", "PrelithSettings", "PrelithSpecs"]


class PrelithRoute(str, Enum):
    LI_FOIL = "li_foil"
    THIN_LAYER = "thin_layer"
    CHEMICAL = "chemical"


class PrelithSettings(Strict):
    route: PrelithRoute
    li_dose_um: Annotated[float, Field(gt=0, le=50, description="Li laid down per coated side, um")] | None = None
    li_dose_fraction_of_loss: Annotated[float, Field(gt=0, le=3,
                                                     description="dose over the expected first-cycle loss")] | None = None
    contact_time_min: Annotated[float, Field(gt=0, le=600)]
    pressure_mpa: Annotated[float, Field(gt=0, le=100)]
    line_speed_m_min: Annotated[float, Field(gt=0, le=300)]
    dew_point_c: Annotated[float, Field(ge=-80, le=0)]

    @model_validator(mode="after")
    def _one_dose(self) -> PrelithSettings:
        if (self.li_dose_um is None) == (self.li_dose_fraction_of_loss is None):
            raise ValueError("give exactly one of li_dose_um and li_dose_fraction_of_loss")
        return self


class PrelithSpecs(SpecGroup):
    ice: Limits | None = None
    cycle_life_cycles: Limits | None = None
