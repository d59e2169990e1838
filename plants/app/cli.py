"""``twin``, the command line of the Si/C twin: run, validate, sweep, study, optimize and report.

The framework gives the pieces (:mod:`twin.cliparts`: backend options, the KPI table, error
handling); the commands, which meet the plant and the optimizer, are here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.atomic import atomic_text, safe_name
from twin.cliparts import (
    add_backend_args,
    add_common_args,
    backend_from_args,
    guarded,
    kpi_table,
    print_points,
    sets_from_args,
)
from twin.errors import InputError, suggest

__all__ = ["main"]

STORE_HELP = "run store (DuckDB file; default $TWIN_STORE or output/runs.duckdb)"


def _common(p: argparse.ArgumentParser) -> None:
    add_common_args(p, STORE_HELP)


def _headline() -> list[str]:
    """The numeric headline KPIs (from the registry): what sweep and runs tables show by default."""
    from plants.kpi import REGISTRY

    return [k.key for k in REGISTRY.headline() if k.digits is not None]


def _table(summary: dict[str, Any]) -> str:
    from plants.kpi import REGISTRY

    header = (f"Scenario {summary['scenario']}  (parameter set {summary['parameter_set']}, seed {summary['seed']}, "
              f"{summary['replications']} replication(s), horizon {summary['horizon_h']:g} h)")
    lines = [kpi_table(summary, REGISTRY, header)]
    quality = sorted(k[: -len(".cpk")] for k in summary if k.startswith("quality.") and k.endswith(".cpk"))
    fmt = REGISTRY.format
    if quality:
        lines += ["", f"Quality consistency (lots){'':<22} {'mean':>12} {'CV':>8} {'Cpk':>7} {'in spec':>8}"]
        for q in quality:
            lines.append(f"  {q[len('quality.'):]:<46} {fmt(q + '.mean', summary.get(q + '.mean')):>12} "
                         f"{fmt(q + '.cv', summary.get(q + '.cv')):>8} {_f(summary.get(q + '.cpk'), 2):>7} "
                         f"{_f(summary.get(q + '.in_spec'), 3):>8}")
    parts = [(k.split(".")[3].removesuffix("_usd_per_kg"), summary[k]) for k in summary
             if k.startswith("cost.waterfall.powder.") and not k.endswith("ci95_half")]
    total = summary.get("cost.powder_usd_per_kg")
    import math

    if parts and total is not None and math.isfinite(total) and total > 0:
        lines += ["", "Cost of a good kg of powder (USD/kg)"]
        scale = 40.0 / max(total, summary.get("cost.target_usd_per_kg") or 0.0)
        for name, value in [*parts, ("total", total), ("target", summary.get("cost.target_usd_per_kg"))]:
            if value is None or not math.isfinite(value):
                continue
            lines.append(f"  {name:<12} {value:>9.2f}  {'#' * round(max(value, 0.0) * scale)}")
    return "\n".join(lines)


def _f(value: Any, digits: int) -> str:
    from twin.kpis import format_value

    return format_value(value, digits)



def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="twin", description="Si/C manufacturing digital twin")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a scenario, write its results and store the run")
    _common(run)
    run.add_argument("--out", type=Path, help="output folder (default output/<scenario name>)")
    run.add_argument("--no-store", action="store_true", help="do not record the run in the run store")
    add_backend_args(run)
    sw = sub.add_parser("sweep", help="run a scenario at many settings (grid or Latin hypercube) with common random numbers")
    _common(sw)
    sw.add_argument("--param", action="append", default=[], required=True, metavar="dotted.path=v1,v2|lo:hi",
                    help="a setting to vary: values for a grid, or lo:hi for --design lhs (repeatable)")
    sw.add_argument("--design", choices=["grid", "lhs"], default="grid")
    sw.add_argument("--samples", type=int, default=10, help="points of a Latin hypercube (default 10)")
    sw.add_argument("--kpi", action="append", default=[], help="KPI to print (repeatable; default a few headline KPIs)")
    sw.add_argument("--resume", action="store_true", help="continue the last unfinished sweep of the same content")
    add_backend_args(sw)
    se = sub.add_parser("sensitivity", help="Morris screening or Sobol indices over the ranges the scenario declares")
    _common(se)
    se.add_argument("--method", choices=["morris", "sobol"], default="morris")
    se.add_argument("--resume", action="store_true", help="continue the last unfinished study of the same content")
    se.add_argument("--out", type=Path, help="folder for sensitivity_<method>.csv (default output/<scenario name>-sensitivity)")
    add_backend_args(se)
    op = sub.add_parser("optimize",
                        help="choose settings against cost targets (surrogates + MILP on HiGHS, verified by the twin)")
    _common(op)
    op.add_argument("--out", type=Path,
                    help="folder for optimization.json and the report (default output/<scenario name>-optimization)")
    add_backend_args(op)
    runs = sub.add_parser("runs", help="list, show and compare stored runs")
    runs.add_argument("action", choices=["list", "show", "compare"])
    runs.add_argument("ids", nargs="*", metavar="RUN_ID")
    runs.add_argument("--store", type=Path, help="run store (default $TWIN_STORE or output/runs.duckdb)")
    runs.add_argument("--kpi", action="append", default=[], help="KPI to compare/show (repeatable)")
    runs.add_argument("--points", type=int, nargs=2, default=[0, 0], metavar=("A", "B"),
                      help="compare: the point of each run (default 0 0; see twin runs show for a sweep's points)")
    rp = sub.add_parser("report", help="write report.html and report.md for a run folder (done by twin run too)")
    rp.add_argument("folder", type=Path, metavar="RUN_OR_DIR",
                    help="a folder twin run wrote (e.g. output/baseline), or a run id from the run store")
    rp.add_argument("--store", type=Path, help="run store for a run id (default $TWIN_STORE or output/runs.duckdb)")
    rp.add_argument("--out", type=Path, help="folder for a stored run's report (default output/reports/RUN_ID)")
    sch = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editor completion and checks)")
    sch.add_argument("--out", type=Path, default=Path("scenario.schema.json"), help="default scenario.schema.json")
    val = sub.add_parser("validate", help="check a scenario and its parameter set")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "runs":
        return _runs(args)
    from twin.store import StoreError  # after --help: the store's imports are not needed for it

    return guarded(lambda: _command(args), (StoreError,))


def _command(args: argparse.Namespace) -> int:
    if args.command == "report":
        return _report(args)
    if args.command == "schema":
        import json

        from plants.app.api import scenario_schema

        if args.out.is_dir():
            raise InputError.single(str(args.out), "", "is a folder: give a file name, e.g. scenario.schema.json")
        atomic_text(args.out, json.dumps(scenario_schema(), indent=2) + "\n")
        print(f"wrote {args.out}")
        return 0
    from plants.app import api  # the composition root imports the plant; keep --help fast

    loaded = api.load(args.scenario, sets_from_args(args))
    if args.command == "validate":
        n_placeholder = sum(1 for s in loaded.sources.values() if s.is_placeholder)
        print(f"{args.scenario}: valid (parameter set {loaded.params.name}@{loaded.params.version} from "
              f"{loaded.parameter_file}, {len(loaded.sources)} sourced parameters, {n_placeholder} of them placeholders)")
        return 0
    if args.command == "sweep":
        return _sweep(args, loaded)
    if args.command == "sensitivity":
        return _sensitivity(args, loaded)
    if args.command == "optimize":
        return _optimize(args, loaded)
    out = args.out or Path("output") / safe_name(loaded.scenario.name)
    store = None if args.no_store else _open_store(args.store)  # a bad or busy store fails now, not after the work
    result = api.run(loaded, backend=backend_from_args(args), progress=True)
    api.write_outputs(result, out, report=True)
    print(_table(result.summary))
    print(f"\nResults written to {out}/ (summary.json, report.html, report.md, lots, events, genealogy, levels, "
          "costs, quality_drivers, co2 and sources .parquet)")
    if store is not None:
        run_id = api.store_run(result, store)
        print(f"Stored as run {run_id} (twin runs show {run_id})")
    return 0


def _open_store(path: Path | None) -> Path:
    """Open (and create) the run store once before any simulation: a file that is not a store, a
    locked or read-only one is an error now."""
    from twin.provenance import default_store_path
    from twin.store import RunStore

    store = Path(path) if path is not None else default_store_path()
    RunStore(store).close()
    return store


def _report(args: argparse.Namespace) -> int:
    from plants.app.api import RunResult
    from plants.app.report import write_report
    from twin.provenance import default_store_path

    if args.folder.is_dir() or "/" in str(args.folder) or "\\" in str(args.folder):  # a path, not a run id
        print(f"wrote {write_report(args.folder)} and report.md")
        return 0
    store = args.store or default_store_path()  # not a folder: a run id in the run store
    if not store.exists():
        raise InputError.single(str(args.folder), "", f"is neither a run folder nor a run id (no run store at {store})")
    out = args.out or Path("output") / "reports" / str(args.folder)
    print(f"wrote {write_report(out, RunResult.from_store(store, str(args.folder)))} and report.md")
    return 0


def _check_kpis(names: list[str], where: tuple[str, str], loaded: Any) -> None:
    if not names:
        return
    from plants.app.plant import PLANT
    from twin.campaign import known_kpis

    known = known_kpis(PLANT, loaded)
    for k in names:
        if k not in known:
            raise InputError.single(where[0], where[1], f"{k!r} is not a KPI of the twin", suggestion=suggest(k, known))
        if isinstance(known[k], str):
            raise InputError.single(where[0], where[1], f"{k!r} is a label, not a number: choose a numeric KPI")


def _sweep(args: argparse.Namespace, loaded: Any) -> int:
    from plants.app.plant import PLANT
    from twin.campaign import run_experiment, summarize_points
    from twin.designs import grid, latin_hypercube, parse_params
    from twin.store import RunKind

    values, ranges = parse_params(args.param)
    if args.design == "grid":
        if ranges:
            raise InputError.single("--param", next(iter(ranges)),
                                    "a lo:hi range needs --design lhs; give values v1,v2,... for a grid")
        design = grid(values)
    else:
        if values:
            raise InputError.single("--param", next(iter(values)), "--design lhs needs lo:hi ranges")
        design = latin_hypercube(ranges, args.samples, loaded.scenario.seed)
    _check_kpis(args.kpi, ("--kpi", "KPI"), loaded)
    exp = run_experiment(PLANT, RunKind.SWEEP, loaded, design, loaded.scenario.replications, backend_from_args(args),
                         args.store, resume=args.resume)
    table = summarize_points(exp.kpis, args.kpi or [k for k in _headline() if k in exp.kpis.columns])
    print_points(design, table)
    print(f"\n{'complete' if exp.complete else 'INTERRUPTED'}: run {exp.run_id} in {exp.store_path} "
          f"({exp.computed} tasks computed now)")
    if not exp.complete:
        print(f"continue with: twin sweep {args.scenario} ... --resume", file=sys.stderr)
        return 130
    return 0


def _sensitivity(args: argparse.Namespace, loaded: Any) -> int:
    import numpy as np

    from plants.app.plant import PLANT
    from twin.atomic import atomic_text
    from twin.campaign import run_experiment
    from twin.sensitivity import analyze, sample
    from twin.store import RunKind

    spec = loaded.scenario.sensitivity
    if spec is None:
        raise InputError.single(str(args.scenario), "sensitivity", "is missing: declare parameters {path: {min, max}} and kpis")
    bounds = {k: (r.min, r.max) for k, r in spec.parameters.items()}
    n = spec.morris_trajectories if args.method == "morris" else spec.sobol_samples
    design = sample(args.method, bounds, n, loaded.scenario.seed)
    _check_kpis(spec.kpis, (str(args.scenario), "sensitivity.kpis"), loaded)
    reps = args.replications if args.replications is not None else spec.replications  # --replications wins
    exp = run_experiment(PLANT, RunKind.SENSITIVITY, loaded, design, reps, backend_from_args(args),
                         args.store, resume=args.resume, keep_lots=False)
    if not exp.complete:
        print(f"INTERRUPTED: run {exp.run_id}; continue with --resume", file=sys.stderr)
        return 130
    missing = [k for k in spec.kpis if k not in exp.kpis.columns]
    if missing:
        raise InputError.single(str(args.scenario), "sensitivity.kpis", f"{missing[0]!r} is not a KPI of the run",
                                suggestion=suggest(missing[0], exp.kpis.columns))
    outputs = exp.kpis[spec.kpis].groupby(level="point_id").mean().reindex(design.index)
    bad = outputs.index[~np.isfinite(outputs.to_numpy(dtype=float)).all(axis=1)]
    if len(bad):
        raise InputError.single(str(args.scenario), "sensitivity", f"KPIs {', '.join(spec.kpis)} are not defined at "
                                f"{len(bad)} of {len(design)} points (e.g. point {bad[0]}: "
                                f"{', '.join(f'{k}={v:g}' for k, v in design.loc[bad[0]].items())}); nothing was released "
                                f"there or a KPI has no value: narrow the ranges or choose other KPIs (results are kept in "
                                f"run {exp.run_id})")
    idx = analyze(args.method, bounds, design, outputs, loaded.scenario.seed)
    out = args.out or Path("output") / f"{safe_name(loaded.scenario.name)}-sensitivity"
    atomic_text(out / f"sensitivity_{args.method}.csv", idx.to_csv(index=False))
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        print(idx.to_string(index=False))
    print(f"\n{args.method}: {len(design)} points x {reps} replication(s), run {exp.run_id}; "
          f"indices in {out / f'sensitivity_{args.method}.csv'}")
    return 0


def _optimize(args: argparse.Namespace, loaded: Any) -> int:
    from plants.app.optimization_report import to_json, write_report
    from plants.app.optimize import build_problem, run_optimization
    from twin.provenance import code_version, sha256_text

    build_problem(loaded)  # a bad optimization section fails here, before any simulation
    run = run_optimization(loaded, backend_from_args(args), args.store, say=lambda m: print(m, file=sys.stderr))
    r, p = run.result, run.problem
    meta = {"scenario": loaded.scenario.name, "scenario_sha256": sha256_text(loaded.text),
            "code_version": code_version(), "seed": loaded.scenario.seed}
    out = args.out or Path("output") / f"{safe_name(loaded.scenario.name)}-optimization"
    write_report(out, to_json(r, p, run.baseline, meta), r, p, run.baseline)
    print(f"status: {r.status}" + (f" ({r.message})" if r.message else ""))
    if r.settings:
        print("settings: " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.settings.items()))
        ci = r.verified.loc[p.objective, "ci95_half"] if p.objective in r.verified.index else float("nan")
        base = run.baseline.loc[p.objective, "mean"] if p.objective in run.baseline.index else float("nan")
        print(f"{p.objective}: verified {r.objective:.4g} +/- {ci:.2g} {p.objective_unit} (predicted "
              f"{r.predicted.get(p.objective, float('nan')):.4g}; baseline {base:.4g})")
    if not r.relaxations.empty:
        print("relaxations that would make it feasible:")
        print(r.relaxations.to_string(index=False))
    print(f"twin evaluations: {r.evaluations} of {p.evaluations}; report in {out}/ (optimization.json, report.md, report.html)")
    return 0 if r.settings else 3


def _runs(args: argparse.Namespace) -> int:
    import pandas as pd

    from twin.campaign import summarize_points
    from twin.provenance import default_store_path
    from twin.stats import BOOKKEEPING
    from twin.store import RunStore, StoreError

    path = args.store or default_store_path()
    if not path.exists():
        print(f"error: no run store at {path} (runs are stored by twin run/sweep/sensitivity)", file=sys.stderr)
        return 2

    def go() -> int:
        with RunStore(path, read_only=True) as store, pd.option_context(
                "display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60,
                "display.float_format", "{:,.6g}".format):
            if args.action == "list":
                print(store.runs().to_string(index=False))
            elif args.action == "show":
                if len(args.ids) != 1:
                    raise InputError.single("twin runs show", "RUN_ID", "give exactly one run id")
                info = store.run_info(args.ids[0])
                for k, v in info.items():
                    if k != "scenario_text":
                        print(f"{k:<16} {v}")
                table = summarize_points(store.kpis(args.ids[0]), args.kpi or None)
                design = store.design(args.ids[0])
                head = _headline()
                print_points(design, table if args.kpi else table[[c for c in table.columns if c[0] in head]])
            else:
                if len(args.ids) != 2:
                    raise InputError.single("twin runs compare", "RUN_ID RUN_ID", "give exactly two run ids")
                table = store.compare(args.ids[0], args.ids[1], args.kpi or None, point_a=args.points[0],
                                      point_b=args.points[1])
                if not args.kpi:  # bookkeeping and timings are not results
                    table = table[~table.index.isin(BOOKKEEPING) & ~table.index.str.startswith("sim.")]
                print(table.to_string())
        return 0

    return guarded(go, (StoreError,))


if __name__ == "__main__":
    sys.exit(main())
