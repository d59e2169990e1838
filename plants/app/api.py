"""Composition root: scenario in, replications run, results out (frames, summary, files).

This is the one place where the framework meets the plant (``plants``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from plants.evaluate import Evaluation, evaluate
from plants.plant import Replication, simulate
from plants.scenario import LoadedScenario, load_scenario
from twin.experiments import Backend, Progress, chunked, execute

__all__ = ["RunResult", "compare", "load", "run", "scenario_schema", "store_run", "write_outputs"]

HEADLINE = [("powder.output_t_per_yr", "Powder output", "t/yr"), ("cost.powder_usd_per_kg", "Powder cost", "USD/kg"),
            ("cost.electrode_usd_per_m2", "Electrode cost", "USD/m2"), ("cost.cell_usd_per_kwh", "Cell cost", "USD/kWh"),
            ("powder.capacity_mah_g_mean", "Powder capacity", "mAh/g"), ("prelith.ice_mean", "ICE after prelithiation", ""),
            ("yield.overall_first_pass", "First-pass yield", ""), ("plant.bottleneck", "Bottleneck", "")]

def _t95(dof: int) -> float:
    """Two-sided 95 % Student t quantile."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))


@dataclass(frozen=True)
class RunResult:
    """What ``twin run`` produces: summary KPIs and the frames behind them."""

    scenario: LoadedScenario
    summary: dict[str, Any]
    lots: pd.DataFrame
    events: pd.DataFrame
    genealogy: pd.DataFrame
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    replications: list[dict[str, Any]] = field(default_factory=list)
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)  # the cost ledger, one row per item
    cost_attribution: pd.DataFrame = field(default_factory=pd.DataFrame)  # line x category, mean over replications
    quality_drivers: pd.DataFrame = field(default_factory=pd.DataFrame)

    def kpis(self) -> pd.Series:
        return pd.Series(self.summary)

    def _repr_html_(self) -> str:
        """Headline KPIs with their 95 % half-widths, and the frames behind them (for Jupyter)."""
        rows = []
        for key, label, unit in HEADLINE:
            v = self.summary.get(key)
            ci = self.summary.get(f"{key}.ci95_half")
            text = v if isinstance(v, str) else ("n/a" if v is None or not math.isfinite(v) else f"{v:,.4g}")
            if isinstance(ci, float) and math.isfinite(ci):
                text += f" &plusmn; {ci:,.2g}"
            rows.append(f"<tr><td>{label}</td><td style='text-align:right'>{text}</td><td>{unit}</td>"
                        f"<td><code>{key}</code></td></tr>")
        frames = ", ".join(f"<code>.{n}</code> ({len(getattr(self, n)):,} rows)" for n in
                           ("lots", "events", "genealogy", "levels", "costs", "quality_drivers"))
        return (f"<b>Run of {self.summary.get('scenario')}</b> ({self.summary.get('replications')} replication(s), "
                f"horizon {self.summary.get('horizon_h'):g} h, seed {self.summary.get('seed')})"
                f"<table>{''.join(rows)}</table><small>Frames: {frames}; all KPIs: <code>.kpis()</code>; "
                f"waterfall: <code>.cost_waterfall()</code></small>")

    def cost_waterfall(self, per: str = "kg") -> pd.DataFrame:
        """Unit cost by category, then the total, the target and the gap (``per`` = "kg" or "kwh")."""
        group, unit = {"kg": ("powder", "usd_per_kg"), "kwh": ("cell", "usd_per_kwh")}[per]
        parts = ["capital", "labour", "materials", "utilities", "overheads", "scrap"] + (
            ["rest_of_cell"] if per == "kwh" else [])
        rows = [(p, self.summary.get(f"cost.waterfall.{group}.{p}_{unit}", float("nan"))) for p in parts]
        total = self.summary["cost.powder_usd_per_kg" if per == "kg" else "cost.cell_usd_per_kwh"]
        target = self.summary.get(f"cost.target_{unit}", float("nan"))
        rows += [("total", total), ("target", target), ("gap", total - target)]
        return pd.DataFrame(rows, columns=["step", unit]).set_index("step")

    def _genealogy(self, replication: int) -> pd.DataFrame:
        return self.genealogy[self.genealogy["replication"] == replication]

    def ancestry(self, lot_id: str, replication: int = 0) -> pd.DataFrame:
        """Every lot that went into ``lot_id`` (e.g. a prelithiated roll back to scaffold lots)."""
        from plants.genealogy import ancestry

        return ancestry(self._genealogy(replication), lot_id)

    def descendants(self, lot_id: str, replication: int = 0) -> pd.DataFrame:
        """Every lot made (in part) from ``lot_id`` (e.g. a scaffold lot forward to rolls)."""
        from plants.genealogy import descendants

        return descendants(self._genealogy(replication), lot_id)


