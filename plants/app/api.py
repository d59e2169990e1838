"""The Python API of the Si/C twin (``import plants``): load a scenario, run it, compare runs.

One result type, :class:`RunResult`, whether the run was just computed (in memory), read back
from the folder ``twin run`` wrote, or from the run store.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from plants.app.bottleneck import bottleneck_summary
from plants.app.plant import PLANT, Replicate
from plants.kpi import REGISTRY
from plants.scenario import LoadedScenario, load_scenario_text
from twin.atomic import atomic_folder
from twin.errors import InputError
from twin.experiments import Backend, BackendKind, chunked, execute
from twin.params import SourceRecord
from twin.progress import Progress, simulated_hours
from twin.provenance import code_version, default_store_path, sha256_text
from twin.provenance import run_id as new_run_id
from twin.stats import BOOKKEEPING, DiffMethod, aggregate, paired_difference, welch_difference
from twin.store import RunKind, RunStatus, RunStore

__all__ = ["RunResult", "compare", "differences", "export_xlsx", "load", "run", "scenario_schema", "shares_streams",
           "sources_frame", "store_run", "write_outputs"]

FRAMES = ("lots", "events", "genealogy", "levels", "costs", "quality_drivers", "co2")  # written as <name>.parquet


def sources_frame(sources: dict[str, SourceRecord]) -> pd.DataFrame:
    """Every parameter with the value that was used (as text, exactly as given), its units, flag and
    source (overrides flagged ``scenario``, their source naming the scenario file)."""
    rows = [{"parameter": k, "value": str(r.value), "units": r.units, "flag": r.flag.value, "source": r.source}
            for k, r in sources.items()]
    return pd.DataFrame(rows, columns=["parameter", "value", "units", "flag", "source"])


@dataclass(frozen=True)
class RunResult:
    """What ``twin run`` produces: summary KPIs, the frames behind them and the sources used."""

    scenario: LoadedScenario | None  # None when read back and the scenario no longer loads
    summary: dict[str, Any]
    lots: pd.DataFrame
    events: pd.DataFrame
    genealogy: pd.DataFrame
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    replications: list[dict[str, Any]] = field(default_factory=list)
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)  # the cost ledger, one row per item
    cost_attribution: pd.DataFrame = field(default_factory=pd.DataFrame)  # line x category, mean over replications
    quality_drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)  # the parameters used, with their sources
    co2: pd.DataFrame = field(default_factory=pd.DataFrame)  # the emission ledger, one row per item and replication
    scenario_text: str = ""
    design: pd.DataFrame = field(default_factory=pd.DataFrame)  # a stored sweep's points (empty for one run)
    kpi_table: pd.DataFrame = field(default_factory=pd.DataFrame)  # per (point, replication), for a stored run
    origin: str = "memory"  # "memory", the folder it was read from, or "store:<run id>"
    #: bulk deliveries received (supply, ordered_h, time_h, mass_kg, replication) and the supply tanks'
    #: levels after every change (supply, time_h, level_kg, replication); a run computed in this session
    deliveries: pd.DataFrame = field(default_factory=pd.DataFrame)
    tanks: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: a run started from a plant state: per lot in quarantine, its lab decision over replications
    forecast_lots: pd.DataFrame = field(default_factory=pd.DataFrame)
    state_notes: list[str] = field(default_factory=list)  # what the plant state named that was not restored

    # ------------------------------------------------------------------ reading back
    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> RunResult:
        """A run read back from the folder ``twin run`` wrote."""
        p = Path(folder)
        need = ("summary.json", *(f"{n}.parquet" for n in FRAMES if n != "co2"), "scenario.yaml")
        missing = [n for n in need if not (p / n).is_file()]
        if missing:
            raise InputError.single(str(p), "", f"is not a run folder written by twin run (missing {', '.join(missing)})")
        try:
            raw = json.loads((p / "summary.json").read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("summary.json is not a mapping of keys to values")
            summary = {k: (math.nan if v is None else v) for k, v in raw.items()}
            frames = {n: pd.read_parquet(p / f"{n}.parquet") if (p / f"{n}.parquet").is_file() else pd.DataFrame()
                      for n in FRAMES}  # co2.parquet is missing in folders written before the carbon footprint
            text = (p / "scenario.yaml").read_text(encoding="utf-8")
            sources = pd.read_parquet(p / "sources.parquet") if (p / "sources.parquet").is_file() else pd.DataFrame()
        except (OSError, ValueError) as exc:  # a damaged folder: say which and why, no traceback
            raise InputError.single(str(p), "", f"is a damaged run folder: {str(exc)[:200]}") from None
        loaded = _reload(text, str(p / "scenario.yaml"), summary)
        return cls(loaded, summary, frames["lots"], frames["events"], frames["genealogy"], frames["levels"], [],
                   frames["costs"], _attribution(summary), frames["quality_drivers"], sources, frames["co2"], text,
                   origin=str(p))

    @classmethod
    def from_store(cls, store_path: str | os.PathLike[str], run_id: str) -> RunResult:
        """A stored run (``twin run``/``sweep``/...): KPIs of every replication and the lots; the
        store keeps no event log, buffer levels or ledger. For several points the summary is
        point 0's."""
        with RunStore(store_path, read_only=True) as st:
            run_id = st.resolve(run_id)  # a unique prefix is enough
            info = st.run_info(run_id)
            kpis = st.kpis(run_id)
            design = st.design(run_id)
            lots = st.lots(run_id, point_id=0)
        if kpis.empty or 0 not in kpis.index.get_level_values("point_id"):
            raise InputError.single(f"run {run_id}", "", f"has no stored results at point 0 (status {info['status']})")
        first = kpis.xs(0, level="point_id")
        reps = [{k: v for k, v in row.items()} for row in first.to_dict("records")]
        summary = aggregate(reps) if reps else {}
        summary.pop("replication", None)
        text = str(info["scenario_text"])
        summary.update({"scenario": info["name"], "seed": info["seed"], "replications": info["replications"],
                        "scenario_sha256": info["scenario_sha256"], "run_id": run_id, "code_version": info["code_version"]})
        summary.update({k: info[k] for k in ("parameter_set", "parameter_set_sha256") if info.get(k)})
        loaded = _reload(text, f"stored run {run_id}", summary)  # the sources the run used
        sources = sources_frame(loaded.sources) if loaded is not None else pd.DataFrame()
        if loaded is not None:
            summary.setdefault("parameter_set", f"{loaded.params.name}@{loaded.params.version}")
        empty = pd.DataFrame()
        return cls(loaded, summary, lots, empty, empty, empty, reps, empty, _attribution(summary), empty, sources, empty,
                   text, design, kpis, origin=f"store:{run_id}")

    # ------------------------------------------------------------------ views
    def kpis(self) -> pd.Series:
        """Every numeric summary KPI as a float Series (95 % half-widths under ``<key>.ci95_half``);
        text KPIs such as ``plant.bottleneck`` are in :meth:`labels`, labels and units in :meth:`kpi_summary`."""
        num = {k: float(v) for k, v in self.summary.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return pd.Series(num, dtype="float64", name="value")

    def labels(self) -> pd.Series:
        """The text KPIs (e.g. ``plant.bottleneck``) and what identifies the run (scenario, parameter set)."""
        return pd.Series({k: v for k, v in self.summary.items() if isinstance(v, str)}, dtype=object, name="text")

    def kpi_summary(self, keys: list[str] | None = None) -> pd.DataFrame:
        """One row per numeric KPI (index key): label and unit from the KPI registry, value, ci95_half."""
        values = self.kpis()
        chosen = [k for k in values.index if not k.endswith(".ci95_half")] if keys is None else list(keys)
        unknown = [k for k in chosen if k not in values.index]
        if unknown:
            from twin.errors import suggest

            raise InputError.single("kpi_summary", unknown[0], "is not a numeric KPI of this run",
                                    suggestion=suggest(unknown[0], list(values.index)))
        rows = []
        for k in chosen:
            kpi = REGISTRY.find(k)
            rows.append({"key": k, "label": kpi.label if kpi is not None else k, "unit": kpi.unit if kpi is not None else "",
                         "value": values[k], "ci95_half": float(values.get(f"{k}.ci95_half", math.nan))})
        return pd.DataFrame(rows, columns=["key", "label", "unit", "value", "ci95_half"]).set_index("key")

    def _repr_html_(self) -> str:
        """Headline KPIs with their 95 % half-widths, and the frames behind them (for Jupyter)."""
        rows = "".join(f"<tr><td>{r['KPI']}</td><td style='text-align:right'>{r['value'].replace('+/-', '&plusmn;')}</td>"
                       f"<td>{r['unit']}</td><td><code>{r['key']}</code></td></tr>" for r in REGISTRY.table(self.summary))
        frames = ", ".join(f"<code>.{n}</code> ({len(getattr(self, n)):,} rows)" for n in FRAMES)
        return (f"<b>Run of {self.summary.get('scenario')}</b> ({self.summary.get('replications')} replication(s), "
                f"horizon {self.summary.get('horizon_h', math.nan):g} h, seed {self.summary.get('seed')})"
                f"<table>{rows}</table><small>Frames: {frames}; all KPIs: <code>.kpis()</code>; "
                f"waterfall: <code>.cost_waterfall()</code></small>")

    def cost_waterfall(self, per: str = "kg") -> pd.DataFrame:
        """Unit cost by category, then the total, the target and the gap (``per`` = "kg" or "kwh")."""
        if per not in ("kg", "kwh"):
            raise ValueError(f"per must be 'kg' or 'kwh', not {per!r}")
        group, unit = {"kg": ("powder", "usd_per_kg"), "kwh": ("cell", "usd_per_kwh")}[per]
        parts = ["capital", "labour", "materials", "utilities", "overheads", "scrap"] + (
            ["rest_of_cell"] if per == "kwh" else [])
        rows = [(p, self.summary.get(f"cost.waterfall.{group}.{p}_{unit}", float("nan"))) for p in parts]
        total = self.summary["cost.powder_usd_per_kg" if per == "kg" else "cost.cell_usd_per_kwh"]
        target = self.summary.get(f"cost.target_{unit}", float("nan"))
        rows += [("total", total), ("target", target), ("gap", total - target)]
        return pd.DataFrame(rows, columns=["step", unit]).set_index("step")

    def co2_waterfall(self) -> pd.DataFrame:
        """A good kg of powder's emissions by scope, then the total (kg CO2e/kg; no target)."""
        rows = [(p, self.summary.get(f"co2.waterfall.powder.{p}_kg_per_kg", float("nan")))
                for p in ("direct", "electricity", "materials", "scrap")]
        total = self.summary.get("co2.powder_kg_per_kg", float("nan"))
        rows += [("total", total), ("target", float("nan")), ("gap", float("nan"))]
        return pd.DataFrame(rows, columns=["step", "kg_co2e_per_kg"]).set_index("step")

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


def _reload(text: str, file: str, summary: dict[str, Any]) -> LoadedScenario | None:
    """The scenario a run was made with, for what needs its parameters (the investment case, the
    sources of a stored run): from its text and --set lines and the very parameter-set file the run
    read (recorded in the summary), or None when that file is gone or no longer holds what was read."""
    set_file = summary.get("parameter_set_file")
    try:
        if isinstance(set_file, str) and set_file:
            loaded = load_scenario_text(text, file, parameter_file=set_file)
            digest = sha256_text(json.dumps(loaded.parameter_tree, sort_keys=True, default=str))
            return loaded if digest == summary.get("parameter_set_sha256") else None
        return load_scenario_text(text, file)  # a run recorded before the file was
    except InputError:
        return None


def _attribution(summary: dict[str, Any]) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for k, v in summary.items():
        if k.startswith("cost.by_line.") and k.endswith("_usd"):
            _, _, line, cat = k.split(".")
            rows.setdefault(line, {})[cat.removesuffix("_usd")] = v
    return pd.DataFrame(rows).T


def load(source: str | os.PathLike[str] | dict[str, Any], sets: list[str] | None = None) -> LoadedScenario:
    """A validated scenario from a file or a mapping (``sets``: ``dotted.path=VALUE`` lines)."""
    return PLANT.load(source, sets)


def _replicate(chunk: list[tuple[LoadedScenario, int]]) -> list[Replicate]:
    """Simulate and evaluate replications (in a worker process when run on a pool or Dask)."""
    return [PLANT.replicate(loaded, r) for loaded, r in chunk]


def _replicate_from(chunk: list[tuple[LoadedScenario, int, Any]]) -> list[tuple[Replicate, list[str]]]:
    """Replications started from a plant state, with their forecast figures (``forecast.*``) and what
    of the state was not restored."""
    from plants.evaluate import evaluate
    from plants.plant import simulate
    from plants.state import forecast_kpis

    out = []
    for loaded, r, state in chunk:
        state.skipped = []
        rep = simulate(loaded, r, state=state)
        ev = evaluate(rep, loaded)
        ev.summary.update(forecast_kpis(rep, state))
        out.append((Replicate(rep, ev), list(state.skipped)))
    return out


def _state_scenario(loaded: LoadedScenario) -> LoadedScenario:
    """A run from a plant state needs no warm-up: 0 unless a ``--set warmup_h=...`` line asks for one."""
    if any(s.replace(" ", "").startswith("warmup_h=") for s in loaded.sets) or loaded.scenario.warmup_h == 0:
        return loaded
    return loaded.with_set("warmup_h=0")


def run(loaded: LoadedScenario, replications: int | None = None, backend: Backend | None = None,
        progress: bool = True, from_state: Any = None) -> RunResult:
    """Run the scenario's replications (serially for one, on ``backend``, default a local pool, for more).

    ``progress``: a bar of simulated hours (one replication) or of replications, on a terminal's stderr
    or as a Jupyter widget (see :mod:`twin.progress`; never on a pipe, nor with ``TWIN_NO_PROGRESS=1``).
    ``from_state``: a plant state file (``twin snapshot``) or a :class:`plants.state.PlantState`: every
    replication starts from it instead of an empty plant (warm-up 0 unless set with ``--set``), and the
    summary gets the ``forecast.*`` figures (README "Forecast from a plant state")."""
    state = None
    if from_state is not None:
        from plants.state import PlantState, load_state

        state = from_state if isinstance(from_state, PlantState) else load_state(from_state)
        loaded = _state_scenario(loaded)
    n = loaded.scenario.replications if replications is None else replications
    t0 = time.perf_counter()
    if backend is None or (n == 1 and backend.kind is BackendKind.POOL):  # one replication: no pool to start
        backend = Backend(BackendKind.SERIAL) if n == 1 else Backend(BackendKind.POOL, min(n, os.cpu_count() or 1))
    got: dict[int, Replicate] = {}
    notes: list[str] = []
    tasks: list[Any] = [(loaded, r) for r in range(n)] if state is None else [(loaded, r, state) for r in range(n)]
    label = f"run {loaded.scenario.name}"
    work: Any = _replicate if state is None else _replicate_from

    def keep(outs: list[Any]) -> None:
        if state is not None:
            for _, skipped in outs:
                notes.extend(x for x in skipped if x not in notes)
            outs = [o for o, _ in outs]
        got.update((o.replication, o) for o in outs)

    if n == 1 and backend.kind is BackendKind.SERIAL:  # one replication here: a bar of simulated hours
        with simulated_hours(loaded.scenario.horizon_h, f"{label} (simulated h)", requested=progress):
            finished = execute(work, [tasks], backend, keep)
    else:
        bar = Progress(n, label=f"{label} (replications)", enabled=progress, unit="rep")
        finished = execute(work, chunked(tasks, backend.n_workers, per_worker=1, max_size=8), backend, keep, bar)
    if not finished:
        raise KeyboardInterrupt
    done = [got[r] for r in range(n)]
    per_rep = [d.summary for d in done]
    summary: dict[str, Any] = {
        "scenario": loaded.scenario.name,
        "scenario_sha256": sha256_text(loaded.text),
        "parameter_set": f"{loaded.params.name}@{loaded.params.version}",
        "parameter_set_file": loaded.parameter_file,
        "parameter_set_sha256": sha256_text(json.dumps(loaded.parameter_tree, sort_keys=True, default=str)),
        "replications": n,
    }
    summary.update(aggregate(per_rep, BOOKKEEPING))
    summary.update(bottleneck_summary(per_rep))  # a near-tie of the top two lines (plants.app.bottleneck)
    summary["seed"] = loaded.scenario.seed
    summary.pop("replication", None)
    summary["sim.events"] = sum(d.rep.events for d in done)
    summary["sim.wall_s"] = time.perf_counter() - t0
    lots = pd.concat([d.lot_table().assign(replication=d.replication) for d in done], ignore_index=True)
    lots = lots[[c for c in lots.columns if c not in ("cost_usd", "scrap_usd", "replication")]
                + ["replication", "cost_usd", "scrap_usd"]]
    costs = pd.concat([d.ev.cost.ledger.assign(replication=d.replication) for d in done], ignore_index=True)
    attribution = sum((d.ev.cost.attribution for d in done), start=done[0].ev.cost.attribution * 0.0) / n
    drivers = pd.concat([d.ev.drivers.assign(replication=d.replication) for d in done], ignore_index=True)
    co2 = pd.concat([d.ev.emissions.ledger.assign(replication=d.replication) for d in done], ignore_index=True)
    states = pd.concat([d.rep.states.assign(replication=d.replication, kind="state") for d in done], ignore_index=True)
    lot_events = pd.concat([d.rep.lot_events.assign(replication=d.replication, kind="lot") for d in done],
                           ignore_index=True)
    events = pd.concat([states, lot_events.rename(columns={"status": "state"})], ignore_index=True, sort=False)
    genealogy = pd.concat([d.rep.genealogy.assign(replication=d.replication) for d in done], ignore_index=True)
    levels = pd.concat([d.rep.levels.assign(replication=d.replication) for d in done], ignore_index=True)
    deliveries = pd.concat([d.rep.deliveries.assign(replication=d.replication) for d in done], ignore_index=True)
    tanks = pd.concat([d.rep.tanks.assign(replication=d.replication) for d in done], ignore_index=True)
    forecast_lots = pd.DataFrame()
    if state is not None:
        from plants.state import lot_forecast

        forecast_lots = lot_forecast([d.rep for d in done], state)
    return RunResult(loaded, summary, lots, events, genealogy, levels, per_rep, costs, attribution, drivers,
                     sources_frame(loaded.sources), co2, loaded.text, deliveries=deliveries, tanks=tanks,
                     forecast_lots=forecast_lots, state_notes=notes)


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _write_files(result: RunResult, folder: Path) -> None:
    for name in FRAMES:
        getattr(result, name).to_parquet(folder / f"{name}.parquet", index=False)
    result.sources.to_parquet(folder / "sources.parquet", index=False)
    (folder / "scenario.yaml").write_text(result.scenario_text, encoding="utf-8")
    summary = {k: _json_value(v) for k, v in result.summary.items()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_outputs(result: RunResult, out_dir: str | os.PathLike[str], report: bool = False) -> Path:
    """Write summary.json, the frames as parquet (lots, events, genealogy, levels, costs,
    quality_drivers, co2, sources) and scenario.yaml, and with ``report`` also report.html and
    report.md, as one folder: ``out_dir`` is replaced as a whole when everything was written, so a
    failure or a kill leaves the previous folder, the new complete one, or none (never a mix)."""
    out = Path(out_dir)
    if out.is_dir():  # it is replaced as a whole: never delete what another command (or a person) put there
        ours = {f"{n}.parquet" for n in FRAMES} | {"sources.parquet", "scenario.yaml", "summary.json", "report.html",
                                                   "report.md"}
        others = sorted(p.name for p in out.iterdir() if p.name not in ours
                        and not (p.name.startswith("report-") and p.name.endswith(".png")))  # the report's images
        if others:
            raise InputError.single(str(out), "", f"holds files twin run did not write ({', '.join(others[:5])}"
                                    f"{', ...' if len(others) > 5 else ''}): choose another --out or move them")
    with atomic_folder(out_dir, replace=True) as tmp:
        _write_files(result, tmp)
        if report:
            from plants.app.report import build_page

            build_page(result).write_into(tmp)
    return Path(out_dir)


def store_run(result: RunResult, store_path: str | os.PathLike[str] | None = None) -> str:
    """Record a run (its scenario, code version, seed, every replication's KPIs and lots) in the run store."""
    loaded = result.scenario
    if loaded is None:
        raise ValueError("only a run computed in this session can be stored")
    sha = sha256_text(loaded.text)
    rid = new_run_id(f"run-{sha[:12]}")
    design = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))
    n = len(result.replications)
    with RunStore(store_path if store_path is not None else default_store_path()) as store:
        pset, pset_sha = PLANT.parameter_set_of(loaded)
        store.begin_run(rid, RunKind.RUN, loaded.scenario.name, loaded.text, sha, code_version(), loaded.scenario.seed, n,
                        design, parameter_set=pset, parameter_set_sha256=pset_sha)
        store.add_results(rid, [(0, r, loaded.scenario.seed, summary,
                                 result.lots[result.lots["replication"] == r].drop(columns=["replication"]), float("nan"))
                                for r, summary in enumerate(result.replications)])
        store.finish_run(rid, RunStatus.COMPLETE)
    return rid


