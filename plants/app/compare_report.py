"""A comparison report of two runs (or two points of stored sweeps): HTML with its plots embedded and
Markdown with the plots as PNG files beside it, written all or nothing.

What it shows: the KPIs of A and B with the difference B - A and its 95 % interval, paired
replication by replication when the two runs drew the same random streams (same seed, same
replication numbers: common random numbers) and Welch otherwise, the method and why stated on the
page; what makes the runs unfit to compare (horizon, warm-up, parameter set) as a warning; the two
cost waterfalls side by side on one scale; the time per state of every line side by side.

From Python: ``write_comparison_report(a, b, folder)`` with two :class:`~plants.app.api.RunResult`;
from the run store: ``write_store_comparison_report(store, run_a, point_a, run_b, point_b, folder)``
(what ``twin runs compare A B --report DIR`` calls).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from plants.app import plots
from plants.app.api import RunResult, compare, differences, shares_streams
from plants.app.formatting import kpi_label, kpi_pm
from plants.kpi import REGISTRY
from twin.report import Page, fmt
from twin.stats import BOOKKEEPING, aggregate

__all__ = ["comparison_page", "point_result", "write_comparison_report", "write_store_comparison_report"]


def _attribution(summary: dict[str, Any]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for k, v in summary.items():
        if k.startswith("cost.by_line.") and k.endswith("_usd") and not k.endswith("ci95_half"):
            _, _, line, cat = k.split(".")
            rows.setdefault(line, {})[cat.removesuffix("_usd")] = v
    return pd.DataFrame(rows).T


def point_result(store: Any, run_id: str, point: int = 0) -> RunResult:
    """One point of a stored run as a :class:`RunResult` with its per-replication KPIs (no lots,
    events or ledger: the store keeps KPIs), from an open :class:`twin.store.RunStore`."""
    from twin.errors import InputError

    info = store.run_info(run_id)
    kpis = store.kpis(run_id)
    if kpis.empty or point not in kpis.index.get_level_values("point_id"):
        raise InputError.single(f"run {run_id}", "point", f"has no stored results at point {point}")
    rows = kpis.xs(point, level="point_id")
    reps = [dict(r, replication=float(i)) for i, r in zip(rows.index, rows.to_dict("records"), strict=True)]
    summary = aggregate(reps)
    summary.update({"scenario": info.get("name"), "seed": info.get("seed"), "replications": len(reps), "run_id": run_id,
                    "point": point, "code_version": info.get("code_version"),
                    "scenario_sha256": info.get("scenario_sha256")})
    summary.update({k: info[k] for k in ("parameter_set", "parameter_set_sha256") if info.get(k)})
    design = store.design(run_id)
    if len(design.columns) and point in design.index:
        summary["settings"] = ", ".join(f"{c} = {fmt(v, 6)}" for c, v in design.loc[point].items())
    empty = pd.DataFrame()
    return RunResult(None, summary, empty, empty, empty, empty, reps, empty, _attribution(summary), empty, empty, empty,
                     str(info.get("scenario_text", "")), origin=f"store:{run_id}:{point}")


def _name(r: RunResult, default: str) -> str:
    s = r.summary
    where = f"run {s['run_id']} point {s.get('point', 0)}" if s.get("run_id") else "in memory"
    return f"{default}: {s.get('scenario')} ({where}{'; ' + s['settings'] if s.get('settings') else ''})"


def _kpi_rows(table: pd.DataFrame, a: RunResult, b: RunResult) -> pd.DataFrame:
    rows = []
    for key, r in table.iterrows():
        k, key = REGISTRY.find(str(key)), str(key)
        half = r["ci95_half"]
        ok = isinstance(half, float) and math.isfinite(half)
        rows.append({
            "KPI": kpi_label(key, unit=False), "unit": k.unit if k is not None and not k.is_pattern else "",
            "A": kpi_pm(key, r["a"], a.summary.get(f"{key}.ci95_half")),
            "B": kpi_pm(key, r["b"], b.summary.get(f"{key}.ci95_half")),
            "B - A": kpi_pm(key, r["delta"], half),
            "differs": ("yes" if abs(r["delta"]) > half else "no") if ok else "n/a",
            "key": key})
    return pd.DataFrame(rows)


def _side_by_side(a: RunResult, b: RunResult, draw: Any, title: str, sharey: bool = True) -> Any:
    from twin.plots import new_figure

    fig = new_figure(12.0, 4.0)
    axes = fig.subplots(1, 2, sharey=sharey)
    for ax, r, name in zip(axes, (a, b), ("A", "B"), strict=True):
        draw(r, ax)
        ax.set_title(f"{name}: {ax.get_title()}", fontsize=9)
    fig.subplots_adjust(left=0.07, right=0.86, bottom=0.3, wspace=0.15)
    for ax in axes[:-1]:
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    fig.suptitle(title)
    return fig


def comparison_page(a: RunResult, b: RunResult, keys: list[str] | None = None, method: str = "auto") -> Page:
    """The comparison page (see the module's docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the differences are stated on the page
        table = compare(a, b, keys, method)
    if keys is None:  # the headline KPIs first, then quality; bookkeeping and timings are not results
        head = [k.key for k in REGISTRY.headline() if k.digits is not None and k.key in table.index]
        rest = [k for k in table.index if k.startswith("quality.") and k.endswith((".mean", ".cpk", ".in_spec"))]
        table = table.loc[[*head, *(k for k in rest if k not in head)]]
    table = table[~table.index.isin(BOOKKEEPING) & ~table.index.str.startswith("sim.")]
    used = table.attrs.get("method", "")
    _, why = shares_streams(a, b)
    problems = differences(a, b)
    page = Page(f"Comparison: {a.summary.get('scenario')} vs {b.summary.get('scenario')}")
    page.paragraph(f"**A** = {_name(a, 'A')}; **B** = {_name(b, 'B')}. {len(a.replications)} and {len(b.replications)} "
                   "replication(s).")
    page.paragraph(f"Intervals of B - A: **{used}** 95 % intervals ({why}). "
                   + ("Paired: replication i of A and B drew the same random streams, so the interval is on the "
                      "replication-by-replication differences and the common noise cancels. " if used == "paired" else
                      "Welch: the runs do not share random streams, so their replications are independent samples. ")
                   + "differs: the interval of B - A excludes 0.")
    if problems:
        page.paragraph("**Warning**: the runs differ in more than their settings: " + "; ".join(problems)
                       + ". Their difference is not only the settings' effect.")
    page.table("KPIs: A, B and B - A (mean ± 95 %)", _kpi_rows(table, a, b))
    figs = []
    if all(math.isfinite(float(r.summary.get("cost.powder_usd_per_kg", math.nan))) for r in (a, b)):
        figs.append(("Cost of a good kg of powder, A and B side by side (same scale)",
                     _side_by_side(a, b, lambda r, ax: plots.cost_waterfall(r, "kg", ax=ax), "What a good kg of powder costs")))
    if all(any(".state_share." in k for k in r.summary) for r in (a, b)):
        figs.append(("Time per state, by line, A and B side by side",
                     _side_by_side(a, b, lambda r, ax: plots.state_shares(r, ax=ax), "Time per state, by line")))
    if figs:
        page.heading("A and B side by side")
        for caption, fig in figs:
            page.figure(caption, fig)
    return page


def write_comparison_report(a: RunResult, b: RunResult, folder: str | os.PathLike[str], keys: list[str] | None = None,
                            method: str = "auto") -> Path:
    """Write report.html, report.md and its images comparing ``a`` and ``b`` into ``folder`` (all or
    nothing). ``method``: ``auto`` (paired when the runs share random streams, else Welch),
    ``paired`` or ``welch``."""
    return comparison_page(a, b, keys, method).write(folder)


def write_store_comparison_report(store: Any, run_a: str, point_a: int, run_b: str, point_b: int,
                                  folder: str | os.PathLike[str], keys: list[str] | None = None,
                                  method: str = "auto") -> Path:
    """The comparison report of two points of stored runs (``store``: an open :class:`twin.store.RunStore`)."""
    return write_comparison_report(point_result(store, run_a, point_a), point_result(store, run_b, point_b), folder, keys,
                                   method)
