"""``twin report``: a self-contained HTML report (images embedded, no network) and its Markdown twin,
from a run's output folder (what ``twin run`` wrote) -- written automatically after ``twin run``.

Sections: scenario and code version; headline KPIs with their 95 % half-widths; plots (time per
state, buffer levels, equipment Gantt of the first two weeks, property distributions against spec
limits with Cpk, cost waterfall and attribution, the genealogy of one released roll); the tables
behind them; and the cost lines with the formula each was computed by and the sources of the
prices and rates behind them (traceable numbers).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["RunFolder", "write_report"]

HEADLINE = [
    ("powder.output_t_per_yr", "Released powder", "t/yr"), ("cost.powder_usd_per_kg", "Powder cost", "USD/kg"),
    ("cost.target_gap_usd_per_kg", "  gap to target", "USD/kg"), ("cost.electrode_usd_per_m2", "Electrode cost", "USD/m2"),
    ("cost.cell_usd_per_kwh", "Reference cell cost", "USD/kWh"), ("cell.energy_wh_kg", "Reference cell energy", "Wh/kg"),
    ("prelith.output_m2_per_yr", "Prelithiated electrode", "m2/yr"), ("powder.capacity_mah_g_mean", "Powder capacity", "mAh/g"),
    ("prelith.ice_mean", "ICE after prelithiation", ""), ("yield.overall_first_pass", "First-pass yield", ""),
    ("yield.overall_si", "Si into good electrode", ""), ("plant.bottleneck", "Bottleneck line", ""),
    ("mass_balance.si_rel_error", "Si balance error", ""),
]
SPEC_LOTS = {"powder": "coating", "electrode": "casting", "prelith": "prelith"}


@dataclass
class RunFolder:
    """A run read back from its output folder, with what the plot helpers need."""

    path: Path
    summary: dict[str, Any]
    lots: pd.DataFrame
    events: pd.DataFrame
    genealogy: pd.DataFrame
    levels: pd.DataFrame
    costs: pd.DataFrame
    quality_drivers: pd.DataFrame
    scenario_text: str
    cost_attribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    design: pd.DataFrame = field(default_factory=pd.DataFrame)  # a stored sweep's points (empty for one run)
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)  # per (point, replication), for a stored run

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> RunFolder:
        p = Path(folder)
        missing = [n for n in ("summary.json", "lots.parquet", "events.parquet", "genealogy.parquet", "levels.parquet",
                               "costs.parquet", "quality_drivers.parquet", "scenario.yaml") if not (p / n).is_file()]
        if missing:
            from twin.errors import InputError

            raise InputError.single(str(p), "", f"is not a run folder written by twin run (missing {', '.join(missing)})")
        summary = json.loads((p / "summary.json").read_text())
        summary = {k: (math.nan if v is None else v) for k, v in summary.items()}
        run = cls(p, summary, pd.read_parquet(p / "lots.parquet"), pd.read_parquet(p / "events.parquet"),
                  pd.read_parquet(p / "genealogy.parquet"), pd.read_parquet(p / "levels.parquet"),
                  pd.read_parquet(p / "costs.parquet"), pd.read_parquet(p / "quality_drivers.parquet"),
                  (p / "scenario.yaml").read_text())
        run.cost_attribution = _attribution(summary)
        return run

    @classmethod
    def from_store(cls, store_path: str | os.PathLike[str], run_id: str) -> RunFolder:
        """A stored run (``twin run``/``sweep``/...): KPIs of every replication and the lots; the
        store keeps no event log, buffer levels or ledger, so those parts of the report are left out.
        For several points the summary is point 0's; the report adds response plots over the design."""
        from twin.store import RunStore

        with RunStore(store_path, read_only=True) as st:
            info = st.run_info(run_id)
            kpis = st.kpis(run_id)
            design = st.design(run_id)
            lots = st.lots(run_id, point_id=0)
        first = kpis.xs(0, level="point_id")
        summary: dict[str, Any] = {}
        for k in first.columns:
            col = first[k]
            if col.dtype == object:
                summary[k] = col.mode().iloc[0] if len(col.dropna()) else ""
                continue
            v = col.dropna()
            summary[k] = float(v.mean()) if len(v) else math.nan
            if len(v) > 1:
                from scipy import stats

                summary[f"{k}.ci95_half"] = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
        import yaml

        summary.update({"parameter_set": str((yaml.safe_load(info["scenario_text"]) or {}).get("parameter_set", "")),
                        "scenario": info["name"], "seed": info["seed"], "replications": info["replications"],
                        "scenario_sha256": info["scenario_sha256"], "run_id": run_id, "code_version": info["code_version"]})
        empty = pd.DataFrame()
        run = cls(Path(store_path).parent / run_id, summary, lots, empty, empty, empty, empty, empty, info["scenario_text"],
                  _attribution(summary), design, kpis)
        return run

    def cost_waterfall(self, per: str = "kg") -> pd.DataFrame:
        from plants.app.api import RunResult

        return RunResult.cost_waterfall(self, per)  # type: ignore[arg-type]

    def ancestry(self, lot_id: str, replication: int = 0) -> pd.DataFrame:
        from plants.genealogy import ancestry

        return ancestry(self.genealogy[self.genealogy["replication"] == replication], lot_id)


