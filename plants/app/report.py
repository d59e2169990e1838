"""The run report of the Si/C twin: a self-contained HTML page and its Markdown twin (with its images
as PNG files beside it), rendered from a :class:`~plants.app.api.RunResult` in memory (``twin run``
writes it beside the results; ``twin report`` rebuilds it from a run folder or a stored run).

Sections (a table of contents links them; a section with nothing to show is left out): the run
(scenario, parameter set, code version); headline KPIs with their 95 % half-widths; the bottleneck
(lines ranked by active share with intervals, near-ties called near-ties); for a stored sweep, its
points (with why a point produced nothing) and each KPI against each setting, one line per level of
the other settings; time and flow (state shares, buffer levels, equipment Gantt of the first two
weeks, lines in process order); quality (mean, CV, Cpk, share in spec with intervals, distributions
against the spec limits, the variance shares summarised over replications); cost (waterfall,
attribution, the ledger with the formula of every line); emissions; the investment case; the
genealogy of one released roll; and the sources of the prices, rates and cell data the run used,
the scenario's overrides flagged as such.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from plants.app import plots
from plants.app.api import RunResult
from plants.app.bottleneck import bottleneck_ranking
from plants.kpi import REGISTRY
from plants.lines import PRODUCTS, LotKind, LotStatus, label, stage_keys
from twin.params import Flag
from twin.provenance import code_version
from twin.report import Page, collector_paused, fmt, plus_minus
from twin.stats import ci_half

__all__ = ["bottleneck_ranking", "build_page", "explain_nothing", "sweep_notes", "write_report"]

SWEEP_KPIS = ("cost.powder_usd_per_kg", "powder.output_t_per_yr", "cost.cell_usd_per_kwh")
SHARED = ("'shared' is the part of the variance the drivers explain together, through their correlation with each "
          "other (the fit's explained share minus the sum of the drivers' own shares): negative when correlated drivers "
          "offset each other, so the shares of one attribute add up to 1 with 'residual', what no driver explains.")

Specs = Mapping[str, Mapping[str, tuple[float | None, float | None]]]


# ----------------------------------------------------------------------------- number formats
def _pm(mean: Any, half: Any, digits: int = 4) -> str:
    return plus_minus(mean, half, digits)


def _placeholder_text(s: dict[str, Any], key: str) -> str:
    """'64 %': the share of placeholder parameters behind a headline KPI (blank when it declares none)."""
    v = s.get(f"provenance.placeholder_share.{key}")
    return f"{v:.0%}" if isinstance(v, float) and v == v else ""


def _kpi_value(summary: Mapping[str, Any], key: str) -> str:
    """A KPI with its 95 % half-width, in the registry's decimals."""
    k = REGISTRY.find(key)
    v, h = summary.get(key), summary.get(f"{key}.ci95_half")
    if k is None or k.digits is None or not isinstance(v, (int, float)):
        return fmt(v)
    text = REGISTRY.format(key, v)
    if isinstance(h, float) and math.isfinite(h):
        text += f" ± {REGISTRY.format(key, h) if k.digits >= 0 else f'{h:.1e}'}"
    return text


# ----------------------------------------------------------------------------- the bottleneck
def _per_replication(run: RunResult) -> list[dict[str, Any]]:
    if run.replications:
        return list(run.replications)
    kt = run.kpi_table
    if not kt.empty and 0 in kt.index.get_level_values("point_id"):
        return list(kt.xs(0, level="point_id").to_dict("records"))
    return [dict(run.summary)]