def scenario_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of scenario files, for editors to complete and check them."""
    from plants.scenario import scenario_json_schema

    schema = scenario_json_schema()  # a full scenario, or one that extends another (only what changes)
    schema["description"] = ("A scenario of the Si/C manufacturing twin: a parameter set plus overrides, process "
                             "settings, horizon, calendar, seed, replications, specs, targets, sensitivity and "
                             "optimization sections, or `extends: <file>` plus what changes. See the README.")
    return schema


def shares_streams(a: RunResult, b: RunResult) -> tuple[bool, str]:
    """Whether replication i of ``a`` and of ``b`` drew the same random streams (the same scenario
    seed and the same replication numbers), and why (not) in words."""
    seed_a, seed_b = a.summary.get("seed"), b.summary.get("seed")
    reps_a = [r.get("replication", i) for i, r in enumerate(a.replications)]
    reps_b = [r.get("replication", i) for i, r in enumerate(b.replications)]
    if seed_a is None or seed_b is None or seed_a != seed_b:
        return False, f"the seeds differ ({seed_a} vs {seed_b})"
    if sorted(reps_a) != sorted(reps_b):
        return False, f"the replications differ ({len(reps_a)} vs {len(reps_b)}): their numbers do not pair up"
    return True, f"same seed ({seed_a}) and replications 0..{len(reps_a) - 1}: common random numbers"


def differences(a: RunResult, b: RunResult) -> list[str]:
    """What makes two runs unfit to compare, in words: a different horizon, warm-up or parameter set
    (name or content sha256). Empty when they agree."""
    out = []
    for key, what in (("horizon_h", "horizon"), ("warmup_h", "warm-up")):
        va, vb = a.summary.get(key), b.summary.get(key)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va != vb:
            out.append(f"{what} differs: {va:g} h vs {vb:g} h")
    na, nb = a.summary.get("parameter_set"), b.summary.get("parameter_set")
    sa, sb = a.summary.get("parameter_set_sha256"), b.summary.get("parameter_set_sha256")
    if na and nb and na != nb:
        out.append(f"parameter set differs: {na} vs {nb}")
    elif isinstance(sa, str) and isinstance(sb, str) and sa and sb and sa != sb:
        out.append(f"parameter set content differs (sha256 {sa[:12]}… vs {sb[:12]}…)")
    return out


def export_xlsx(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Write a run to an Excel workbook, all or nothing: ``info`` (what was run), ``summary`` (every
    numeric KPI with label, unit, value and 95 % half-width; then the text KPIs), for a sweep
    ``sweep`` (one row per point: its settings, each KPI's mean and half-width), ``lots`` (point 0 of a
    sweep), and the cost and emission ledgers when the run has them (a run folder; the store keeps none)."""
    from twin.export import write_xlsx

    s = result.summary
    info_keys = ["run_id", "scenario", "scenario_sha256", "parameter_set", "parameter_set_sha256", "parameter_set_file",
                 "seed", "replications", "horizon_h", "warmup_h", "code_version"]
    info = pd.DataFrame({"item": ["origin", *(k for k in info_keys if k in s)],
                         "value": [result.origin, *(str(s[k]) for k in info_keys if k in s)]})
    summary = result.kpi_summary().reset_index().rename(columns={"key": "KPI"})
    summary = summary[["KPI", "label", "unit", "value", "ci95_half"]]
    labels = result.labels().drop([k for k in info_keys if k in result.labels().index], errors="ignore")
    if len(labels):
        text_rows = pd.DataFrame({"KPI": labels.index, "label": [getattr(REGISTRY.find(k), "label", k) for k in labels.index],
                                  "unit": "", "value": labels.to_numpy(), "ci95_half": math.nan})
        summary = pd.concat([summary.astype({"value": object}), text_rows], ignore_index=True)
    sheets: dict[str, pd.DataFrame] = {"info": info, "summary": summary}
    if not result.kpi_table.empty and len(result.design) > 1:
        from twin.stats import grouped

        num = result.kpi_table.select_dtypes("number").drop(columns=list(BOOKKEEPING), errors="ignore")
        mean, half, count = grouped(num, num.index.get_level_values("point_id"))
        wide = pd.concat([mean, half.add_suffix(" ci95_half")], axis=1)
        wide = wide[[c for k in mean.columns for c in (k, f"{k} ci95_half")]]
        wide.insert(0, "replications", count.max(axis=1))
        sweep = pd.concat([result.design, wide], axis=1)
        sweep.index.name = "point_id"
        sheets["sweep"] = sweep.reset_index()
    sheets["lots"] = result.lots
    if not result.costs.empty:
        sheets["cost ledger"] = result.costs
    if not result.co2.empty:
        sheets["co2 ledger"] = result.co2
    return write_xlsx(path, sheets)


