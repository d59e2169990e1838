"""The scenario-to-optimizer mapping: objectives (cost, output, CO2) and trade-off limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from plants.app.api import load
from plants.app.optimize import build_problem

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("objective, kpi, sense", [
    ("min_cost_per_kg", "cost.powder_usd_per_kg", "min"), ("min_cost_per_kwh", "cost.cell_usd_per_kwh", "min"),
    ("min_co2_per_kg", "co2.powder_kg_per_kg", "min"), ("min_co2_per_kwh", "co2.anode_kg_per_kwh", "min"),
])
def test_objectives_map_to_their_kpi_and_sense(objective, kpi, sense):
    p = build_problem(load(ROOT / "scenarios" / "opt_check.yaml", [f"optimization.objective={objective}"]))
    assert (p.objective, p.sense) == (kpi, sense)


@pytest.mark.parametrize("bound, relation", [("lower", ">="), ("upper", "<=")])
def test_a_trade_off_limit_has_its_own_relation_and_leaves_the_objective_alone(bound, relation):
    sc = load(ROOT / "scenarios" / "cost_co2.yaml", [f"optimization.tradeoff.bound={bound}"])
    p = build_problem(sc)
    assert p.sense == "min" and p.objective == "cost.powder_usd_per_kg"  # a trade-off never flips the objective
    limit, values = p.tradeoff
    assert limit.sense == relation and limit.terms == (("co2.powder_kg_per_kg", 1.0),)
    assert values[0] == 26.0 and values[-1] == 28.5 and len(values) == 6
