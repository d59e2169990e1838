"""``twin optimize``: turn a scenario's ``optimization`` section into a problem, run it against the twin.

The scenario-to-optimizer mapping: the plant and the (pure) optimizer meet here. Every twin
evaluation is a stored experiment (kind ``optimization``) run on the chosen backend with common
random numbers: sampling points share the scenario seed; each verification uses a fresh seed
(scenario seed + 1000 + 100 x round), and the baseline is evaluated with the same fresh seed as the
final verification, so baseline and optimum are compared on common random numbers too.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from optimization.loop import VERIFY_BASE, Limit, OptimizationResult, Problem, optimize
from optimization.surrogate import Space
from plants.app.kpi_check import check_optimization_kpis
from plants.app.plant import PLANT
from plants.kpi import REGISTRY
from plants.lines import PRODUCTS
from plants.scenario import LoadedScenario
from plants.studies import KpiObjective, ObjectiveKind
from twin.campaign import run_experiment
from twin.errors import InputError, suggest
from twin.experiments import Backend, BackendKind
from twin.stats import describe
from twin.store import RunKind

__all__ = ["OptimizationRun", "build_problem", "optimize_scenario", "run_optimization"]

OBJECTIVE = {
    ObjectiveKind.MIN_COST_PER_KG: ("cost.powder_usd_per_kg", "min", "USD/kg"),
    ObjectiveKind.MIN_COST_PER_KWH: ("cost.cell_usd_per_kwh", "min", "USD/kWh"),
    ObjectiveKind.MAX_OUTPUT: ("powder.output_t_per_yr", "max", "t/yr"),
    ObjectiveKind.MIN_CO2_PER_KG: ("co2.powder_kg_per_kg", "min", "kg CO2e/kg"),
    ObjectiveKind.MIN_CO2_PER_KWH: ("co2.anode_kg_per_kwh", "min", "kg CO2e/kWh"),
}


def build_problem(loaded: LoadedScenario) -> Problem:
    """The optimizer's problem from the scenario's ``optimization`` section and its specs."""
    sc, file = loaded.scenario, loaded.path
    spec = sc.optimization
    if spec is None:
        raise InputError.single(file, "optimization", "is missing: declare decisions, objective, constraints and budget")
    ranges, options, levels = {}, {}, {}
    for path, d in spec.decisions.items():
        if d.options is not None:
            options[path] = tuple(d.options)
            levels[path] = tuple(d.options)
        else:
            ranges[path] = (float(d.min), float(d.max))
            levels[path] = tuple(float(v) for v in np.linspace(d.min, d.max, d.levels))
    objective, sense, unit = _objective(spec.objective)
    c = spec.constraints
    check_optimization_kpis(loaded)
    limits: list[Limit] = []
    z = max(stats.norm.ppf(c.spec_confidence) if c.spec_confidence else -math.inf, 3.0 * c.min_cpk if c.min_cpk else -math.inf)
    if math.isfinite(z):
        why = " and ".join(x for x in (f"{c.spec_confidence:g} of lots" if c.spec_confidence else "",
                                       f"Cpk >= {c.min_cpk:g}" if c.min_cpk else "") if x)
        for product in PRODUCTS:
            for attr, lim in getattr(sc.specs, product).items():
                mean, std = f"quality.{product}.{attr}.mean", f"quality.{product}.{attr}.std"
                if lim.min is not None:
                    limits.append(Limit(f"{product}.{attr} >= {lim.min:g} ({why})", ((mean, 1.0), (std, -z)), ">=", lim.min))
                if lim.max is not None:
                    limits.append(Limit(f"{product}.{attr} <= {lim.max:g} ({why})", ((mean, 1.0), (std, z)), "<=", lim.max))
    if c.min_output_t_per_yr is not None:
        limits.append(Limit(f"powder output >= {c.min_output_t_per_yr:g} t/yr", (("powder.output_t_per_yr", 1.0),), ">=",
                            c.min_output_t_per_yr, "t/yr"))
    if c.max_capital_usd is not None:
        limits.append(Limit(f"capital <= {c.max_capital_usd:g} USD", (("cost.capex_usd", 1.0),), "<=", c.max_capital_usd, "USD"))
    if spec.objective is ObjectiveKind.MAX_OUTPUT:
        cap = c.max_cost_usd_per_kg if c.max_cost_usd_per_kg is not None else sc.targets.powder_usd_per_kg
        if cap is None:
            raise InputError.single(file, "optimization.constraints.max_cost_usd_per_kg",
                                    "max_output needs a cost limit: set it here or targets.powder_usd_per_kg")
        limits.append(Limit(f"powder cost <= {cap:g} USD/kg", (("cost.powder_usd_per_kg", 1.0),), "<=", cap, "USD/kg"))
    for k, v in c.kpi_min.items():
        limits.append(Limit(f"{k} >= {v:g}", ((k, 1.0),), ">=", v, _unit(k)))
    for k, v in c.kpi_max.items():
        limits.append(Limit(f"{k} <= {v:g}", ((k, 1.0),), "<=", v, _unit(k)))
    e = loaded.params.economics
    prices: dict[str, float] = {}
    quantities: dict[str, str] = {}
    if (objective, sense) == ("cost.powder_usd_per_kg", "min"):  # prices the MILP can move without a rebuild
        prices = {"silane": e.cny(e.prices.silane_cny_per_t) / 1000.0,
                  "scaffold": e.cny(e.prices.scaffold_carbon_cny_per_t) / 1000.0}
        quantities = {"silane": "consumption.silane_kg_per_kg", "scaffold": "consumption.scaffold_kg_per_kg"}
    tradeoff = None
    if spec.tradeoff is not None:
        t = spec.tradeoff
        relation = ">=" if t.bound == "lower" else "<="
        tradeoff = (Limit(f"{t.kpi} {relation} v", ((t.kpi, 1.0),), relation, t.min),
                    tuple(np.linspace(t.min, t.max, t.steps)))
    b = spec.budget
    return Problem(Space(ranges, options), levels, objective, sense, unit, tuple(limits), b.evaluations, b.replications,
                   b.verify_replications, b.tolerance, b.initial_points, b.max_candidates, sc.seed, prices, quantities,
                   tradeoff, _start(loaded, levels), spec.tradeoff.refine if spec.tradeoff is not None else 2)


def _unit(key: str) -> str:
    k = REGISTRY.find(key)
    return k.unit if k is not None else ""


def _objective(obj: ObjectiveKind | KpiObjective) -> tuple[str, str, str]:
    """(KPI, sense, unit) of a named objective or of ``{kpi, sense}``."""
    if isinstance(obj, KpiObjective):
        return obj.kpi, obj.sense, _unit(obj.kpi)
    return OBJECTIVE[obj]


def _start(loaded: LoadedScenario, levels: dict[str, tuple[float | str, ...]]) -> dict[str, float | str] | None:
    """The scenario's own value of every decision, snapped to the nearest level (None if one has none)."""
    tree: dict[str, Any] = {"settings": loaded.scenario.settings.model_dump(mode="json"),
                            "overrides": loaded.params.model_dump(mode="json")}
    out: dict[str, float | str] = {}
    for path, lv in levels.items():
        node: Any = tree
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
        if isinstance(lv[0], str) or isinstance(node, str):
            if node not in lv:
                return None
            out[path] = node
        else:
            out[path] = min(lv, key=lambda v: abs(float(v) - float(node)))
    return out


