"""The Si/C plant as the framework sees it (:class:`twin.protocol.Plant`): load a scenario,
replicate it (simulate, then evaluate cost, yield and quality), describe its KPIs.

This is the one replicate path: ``twin run``, sweeps, sensitivity studies and the optimizer all
come through :meth:`SiCPlant.replicate`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from plants.evaluate import Evaluation, evaluate
from plants.kpi import REGISTRY
from plants.plant import Replication, simulate
from plants.scenario import LoadedScenario, load_scenario
from twin.kpis import KpiRegistry

__all__ = ["PLANT", "Replicate", "SiCPlant"]


@dataclass(frozen=True)
class Replicate:
    """One replication: its records (``rep``) and what they are worth (``ev``)."""

    rep: Replication
    ev: Evaluation

    @property
    def replication(self) -> int:
        return self.rep.replication

    @property
    def summary(self) -> dict[str, float | str]:
        return self.ev.summary

    def lot_table(self) -> pd.DataFrame:
        """Every lot with the cost it carries and the part of it that ended in scrap."""
        return self.rep.lots.assign(cost_usd=self.ev.cost.lots["cost_usd"].to_numpy(),
                                    scrap_usd=self.ev.cost.lots["scrap_usd"].to_numpy())


class SiCPlant:
    """The Si/C anode plant: four lines, a QC lab, a reference cell."""

    name = "Si/C anode plant"

    @property
    def kpis(self) -> KpiRegistry:
        return REGISTRY

    def load(self, source: str | os.PathLike[str] | dict[str, Any], sets: list[str] | None = None) -> LoadedScenario:
        return load_scenario(source if isinstance(source, dict) else os.fspath(source), sets)

    def replicate(self, scenario: LoadedScenario, replication: int = 0) -> Replicate:
        rep = simulate(scenario, replication)
        return Replicate(rep, evaluate(rep, scenario))

    def parameter_set_of(self, scenario: LoadedScenario) -> tuple[str, str]:
        """The parameter set a scenario runs on: ``name@version`` and the sha256 of the file's content
        (what the run store keeps so comparisons can tell runs of different parameter sets apart)."""
        import json

        from twin.provenance import sha256_text

        return (f"{scenario.params.name}@{scenario.params.version}",
                sha256_text(json.dumps(scenario.parameter_tree, sort_keys=True, default=str)))

    def __reduce__(self) -> str:
        return "PLANT"  # one plant object per process: pickled by name to pool and Dask workers


PLANT = SiCPlant()