def load(path: str | os.PathLike[str], sets: list[str] | None = None) -> LoadedScenario:
    return load_scenario(Path(path), sets)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replicate(chunk: list[tuple[LoadedScenario, int]]) -> list[tuple[Replication, Evaluation]]:
    """Simulate and evaluate replications (in a worker process when run on a pool or Dask)."""
    out = []
    for loaded, r in chunk:
        rep = simulate(loaded, r)
        out.append((rep, evaluate(rep, loaded)))
    return out


def run(loaded: LoadedScenario, replications: int | None = None, backend: Backend | None = None,
        progress: bool = False) -> RunResult:
    """Run the scenario's replications (serially for one, on ``backend``, default a local pool, for more)."""
    n = loaded.scenario.replications if replications is None else replications
    t0 = time.perf_counter()
    if backend is None:
        backend = Backend("serial") if n == 1 else Backend("pool", min(n, os.cpu_count() or 1))
    got: dict[int, tuple[Replication, Evaluation]] = {}
    tasks = [(loaded, r) for r in range(n)]
    bar = Progress(n, label=f"run {loaded.scenario.name}", enabled=progress and n > 1)
    finished = execute(_replicate, chunked(tasks, backend.n_workers, per_worker=1, max_size=8), backend,
                       lambda outs: got.update((o[0].replication, o) for o in outs), bar)
    if not finished:
        raise KeyboardInterrupt
    reps: list[Replication] = [got[r][0] for r in range(n)]
    evals: list[Evaluation] = [got[r][1] for r in range(n)]
    per_rep = [ev.summary for ev in evals]
    summary: dict[str, Any] = {
        "scenario": loaded.scenario.name,
        "scenario_sha256": _sha256(loaded.text),
        "parameter_set": f"{loaded.params.name}@{loaded.params.version}",
        "replications": n,
    }
    for key in per_rep[0]:
        values = [r[key] for r in per_rep]
        if any(isinstance(v, str) for v in values):  # a label (e.g. the bottleneck line): most frequent
            summary[key] = max(sorted(set(map(str, values))), key=[str(v) for v in values].count)
            continue
        finite = [v for v in values if math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else float("nan")
        summary[key] = mean
        if n > 1 and key not in ("seed", "replication", "horizon_h", "warmup_h"):
            if len(finite) > 1:
                sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1))
                summary[f"{key}.ci95_half"] = _t95(len(finite) - 1) * sd / math.sqrt(len(finite))
    summary["seed"] = loaded.scenario.seed
    summary.pop("replication", None)
    summary["sim.events"] = sum(r.events for r in reps)
    summary["sim.wall_s"] = time.perf_counter() - t0
    lots = pd.concat([r.lots.assign(replication=r.replication, cost_usd=ev.cost.lots["cost_usd"].to_numpy(),
                                    scrap_usd=ev.cost.lots["scrap_usd"].to_numpy())
                      for r, ev in zip(reps, evals, strict=True)], ignore_index=True)
    costs = pd.concat([ev.cost.ledger.assign(replication=r.replication) for r, ev in zip(reps, evals, strict=True)],
                      ignore_index=True)
    attribution = sum((ev.cost.attribution for ev in evals), start=evals[0].cost.attribution * 0.0) / n
    drivers = pd.concat([ev.drivers.assign(replication=r.replication) for r, ev in zip(reps, evals, strict=True)],
                        ignore_index=True)
    states = pd.concat([r.states.assign(replication=r.replication, kind="state") for r in reps], ignore_index=True)
    lot_events = pd.concat([r.lot_events.assign(replication=r.replication, kind="lot") for r in reps], ignore_index=True)
    events = pd.concat([states, lot_events.rename(columns={"status": "state"})], ignore_index=True, sort=False)
    genealogy = pd.concat([r.genealogy.assign(replication=r.replication) for r in reps], ignore_index=True)
    levels = pd.concat([r.levels.assign(replication=r.replication) for r in reps], ignore_index=True)
    return RunResult(loaded, summary, lots, events, genealogy, levels, per_rep, costs, attribution, drivers)


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def write_outputs(result: RunResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write summary.json, lots/events/genealogy/levels/costs/quality_drivers.parquet and scenario.yaml, all or nothing.

    Files are written to a temporary folder beside ``out_dir`` and moved in only when all of
    them were written; a failure leaves ``out_dir`` as it was.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        result.lots.to_parquet(tmp / "lots.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        result.genealogy.to_parquet(tmp / "genealogy.parquet", index=False)
        result.levels.to_parquet(tmp / "levels.parquet", index=False)
        result.costs.to_parquet(tmp / "costs.parquet", index=False)
        result.quality_drivers.to_parquet(tmp / "quality_drivers.parquet", index=False)
        (tmp / "scenario.yaml").write_text(result.scenario.text, encoding="utf-8")
        summary = {k: _json_value(v) for k, v in result.summary.items()}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for name in ("lots.parquet", "events.parquet", "genealogy.parquet", "levels.parquet", "costs.parquet",
                     "quality_drivers.parquet", "scenario.yaml", "summary.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def store_run(result: RunResult, store_path: str | os.PathLike[str] | None = None) -> str:
    """Record a run (its scenario, code version, seed, every replication's KPIs and lots) in the run store."""
    from twin.campaign import code_version, default_store_path
    from twin.store import RunStore

    loaded = result.scenario
    sha = _sha256(loaded.text)
    run_id = f"run-{sha[:12]}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    design = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))
    n = len(result.replications)
    with RunStore(store_path if store_path is not None else default_store_path()) as store:
        store.begin_run(run_id, "run", loaded.scenario.name, loaded.text, sha, code_version(), loaded.scenario.seed, n, design)
        store.add_results(run_id, [(0, r, loaded.scenario.seed, summary,
                                    result.lots[result.lots["replication"] == r].drop(columns=["replication"]), float("nan"))
                                   for r, summary in enumerate(result.replications)])
        store.finish_run(run_id, "complete")
    return run_id


def scenario_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of scenario files, for editors to complete and check them."""
    from plants.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Si/C twin scenario"
    schema["description"] = ("A scenario of the Si/C manufacturing twin: a parameter set plus overrides, process "
                             "settings, horizon, calendar, seed, replications, specs, targets, sensitivity and "
                             "optimization sections. See the README.")
    return schema


def compare(a: RunResult, b: RunResult, keys: list[str] | None = None) -> pd.DataFrame:
    """KPI deltas b - a with Welch 95 % half-widths over the two runs' replications."""
    from scipy import stats

    ra, rb = pd.DataFrame(a.replications), pd.DataFrame(b.replications)
    num = [k for k in ra.select_dtypes("number").columns if k in rb.columns and (keys is None or k in keys)
           and k not in ("seed", "replication", "horizon_h", "warmup_h") and not k.startswith("sim.")]
    rows = []
    for k in num:
        x, y = ra[k].dropna(), rb[k].dropna()
        d = float(y.mean() - x.mean())
        half = math.nan
        if len(x) > 1 and len(y) > 1:
            va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
            se = math.sqrt(va + vb)
            dof = (va + vb) ** 2 / ((va**2 / (len(x) - 1) if va else 0.0) + (vb**2 / (len(y) - 1) if vb else 0.0)) if se else 1.0
            half = float(stats.t.ppf(0.975, dof) * se) if se else 0.0
        rows.append({"key": k, "a": float(x.mean()), "b": float(y.mean()), "delta": d, "ci95_half": half})
    return pd.DataFrame(rows).set_index("key")