@dataclass(frozen=True)
class OptimizationRun:
    result: OptimizationResult
    problem: Problem
    baseline: pd.DataFrame  # per KPI: mean, ci95_half, n (same fresh seed as the final verification)
    loaded: LoadedScenario
    store_path: Path | None


def run_optimization(loaded: LoadedScenario, backend: Backend, store_path: str | os.PathLike[str] | None = None,
                     say: Callable[[str], object] = print) -> OptimizationRun:
    problem = build_problem(loaded)
    seed = loaded.scenario.seed
    missing_kpis: list[str] = []

    def evaluate(design: pd.DataFrame, reps: int, first: int) -> pd.DataFrame:
        base = loaded.with_set(f"seed={seed + first}") if first else loaded
        exp = run_experiment(PLANT, RunKind.OPTIMIZATION, base, design, reps, backend, store_path,
                             keep_lots=False, progress=False)
        if not exp.complete:
            raise KeyboardInterrupt
        k = exp.kpis
        if not missing_kpis:
            missing_kpis.extend(x for x in problem.kpis if x not in k.columns)
            if missing_kpis:
                raise InputError.single(loaded.path, "optimization", f"KPI {missing_kpis[0]!r} is not produced by the twin",
                                        suggestion=suggest(missing_kpis[0], k.columns))
        return k

    result = optimize(problem, evaluate, describe, say)
    rounds = len(result.history)
    first = VERIFY_BASE + 100 * max(rounds, 1)
    base = evaluate(pd.DataFrame(index=pd.RangeIndex(1, name="point_id")), problem.verify_replications, first)
    baseline = describe(base)
    return OptimizationRun(result, problem, baseline, loaded, Path(store_path) if store_path else None)


def optimize_scenario(scenario: LoadedScenario | str | os.PathLike[str] | dict[str, Any], sets: list[str] | None = None,
                      backend: Backend | None = None, store_path: str | os.PathLike[str] | None = None,
                      quiet: bool = True) -> OptimizationRun:
    """``twin optimize`` from Python: the result object (status, settings, verified KPIs, frames).
    ``scenario`` is a loaded scenario, a scenario file or a mapping."""
    loaded = scenario.with_set(*(sets or [])) if isinstance(scenario, LoadedScenario) else PLANT.load(scenario, sets)
    return run_optimization(loaded, backend or Backend(BackendKind.POOL), store_path,
                            say=(lambda _m: None) if quiet else print)