def _bottleneck(page: Page, run: RunResult) -> None:
    t, near = bottleneck_ranking(_per_replication(run))
    if t.empty:
        return
    page.heading("Bottleneck")
    n = len(_per_replication(run))
    first = t.iloc[0]
    if n < 2:
        text = (f"{first['line']} is the most active line (one replication: no interval, so a close second cannot be "
                "ruled out; run 3 or more replications to tell).")
    elif near:
        second = t.iloc[1]
        text = (f"Near-tie: {first['line']} and {second['line']} are both candidates: their active shares "
                f"({_pm(first['active share'], first['ci95_half'], 3)} and "
                f"{_pm(second['active share'], second['ci95_half'], 3)}, "
                f"95 % over {n} replications) overlap, so the twin cannot say which one limits the plant.")
    else:
        text = (f"{first['line']} is the bottleneck: its active share {_pm(first['active share'], first['ci95_half'], 3)} "
                f"is above every other line's interval ({n} replications).")
    page.paragraph(text + " Active share: working or down, neither blocked, starved nor idle (the active-period view).")
    shown = t.assign(**{"active share": [_pm(m, h, 3) for m, h in zip(t["active share"], t["ci95_half"], strict=True)]})
    page.table("Lines ranked by active share (mean ± 95 %)", shown[["line", "active share"]], level=3)


# ----------------------------------------------------------------------------- why nothing came out
_FAILED = re.compile(r"off-spec: (.+)")


def _limit_text(attr: str, lim: tuple[float | None, float | None] | None) -> str:
    if lim is None:
        return attr
    lo, hi = lim
    return " and ".join(x for x in (f"{attr} >= {lo:g}" if lo is not None else "",
                                     f"{attr} <= {hi:g}" if hi is not None else "") if x) or attr


def explain_nothing(lots: pd.DataFrame, specs: Specs | None = None) -> str:
    """Why a run made no released powder (or no good electrode roll), from its lots' statuses and
    reject/scrap reasons, e.g. ``every tested lot failed capacity_mah_g >= 1500 (12 of 12)``; empty
    when it made something."""
    if lots.empty or "line" not in lots:
        return "no lots"
    specs = specs or {}
    out = []
    for product, kind, ok_status, what in (("powder", LotKind.POWDER, (LotStatus.RELEASED, LotStatus.CONSUMED), "powder lot"),
                                           ("electrode", LotKind.ROLL, (LotStatus.RELEASED, LotStatus.CONSUMED,
                                                                        LotStatus.PRELITHIATING), "electrode roll")):
        g = lots[lots["line"] == kind]
        if (g["status"].isin(ok_status)).any():
            continue
        if g.empty:
            out.append(f"no {what} was made in the horizon")
            break
        bad = g[g["status"].isin((LotStatus.REJECTED, LotStatus.SCRAPPED))]
        if bad.empty:
            out.append(f"no {what} finished ({len(g)} still in process at the horizon)")
            break
        failed: Counter[str] = Counter()
        other: Counter[str] = Counter()
        for reason in bad["reason"].astype(str):
            m = _FAILED.match(reason)
            if m:
                failed.update(a.strip() for a in m.group(1).split(","))
            else:
                other[reason or "no reason recorded"] += 1
        lims = specs.get(product, {})
        parts = []
        for attr, count in failed.most_common():
            name = attr.removeprefix("coat weight").strip() or attr
            text = _limit_text(name, lims.get(name))
            parts.append(f"every {what} failed {text} ({count} of {len(bad)})" if count == len(bad)
                         else f"{count} of {len(bad)} failed {text}")
        parts += [f"{count} of {len(bad)} {reason}" for reason, count in other.most_common()]
        out.append(f"no {what} passed: " + "; ".join(parts))
        break
    return "; ".join(out)


def _explain_from_kpis(row: Mapping[str, Any], specs: Specs | None) -> str:
    """The same from a point's KPIs when its lots are not at hand (a stored sweep keeps point 0's lots):
    the attributes no lot had in spec."""
    if not _empty(row):
        return ""
    failed = [k.split(".")[2] for k, v in row.items() if k.startswith("quality.powder.") and k.endswith(".in_spec")
              and not k.endswith("ci95_half") and isinstance(v, (int, float)) and v == 0.0]
    rejected = row.get("powder.lots_rejected")
    if failed:
        lims = (specs or {}).get("powder", {})
        return "no powder lot passed: every tested lot failed " + ", ".join(_limit_text(a, lims.get(a)) for a in failed) \
            + (f" ({rejected:g} lots rejected)" if isinstance(rejected, (int, float)) and math.isfinite(rejected) else "")
    return "no released powder (no lot finished its release test in the horizon)"


