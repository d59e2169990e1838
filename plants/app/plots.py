"""The framework's plot helpers (:mod:`twin.plots`) with the Si/C plant's names filled in: the lot
kinds' order for genealogy plots and KPI labels for axes. Each returns a matplotlib ``Figure``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.kpi import REGISTRY
from plants.lines import LOT_ORDER
from twin import plots as _p
from twin.plots import (
    buffer_levels,
    cash_flow,
    cost_attribution,
    cost_waterfall,
    distribution,
    gantt,
    state_shares,
    tornado,
    tradeoff,
)

__all__ = [
    "buffer_levels",
    "cash_flow",
    "co2_waterfall",
    "cost_attribution",
    "cost_waterfall",
    "distribution",
    "gantt",
    "genealogy",
    "response",
    "state_shares",
    "tornado",
    "tradeoff",
]


def genealogy(res: Any, lot_id: str, replication: int = 0) -> Any:
    """The ancestry of a lot, one column per lot kind (scaffold to prelithiated roll)."""
    return _p.genealogy(res, lot_id, LOT_ORDER, replication)


def response(design: pd.DataFrame, kpis: pd.DataFrame, setting: str, kpi: str) -> Any:
    """A swept setting against a KPI (mean and 95 % interval over replications), the axis labelled from the registry."""
    return _p.response(design, kpis, setting, kpi, kpi_label=REGISTRY.label(kpi))


def co2_waterfall(res: Any) -> Any:
    """A good kg of powder's emissions by scope (direct, electricity, purchased materials, scrap)."""
    return _p.waterfall(res.co2_waterfall(), "kg CO2e per kg", "What a kg of powder emits, by scope")
