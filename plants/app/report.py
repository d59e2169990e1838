"""The run report of the Si/C twin: a self-contained HTML page and its Markdown twin, rendered from
a :class:`~plants.app.api.RunResult` in memory (``twin run`` writes it beside the results;
``twin report`` rebuilds it from a run folder or a stored run).

Sections: scenario and code version; headline KPIs with their 95 % half-widths; plots (time per
state, buffer levels, equipment Gantt of the first two weeks, property distributions against spec
limits with Cpk, cost waterfall and attribution, the genealogy of one released roll); the tables
behind them; the cost lines with the formula each was computed by; and the sources of the prices,
rates and cell data the run actually used, the scenario's overrides flagged as such.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from plants.app import plots
from plants.app.api import RunResult
from plants.kpi import REGISTRY
from plants.lines import PRODUCTS, LotKind, LotStatus
from twin.params import Flag
from twin.provenance import code_version
from twin.report import Page

__all__ = ["build_page", "write_report"]

SWEEP_KPIS = ("cost.powder_usd_per_kg", "powder.output_t_per_yr", "cost.cell_usd_per_kwh")


def _figures(run: RunResult, specs: dict[str, dict[str, tuple[float | None, float | None]]]) -> list[tuple[str, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    out: list[tuple[str, Any]] = []
    if any(".state_share." in k for k in run.summary):
        out.append(("Time per state, by line", plots.state_shares(run)))
    if not run.levels.empty:
        out.append(("Buffer levels", plots.buffer_levels(run)))
    if not run.events.empty:
        out.append(("Equipment states, first two weeks", plots.gantt(run, 0.0, min(336.0, float(run.summary["horizon_h"])))))
    if len(run.design) > 1:  # a sweep: each headline cost/output KPI against each setting
        for setting in run.design.columns:
            if run.design[setting].nunique() > 1 and pd.api.types.is_numeric_dtype(run.design[setting]):
                for key in SWEEP_KPIS:
                    if key in run.kpi_table and run.kpi_table[key].notna().any():
                        out.append((f"{REGISTRY.label(key)} against {setting}",
                                    plots.response(run.design, run.kpi_table, setting, key)))
    for product, attrs in specs.items():
        for attr, (lo, hi) in attrs.items():
            kind = PRODUCTS[product]
            if attr in run.lots and run.lots.loc[run.lots["line"] == kind, attr].notna().any():
                out.append((f"{product} {attr} against its spec", plots.distribution(run, kind, attr, lo, hi)))
    if math.isfinite(float(run.summary.get("cost.powder_usd_per_kg", math.nan))):
        out.append(("Cost of a good kg of powder", plots.cost_waterfall(run, "kg")))
    if not run.cost_attribution.empty:
        out.append(("Cost by line and category", plots.cost_attribution(run)))
    if math.isfinite(float(run.summary.get("co2.powder_kg_per_kg", math.nan))):
        out.append(("Emissions of a good kg of powder (kg CO2e)", plots.co2_waterfall(run)))
    lots = run.lots
    if len(lots) and not run.genealogy.empty:
        released = lots[(lots["line"] == LotKind.PRELITH_ROLL) & (lots["status"] == LotStatus.RELEASED)
                        & (lots["replication"] == 0)]
        if len(released):
            out.append((f"Genealogy of roll {released['lot_id'].iloc[0]}", plots.genealogy(run, released["lot_id"].iloc[0])))
    return out


def _sources(run: RunResult) -> pd.DataFrame:
    """The prices, rates and cell data the run used, overrides first and flagged."""
    src = run.sources
    if src.empty:
        return src
    out = src[src["parameter"].str.startswith(("economics.", "emissions.", "cell."))].copy()
    scenario = out["flag"] == Flag.SCENARIO.value
    out["flag"] = out["flag"].where(~scenario, "scenario value")
    return pd.concat([out[scenario], out[~scenario]], ignore_index=True)


def _investment(page: Page, run: RunResult) -> None:
    """The powder plant's cash flow and what moves its NPV (needs the scenario, for its parameters)."""
    from plants.investment import investment_table, tornado

    if run.scenario is None or not math.isfinite(float(run.summary.get("economics.npv_usd", math.nan))):
        return
    flows = investment_table(run.summary, run.scenario)
    t = tornado(run.summary, run.scenario)
    page.heading("Investment case (powder plant)")
    s = run.summary

    def num(v: Any, spec: str, unit: str = "") -> str:
        return "none" if not isinstance(v, (int, float)) or not math.isfinite(v) else f"{v:{spec}}{unit}"

    page.paragraph(f"NPV {num(s['economics.npv_usd'] / 1e6, ',.1f', ' M USD')}, IRR {num(s['economics.irr'], '.1%')}, "
                   f"payback {num(s['economics.payback_years'], '.1f', ' years')} from start-up, minimum selling price "
                   f"{num(s['economics.minimum_selling_price_usd_per_kg'], '.2f', ' USD/kg')} (means over the run's "
                   f"replications). The cash flow and the tornado below are those of the mean inputs (NPV "
                   f"{num(t.attrs.get('base_npv_usd', math.nan) / 1e6, ',.1f', ' M USD')}); the parameters are in the "
                   "sources table (economics.investment.*).")
    page.figure("Cash flow over the plant's life (M USD)", plots.cash_flow(flows))
    if not t.empty:
        page.figure("What moves the NPV: each driver -/+ 20 %", plots.tornado(t, t.attrs["base_npv_usd"]))
    page.table("Cash flow, year by year (USD)", flows, digits=6)