def _empty(row: Mapping[str, Any]) -> bool:
    v = row.get("powder.output_t_per_yr")
    return isinstance(v, (int, float)) and (not math.isfinite(v) or v <= 0.0)


def sweep_notes(design: pd.DataFrame, kpis: pd.DataFrame, lots: pd.DataFrame | None = None,
                specs: Specs | None = None) -> pd.Series:
    """Per sweep point: why it produced nothing (from its lots' reasons where ``lots`` has the
    point, else from its KPIs), empty for a point that made something."""
    means = kpis.select_dtypes("number").groupby(level="point_id").mean()
    swept = [(c, m) for c in design.columns if (m := re.fullmatch(r"specs\.(\w+)\.(\w+)\.(min|max)", str(c)))]
    notes = {}
    for pid in design.index:
        row = means.loc[pid].to_dict() if pid in means.index else {}
        if not _empty(row):
            notes[pid] = ""
            continue
        own = {p: dict(v) for p, v in (specs or {}).items()}  # a swept spec limit is the point's own
        for col, m in swept:
            lo, hi = own.setdefault(m.group(1), {}).get(m.group(2), (None, None))
            v = float(design.loc[pid, col])
            own[m.group(1)][m.group(2)] = (v, hi) if m.group(3) == "min" else (lo, v)
        if lots is not None and "point_id" in lots and (lots["point_id"] == pid).any():
            notes[pid] = explain_nothing(lots[lots["point_id"] == pid], own)
        else:
            notes[pid] = _explain_from_kpis(row, own)
    return pd.Series(notes, name="why nothing", dtype=object).reindex(design.index).fillna("")


def _sweep(page: Page, run: RunResult, specs: Specs) -> None:
    """A stored sweep: its points with the headline KPIs and why a point made nothing, and each KPI
    against each swept setting, one line per level of the other settings."""
    design, kt = run.design, run.kpi_table
    if len(design) <= 1 or kt.empty:
        return
    page.heading("Sweep")
    keys = [k for k in SWEEP_KPIS if k in kt.columns and kt[k].notna().any()]
    num = kt[keys].groupby(level="point_id")
    mean, sd, n = num.mean(), num.std(ddof=1), num.count()
    lots = run.lots.assign(point_id=0) if len(run.lots) and "point_id" not in run.lots else run.lots
    notes = sweep_notes(design, kt, lots, specs)
    table = design.copy()
    table.columns = [plots.setting_label(c) for c in table.columns]
    for k in keys:
        from twin.stats import t_quantile

        half = sd[k] * t_quantile((n[k] - 1).clip(lower=1)) / n[k].pow(0.5)
        table[REGISTRY.label(k)] = [_pm(m, h) if math.isfinite(m) else "nothing" for m, h in
                                    zip(mean[k].reindex(design.index), half.reindex(design.index).where(n[k] > 1), strict=True)]
    table["why nothing"] = notes
    if not notes.astype(bool).any():
        table = table.drop(columns="why nothing")
    page.table("Design points (mean ± 95 % over replications)", table.reset_index(), level=3,
               note="Every point ran on the same random streams (common random numbers). 'nothing': no released "
                    "powder; the last column says why, from the point's rejected lots.")
    for setting in design.columns:
        if design[setting].nunique() > 1 and pd.api.types.is_numeric_dtype(design[setting]):
            for key in keys:
                page.figure(f"{REGISTRY.label(key)} against {setting}",
                            lambda setting=setting, key=key: plots.response(design, kt, setting, key))


