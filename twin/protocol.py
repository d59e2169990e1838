"""What the framework needs from a plant: load a scenario, replicate it, describe its KPIs.

The framework (experiments, the run store, statistics, reports) reaches a plant only through this
protocol, as ``pybamm.Simulation(model, parameter_values, ...)`` reaches a model: it imports no
plant. A plant package provides one object that satisfies :class:`Plant`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from twin.kpis import KpiRegistry

__all__ = ["Plant", "Replicated", "Scenario"]


@runtime_checkable
class Scenario(Protocol):
    """A validated scenario, held in memory."""

    @property
    def name(self) -> str: ...

    @property
    def text(self) -> str: ...  # what provenance hashes: the scenario text with its --set lines

    @property
    def seed(self) -> int: ...

    @property
    def replications(self) -> int: ...

    def fingerprint(self) -> str: ...  # the resolved parameters (an edited parameter file changes it)

    def with_set(self, *items: str) -> Scenario: ...  # derived with ``dotted.path=VALUE`` lines


class Replicated(Protocol):
    """One simulated and evaluated replication."""

    @property
    def replication(self) -> int: ...

    @property
    def summary(self) -> Mapping[str, float | str]: ...

    def lot_table(self) -> pd.DataFrame: ...  # every lot with what it cost (what the run store keeps)


@runtime_checkable
class Plant(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def kpis(self) -> KpiRegistry: ...

    def load(self, source: str | os.PathLike[str] | dict[str, Any], sets: list[str] | None = None) -> Scenario: ...

    def replicate(self, scenario: Any, replication: int) -> Replicated: ...
