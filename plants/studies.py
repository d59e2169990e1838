"""What a scenario asks of the studies run on it: sensitivity ranges and the optimization problem.

These are the scenario's ``sensitivity`` and ``optimization`` sections; the application
(:mod:`plants.app.optimize`) turns them into the optimizer's problem.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from plants.common import Strict

__all__ = ["Decision", "KpiObjective", "ObjectiveKind", "OptBudget", "OptConstraints", "OptimizationSpec", "Range",
           "SensitivitySpec", "TradeOff"]


class Range(Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        return self


class SensitivitySpec(Strict):
    """What ``twin sensitivity`` varies (dotted scenario paths and their ranges) and which KPIs it reports."""

    parameters: Annotated[dict[str, Range], Field(min_length=1)]
    kpis: Annotated[list[str], Field(min_length=1)]
    morris_trajectories: Annotated[int, Field(ge=2, le=1000)] = 10
    sobol_samples: Annotated[int, Field(ge=4, le=65536, description="base samples, a power of 2")] = 32
    replications: Annotated[int, Field(ge=1, le=1000)] = 1

    @model_validator(mode="after")
    def _power_of_two(self) -> SensitivitySpec:
        n = self.sobol_samples
        if n & (n - 1):
            raise ValueError(f"sobol_samples must be a power of 2 (got {n})")
        return self


class Decision(Strict):
    """A decision variable: a continuous range (``min``, ``max``, ``levels`` candidate values) or ``options``."""

    min: float | None = None
    max: float | None = None
    levels: Annotated[int, Field(ge=2, le=101)] = 5
    options: Annotated[list[float | str], Field(min_length=2)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Decision:
        ranged = self.min is not None or self.max is not None
        if ranged == (self.options is not None):
            raise ValueError("give either min and max (a continuous range) or options (a discrete choice)")
        if ranged and (self.min is None or self.max is None or not self.min < self.max):
            raise ValueError(f"a range needs min < max (got min={self.min}, max={self.max})")
        return self


class ObjectiveKind(str, Enum):
    MIN_COST_PER_KG = "min_cost_per_kg"
    MIN_COST_PER_KWH = "min_cost_per_kwh"
    MAX_OUTPUT = "max_output"
    MIN_CO2_PER_KG = "min_co2_per_kg"  # kg CO2e per kg of good powder
    MIN_CO2_PER_KWH = "min_co2_per_kwh"  # kg CO2e of our electrode per kWh of reference cells


class KpiObjective(Strict):
    """Any KPI of the twin as the objective: ``{kpi: cell.cycle_life_cycles, sense: max}``."""

    kpi: Annotated[str, Field(min_length=1, description="a KPI key of the registry (twin run prints them)")]
    sense: Literal["min", "max"] = Field(description="min: minimise the KPI; max: maximise it")


class OptConstraints(Strict):
    spec_confidence: Annotated[float, Field(gt=0.5, lt=1)] | None = Field(
        None, description="every attribute with spec limits in spec for this share of lots (normal lot distribution)")
    min_cpk: Annotated[float, Field(gt=0, le=5)] | None = None
    min_output_t_per_yr: Annotated[float, Field(gt=0)] | None = None
    max_capital_usd: Annotated[float, Field(gt=0)] | None = None
    max_cost_usd_per_kg: Annotated[float, Field(gt=0)] | None = Field(
        None, description="for max_output (default: targets.powder_usd_per_kg)")
    kpi_min: dict[str, float] = Field(default_factory=dict, description="KPI key -> lower limit (any KPI of the twin)")
    kpi_max: dict[str, float] = Field(default_factory=dict, description="KPI key -> upper limit (any KPI of the twin)")


class OptBudget(Strict):
    evaluations: Annotated[int, Field(ge=4, le=100000, description="twin simulations in all, verification included")] = 60
    initial_points: Annotated[int, Field(ge=2, le=10000)] | None = None
    replications: Annotated[int, Field(ge=1, le=100)] = 1
    verify_replications: Annotated[int, Field(ge=1, le=100)] = 3
    tolerance: Annotated[float, Field(gt=0, lt=1, description="relative agreement of surrogate and twin")] = 0.02
    max_candidates: Annotated[int, Field(ge=10, le=1_000_000)] = 20000


class TradeOff(Strict):
    """The objective's optimum against a limit on ``kpi`` swept from ``min`` to ``max``: a lower
    limit (``bound: lower``, the KPI must reach the value, e.g. capacity) or an upper one
    (``bound: upper``, the KPI must stay under it, e.g. kg CO2e per kg)."""

    kpi: str
    min: float
    max: float
    steps: Annotated[int, Field(ge=2, le=50)] = 6
    bound: Literal["lower", "upper"] = "lower"
    refine: Annotated[int, Field(ge=0, le=10, description="re-solves per point after the twin's verification")] = 2


class OptimizationSpec(Strict):
    decisions: Annotated[dict[str, Decision], Field(min_length=1)]
    objective: ObjectiveKind | KpiObjective = Field(
        description="min_cost_per_kg, min_cost_per_kwh, max_output, min_co2_per_kg, min_co2_per_kwh, or any KPI: "
                    "{kpi: KEY, sense: min|max}")
    constraints: OptConstraints = OptConstraints()
    budget: OptBudget = OptBudget()
    tradeoff: TradeOff | None = None

    @field_validator("objective", mode="before")
    @classmethod
    def _named_or_kpi(cls, v: object) -> object:
        if isinstance(v, str) and v not in {k.value for k in ObjectiveKind}:
            raise ValueError(f"must be one of {', '.join(k.value for k in ObjectiveKind)}, or any KPI as "
                             "{kpi: KEY, sense: min|max}")
        if isinstance(v, dict):  # a KPI objective: validate it alone (no error from the named-objective branch)
            return KpiObjective.model_validate(v)
        return v