# ----------------------------------------------------------------------------- sections
def _quality_table(s: Mapping[str, Any], specs: Specs) -> pd.DataFrame:
    rows = []
    for k in s:
        if not (k.startswith("quality.") and k.endswith(".cpk")):
            continue
        base = k[: -len("cpk")]
        _, product, attr = base.rstrip(".").split(".", 2)
        lo, hi = specs.get(product, {}).get(attr, (None, None))
        rows.append({
            "product": product, "attribute": plots.attribute_label(attr),
            "spec": " to ".join(x for x in (f">= {lo:g}" if lo is not None else "", f"<= {hi:g}" if hi is not None else "") if x),
            "mean": _pm(s.get(base + "mean"), s.get(base + "mean.ci95_half")),
            "CV": _pm(s.get(base + "cv"), s.get(base + "cv.ci95_half"), 2),
            "Cpk": _pm(s.get(base + "cpk"), s.get(base + "cpk.ci95_half"), 3),
            "in spec": _pm(s.get(base + "in_spec"), s.get(base + "in_spec.ci95_half"), 3)})
    return pd.DataFrame(rows)


def _drivers_table(d: pd.DataFrame) -> pd.DataFrame:
    """One row per attribute and driver: its variance share averaged over replications (± 95 %)."""
    if d.empty or "share" not in d:
        return pd.DataFrame()
    keys = [c for c in ("product", "attribute", "driver") if c in d.columns]
    g = d.groupby(keys, sort=False)["share"]
    mean, count = g.mean(), g.count()
    half = g.agg(lambda x: ci_half(x.dropna().to_numpy()) if x.notna().sum() > 1 else math.nan)
    out = pd.DataFrame({"share of variance": [_pm(m, h, 2) for m, h in zip(mean, half, strict=True)],
                        "replications": count.to_numpy()}, index=mean.index).reset_index()
    if "attribute" in out:
        out["attribute"] = out["attribute"].str.replace("_", " ")
    if "driver" in out:
        out["driver"] = out["driver"].str.replace("_", " ")
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
    page.figure("Cash flow over the plant's life (M USD)", lambda: plots.cash_flow(flows))
    if not t.empty:
        page.figure("What moves the NPV: each driver -/+ 20 %", lambda: plots.tornado(t, t.attrs["base_npv_usd"]))
    usd = {c: (lambda v: fmt(v, 6) if not isinstance(v, float) or abs(v) < 1e4 else f"{v:,.0f}") for c in flows.columns}
    page.table("Cash flow, year by year (USD)", flows, formats=usd, level=3)


def _specs(run: RunResult) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    if run.scenario is not None:  # the limits the run used (its --set lines included)
        return {product: {a: (lim.min, lim.max) for a, lim in getattr(run.scenario.scenario.specs, product).items()}
                for product in PRODUCTS}
    scenario = yaml.safe_load(run.scenario_text) if run.scenario_text else {}  # the file's limits, as far as they read
    scenario = scenario if isinstance(scenario, dict) else {}
    return {product: {a: (lim.get("min"), lim.get("max")) for a, lim in (group or {}).items()}
            for product, group in (scenario.get("specs") or {}).items() if product in PRODUCTS}


def _ledger(frame: pd.DataFrame, value_cols: Sequence[str]) -> pd.DataFrame:
    """Replication 0 of a ledger, lines in process order."""
    if frame.empty:
        return frame
    out = frame[frame["replication"] == 0].drop(columns=["replication"]) if "replication" in frame else frame
    if "line" in out:
        rank = {k: i for i, k in enumerate(stage_keys())}
        out = out.assign(_r=out["line"].map(lambda x: rank.get(str(x), len(rank)))).sort_values("_r", kind="stable")
        out = out.drop(columns="_r")
    return out


def build_page(run: RunResult) -> Page:
    """The run report of ``run``; its figures are made and rendered when the page is written (see
    :mod:`twin.report`)."""
    with collector_paused():  # many short-lived objects, none cyclic for long: no passes over the run's records
        return _build_page(run)


