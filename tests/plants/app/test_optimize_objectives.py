"""Any KPI of the twin as the optimizer's objective (min or max) or limit; the named objectives keep
working; an unknown key is a clear error naming the scenario field and the closest keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from plants.app.api import load
from plants.app.optimize import build_problem
from twin.errors import InputError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
OPT = ROOT / "scenarios" / "opt_check.yaml"


@pytest.mark.parametrize(("objective", "kpi", "sense", "unit"), [
    ("{kpi: quality.powder.capacity_mah_g.mean, sense: max}", "quality.powder.capacity_mah_g.mean", "max", ""),
    ("{kpi: cost.cell_usd_per_kwh, sense: min}", "cost.cell_usd_per_kwh", "min", "USD/kWh"),
    ("{kpi: powder.output_t_per_yr, sense: max}", "powder.output_t_per_yr", "max", "t/yr"),
    ("max_output", "powder.output_t_per_yr", "max", "t/yr"),  # a named objective still works
])
def test_any_kpi_can_be_the_objective(objective, kpi, sense, unit):
    sets = [f"optimization.objective={objective}", "targets.powder_usd_per_kg=60"]
    p = build_problem(load(OPT, sets))
    assert (p.objective, p.sense, p.objective_unit) == (kpi, sense, unit)
    assert kpi in p.kpis
    # the silane and scaffold prices are the MILP's only for the powder-cost objective
    assert bool(p.prices) == (kpi == "cost.powder_usd_per_kg" and sense == "min")


def test_any_kpi_can_be_a_limit_with_its_unit():
    p = build_problem(load(OPT, ["optimization.constraints.kpi_max={co2.powder_kg_per_kg: 30}",
                                 "optimization.constraints.kpi_min={yield.overall_first_pass: 0.5}"]))
    limits = {lim.name: lim for lim in p.limits}
    assert limits["co2.powder_kg_per_kg <= 30"].sense == "<=" and limits["co2.powder_kg_per_kg <= 30"].unit == "kg CO2e/kg"
    assert limits["yield.overall_first_pass >= 0.5"].terms == (("yield.overall_first_pass", 1.0),)


@pytest.mark.parametrize(("sets", "field", "close"), [
    (["optimization.objective={kpi: cost.powder_usd_per_kgg, sense: min}"], "optimization.objective.kpi",
     "cost.powder_usd_per_kg"),
    (["optimization.constraints.kpi_min={quality.powder.capasity_mah_g.mean: 1500}"], "optimization.constraints.kpi_min",
     "quality.powder.capacity_mah_g.mean"),
    (["optimization.constraints.kpi_max={co2.powder_kg_per_kgx: 3}"], "optimization.constraints.kpi_max",
     "co2.powder_kg_per_kg"),
    (["optimization.tradeoff.kpi=powder.output_t_per_y"], "optimization.tradeoff.kpi", "powder.output_t_per_yr"),
])
def test_an_unknown_kpi_names_the_field_and_the_closest_keys(sets, field, close):
    with pytest.raises(InputError) as exc:
        build_problem(load(OPT, sets))
    text = str(exc.value)
    assert f"{field}:" in text and "is not a KPI of the twin" in text and "close matches:" in text and close in text


def test_a_label_kpi_is_refused_as_an_objective():
    with pytest.raises(InputError, match="is a label, not a number"):
        build_problem(load(OPT, ["optimization.objective={kpi: plant.bottleneck, sense: max}"]))


def test_a_bad_objective_is_one_clear_error():
    with pytest.raises(InputError) as exc:
        load(OPT, ["optimization.objective=min_costt"])
    text = str(exc.value)
    assert "optimization.objective:" in text and "min_cost_per_kg" in text and "{kpi: KEY, sense: min|max}" in text
    assert text.count("\n") == 0  # one problem, not one per branch of the union
    with pytest.raises(InputError, match=r"optimization\.objective\.sense"):
        load(OPT, ["optimization.objective={kpi: cost.powder_usd_per_kg, sense: maximum}"])