def build_page(run: RunResult) -> Page:
    s = run.summary
    if run.scenario is not None:  # the limits the run used (its --set lines included)
        specs = {product: {a: (lim.min, lim.max) for a, lim in getattr(run.scenario.scenario.specs, product).items()}
                 for product in PRODUCTS}
    else:  # the file's limits, as far as they can be read
        scenario = yaml.safe_load(run.scenario_text) if run.scenario_text else {}
        scenario = scenario if isinstance(scenario, dict) else {}
        specs = {product: {a: (lim.get("min"), lim.get("max")) for a, lim in (group or {}).items()}
                 for product, group in (scenario.get("specs") or {}).items() if product in PRODUCTS}
    page = Page(f"Si/C twin run report: {s.get('scenario')}")
    overrides = run.sources[run.sources["flag"] == Flag.SCENARIO.value] if not run.sources.empty else run.sources
    set_file = f" (`{s['parameter_set_file']}`, sha256 {str(s.get('parameter_set_sha256'))[:12]})" \
        if s.get("parameter_set_file") else ""
    meta = (f"Scenario **{s.get('scenario')}**, parameter set {s.get('parameter_set')}{set_file}, seed {s.get('seed')}, "
            f"{s.get('replications')} replication(s), horizon {s.get('horizon_h')} h; scenario sha256 "
            f"{str(s.get('scenario_sha256'))[:12]}; code {s.get('code_version') or code_version()}"
            + (f"; stored run {s['run_id']}, {len(run.design)} point(s), headline figures of point 0" if "run_id" in s else "")
            + (f"; {len(overrides)} parameter(s) overridden by the scenario (flagged 'scenario value' in the sources)"
               if len(overrides) else "") + ".")
    page.paragraph(meta)
    page.table("Headline KPIs", pd.DataFrame(REGISTRY.table(s)))
    page.heading("Plots")
    for caption, fig in _figures(run, specs):
        page.figure(caption, fig)
    quality = pd.DataFrame([{"attribute": k[len("quality."):-len(".cpk")], **{
        stat: s.get(k[:-len("cpk")] + stat) for stat in ("mean", "std", "cv", "cpk", "in_spec")}}
        for k in s if k.startswith("quality.") and k.endswith(".cpk")])
    ledger = run.costs[run.costs["replication"] == 0].drop(columns=["replication"]) if "replication" in run.costs else run.costs
    design = run.design.reset_index() if len(run.design.columns) else pd.DataFrame()
    _investment(page, run)
    page.table("Design points", design)
    page.table("Quality consistency (lots)", quality)
    page.table("Cost by line and category (USD)", run.cost_attribution.reset_index(names="line"))
    page.table("Which inputs drive the spread (variance shares)", run.quality_drivers)
    page.table("Cost ledger: every item and its formula (replication 0)", ledger)
    co2 = run.co2[run.co2["replication"] == 0].drop(columns=["replication"]) if "replication" in run.co2 else run.co2
    page.table("Emission ledger: every item and its formula (replication 0, kg CO2e; kwh: the electricity behind it)",
               co2)
    page.table("Sources of the prices, rates, emission factors and cell data", _sources(run),
               note="The values this run used. A 'scenario value' was set by the scenario (overrides or --set), "
                    "not taken from the parameter set.")
    return page


def write_report(folder: str | os.PathLike[str], run: RunResult | None = None) -> Path:
    """Write report.html and report.md into ``folder`` (all or nothing), for ``run`` (default: the
    run folder ``folder`` itself, read back)."""
    run = RunResult.from_folder(folder) if run is None else run
    return build_page(run).write(folder)
