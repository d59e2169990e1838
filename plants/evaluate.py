"""Everything a replication is worth: the plant KPIs plus cost, yield and quality consistency."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from plants.consistency import quality, quality_drivers, yields
from plants.costing import CostResult, cost_of
from plants.emissions import EmissionResult, emissions_of
from plants.investment import investment_case, operating_costs
from plants.kpi import placeholder_shares, summarize
from plants.plant import Replication
from plants.scenario import LoadedScenario

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    summary: dict[str, float | str]
    cost: CostResult
    drivers: pd.DataFrame
    emissions: EmissionResult


def evaluate(rep: Replication, loaded: LoadedScenario) -> Evaluation:
    out = summarize(rep)
    cost = cost_of(rep, loaded)
    out.update(cost.summary)
    out.update(yields(rep, cost.lots["scrap_usd"]))
    out.update(quality(rep, loaded))
    co2 = emissions_of(rep, loaded, cost.summary["cell.wh_per_m2_anode"] / 1000.0)
    out.update(co2.summary)
    out.update(operating_costs(cost.ledger, rep.horizon_h, float(out["powder.output_kg"])))
    out.update(investment_case(out, loaded))
    out.update(placeholder_shares({path: rec.is_placeholder for path, rec in loaded.sources.items()}))
    return Evaluation(out, cost, quality_drivers(rep, loaded), co2)
