"""``optimization.json`` and the optimization report (self-contained HTML with its plots embedded,
and Markdown with the plots as PNG files beside it), built with the framework's page builder and
written all or nothing.

Numbers are rounded (a KPI to its registry decimals, anything else to 4 significant figures), KPIs
are named by their registry labels and units, and the trade-off table is one compact row per point
(the recipe in short names, ties and decisions on a bound of their range said in words).
Plots (without pyplot): baseline vs optimum cost waterfall, the trade-off curve (verified points
with their intervals), predicted vs verified limits, and convergence.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from optimization.loop import OptimizationResult, Problem
from plants.app.formatting import kpi_label, kpi_pm, kpi_value
from twin.costing import CATEGORIES
from twin.report import Page, fmt

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
        "at_bound": list(result.at_bound),
        "evaluations": result.evaluations,
        "tradeoff_evaluations": result.tradeoff_evaluations,
        "budget": problem.evaluations,
        "history": [{k: _num(v) for k, v in row.items()} for row in result.history.to_dict("records")],
    }


_label, _value, _pm = kpi_label, kpi_value, kpi_pm


def _short(path: str) -> str:
    """A decision's dotted path in short: its line and name (``fbcvd.bed_temperature_c``)."""
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else path


def _plots(result: OptimizationResult, problem: Problem, baseline: pd.DataFrame) -> dict[str, Any]:
    from twin.plots import new_figure as _new_figure

    out = {}
    ver = result.verified
    group, unit = ("powder", "usd_per_kg") if problem.objective != "cost.cell_usd_per_kwh" else ("cell", "usd_per_kwh")
    keys = [f"cost.waterfall.{group}.{c}_{unit}" for c in CATEGORIES]
    obj = _label(problem.objective)
    if not ver.empty and all(k in ver.index and k in baseline.index for k in keys):
        fig = _new_figure(7.5, 3.6)
        ax = fig.subplots()
        for j, frame in enumerate((baseline, ver)):
            bottom = 0.0
            for i, (c, k) in enumerate(zip(CATEGORIES, keys, strict=True)):
                v = float(frame.loc[k, "mean"])
                ax.bar(j, v, bottom=bottom, color=f"C{i}", label=c if j == 0 else None)
                bottom += v
            ax.text(j, bottom, f"{bottom:.2f}", ha="center", va="bottom")
        ax.set_xticks([0, 1], ["baseline", "optimum"])
        ax.set_ylabel("cost (" + unit.replace("_per_", "/").replace("usd", "USD") + ")")
        ax.set_title("Cost by category, baseline vs optimum (verified)")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        out["Cost by category, baseline vs optimum"] = fig
    t = result.tradeoff
    if not t.empty:
        from plants.app.plots import tradeoff

        class _R:
            tradeoff = t

        kpi = problem.tradeoff[0].terms[0][0] if problem.tradeoff is not None else ""
        fig = tradeoff(_R())
        ax = fig.axes[0]
        ax.set_xlabel(f"{_label(kpi)}: {'lower' if problem.tradeoff and problem.tradeoff[0].sense == '>=' else 'upper'} limit")
        ax.set_ylabel(obj)
        out["Trade-off: the objective against the limit (verified by the twin)"] = fig
    lim = result.limits
    if not lim.empty:
        fig = _new_figure(5.0, 4.0)
        ax = fig.subplots()
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
        fig = _new_figure(6.0, 3.4)
        ax = fig.subplots()
        ax.plot(h["evaluations"], h["predicted"], "o-", label="predicted (surrogate)")
        ax.errorbar(h["evaluations"], h["verified"], yerr=h["verified_ci95_half"].fillna(0.0), fmt="s-", label="verified (twin)")
        ax.set_xlabel("twin evaluations used")
        ax.set_ylabel(obj)
        ax.set_title("Convergence")
        ax.legend(fontsize=8, loc="best")
        out["Convergence: predicted and verified objective per round"] = fig
    return out


def _tradeoff_table(result: OptimizationResult, problem: Problem) -> pd.DataFrame:
    """One compact row per trade-off point: the level, what the twin verified (± 95 %), the recipe
    in short names and a note (ties, same recipe, decisions at a bound)."""
    t = result.tradeoff
    if t.empty:
        return t
    kpi = problem.tradeoff[0].terms[0][0] if problem.tradeoff is not None else problem.objective
    names = [n for n in problem.levels if n in t.columns]
    rows = []
    for i, r in t.iterrows():
        recipe = ", ".join(f"{_short(n)} = {fmt(r[n], 4)}" for n in names if not (isinstance(r[n], float) and math.isnan(r[n])))
        rows.append({"point": i, "limit": _value(kpi, r["value"]), "status": r["status"],
                     "objective (verified)": _pm(problem.objective, r.get("verified_objective"),
                                                 r.get("verified_objective_ci95_half")),
                     "predicted": _value(problem.objective, r.get("predicted_objective")),
                     "limit KPI (verified)": _pm(kpi, r.get("verified_kpi"), r.get("verified_kpi_ci95_half")),
                     "recipe": recipe or "none", "note": _shorten(str(r.get("note", "") or ""), names)})
    return pd.DataFrame(rows)