def _attribution(summary: dict[str, Any]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for k, v in summary.items():
        if k.startswith("cost.by_line.") and k.endswith("_usd") and not k.endswith("ci95_half"):
            _, _, line, cat = k.split(".")
            rows.setdefault(line, {})[cat.removesuffix("_usd")] = v
    return pd.DataFrame(rows).T


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:,.4g}"


def _figures(run: RunFolder, specs: dict[str, dict[str, tuple[float | None, float | None]]]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    from twin import plots

    out: dict[str, str] = {}
    if any(".state_share." in k for k in run.summary):
        out["Time per state, by line"] = _png(plots.state_shares(run))
    if not run.levels.empty:
        out["Buffer levels"] = _png(plots.buffer_levels(run))
    if not run.events.empty:
        out["Equipment states, first two weeks"] = _png(plots.gantt(run, 0.0, min(336.0, float(run.summary["horizon_h"]))))
    if len(run.design) > 1:  # a sweep: each headline KPI against each setting
        for setting in run.design.columns:
            if run.design[setting].nunique() > 1 and pd.api.types.is_numeric_dtype(run.design[setting]):
                for key in ("cost.powder_usd_per_kg", "powder.output_t_per_yr", "cost.cell_usd_per_kwh"):
                    if key in run.kpis and run.kpis[key].notna().any():
                        out[f"{key} against {setting}"] = _png(plots.response(run.design, run.kpis, setting, key))
    for product, attrs in specs.items():
        for attr, (lo, hi) in attrs.items():
            line = SPEC_LOTS[product]
            if attr in run.lots and run.lots.loc[run.lots["line"] == line, attr].notna().any():
                out[f"{product} {attr} against its spec"] = _png(plots.distribution(run, line, attr, lo, hi))
    if math.isfinite(float(run.summary.get("cost.powder_usd_per_kg", math.nan))):
        out["Cost of a good kg of powder"] = _png(plots.cost_waterfall(run, "kg"))
    if not run.cost_attribution.empty:
        out["Cost by line and category"] = _png(plots.cost_attribution(run))
    released = run.lots[(run.lots["line"] == "prelith") & (run.lots["status"] == "released") & (run.lots["replication"] == 0)]
    if len(released) and not run.genealogy.empty:
        out[f"Genealogy of roll {released['lot_id'].iloc[0]}"] = _png(plots.genealogy(run, released["lot_id"].iloc[0]))
    return out


def _sources(parameter_set: str) -> pd.DataFrame:
    from plants.parameters import load_parameter_set

    _, sources = load_parameter_set(parameter_set)
    rows = [{"parameter": k, "value": r.value, "units": r.units, "flag": r.flag.value, "source": r.source}
            for k, r in sources.items() if k.startswith(("economics.", "cell."))]
    return pd.DataFrame(rows)


def write_report(folder: str | os.PathLike[str], run: RunFolder | None = None) -> Path:
    """Write report.html and report.md into ``folder`` (all or nothing): a run folder twin run wrote,
    or, with ``run`` given (e.g. :meth:`RunFolder.from_store`), any folder."""
    import yaml

    run = RunFolder.read(folder) if run is None else run
    Path(folder).mkdir(parents=True, exist_ok=True)
    s = run.summary
    scenario = yaml.safe_load(run.scenario_text)
    specs = {product: {a: (lim.get("min"), lim.get("max")) for a, lim in (group or {}).items()}
             for product, group in (scenario.get("specs") or {}).items()}
    figs = _figures(run, specs)
    head = pd.DataFrame([{"KPI": label, "value": _fmt(s.get(key)),
                          "95 % half-width": _fmt(s.get(f"{key}.ci95_half")) if f"{key}.ci95_half" in s else "",
                          "unit": unit, "key": key} for key, label, unit in HEADLINE])
    quality = pd.DataFrame([{"attribute": k[len("quality."):-len(".cpk")], **{
        stat: s.get(k[:-len("cpk")] + stat) for stat in ("mean", "std", "cv", "cpk", "in_spec")}}
        for k in s if k.startswith("quality.") and k.endswith(".cpk")])
    ledger = run.costs[run.costs["replication"] == 0].drop(columns=["replication"]) if "replication" in run.costs else run.costs
    design = run.design.reset_index() if len(run.design.columns) else pd.DataFrame()
    sources = _sources(str(s.get("parameter_set", "")).split("@")[0])
    meta = (f"Scenario <b>{html.escape(str(s.get('scenario')))}</b>, parameter set {html.escape(str(s.get('parameter_set')))}, "
            f"seed {s.get('seed')}, {s.get('replications')} replication(s), horizon {s.get('horizon_h')} h; "
            f"scenario sha256 {str(s.get('scenario_sha256'))[:12]}; code {html.escape(str(s.get('code_version') or _code_version()))}"
            + (f"; stored run {html.escape(str(s['run_id']))}, {len(run.design)} point(s), headline figures of point 0" if "run_id" in s else "")
            + ".")
    tables = [("Headline KPIs", head), ("Design points", design), ("Quality consistency (lots)", quality),
              ("Cost by line and category (USD)", run.cost_attribution.reset_index(names="line")),
              ("Which inputs drive the spread (variance shares)", run.quality_drivers),
              ("Cost ledger: every item and its formula (replication 0)", ledger),
              ("Sources of the prices, rates and cell data", sources)]
    out = Path(folder)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        body = [f"<h1>Si/C twin run report: {html.escape(str(s.get('scenario')))}</h1><p>{meta}</p>"]
        md = [f"# Si/C twin run report: {s.get('scenario')}\n\n{html.unescape(meta).replace('<b>', '**').replace('</b>', '**')}\n"]
        for title, df in tables[:1]:
            body += [f"<h2>{title}</h2>", df.to_html(index=False, border=0, na_rep="n/a")]
            md += [f"\n## {title}\n\n", _md(df)]
        body.append("<h2>Plots</h2>")
        md.append("\n## Plots\n")
        for title, b64 in figs.items():
            body.append(f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{b64}">'
                        f"<figcaption>{html.escape(title)}</figcaption></figure>")
            md.append(f"\n### {title}\n\n![{title}](data:image/png;base64,{b64})\n")
        for title, df in tables[1:]:
            body += [f"<h2>{title}</h2>", df.to_html(index=False, border=0, na_rep="n/a", float_format=lambda v: f"{v:,.6g}")
                     if not df.empty else "<p><em>none</em></p>"]
            md += [f"\n## {title}\n\n", _md(df) if not df.empty else "_none_\n"]
        page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Si/C twin run report</title><style>"
                "body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;font-size:12px}"
                "td,th{padding:2px 6px;border-bottom:1px solid #ddd}img{max-width:100%}</style>"
                # a self-check a browser runs on load: how many images decoded and how many tables
                "<script>window.addEventListener('load',function(){var i=Array.prototype.slice.call(document.images);"
                "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.complete&&x.naturalWidth>0})"
                ".length+'/'+i.length);document.body.setAttribute('data-tables',document.querySelectorAll('table').length);"
                "});</script></head><body>"
                + "\n".join(body) + "</body></html>\n")
        (tmp / "report.html").write_text(page, encoding="utf-8")
        (tmp / "report.md").write_text("".join(md) + "\n", encoding="utf-8")
        for name in ("report.html", "report.md"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out / "report.html"


def _md(df: pd.DataFrame) -> str:
    cells = lambda v: _fmt(v) if not isinstance(v, str) else v.replace("|", "/")  # noqa: E731
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cells(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _code_version() -> str:
    from twin.campaign import code_version

    return code_version()