def _build_page(run: RunResult) -> Page:
    s = run.summary
    specs = _specs(run)
    page = Page(f"Si/C twin run report: {s.get('scenario')}")
    overrides = run.sources[run.sources["flag"] == Flag.SCENARIO.value] if not run.sources.empty else run.sources
    set_file = f" (`{s['parameter_set_file']}`, sha256 {str(s.get('parameter_set_sha256'))[:12]})" \
        if s.get("parameter_set_file") else ""
    horizon = s.get("horizon_h")
    meta = (f"Scenario **{s.get('scenario')}**, parameter set {s.get('parameter_set')}{set_file}, seed {s.get('seed')}, "
            f"{s.get('replications')} replication(s), horizon {fmt(horizon, 6)} h; scenario sha256 "
            f"{str(s.get('scenario_sha256'))[:12]}; code {s.get('code_version') or code_version()}"
            + (f"; stored run {s['run_id']}, {len(run.design)} point(s), headline figures of point 0" if "run_id" in s else "")
            + (f"; {len(overrides)} parameter(s) overridden by the scenario (flagged 'scenario value' in the sources)"
               if len(overrides) else "") + ". Figures are means over replications ± the 95 % half-width.")
    page.paragraph(meta)
    headline = pd.DataFrame([{"KPI": r["KPI"], "value": _kpi_value(s, r["key"]), "unit": r["unit"],
                              "placeholders": _placeholder_text(s, r["key"]), "key": r["key"]}
                             for r in REGISTRY.table(s)])
    page.table("Headline KPIs", headline)
    share = s.get("provenance.placeholder_share")
    if isinstance(share, float) and share == share:
        page.paragraph(f"{share:.0%} of the parameter set's values are placeholders (flag U); the column "
                       "'placeholders' gives the share among the parameters each figure depends on. A figure "
                       "that rests on placeholders is a model estimate, not a measurement: see the sources below.")
    _bottleneck(page, run)
    _sweep(page, run, specs)

    # time and flow
    flow: list[tuple[str, Any]] = []  # (caption, a callable making the figure: drawn when the page is written)
    if any(".state_share." in k for k in s):
        flow.append(("Time per state, by line", lambda: plots.state_shares(run)))
    if not run.levels.empty:
        flow.append(("Buffer levels", lambda: plots.buffer_levels(run)))
    if not run.events.empty:
        flow.append(("Equipment states, first two weeks",
                     lambda: plots.gantt(run, 0.0, min(336.0, float(s["horizon_h"])))))
    if flow:
        page.heading("Time and flow")
        for caption, fig in flow:
            page.figure(caption, fig)

    # quality
    quality = _quality_table(s, specs)
    dists = []
    kinds = run.lots["line"].to_numpy() if "line" in run.lots else None
    for product, attrs in specs.items():
        for attr, (lo, hi) in attrs.items():
            kind = PRODUCTS[product]
            if kinds is not None and attr in run.lots and run.lots.loc[kinds == kind, attr].notna().any():
                dists.append((product, kind, attr, lo, hi))
    drivers = _drivers_table(run.quality_drivers)
    if not quality.empty or dists or not drivers.empty:
        page.heading("Quality")
        page.table("Quality consistency of the lots (mean ± 95 % over replications)", quality, level=3)
        if dists:
            names = ", ".join(f"{product} {attr}" for product, _, attr, _, _ in dists)
            page.figure(f"Lot attributes against their spec limits (dashed; all replications' lots): {names}",
                        lambda: plots.distributions(run, dists))
        page.table("Which inputs drive the spread (share of each attribute's variance)", drivers, level=3,
                   note="Averaged over replications (± 95 %). " + SHARED)

    # cost
    cost_figs = []
    if math.isfinite(float(s.get("cost.powder_usd_per_kg", math.nan))):
        cost_figs.append(("Cost of a good kg of powder", lambda: plots.cost_waterfall(run, "kg")))
    # cost by line and category: a table with each line's total and share (five lines: a table says it
    # as well as the stacked bars did, and costs no drawing)
    attribution = run.cost_attribution
    if not attribution.empty:
        order = [k for k in stage_keys() if k in attribution.index] + [k for k in attribution.index if k not in stage_keys()]
        attribution = attribution.reindex(order)
        total = attribution.sum(axis=1, numeric_only=True)
        attribution = attribution.assign(total=total, share=total / total.sum() if total.sum() else math.nan)
        attribution = attribution.rename(index=label).reset_index(names="line")
    ledger = _ledger(run.costs, ["usd"])
    if cost_figs or not attribution.empty or not ledger.empty:
        page.heading("Cost")
        for caption, fig in cost_figs:
            page.figure(caption, fig)
        usd = {c: (lambda v: f"{v:,.0f}" if isinstance(v, float) and math.isfinite(v) else fmt(v))
               for c in attribution.columns if c not in ("line", "share")}
        usd["share"] = lambda v: f"{v:.1%}" if isinstance(v, float) and math.isfinite(v) else fmt(v)
        page.table("Cost by line and category (USD over the horizon, mean over replications)", attribution, formats=usd,
                   level=3, note="Scrap is moved to the line that scrapped it; 'share': the line's part of the total.")
        page.table("Cost ledger: every item and its formula (replication 0, USD)", ledger, level=3,
                   formats={"usd": lambda v: f"{v:,.2f}" if isinstance(v, float) and math.isfinite(v) else fmt(v)})

    # emissions
    co2 = _ledger(run.co2, ["kg", "kwh"])
    has_co2 = math.isfinite(float(s.get("co2.powder_kg_per_kg", math.nan)))
    if has_co2 or not co2.empty:
        page.heading("Emissions")
        if has_co2:  # four scopes and their total: a table (the notebook helper plots.co2_waterfall draws it)
            w = run.co2_waterfall().drop(index=["target", "gap"], errors="ignore").iloc[:, 0]
            total = float(w.get("total", math.nan))
            scopes = pd.DataFrame({"scope": w.index, "kg CO2e per kg": w.to_numpy(dtype=float),
                                   "share": w.to_numpy(dtype=float) / total if total else math.nan})
            page.table("Emissions of a good kg of powder, by scope (kg CO2e per kg)", scopes, level=3,
                       formats={"share": lambda v: f"{v:.1%}" if isinstance(v, float) and math.isfinite(v) else fmt(v)})
        page.table("Emission ledger: every item and its formula (replication 0, kg CO2e; kwh: the electricity behind it)",
                   co2, level=3)

    _investment(page, run)

    lots = run.lots
    if len(lots) and not run.genealogy.empty:
        released = lots[(lots["line"] == LotKind.PRELITH_ROLL) & (lots["status"] == LotStatus.RELEASED)
                        & (lots["replication"] == 0)]
        if len(released):
            page.heading("Genealogy")
            roll = str(released["lot_id"].iloc[0])
            page.figure(f"Genealogy of roll {roll}", lambda: plots.genealogy(run, roll))
    if _empty(s):
        page.heading("Why nothing was released")
        page.paragraph(explain_nothing(lots[lots["replication"] == 0] if "replication" in lots else lots, specs)
                       or _explain_from_kpis(s, specs))
    page.table("Sources of the prices, rates, emission factors and cell data", _sources(run),
               note="The values this run used. A 'scenario value' was set by the scenario (overrides or --set), "
                    "not taken from the parameter set.")
    return page


def write_report(folder: str | os.PathLike[str], run: RunResult | None = None) -> Path:
    """Write report.html, report.md and the Markdown's images into ``folder`` (all or nothing), for
    ``run`` (default: the run folder ``folder`` itself, read back)."""
    run = RunResult.from_folder(folder) if run is None else run
    return build_page(run).write(folder)
