"""What a scenario sets on the carbon-coating line (``settings.coating``) and the powder's spec limits."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import Field

from plants.common import Limits, SpecGroup, Strict

__all__ = ["BedType", "CoatingMode", "CoatingSettings", "PowderSpecs"]


class CoatingMode(str, Enum):
    BATCH = "batch"  # heat up and cool down every batch
    CONTINUOUS = "continuous"  # reactor stays hot: charge, coat, discharge


class BedType(str, Enum):
    FLUIDIZED = "fluidized"
    ROTARY = "rotary"


class CoatingSettings(Strict):
    mode: CoatingMode = CoatingMode.BATCH
    bed: BedType = BedType.FLUIDIZED
    temperature_c: Annotated[float, Field(ge=400, le=1200)]
    acetylene_fraction: Annotated[float, Field(gt=0, le=1)]
    total_gas_flow_nm3_h: Annotated[float, Field(gt=0, le=100000)]
    time_h: Annotated[float, Field(gt=0, le=200)]
    cvd_lots_per_batch: Annotated[int, Field(ge=1, le=50)] = 1


class PowderSpecs(SpecGroup):
    """Release limits of a powder lot (tested by the QC lab)."""

    si_content_wt: Limits | None = None
    capacity_mah_g: Limits | None = None
    ice: Limits | None = None
    exposed_si_fraction: Limits | None = None
