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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from optimization.loop import VERIFY_BASE, Limit, OptimizationResult, Problem, optimize
from optimization.surrogate import Space
from plants.app.plant import PLANT
from plants.lines import PRODUCTS
from plants.scenario import LoadedScenario
from plants.studies import ObjectiveKind
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
    objective, sense, unit = OBJECTIVE[spec.objective]
    c = spec.constraints
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
        limits.append(Limit(f"{k} >= {v:g}", ((k, 1.0),), ">=", v))
    for k, v in c.kpi_max.items():
        limits.append(Limit(f"{k} <= {v:g}", ((k, 1.0),), "<=", v))
    e = loaded.params.economics
    prices: dict[str, float] = {}
    quantities: dict[str, str] = {}
    if spec.objective is ObjectiveKind.MIN_COST_PER_KG:
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
                   tradeoff, _start(loaded, levels))


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
    if not result.tradeoff.empty:
        result = replace(result, tradeoff=_verified_tradeoff(problem, result.tradeoff, evaluate, first))
    return OptimizationRun(result, problem, baseline, loaded, Path(store_path) if store_path else None)


def _verified_tradeoff(problem: Problem, table: pd.DataFrame, evaluate: Callable[[pd.DataFrame, int, int], pd.DataFrame],
                       first: int) -> pd.DataFrame:
    """Every recipe of the trade-off curve run by the twin (the same fresh seed as the baseline, so
    the points compare on common random numbers): the verified objective and limit KPI with their
    95 % half-widths beside the surrogate's prediction, and ``tie`` where the same recipe answers
    several limit levels."""
    names = list(problem.levels)
    chosen = table.dropna(subset=[n for n in names if n in table.columns])
    if chosen.empty or not all(n in table.columns for n in names):
        return table
    recipes = chosen[names].drop_duplicates().reset_index(drop=True)
    recipes.index.name = "point_id"
    k = evaluate(recipes, problem.verify_replications, first)
    kpi = problem.tradeoff[0].terms[0][0] if problem.tradeoff is not None else problem.objective
    stats = {pid: describe(k.xs(pid, level="point_id")) for pid in recipes.index}
    out = table.copy()
    cols = {"verified_objective": [], "verified_objective_ci95_half": [], f"verified {kpi}": [], f"verified {kpi} ci95_half": []}
    for _, row in table.iterrows():
        hit = recipes.index[(recipes == row[names].to_numpy()).all(axis=1)] if row[names].notna().all() else []
        st = stats[hit[0]] if len(hit) else None
        for col, (key, stat) in zip(cols, ((problem.objective, "mean"), (problem.objective, "ci95_half"),
                                           (kpi, "mean"), (kpi, "ci95_half")), strict=True):
            cols[col].append(float(st.loc[key, stat]) if st is not None and key in st.index else math.nan)
    for col, values in cols.items():
        out[col] = values
    out["tie"] = out.duplicated(subset=names, keep=False) & out[names].notna().all(axis=1)
    v = out[f"verified {kpi}"]
    lim = problem.tradeoff[0] if problem.tradeoff is not None else None
    if lim is not None:  # does the twin confirm the limit the surrogate met?
        met = (v >= out["value"]) if lim.sense == ">=" else (v <= out["value"])
        out["limit_met_verified"] = met.astype(object).where(v.notna(), None)  # None: no recipe to check
    return out


def optimize_scenario(scenario: LoadedScenario | str | os.PathLike[str] | dict[str, Any], sets: list[str] | None = None,
                      backend: Backend | None = None, store_path: str | os.PathLike[str] | None = None,
                      quiet: bool = True) -> OptimizationRun:
    """``twin optimize`` from Python: the result object (status, settings, verified KPIs, frames).
    ``scenario`` is a loaded scenario, a scenario file or a mapping."""
    loaded = scenario.with_set(*(sets or [])) if isinstance(scenario, LoadedScenario) else PLANT.load(scenario, sets)
    return run_optimization(loaded, backend or Backend(BackendKind.POOL), store_path,
                            say=(lambda _m: None) if quiet else print)
