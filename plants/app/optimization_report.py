"""``optimization.json`` and the optimization report (Markdown and self-contained HTML, plots embedded
as PNG), built with the framework's page builder and written all or nothing.

Plots (matplotlib, Agg backend): baseline vs optimum cost waterfall, the trade-off curve, predicted
vs verified KPIs, and convergence (predicted and verified objective per round).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from optimization.loop import OptimizationResult, Problem
from twin.costing import CATEGORIES
from twin.report import Page

__all__ = ["to_json", "write_report"]


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _num(v.item())
    return v


def to_json(result: OptimizationResult, problem: Problem, baseline: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    kpis = [problem.objective, *(k for lim in problem.limits for k, _ in lim.terms)]
    ver = result.verified
    return {
        **meta,
        "status": result.status,
        "message": result.message,
        "objective": {"kpi": problem.objective, "sense": problem.sense, "unit": problem.objective_unit,
                      "verified": _num(result.objective),
                      "verified_ci95_half": (_num(ver.loc[problem.objective, "ci95_half"])
                                             if problem.objective in ver.index else None),
                      "predicted": _num(result.predicted.get(problem.objective, math.nan)),
                      "baseline": _num(baseline.loc[problem.objective, "mean"]) if problem.objective in baseline.index else None},
        "settings": result.settings,
        "kpis": {k: {"predicted": _num(result.predicted.get(k, math.nan)),
                     "verified": _num(ver.loc[k, "mean"]) if k in ver.index else None,
                     "verified_ci95_half": _num(ver.loc[k, "ci95_half"]) if k in ver.index else None,
                     "baseline": _num(baseline.loc[k, "mean"]) if k in baseline.index else None}
                 for k in dict.fromkeys(kpis)},
        "constraints": [{k: _num(v) for k, v in row.items()} for row in result.limits.to_dict("records")],
        "relaxations": [{k: _num(v) for k, v in row.items()} for row in result.relaxations.to_dict("records")],
        "tradeoff": [{k: _num(v) for k, v in row.items()} for row in result.tradeoff.to_dict("records")],
        "evaluations": result.evaluations,
        "budget": problem.evaluations,
        "history": [{k: _num(v) for k, v in row.items()} for row in result.history.to_dict("records")],
    }


def _plots(result: OptimizationResult, problem: Problem, baseline: pd.DataFrame) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    ver = result.verified
    group, unit = ("powder", "usd_per_kg") if problem.objective != "cost.cell_usd_per_kwh" else ("cell", "usd_per_kwh")
    keys = [f"cost.waterfall.{group}.{c}_{unit}" for c in CATEGORIES]
    if not ver.empty and all(k in ver.index and k in baseline.index for k in keys):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for j, (_label, frame) in enumerate((("baseline", baseline), ("optimum", ver))):
            bottom = 0.0
            for i, (c, k) in enumerate(zip(CATEGORIES, keys, strict=True)):
                v = float(frame.loc[k, "mean"])
                ax.bar(j, v, bottom=bottom, color=f"C{i}", label=c if j == 0 else None)
                bottom += v
            ax.text(j, bottom, f"{bottom:.2f}", ha="center", va="bottom")
        ax.set_xticks([0, 1], ["baseline", "optimum"])
        ax.set_ylabel(unit.replace("_per_", "/").replace("usd", "USD"))
        ax.set_title("Cost by category, baseline vs optimum (verified)")
        ax.legend(fontsize=8, ncol=3)
        out["Cost by category, baseline vs optimum"] = fig
    t = result.tradeoff
    if not t.empty:
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ok = t["status"] == "optimal"
        ax.plot(t.loc[ok, "value"], t.loc[ok, "predicted_objective"], "o-", label="predicted (surrogate)")
        if "verified_objective" in t:
            ax.errorbar(t.loc[ok, "value"], t.loc[ok, "verified_objective"],
                        yerr=t.loc[ok, "verified_objective_ci95_half"].fillna(0.0), fmt="s--", capsize=3,
                        label="verified (twin), 95 %")
        ax.legend(fontsize=7)
        ax.set_xlabel(str(t["limit"].iloc[0]).replace(" >= v", " (lower limit)").replace(" <= v", " (upper limit)"))
        ax.set_ylabel(f"{problem.objective} ({problem.objective_unit})")
        ax.set_title("Trade-off: objective against the limit")
        out["Trade-off: objective against the limit"] = fig
    lim = result.limits
    if not lim.empty:
        fig, ax = plt.subplots(figsize=(5, 4))
        rel_p = lim["predicted"] / lim["rhs"].abs().clip(lower=1e-12)
        rel_v = lim["verified"] / lim["rhs"].abs().clip(lower=1e-12)
        ax.scatter(rel_p, rel_v)
        lo, hi = float(min(rel_p.min(), rel_v.min())), float(max(rel_p.max(), rel_v.max()))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xlabel("predicted / limit")
        ax.set_ylabel("verified / limit")
        ax.set_title("Limits: surrogate vs twin")
        out["Limits: surrogate vs twin"] = fig
    h = result.history
    if not h.empty:
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot(h["evaluations"], h["predicted"], "o-", label="predicted (surrogate)")
        ax.errorbar(h["evaluations"], h["verified"], yerr=h["verified_ci95_half"].fillna(0.0), fmt="s-", label="verified (twin)")
        ax.set_xlabel("twin evaluations used")
        ax.set_ylabel(f"{problem.objective} ({problem.objective_unit})")
        ax.set_title("Convergence")
        ax.legend(fontsize=8)
        out["Convergence"] = fig
    return out


def write_report(out_dir: str | os.PathLike[str], data: dict[str, Any], result: OptimizationResult, problem: Problem,
                 baseline: pd.DataFrame) -> Path:
    """Write optimization.json, report.md, report.html (all or nothing)."""
    obj = data["objective"]
    page = Page(f"Optimization: {data.get('scenario', '')}")
    page.paragraph(f"Status: **{result.status}**{' (' + result.message + ')' if result.message else ''}. "
                   f"Objective {problem.sense} `{problem.objective}`: verified **{_g(obj['verified'])}** "
                   f"{problem.objective_unit} (+/- {_g(obj['verified_ci95_half'])}), predicted {_g(obj['predicted'])}, "
                   f"baseline {_g(obj['baseline'])}. Twin evaluations: {result.evaluations} of {problem.evaluations}. "
                   f"Code {data.get('code_version', '')}, scenario sha256 {data.get('scenario_sha256', '')[:12]}.")
    settings = pd.DataFrame([{"setting": k, "value": v} for k, v in result.settings.items()])
    kpis = pd.DataFrame([{"kpi": k, **v} for k, v in data["kpis"].items()])
    for title, df in (("Chosen settings", settings), ("KPIs: predicted, verified (mean +/- 95 %), baseline", kpis),
                      ("Constraints (marginal: objective change per unit the limit is loosened, surrogate)", result.limits),
                      ("Relaxations that would make the problem feasible", result.relaxations),
                      ("Trade-off", result.tradeoff), ("Rounds", result.history)):
        page.table(title, df, digits=4)
    plots = _plots(result, problem, baseline)
    if plots:
        page.heading("Plots")
    for caption, fig in plots.items():
        page.figure(caption, fig)
    page.write(out_dir, extra={"optimization.json": json.dumps(data, indent=2) + "\n"})
    return Path(out_dir)


def _g(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.4g}"
