"""What the line packages share, so that they never import each other: molar masses and gas
densities, the frozen schema base of settings, spec limits, and material constants handed from
one line to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd
from pydantic import model_validator

from twin.params import StrictModel
from twin.units import MOLAR_VOLUME_NM3_KMOL, R_J_MOL_K

__all__ = [
    "MOLAR_VOLUME_L_MOL",
    "MOLAR_VOLUME_NM3_KMOL",
    "M_C2H2_G_MOL",
    "M_C2H4_G_MOL",
    "M_C_G_MOL",
    "M_H2_G_MOL",
    "M_H_G_MOL",
    "M_SIH4_G_MOL",
    "M_SI_G_MOL",
    "N2_KG_PER_NM3",
    "R_J_MOL_K",
    "SIH4_KG_PER_NM3",
    "CostContext",
    "Limits",
    "Materials",
    "SpecGroup",
    "Strict",
    "column",
    "mean_or_nan",
]

# Standard atomic weights (IUPAC 2021, abridged to 5 significant figures); molecules are built from
# the atoms so that every reaction the twin books (SiH4 -> Si + 2 H2, C2H4 -> 2 C + 2 H2,
# C2H2 -> 2 C + H2) conserves mass to round-off.
M_SI_G_MOL = 28.086
M_H_G_MOL = 1.008
M_C_G_MOL = 12.011
M_SIH4_G_MOL = M_SI_G_MOL + 4 * M_H_G_MOL  # 32.118
M_C2H4_G_MOL = 2 * M_C_G_MOL + 4 * M_H_G_MOL  # 28.054
M_H2_G_MOL = 2 * M_H_G_MOL  # 2.016
M_C2H2_G_MOL = 2 * M_C_G_MOL + 2 * M_H_G_MOL  # 26.038, acetylene
MOLAR_VOLUME_L_MOL = MOLAR_VOLUME_NM3_KMOL  # the same number: L/mol = Nm3/kmol
N2_KG_PER_NM3 = 1.2506  # nitrogen density at 0 degC, 1 atm (measured; the ideal gas gives 28.013 / 22.414 = 1.2498)
SIH4_KG_PER_NM3 = M_SIH4_G_MOL / MOLAR_VOLUME_NM3_KMOL  # silane gas density at normal conditions (ideal gas)


class Strict(StrictModel):
    """Base of scenario sections: frozen, unknown keys are errors, numbers are numbers (no true/false
    or text coerced into one, no NaN or infinity)."""


class Limits(Strict):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min {self.min:g} must be below max {self.max:g}")
        return self

    def ok(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class SpecGroup(Strict):
    """Spec limits of one product; ``items()`` lists the attributes that have limits."""

    def items(self) -> list[tuple[str, Limits]]:
        return [(name, lim) for name in type(self).model_fields if (lim := getattr(self, name)) is not None]


@dataclass(frozen=True)
class Materials:
    """Densities of the composite's phases, set once (in the FBCVD kinetics) and used downstream."""

    si_density_g_cm3: float
    carbon_skeletal_density_g_cm3: float


@dataclass(frozen=True)
class CostContext:
    """What a line's cost functions see of a replication and its scenario (they never see SimPy).

    ``params`` and ``settings`` are the plant's (:class:`plants.parameters.PlantParams`,
    :class:`plants.scenario.Settings`): a line reads its own section, and the plant-level lab and
    economics. ``design`` holds the design rates upstream lines published (e.g. the scaffold the
    CVD reactors can take a year), which size downstream equipment.
    """

    params: Any
    settings: Any
    horizon_h: float
    staffed_h: float  # staffed hours in the period (shift calendar)
    genealogy: pd.DataFrame = field(default_factory=pd.DataFrame)
    design: Mapping[str, float] = field(default_factory=dict)


def column(df: pd.DataFrame, name: str) -> pd.Series:
    """A lot-table column with missing values as 0 (a column no lot recorded is all zeros)."""
    return df[name].fillna(0.0) if name in df else pd.Series(0.0, index=df.index)


def mean_or_nan(s: pd.Series) -> float:
    """Mean of the values present; NaN when there are none (a KPI of no lots is not zero)."""
    s = s.dropna()
    return float(s.mean()) if len(s) else float("nan")


class EmissionRow(NamedTuple):
    """A period emission of a line that no lot carries by itself (e.g. the dry room's air handling)."""

    line: str
    step: str
    scope: str  # direct, electricity or materials
    item: str
    kg: float  # kg CO2e over the period
    kwh: float  # the electricity behind it (0 for other scopes)
    formula: str