def compare(a: RunResult, b: RunResult, keys: list[str] | None = None,
            method: DiffMethod | str = "auto") -> pd.DataFrame:
    """KPI deltas b - a with 95 % half-widths over the two runs' replications.

    ``method``: ``auto`` (default) pairs replication i of both runs when they share random streams
    (same seed, same replication numbers: :func:`shares_streams`), else Welch; ``paired`` or
    ``welch`` forces one. The ``method`` column and ``attrs["method"]`` say which was used. Runs of a
    different horizon, warm-up or parameter set are compared with a ``UserWarning`` (listed in
    ``attrs["warnings"]``)."""
    import warnings

    if str(method) not in ("auto", *(m.value for m in DiffMethod)):
        raise ValueError(f"method must be one of {['auto', *(m.value for m in DiffMethod)]}, not {method!r}")
    for name, r in (("a", a), ("b", b)):
        if not r.replications:
            raise InputError.single(f"run {name}", "", "has no per-replication KPIs to compare (read back from a folder? "
                                    "compare runs computed in this session, or stored ones with twin runs compare)")
    shared, why = shares_streams(a, b)
    if str(method) == "paired" and not shared:
        raise ValueError(f"a paired comparison needs runs that share random streams, but {why}")
    used = (DiffMethod.PAIRED if shared else DiffMethod.WELCH) if str(method) == "auto" else DiffMethod(method)
    problems = differences(a, b)
    for p in problems:
        warnings.warn(f"comparing runs that differ: {p}", UserWarning, stacklevel=2)
    ra, rb = pd.DataFrame(a.replications), pd.DataFrame(b.replications)
    if used is DiffMethod.PAIRED and "replication" in ra.columns and "replication" in rb.columns:
        ra, rb = ra.set_index("replication").sort_index(), rb.set_index("replication").sort_index()
    num = [k for k in ra.select_dtypes("number").columns if k in rb.columns and (keys is None or k in keys)
           and k not in BOOKKEEPING and not k.startswith("sim.")]
    rows = []
    for k in num:
        if used is DiffMethod.PAIRED:
            d = paired_difference(ra[k].to_numpy(), rb[k].to_numpy())
        else:
            d = welch_difference(ra[k].dropna().to_numpy(), rb[k].dropna().to_numpy())
        rows.append({"key": k, "a": float(ra[k].mean()), "b": float(rb[k].mean()), "delta": d.delta,
                     "ci95_half": d.ci95_half, "method": str(d.method)})
    out = pd.DataFrame(rows, columns=["key", "a", "b", "delta", "ci95_half", "method"]).set_index("key")
    out.attrs.update(method=str(used), method_reason=why, warnings=problems)
    return out