def _shorten(text: str, names: list[str]) -> str:
    for n in names:
        text = text.replace(n, _short(n))
    return text


def _kpi_table(data: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for k, v in data["kpis"].items():
        rows.append({"KPI": _label(k), "predicted": _value(k, v.get("predicted")),
                     "verified (± 95 %)": _pm(k, v.get("verified"), v.get("verified_ci95_half")),
                     "baseline": _value(k, v.get("baseline")), "key": k})
    return pd.DataFrame(rows)


def _limits_table(result: OptimizationResult) -> pd.DataFrame:
    lim = result.limits
    if lim.empty:
        return lim
    return pd.DataFrame({"limit": lim["name"], "unit": lim.get("unit", ""), "predicted": lim["predicted"],
                         "verified": lim["verified"], "met": lim["met"].map({True: "yes", False: "NO"}),
                         "binding": lim["binding"].map({True: "yes", False: ""}), "marginal": lim["marginal"]})


def write_report(out_dir: str | os.PathLike[str], data: dict[str, Any], result: OptimizationResult, problem: Problem,
                 baseline: pd.DataFrame) -> Path:
    """Write optimization.json, report.md (with its images) and report.html (all or nothing)."""
    obj = data["objective"]
    page = Page(f"Optimization: {data.get('scenario', '')}")
    sense = "minimise" if problem.sense == "min" else "maximise"
    key = problem.objective
    verified = _pm(key, obj["verified"], obj["verified_ci95_half"])
    page.paragraph(f"Status: **{result.status}**{' (' + result.message + ')' if result.message else ''}. "
                   f"Objective: {sense} {_label(key)} (`{key}`): verified **{verified}**"
                   f", predicted {_value(key, obj['predicted'])}, baseline {_value(key, obj['baseline'])} (the baseline "
                   f"on the same random numbers as the final verification). Twin evaluations: {result.evaluations} of "
                   f"{problem.evaluations}" + (f", plus {result.tradeoff_evaluations} verifying the trade-off"
                                               if result.tradeoff_evaluations else "")
                   + f". Code {data.get('code_version', '')}, scenario sha256 {data.get('scenario_sha256', '')[:12]}.")
    if result.at_bound:
        page.paragraph("At bound: " + "; ".join(result.at_bound) + ". The optimum may lie beyond the range: consider "
                       "widening it.")
    settings = pd.DataFrame([{"setting": k, "value": fmt(v, 6) if not isinstance(v, str) else v,
                              "note": "at bound: consider widening" if any(b.startswith(k + " at ") for b in result.at_bound)
                              else ""} for k, v in result.settings.items()])
    if not settings.empty and not settings["note"].astype(bool).any():
        settings = settings.drop(columns="note")
    page.table("Chosen settings", settings)
    page.table("KPIs: predicted, verified (mean ± 95 %), baseline", _kpi_table(data))
    page.table("Constraints", _limits_table(result),
               note="marginal: the change of the optimum (surrogate) per unit the limit is loosened.")
    relax = result.relaxations
    if not relax.empty:
        relax = relax.assign(constraint=relax["constraint"].astype(str))
    page.table("Relaxations that would make the problem feasible", relax)
    trade = _tradeoff_table(result, problem)
    ties = int(result.tradeoff["tie"].sum()) if "tie" in result.tradeoff else 0
    recipes = result.tradeoff["candidate"].dropna().nunique() if "candidate" in result.tradeoff else 0
    one = ("One recipe meets every level: the limit does not bind over this range, so the curve is flat because "
           "the twin's figures are. " if recipes == 1 and len(result.tradeoff) > 1 else "")
    page.table("Trade-off", trade,
               note=("Every point is the best recipe the twin verified that meets every limit and the point's level, "
                     "all on the same random numbers (± 95 % over the verification replications). " + one
                     + (f"{ties} point(s) tie with another: their recipes differ but the twin cannot tell their "
                        "objectives apart (paired difference, replication by replication). " if ties else "")
                     + "A decision at a bound of its range: the optimum may lie beyond it."))
    history = result.history.rename(columns={"verified_ci95_half": "verified ± 95 %", "candidate": "recipe no."})
    page.table("Rounds", history)
    plots = _plots(result, problem, baseline)
    if plots:
        page.heading("Plots")
    for caption, fig in plots.items():
        page.figure(caption, fig, tight=True)
    page.write(out_dir, extra={"optimization.json": json.dumps(data, indent=2) + "\n"})
    return Path(out_dir)


def _g(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else fmt(v, 4)
