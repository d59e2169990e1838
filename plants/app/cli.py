"""``twin`` command line: run and validate scenarios."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.errors import InputError

__all__ = ["main"]

TABLE = [
    ("Powder", [("powder.output_kg", "Released Si/C powder", "kg", 0), ("powder.output_t_per_yr", "  annualised", "t/yr", 0),
               ("powder.lots_released", "Lots released", "", 0), ("powder.lots_rejected", "Lots rejected (off-spec)", "", 0),
               ("powder.lots_in_quarantine", "Lots in quarantine at end", "", 0)]),
    ("FBCVD (Si infiltration)", [("fbcvd.batches_completed", "Batches completed", "", 0),
               ("fbcvd.batches_scrapped", "Batches scrapped (breakdown)", "", 0),
               ("fbcvd.silane_fed_kg", "Silane fed", "kg", 0), ("fbcvd.silane_utilization", "Silane utilisation (Si deposited / Si fed)", "", 3),
               ("fbcvd.fines_fraction", "Fines (of Si fed)", "", 4), ("fbcvd.si_loading_wt_mean", "Si loading", "wt frac", 3),
               ("fbcvd.pore_fill_mean", "Pore fill", "", 3), ("fbcvd.crystallite_nm_mean", "Si crystallite", "nm", 2),
               ("fbcvd.sic_fraction_mean", "SiC share of Si", "", 3), ("fbcvd.reactor_utilization", "Reactor utilisation (working)", "", 3)]),
    ("Carbon coating", [("coating.shell_nm_mean", "Shell thickness", "nm", 2),
               ("coating.exposed_si_fraction_mean", "Exposed Si (alkali H2 test)", "", 4),
               ("coating.reactor_utilization", "Reactor utilisation (working)", "", 3)]),
    ("Powder quality (tested lots)", [("powder.si_content_wt_mean", "Si content", "wt frac", 3),
               ("powder.capacity_mah_g_mean", "Reversible capacity", "mAh/g", 0), ("powder.ice_mean", "ICE", "", 4),
               ("powder.surface_area_m2_g_mean", "BET surface area", "m2/g", 2)]),
    ("Slurry casting (electrode rolls)", [("casting.output_m2", "Good electrode", "m2", 0),
               ("casting.rolls_made", "Mother rolls coated", "", 0), ("casting.rolls_scrapped", "Rolls scrapped", "", 0),
               ("casting.areal_capacity_mah_cm2_mean", "Areal capacity (per side)", "mAh/cm2", 2),
               ("casting.press_density_g_cm3_mean", "Press density", "g/cm3", 3),
               ("casting.crack_scrap_fraction", "Area scrapped for cracks", "", 4),
               ("casting.scrap_fraction", "Area not ending as good electrode", "", 4),
               ("casting.dryer_energy_kwh", "Dryer energy", "kWh", 0)]),
    ("Prelithiation", [("prelith.output_m2", "Released prelithiated electrode", "m2", 0),
               ("prelith.ice_mean", "ICE after prelithiation", "", 4),
               ("prelith.residual_li_fraction", "Residual Li (of Li applied)", "", 4),
               ("prelith.rolls_scrapped", "Rolls scrapped", "", 0), ("prelith.li_used_kg", "Li used", "kg", 0)]),
    ("Cost", [("cost.total_usd", "Total cost over the horizon", "USD", 0),
               ("cost.powder_usd_per_kg", "Good Si/C powder", "USD/kg", 2),
               ("cost.target_gap_usd_per_kg", "  gap to the target", "USD/kg", 2),
               ("cost.electrode_usd_per_m2", "Good prelithiated electrode", "USD/m2", 3),
               ("cost.anode_usd_per_kwh", "Anode (our electrode) per kWh of cells", "USD/kWh", 2),
               ("cost.cell_usd_per_kwh", "Reference NCM811 cell", "USD/kWh", 2),
               ("cost.target_gap_usd_per_kwh", "  gap to the target", "USD/kWh", 2),
               ("cost.scrap_usd", "Cost that ended in scrap", "USD", 0),
               ("cell.energy_wh_kg", "Reference cell energy", "Wh/kg", 0), ("cell.energy_wh_l", "", "Wh/L", 0)]),
    ("Yield", [("yield.overall_first_pass", "First pass, whole plant", "", 4),
               ("yield.fbcvd.first_pass", "  FBCVD batches", "", 4), ("yield.coating.first_pass", "  powder lots released", "", 4),
               ("yield.casting.first_pass", "  coated area to good electrode", "", 4),
               ("yield.prelith.first_pass", "  prelithiated rolls released", "", 4),
               ("yield.overall_si", "Si from silane into good electrode", "", 4),
               ("yield.carbon_scaffold", "Scaffold carbon into released powder", "", 4),
               ("yield.coating.acetylene_carbon", "Acetylene carbon into shells", "", 4),
               ("yield.li", "Li paying the first-cycle loss", "", 4)]),
    ("Plant", [("plant.bottleneck", "Bottleneck line", "", None),
               ("plant.bottleneck_active_share", "  its active share (working or down)", "", 3)]),
    ("Checks", [("mass_balance.si_rel_error", "Si mass balance, relative error", "", -1),
                ("mass_balance.li_rel_error", "Li mass balance, relative error", "", -1),
                ("mass_balance.water_rel_error", "Water mass balance, relative error", "", -1),
                ("sim.events", "SimPy events processed", "", 0), ("sim.wall_s", "Wall time", "s", 2)]),
]


def _fmt(value: Any, digits: int | None) -> str:
    if digits is None or isinstance(value, str):
        return str(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if digits < 0:
        return f"{value:.1e}"
    return f"{value:,.{digits}f}"


def kpi_table(summary: dict[str, Any]) -> str:
    lines = [f"Scenario {summary['scenario']}  (parameter set {summary['parameter_set']}, seed {summary['seed']}, "
             f"{summary['replications']} replication(s), horizon {summary['horizon_h']:g} h)"]
    for title, rows in TABLE:
        lines.append("")
        lines.append(title)
        for key, label, unit, digits in rows:
            text = _fmt(summary.get(key), digits)
            ci = summary.get(f"{key}.ci95_half")
            if ci is not None and math.isfinite(ci):
                text += f" +/- {_fmt(ci, digits if digits is not None and digits >= 0 else 2)}"
            lines.append(f"  {label:<46} {text:>18} {unit}")
    quality = sorted(k[: -len(".cpk")] for k in summary if k.startswith("quality.") and k.endswith(".cpk"))
    if quality:
        lines += ["", f"Quality consistency (lots){'':<22} {'mean':>12} {'CV':>8} {'Cpk':>7} {'in spec':>8}"]
        for q in quality:
            lines.append(f"  {q[len('quality.'):]:<46} {_fmt(summary.get(q + '.mean'), 4):>12} {_fmt(summary.get(q + '.cv'), 4):>8} "
                         f"{_fmt(summary.get(q + '.cpk'), 2):>7} {_fmt(summary.get(q + '.in_spec'), 3):>8}")
    parts = [(k.split(".")[3].removesuffix("_usd_per_kg"), summary[k]) for k in summary
             if k.startswith("cost.waterfall.powder.") and not k.endswith("ci95_half")]
    total = summary.get("cost.powder_usd_per_kg")
    if parts and total is not None and math.isfinite(total) and total > 0:
        lines += ["", "Cost of a good kg of powder (USD/kg)"]
        scale = 40.0 / max(total, summary.get("cost.target_usd_per_kg") or 0.0)
        for name, value in [*parts, ("total", total), ("target", summary.get("cost.target_usd_per_kg"))]:
            if value is None or not math.isfinite(value):
                continue
            lines.append(f"  {name:<12} {value:>9.2f}  {'#' * round(max(value, 0.0) * scale)}")
    return "\n".join(lines)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be at least 1")
    return n


def _backend_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where it runs (default: a local process pool over all cores)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--workers", type=_positive, metavar="N", help="local process pool of N workers")
    x.add_argument("--serial", action="store_true", help="run in this process, one task after the other")
    x.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="send the work to a running Dask scheduler")
    x.add_argument("--dask-local", type=_positive, metavar="N", help="start a Dask LocalCluster of N worker processes")


def _backend(args: argparse.Namespace) -> Any:
    from twin.experiments import Backend

    if args.serial:
        return Backend("serial")
    if args.scheduler:
        return Backend("dask", 0, args.scheduler)
    if args.dask_local is not None:
        return Backend("dask", args.dask_local)
    return Backend("pool", args.workers or 0)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE",
                   help="override a scenario value, e.g. settings.fbcvd.bed_temperature_c=480 (repeatable)")
    p.add_argument("--seed", type=int, help="override the scenario seed")
    p.add_argument("--replications", type=int, help="override the number of replications")
    p.add_argument("--store", type=Path, help="run store (DuckDB file; default $TWIN_STORE or output/runs.duckdb)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="twin", description="Si/C manufacturing digital twin")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a scenario, write its results and store the run")
    _common(run)
    run.add_argument("--out", type=Path, help="output folder (default output/<scenario name>)")
    run.add_argument("--no-store", action="store_true", help="do not record the run in the run store")
    _backend_args(run)
    sw = sub.add_parser("sweep", help="run a scenario at many settings (grid or Latin hypercube) with common random numbers")
    _common(sw)
    sw.add_argument("--param", action="append", default=[], required=True, metavar="dotted.path=v1,v2|lo:hi",
                    help="a setting to vary: values for a grid, or lo:hi for --design lhs (repeatable)")
    sw.add_argument("--design", choices=["grid", "lhs"], default="grid")
    sw.add_argument("--samples", type=int, default=10, help="points of a Latin hypercube (default 10)")
    sw.add_argument("--kpi", action="append", default=[], help="KPI to print (repeatable; default a few headline KPIs)")
    sw.add_argument("--resume", action="store_true", help="continue the last unfinished sweep of the same content")
    _backend_args(sw)
    se = sub.add_parser("sensitivity", help="Morris screening or Sobol indices over the ranges the scenario declares")
    _common(se)
    se.add_argument("--method", choices=["morris", "sobol"], default="morris")
    se.add_argument("--resume", action="store_true", help="continue the last unfinished study of the same content")
    se.add_argument("--out", type=Path, help="folder for sensitivity_<method>.csv (default output/<scenario name>)")
    _backend_args(se)
    op = sub.add_parser("optimize", help="choose settings against cost targets (surrogates + MILP on HiGHS, verified by the twin)")
    _common(op)
    op.add_argument("--out", type=Path, help="folder for optimization.json and the report (default output/<scenario name>)")
    _backend_args(op)
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


HEADLINE = ["powder.output_t_per_yr", "cost.powder_usd_per_kg", "cost.cell_usd_per_kwh", "powder.capacity_mah_g_mean",
            "prelith.ice_mean", "yield.overall_first_pass"]


def _sets(args: argparse.Namespace) -> list[str]:
    sets = list(args.sets)
    if getattr(args, "seed", None) is not None:
        sets.append(f"seed={args.seed}")
    if getattr(args, "replications", None) is not None:
        sets.append(f"replications={args.replications}")
    return sets


def main(argv: Sequence[str] | None = None) -> int:
    from twin.store import StoreError

    args = _parser().parse_args(argv)
    try:
        if args.command == "runs":
            return _runs(args)
        if args.command == "report":
            from twin.report import RunFolder, write_report

            if args.folder.is_dir() or "/" in str(args.folder) or "\\" in str(args.folder):  # a path, not a run id
                print(f"wrote {write_report(args.folder)} and report.md")
                return 0
            from twin.campaign import default_store_path

            store = args.store or default_store_path()  # not a folder: a run id in the run store
            if not store.exists():
                raise InputError.single(str(args.folder), "", f"is neither a run folder nor a run id (no run store at {store})")
            out = args.out or Path("output") / "reports" / str(args.folder)
            print(f"wrote {write_report(out, RunFolder.from_store(store, str(args.folder)))} and report.md")
            return 0
        if args.command == "schema":
            import json

            from plants.app.api import scenario_schema

            args.out.write_text(json.dumps(scenario_schema(), indent=2) + "\n", encoding="utf-8")
            print(f"wrote {args.out}")
            return 0
        from plants.app import api as study  # the composition root imports the plant; keep --help fast

        loaded = study.load(args.scenario, _sets(args))
        if args.command == "validate":
            n_placeholder = sum(1 for s in loaded.sources.values() if s.is_placeholder)
            print(f"{args.scenario}: valid (parameter set {loaded.params.name}@{loaded.params.version}, "
                  f"{len(loaded.sources)} sourced parameters, {n_placeholder} of them placeholders)")
            return 0
        if args.command == "sweep":
            return _sweep(args, loaded)
        if args.command == "sensitivity":
            return _sensitivity(args, loaded)
        if args.command == "optimize":
            return _optimize(args, loaded)
        result = study.run(loaded, backend=_backend(args), progress=True)
        out = args.out or Path("output") / loaded.scenario.name
        study.write_outputs(result, out)
        from twin.report import write_report

        write_report(out)
        print(kpi_table(result.summary))
        print(f"\nResults written to {out}/ (summary.json, report.html, report.md, lots, events, genealogy, levels, "
              "costs and quality_drivers .parquet)")
        if not args.no_store:
            run_id = study.store_run(result, args.store)
            print(f"Stored as run {run_id} (twin runs show {run_id})")
        return 0
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (StoreError, ConnectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: what finished is kept in the run store; nothing else was written", file=sys.stderr)
        return 130


def _check_kpis(names: list[str], where: tuple[str, str], path: Path, sets: list[str]) -> None:
    if not names:
        return
    from twin.errors import suggest

    from twin.campaign import known_kpis

    known = known_kpis(path, sets)
    for k in names:
        if k not in known:
            raise InputError.single(where[0], where[1], f"{k!r} is not a KPI of the twin", suggestion=suggest(k, known))
        if isinstance(known[k], str):
            raise InputError.single(where[0], where[1], f"{k!r} is a label, not a number: choose a numeric KPI")


def _sweep(args: argparse.Namespace, loaded: Any) -> int:
    from twin.campaign import run_experiment, summarize_points
    from twin.designs import grid, latin_hypercube, parse_params

    values, ranges = parse_params(args.param)
    if args.design == "grid":
        if ranges:
            raise InputError.single("--param", next(iter(ranges)), "a lo:hi range needs --design lhs; give values v1,v2,... for a grid")
        design = grid(values)
    else:
        if values:
            raise InputError.single("--param", next(iter(values)), "--design lhs needs lo:hi ranges")
        design = latin_hypercube(ranges, args.samples, loaded.scenario.seed)
    _check_kpis(args.kpi, ("--kpi", "KPI"), args.scenario, _sets(args))
    exp = run_experiment("sweep", args.scenario, _sets(args), design, loaded.scenario.replications, _backend(args),
                         args.store, resume=args.resume)
    table = summarize_points(exp.kpis, args.kpi or [k for k in HEADLINE if k in exp.kpis.columns])
    _print_points(design, table)
    print(f"\n{'complete' if exp.complete else 'INTERRUPTED'}: run {exp.run_id} in {exp.store_path} "
          f"({exp.computed} tasks computed now)")
    if not exp.complete:
        print(f"continue with: twin sweep {args.scenario} ... --resume", file=sys.stderr)
        return 130
    return 0


def _print_points(design: Any, table: Any) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.float_format", "{:,.4g}".format):
        print(pd.concat([design, table.set_axis([f"{a} {b}" for a, b in table.columns], axis=1)], axis=1).to_string())


def _sensitivity(args: argparse.Namespace, loaded: Any) -> int:
    import os
    import tempfile

    import numpy as np

    from twin.campaign import run_experiment
    from twin.sensitivity import analyze, sample

    spec = loaded.scenario.sensitivity
    if spec is None:
        raise InputError.single(str(args.scenario), "sensitivity", "is missing: declare parameters {path: {min, max}} and kpis")
    bounds = {k: (r.min, r.max) for k, r in spec.parameters.items()}
    n = spec.morris_trajectories if args.method == "morris" else spec.sobol_samples
    design = sample(args.method, bounds, n, loaded.scenario.seed)
    _check_kpis(spec.kpis, (str(args.scenario), "sensitivity.kpis"), args.scenario, _sets(args))
    reps = args.replications if args.replications is not None else spec.replications  # --replications wins
    exp = run_experiment("sensitivity", args.scenario, _sets(args), design, reps, _backend(args),
                         args.store, resume=args.resume, keep_lots=False)
    if not exp.complete:
        print(f"INTERRUPTED: run {exp.run_id}; continue with --resume", file=sys.stderr)
        return 130
    missing = [k for k in spec.kpis if k not in exp.kpis.columns]
    if missing:
        from twin.errors import suggest

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
    out = args.out or Path("output") / loaded.scenario.name
    out.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=out)
    os.close(fd)
    idx.to_csv(tmp, index=False)
    os.replace(tmp, out / f"sensitivity_{args.method}.csv")
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        print(idx.to_string(index=False))
    print(f"\n{args.method}: {len(design)} points x {reps} replication(s), run {exp.run_id}; "
          f"indices in {out / f'sensitivity_{args.method}.csv'}")
    return 0


def _optimize(args: argparse.Namespace, loaded: Any) -> int:
    import hashlib

    from plants.app.optimization_report import to_json, write_report
    from twin.campaign import code_version
    from plants.app.optimize import build_problem, run_optimization

    build_problem(loaded)  # a bad optimization section fails here, before any simulation
    run = run_optimization(args.scenario, _sets(args), _backend(args), args.store,
                           say=lambda m: print(m, file=sys.stderr))
    r, p = run.result, run.problem
    meta = {"scenario": loaded.scenario.name, "scenario_sha256": hashlib.sha256(loaded.text.encode()).hexdigest(),
            "code_version": code_version(), "seed": loaded.scenario.seed}
    out = args.out or Path("output") / loaded.scenario.name
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

    from twin.campaign import default_store_path
    from twin.store import RunStore, StoreError

    path = args.store or default_store_path()
    if not path.exists():
        print(f"error: no run store at {path} (runs are stored by twin run/sweep/sensitivity)", file=sys.stderr)
        return 2
    try:
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
                from twin.campaign import summarize_points

                table = summarize_points(store.kpis(args.ids[0]), args.kpi or None)
                design = store.design(args.ids[0])
                _print_points(design, table if args.kpi else table[[c for c in table.columns if c[0] in HEADLINE]])
            else:
                if len(args.ids) != 2:
                    raise InputError.single("twin runs compare", "RUN_ID RUN_ID", "give exactly two run ids")
                table = store.compare(args.ids[0], args.ids[1], args.kpi or None, point_a=args.points[0],
                                      point_b=args.points[1])
                if not args.kpi:  # bookkeeping and timings are not results
                    table = table[~table.index.isin(["seed", "replication", "horizon_h", "warmup_h"])
                                  & ~table.index.str.startswith("sim.")]
                print(table.to_string())
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
