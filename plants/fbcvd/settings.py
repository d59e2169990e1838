"""What a scenario sets on the FBCVD line (``settings.fbcvd``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from plants.common import Strict

__all__ = ["FbcvdSettings", "GasProgram"]


class GasProgram(Strict):
    """Linear ramp over the deposition: silane fraction falling, C2H4 ratio rising (gradient design)."""

    silane_fraction_end: Annotated[float, Field(gt=0, le=1)]
    c2h4_ratio_end: Annotated[float, Field(ge=0, le=5)]


class FbcvdSettings(Strict):
    bed_temperature_c: Annotated[float, Field(ge=300, le=750)]
    silane_fraction: Annotated[float, Field(gt=0, le=1)]
    total_gas_flow_nm3_h: Annotated[float, Field(gt=0, le=100000)]
    c2h4_ratio: Annotated[float, Field(ge=0, le=5, description="C2H4:SiH4 molar ratio (10:5 -> 0.5)")]
    deposition_time_h: Annotated[float, Field(gt=0, le=200)]
    batch_mass_kg: Annotated[float, Field(gt=0, description="scaffold charged per batch")]
    gas_program: GasProgram | None = None

    @model_validator(mode="after")
    def _gas_fits(self) -> FbcvdSettings:
        ends = [(self.silane_fraction, self.c2h4_ratio)]
        if self.gas_program is not None:
            ends.append((self.gas_program.silane_fraction_end, self.gas_program.c2h4_ratio_end))
        for y, r in ends:
            if y * (1.0 + r) > 1.0 + 1e-12:
                raise ValueError(
                    f"silane fraction {y:g} with C2H4:SiH4 ratio {r:g} needs {y * (1 + r):.3g} of the "
                    "feed gas; silane + ethylene cannot exceed 1"
                )
        return self

    @property
    def mean_silane_fraction(self) -> float:
        """Silane fraction averaged over the deposition (the mean of a linear gas program's ends)."""
        return (self.silane_fraction if self.gas_program is None
                else 0.5 * (self.silane_fraction + self.gas_program.silane_fraction_end))

    @property
    def mean_c2h4_ratio(self) -> float:
        return self.c2h4_ratio if self.gas_program is None else 0.5 * (self.c2h4_ratio + self.gas_program.c2h4_ratio_end)
