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
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bars (also TWIN_NO_PROGRESS=1; they are off when stderr is not a terminal)")


class _Version(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked (keeps --help fast)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("sic-twin")
        except PackageNotFoundError:
            v = "unknown (not installed)"
        print(f"twin (sic-twin) {v}")
        parser.exit(0)


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


def _print_sweep_notes(design: Any, kpis: Any, loaded: Any) -> None:
    """Under the sweep table: why a point produced nothing (from its KPIs and the spec limits it ran with)."""
    from plants.app.report import sweep_notes
    from plants.lines import PRODUCTS

    specs = {product: {a: (lim.min, lim.max) for a, lim in getattr(loaded.scenario.specs, product).items()}
             for product in PRODUCTS}
    notes = sweep_notes(design, kpis, None, specs)
    for pid, why in notes.items():
        if why:
            print(f"point {pid} made nothing: {why}")


def _f(value: Any, digits: int) -> str:
    from twin.kpis import format_value

    return format_value(value, digits)



def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="twin", description="Si/C manufacturing digital twin")
    ap.add_argument("--version", action=_Version)
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a scenario, write its results and store the run")
    _common(run)
    run.add_argument("--out", type=Path, help="output folder (default output/<scenario name>)")
    run.add_argument("--no-store", action="store_true", help="do not record the run in the run store")
    run.add_argument("--no-report", action="store_true",
                     help="skip report.html/report.md (summary.json and the parquet files are still written)")
    run.add_argument("--export-records", type=Path, metavar="DIR",
                     help="also write replication 0 as plant records (CSV tables + manifest.json, see README 'Plant records')")
    run.add_argument("--from-state", type=Path, metavar="STATE.json",
                     help="start from a plant state (twin snapshot) instead of an empty plant, no warm-up unless set; "
                          "the summary gets forecast.* figures (see README 'Forecast from a plant state')")
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
    runs = sub.add_parser("runs", help="list, show, compare, tag, note and delete stored runs",
                          description="A RUN_ID may be shortened to any prefix only one run has. "
                                      "tag RUN_ID TAG...; untag RUN_ID TAG...; note RUN_ID TEXT (empty text clears it); "
                                      "delete RUN_ID... (the runs and all their rows, in one transaction)")
    runs.add_argument("action", choices=["list", "show", "compare", "tag", "untag", "note", "delete"])
    runs.add_argument("ids", nargs="*", metavar="RUN_ID", help="run id(s) (or a unique prefix), then tags or the note")
    runs.add_argument("--store", type=Path, help="run store (default $TWIN_STORE or output/runs.duckdb)")
    runs.add_argument("--kpi", action="append", default=[], help="KPI to compare/show (repeatable)")
    runs.add_argument("--tag", help="list: only the runs with this tag")
    runs.add_argument("--points", type=int, nargs=2, default=[0, 0], metavar=("A", "B"),
                      help="compare: the point of each run (default 0 0; see twin runs show for a sweep's points)")
    runs.add_argument("--method", choices=["auto", "paired", "welch"], default="auto",
                      help="compare: paired when the two share random streams (auto, default), or force one")
    runs.add_argument("--force", action="store_true",
                      help="compare runs that differ in horizon, warm-up or parameter set (refused otherwise)")
    runs.add_argument("--xlsx", type=Path, metavar="FILE", help="compare: also write the comparison to an Excel file")
    runs.add_argument("--report", type=Path, metavar="DIR",  # compare: an HTML/Markdown report (plants/app/compare_report.py)
                      help="compare: also write report.html and report.md (KPIs with intervals, waterfalls and state "
                           "shares side by side) into DIR")
    ex = sub.add_parser("export", help="write a run (summary, lots, cost ledger, sweep table) to an Excel workbook")
    ex.add_argument("run", metavar="RUN_OR_DIR", help="a run id (or unique prefix) in the run store, or a run folder")
    ex.add_argument("--xlsx", type=Path, required=True, metavar="FILE", help="the workbook to write (.xlsx)")
    ex.add_argument("--store", type=Path, help="run store for a run id (default $TWIN_STORE or output/runs.duckdb)")
    rp = sub.add_parser("report", help="write report.html and report.md for a run folder (done by twin run too)")
    rp.add_argument("folder", type=Path, metavar="RUN_OR_DIR",
                    help="a folder twin run wrote (e.g. output/baseline), or a run id (or unique prefix) from the run store")
    rp.add_argument("--store", type=Path, help="run store for a run id (default $TWIN_STORE or output/runs.duckdb)")
    rp.add_argument("--out", type=Path, help="folder for a stored run's report (default output/reports/RUN_ID)")
    sch = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editor completion and checks)")
    sch.add_argument("--out", type=Path, default=Path("scenario.schema.json"), help="default scenario.schema.json")
    val = sub.add_parser("validate", help="check a scenario and its parameter set")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE")
    _calibration_parsers(sub)
    return ap


def _calibration_parsers(sub: Any) -> None:
    """``twin calibrate`` and ``twin backtest`` (plant records, see README 'Plant records')."""
    cal = sub.add_parser("calibrate", help="estimate parameters (with 95 %% intervals) from plant records; "
                         "write a calibrated parameter set and a report")
    cal.add_argument("scenario", type=Path, help="the scenario whose parameter set is the prior")
    cal.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder of plant records")
    cal.add_argument("--out", type=Path, metavar="PARAMS.yaml",
                     help="the calibrated parameter set (default output/<scenario name>-calibrated.yaml)")
    cal.add_argument("--report", type=Path, metavar="DIR",
                     help="folder for report.html/report.md (default output/<scenario name>-calibration)")
    cal.add_argument("--lenient", action="store_true", help="skip bad record rows (each one is reported)")
    cal.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE")
    bt = sub.add_parser("backtest", help="simulate the recorded period with a (calibrated) parameter set and "
                        "compare it with the records")
    bt.add_argument("scenario", type=Path)
    bt.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder of plant records")
    bt.add_argument("--params", type=Path, metavar="PARAMS.yaml",
                    help="parameter set to test (default: the scenario's own; e.g. the output of twin calibrate)")
    bt.add_argument("--replications", type=int, default=10, help="replications of the recorded period (default 10)")
    bt.add_argument("--out", type=Path, metavar="DIR", help="report folder (default output/<scenario name>-backtest)")
    bt.add_argument("--lenient", action="store_true", help="skip bad record rows (each one is reported)")
    bt.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE")
    sn = sub.add_parser("snapshot", help="the plant's state at one moment (machines, lots, tanks) from plant records, as JSON")
    sn.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder of plant records")
    sn.add_argument("--at", metavar="TIME", help="ISO-8601 time with a zone, or hours since the records' start "
                    "(default: the end of the records)")
    sn.add_argument("--out", type=Path, default=Path("output") / "plant-state.json", metavar="FILE",
                    help="default output/plant-state.json")
    sn.add_argument("--lenient", action="store_true", help="skip bad record rows (each one is reported)")
    oc = sub.add_parser("ocel", help="plant records as an OCEL 2.0 object-centric event log (JSON, for pm4py and other "
                        "process-mining tools)")
    oc.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder of plant records")
    oc.add_argument("--out", type=Path, default=Path("output") / "plant-ocel.json", metavar="FILE",
                    help="default output/plant-ocel.json")
    oc.add_argument("--lenient", action="store_true", help="skip bad record rows (each one is reported)")


def _ocel(args: argparse.Namespace) -> int:
    from plants.records import read_records
    from plants.records.ocel import write_ocel

    rec = read_records(args.data, lenient=args.lenient)
    for p in rec.skipped:
        print(f"skipped: {p.render()}", file=sys.stderr)
    print(f"wrote {write_ocel(rec, args.out)} (OCEL 2.0 JSON)")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    from collections import Counter

    from plants.calibration.snapshot import parse_at, snapshot, write_snapshot
    from plants.records import read_records

    rec = read_records(args.data, lenient=args.lenient)
    for p in rec.skipped:
        print(f"skipped: {p.render()}", file=sys.stderr)
    state = snapshot(rec, parse_at(args.at, rec))
    write_snapshot(state, args.out)
    down = [m["equipment"] for m in state["machines"] if m["state"] == "down"]
    where = Counter(lot["where"] for lot in state["lots"])
    print(f"plant state at {state['at']}: {len(state['machines'])} machines ({len(down)} down{': ' if down else ''}"
          f"{', '.join(down)}), lots " + ", ".join(f"{n} {w}" for w, n in sorted(where.items())) + f"; written to {args.out}")
    return 0


def _calibrate(args: argparse.Namespace, loaded: Any) -> int:
    from plants.calibration import calibrate

    name = safe_name(loaded.scenario.name)
    out = args.out or Path("output") / f"{name}-calibrated.yaml"
    if out.is_dir():
        raise InputError.single(str(out), "", "is a folder: give a file name, e.g. my-plant-calibrated.yaml")
    res = calibrate(loaded, args.data, out, args.report or Path("output") / f"{name}-calibration", lenient=args.lenient)
    for p in res.calibration.records.skipped:
        print(f"skipped: {p.render()}", file=sys.stderr)
    table = res.calibration.table()
    if not table.empty:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 48,
                               "display.float_format", "{:,.5g}".format):
            print(table[table["written"]][["parameter", "prior", "estimate", "low95", "high95", "n"]].to_string(index=False))
    for w in res.calibration.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"\n{len(res.written)} value(s) calibrated (flag C) into {res.parameter_file}; report in {res.report}")
    return 0


def _backtest(args: argparse.Namespace, loaded: Any) -> int:
    from plants.calibration.backtest import backtest

    out = args.out or Path("output") / f"{safe_name(loaded.scenario.name)}-backtest"
    res = backtest(loaded, args.data, args.params, args.replications, out, lenient=args.lenient)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 50,
                           "display.float_format", "{:,.4g}".format):
        print(res.table.to_string(index=False))
    n_out = int((res.table["verdict"] == "outside").sum())
    print(f"\n{len(res.table) - n_out} of {len(res.table)} comparisons inside the twin's 95 % prediction interval; "
          f"report in {res.report}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from twin.progress import quiet

    with quiet(bool(getattr(args, "quiet", False))):
        if args.command == "runs":
            return _runs(args)
        if args.command in ("validate", "schema"):  # they never open the store: skip its imports (duckdb, pandas)
            return guarded(lambda: _command(args))
        from twin.store import StoreError  # after --help: the store's imports are not needed for it

        return guarded(lambda: _command(args), (StoreError,))


def _command(args: argparse.Namespace) -> int:
    if args.command == "snapshot":
        return _snapshot(args)
    if args.command == "ocel":
        return _ocel(args)
    if args.command == "report":
        return _report(args)
    if args.command == "export":
        return _export(args)
    if args.command == "schema":
        import json

        from plants.app.api import scenario_schema

        if args.out.is_dir():
            raise InputError.single(str(args.out), "", "is a folder: give a file name, e.g. scenario.schema.json")
        atomic_text(args.out, json.dumps(scenario_schema(), indent=2) + "\n")
        print(f"wrote {args.out}")
        return 0
    if args.command == "validate":  # the scenario module alone: no simulation, evaluation or store imports
        from plants.scenario import load_scenario

        loaded = load_scenario(str(args.scenario), sets_from_args(args))
        opt = loaded.scenario.optimization
        if opt is not None and (opt.constraints.kpi_min or opt.constraints.kpi_max or opt.tradeoff is not None
                                or not isinstance(opt.objective, str)):  # KPI keys it names (plants/app/kpi_check.py)
            from plants.app.kpi_check import check_optimization_kpis

            check_optimization_kpis(loaded)
        n_placeholder = sum(1 for s in loaded.sources.values() if s.is_placeholder)
        n_calibrated = sum(1 for s in loaded.sources.values() if s.is_calibrated)
        print(f"{args.scenario}: valid (parameter set {loaded.params.name}@{loaded.params.version} from "
              f"{loaded.parameter_file}, {len(loaded.sources)} sourced parameters, {n_placeholder} of them placeholders, "
              f"{n_calibrated} calibrated from plant records)")
        return 0
    from plants.app import api  # the composition root imports the plant; keep --help fast

    loaded = api.load(args.scenario, sets_from_args(args))
    if args.command == "calibrate":
        return _calibrate(args, loaded)
    if args.command == "backtest":
        return _backtest(args, loaded)
    if args.command == "sweep":
        return _sweep(args, loaded)
    if args.command == "sensitivity":
        return _sensitivity(args, loaded)
    if args.command == "optimize":
        return _optimize(args, loaded)
    out = args.out or Path("output") / safe_name(loaded.scenario.name)
    store = None if args.no_store else _open_store(args.store)  # a bad or busy store fails now, not after the work
    state = None
    if args.from_state is not None:  # read and checked before any simulation: a bad file fails now
        from plants.state import load_state

        state = load_state(args.from_state)
    result = api.run(loaded, backend=backend_from_args(args), progress=not args.quiet, from_state=state)
    api.write_outputs(result, out, report=not args.no_report)
    if args.export_records is not None:  # plant records (issue 16): the run as a plant's MES would log it
        from plants.records import export_records

        print(f"Plant records written to {export_records(result, args.export_records)}/")
    print(_table(result.summary))
    if state is not None:
        print("\n" + _forecast_text(result, state))
    print(f"\nResults written to {out}/ (summary.json, {'' if args.no_report else 'report.html, report.md, '}lots, "
          "events, genealogy, levels, costs, quality_drivers, co2 and sources .parquet)")
    if store is not None:
        run_id = api.store_run(result, store)
        print(f"Stored as run {run_id} (twin runs show {run_id})")
    return 0


def _forecast_text(result: Any, state: Any) -> str:
    """The forecast of a run started from a plant state, in words and a small table."""
    import math

    s = result.summary
    n = s["replications"]

    def pm(key: str, digits: int = 1) -> str:
        v, h = s.get(key), s.get(f"{key}.ci95_half")
        if v is None or not math.isfinite(v):
            return "n/a"
        return f"{v:,.{digits}f}" + (f" +/- {h:,.{digits}f}" if h is not None and math.isfinite(h) else "")

    lines = [f"Forecast from the plant state at {state.at} ({state.file}), next {s['horizon_h']:g} h, "
             f"{n} replication(s), 95 % half-widths"]
    for supply, label in (("silane", "Silane tank"), ("lithium", "Li supply")):
        share = s.get(f"forecast.{supply}.dry_share", 0.0)
        start = f"starts at {s.get(f'forecast.{supply}.level_start_kg', math.nan):,.0f} kg"
        if share and share > 0:
            lines.append(f"  {label} {start}, runs dry in {pm(f'forecast.{supply}.dry_h')} h "
                         f"(in {share:.0%} of the replications)")
        else:
            lines.append(f"  {label} {start}, does not run dry within the horizon")
    from plants.lines import STAGES

    lines.append(f"  {'output over the horizon':<34} {'lots':>16} {'kg':>22} {'first after (h)':>18}")
    for st in STAGES:
        lines.append(f"  {st.label:<34} {pm(f'forecast.{st.key}.output_lots'):>16} "
                     f"{pm(f'forecast.{st.key}.output_kg', 0):>22} {pm(f'forecast.{st.key}.first_output_h'):>18}")
    if s.get("forecast.quarantine.lots"):
        lines.append(f"  {s['forecast.quarantine.lots']:.0f} lot(s) in quarantine: {pm('forecast.quarantine.released')} "
                     f"released; the last decision after {pm('forecast.quarantine.decided_h')} h")
        fl = result.forecast_lots
        for r in fl.itertuples(index=False):
            when = "n/a" if not math.isfinite(r.decision_h) else f"{r.decision_h:,.1f} h"
            lines.append(f"    {r.lot_id}: decided after {when}, released in {r.released_share:.0%} of the replications")
    if s.get("forecast.buffer.lots"):
        lines.append(f"  {s['forecast.buffer.lots']:.0f} lot(s) waiting in buffers: all used up after "
                     f"{pm('forecast.buffer.taken_h')} h")
    for note in result.state_notes:
        lines.append(f"  not restored: {note}")
    return "\n".join(lines)


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
    run_id = _resolve(store, str(args.folder))
    out = args.out or Path("output") / "reports" / run_id
    print(f"wrote {write_report(out, RunResult.from_store(store, run_id))} and report.md")
    return 0


def _resolve(store: Path, run_id: str) -> str:
    """The full run id of ``run_id`` or of a unique prefix of it (an ambiguous one names the candidates)."""
    from twin.store import RunStore

    with RunStore(store, read_only=True) as st:
        return st.resolve(run_id)


def _export(args: argparse.Namespace) -> int:
    """``twin export RUN_OR_DIR --xlsx FILE``: a run folder, or a run (id or prefix) of the run store."""
    from plants.app.api import RunResult, export_xlsx
    from twin.provenance import default_store_path

    source = Path(args.run)
    if source.is_dir() or "/" in args.run or "\\" in args.run:
        result = RunResult.from_folder(source)
    else:
        store = args.store or default_store_path()
        if not store.exists():
            raise InputError.single(args.run, "", f"is neither a run folder nor a run id (no run store at {store})")
        result = RunResult.from_store(store, _resolve(store, args.run))
    path = export_xlsx(result, args.xlsx)
    print(f"wrote {path} (sheets: {', '.join(_sheet_names(path))})")
    return 0


def _sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


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
                         args.store, resume=args.resume, progress=not args.quiet)
    keys = args.kpi or [k for k in _headline() if k in exp.kpis.columns]
    table = summarize_points(exp.kpis, keys)
    from plants.kpi import REGISTRY

    print_points(design, table, REGISTRY, keys=keys)
    _print_sweep_notes(design, exp.kpis, loaded)
    print(f"\n{'complete' if exp.complete else 'INTERRUPTED'}: run {exp.run_id} in {exp.store_path} "
          f"({exp.computed} tasks computed now)")
    if not exp.complete:
        print(f"continue with: twin sweep {args.scenario} ... --resume", file=sys.stderr)
        return 130
    return 0


def _sensitivity(args: argparse.Namespace, loaded: Any) -> int:
    import numpy as np

    from plants.app.plant import PLANT
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
                         args.store, resume=args.resume, keep_lots=False, progress=not args.quiet)
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
    from plants.app.sensitivity_report import write_sensitivity  # sorted by importance, units, a bar chart

    table, files = write_sensitivity(out, idx, args.method)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        print(table.drop(columns=["kpi_label"]).to_string(index=False))
    print(f"\n{args.method}: {len(design)} points x {reps} replication(s), run {exp.run_id}; parameters sorted by "
          f"importance per KPI; indices in {files[0]}, drawn in {files[1]}")
    return 0


def _optimize(args: argparse.Namespace, loaded: Any) -> int:
    from plants.app.optimization_report import to_json, write_report
    from plants.app.optimize import build_problem, run_optimization
    from twin.progress import Progress, counting
    from twin.provenance import code_version, sha256_text

    build_problem(loaded)  # a bad optimization section fails here, before any simulation
    with Progress(None, "optimize: twin replications", enabled=not args.quiet, unit="rep") as bar, counting(bar):
        run = run_optimization(loaded, backend_from_args(args), args.store, say=lambda m: _say(m, bar))
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


def _say(message: str, bar: Any) -> None:
    """A message of the optimizer on stderr, above the progress bar when one is drawn."""
    if getattr(bar, "shown", False):
        from tqdm.auto import tqdm

        tqdm.write(str(message), file=sys.stderr)
    else:
        print(message, file=sys.stderr)


def _runs(args: argparse.Namespace) -> int:
    from twin.provenance import default_store_path
    from twin.store import RunStore, StoreError

    path = args.store or default_store_path()
    if not path.exists():
        print(f"error: no run store at {path} (runs are stored by twin run/sweep/sensitivity)", file=sys.stderr)
        return 2
    writes = args.action in ("tag", "untag", "note", "delete")

    def go() -> int:
        with RunStore(path, read_only=not writes) as store:
            if args.action == "list":
                return _runs_list(store, args)
            if args.action == "compare":
                return _runs_compare(store, args)
            need = {"show": (1, 1, "RUN_ID"), "tag": (2, None, "RUN_ID TAG..."), "untag": (2, None, "RUN_ID TAG..."),
                    "note": (1, None, "RUN_ID TEXT"), "delete": (1, None, "RUN_ID...")}[args.action]
            if len(args.ids) < need[0] or (need[1] is not None and len(args.ids) > need[1]):
                raise InputError.single(f"twin runs {args.action}", need[2], "give " + {
                    "show": "exactly one run id", "tag": "a run id and at least one tag",
                    "untag": "a run id and at least one tag", "note": "a run id and the note's text",
                    "delete": "at least one run id"}[args.action])
            if args.action == "delete":
                ids = [store.resolve(i) for i in args.ids]
                counts = store.delete(ids)
                print(f"deleted {len(ids)} run(s): {', '.join(ids)} ({counts['points']} points, {counts['results']} results, "
                      f"{counts['kpis']} KPI values, {counts['lots']} lot rows) from {path}")
                return 0
            run_id = store.resolve(args.ids[0])
            if args.action in ("tag", "untag"):
                tags = store.tag(run_id, args.ids[1:], remove=args.action == "untag")
                print(f"{run_id}: tags {', '.join(tags) if tags else '(none)'}")
                return 0
            if args.action == "note":
                text = " ".join(args.ids[1:]).strip()
                store.note(run_id, text or None)
                print(f"{run_id}: note {'set' if text else 'cleared'}")
                return 0
            return _runs_show(store, run_id, args)

    return guarded(go, (StoreError,))


def _sets_of(scenario_text: str) -> list[str]:
    """The --set lines a stored scenario text carries (its last line, see plants.scenario.SET_MARK)."""
    from plants.scenario import SET_MARK

    last = scenario_text.rstrip("\n").rsplit("\n", 1)[-1]
    return last[len(SET_MARK):].split(" --set ") if last.startswith(SET_MARK) else []


def _runs_list(store: Any, args: argparse.Namespace) -> int:
    import pandas as pd

    from twin.kpis import format_value
    from twin.tables import render, wrap_lines

    runs = store.runs(tag=args.tag)
    if runs.empty:
        print(f"no runs{f' tagged {args.tag!r}' if args.tag else ''} in {store.path}")
        return 0
    values = store.run_values(["horizon_h", "warmup_h"], list(runs["run_id"]))
    texts = dict(store.sql("SELECT run_id, scenario_text FROM runs").itertuples(index=False, name=None))
    rows = []
    for r in runs.itertuples(index=False):
        h = values["horizon_h"].get(r.run_id, float("nan")) if "horizon_h" in values else float("nan")
        w = values["warmup_h"].get(r.run_id, float("nan")) if "warmup_h" in values else float("nan")
        stored = f"{r.results_stored}/{r.points * r.replications}"
        rows.append({"run_id": r.run_id, "status": r.status, "name": r.name, "hours": format_value(h, 0),
                     "reps": str(r.replications), "--set lines": " ".join(_sets_of(texts.get(r.run_id, ""))),
                     "tags": ", ".join(r.tags), "note": r.note or "", "kind": r.kind, "points": str(r.points),
                     "stored": stored, "warm-up h": format_value(w, 0),
                     "created": pd.Timestamp(r.created).strftime("%Y-%m-%d %H:%M"),
                     "parameter set": r.parameter_set or ""})
    frame = pd.DataFrame(rows)
    print(render(frame, keep=["run_id", "hours", "reps", "--set lines"], no_wrap=["run_id"],
                 right=["hours", "reps", "points", "stored", "warm-up h"]))
    print("\n".join(wrap_lines(f"{len(frame)} run(s) in {store.path}{f' tagged {args.tag!r}' if args.tag else ''}; "
                                "a unique prefix of a run id is enough")))
    return 0


def _runs_show(store: Any, run_id: str, args: argparse.Namespace) -> int:
    from plants.kpi import REGISTRY
    from twin.campaign import summarize_points
    from twin.tables import wrap_lines

    info = store.run_info(run_id)
    info["tags"] = ", ".join(info.get("tags") or [])
    sets = _sets_of(str(info.get("scenario_text", "")))
    for k, v in info.items():
        if k != "scenario_text" and v is not None and v != "":
            print("\n".join(wrap_lines(f"{k:<20} {v}", indent=" " * 21)))
    if sets:
        print("\n".join(wrap_lines(f"{'--set lines':<20} {' '.join(sets)}", indent=" " * 21)))
    table = summarize_points(store.kpis(run_id), args.kpi or None)
    design = store.design(run_id)
    head = _headline()
    print()
    print_points(design, table if args.kpi else table[[c for c in table.columns if c[0] in head]], REGISTRY,
                 keys=args.kpi or head)
    return 0


def _num(v: float) -> str:
    import math

    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1e5 else f"{v:,.4g}"


def _runs_compare(store: Any, args: argparse.Namespace) -> int:
    import math

    import pandas as pd

    from plants.kpi import REGISTRY
    from twin.stats import BOOKKEEPING
    from twin.tables import render, wrap_lines

    if len(args.ids) != 2:
        raise InputError.single("twin runs compare", "RUN_ID RUN_ID", "give exactly two run ids")
    a, b = (store.resolve(i) for i in args.ids)
    pa, pb = args.points
    problems = store.differences(a, b, pa, pb)
    if problems and not args.force:
        raise InputError.single("twin runs compare", f"{a} and {b}", "are not comparable: " + "; ".join(problems)
                                + " (add --force to compare them anyway)")
    for p in problems:
        print(f"WARNING: comparing runs that differ: {p}", file=sys.stderr)
    table = store.compare(a, b, args.kpi or None, point_a=pa, point_b=pb, method=args.method)
    if not args.kpi:  # bookkeeping and timings are not results
        table = table[~table.index.isin(BOOKKEEPING) & ~table.index.str.startswith("sim.")]
    method, reason = table.attrs.get("method", ""), table.attrs.get("method_reason", "")
    rows = []
    for key, r in table.iterrows():
        half = r["ci95_half"]
        sig = "yes" if isinstance(half, float) and math.isfinite(half) and abs(r["delta"]) > half else \
            ("n/a" if not (isinstance(half, float) and math.isfinite(half)) else "no")
        rows.append({"KPI": str(key), "A": _num(r["mean_a"]), "B": _num(r["mean_b"]), "B - A": _num(r["delta"]),
                     "± 95 %": _num(half), "differs": sig, "n": f"{r['n_a']}/{r['n_b']}", "method": r["method"]})
    print("\n".join(wrap_lines(f"A: {a} point {pa}")))
    print("\n".join(wrap_lines(f"B: {b} point {pb}")))
    if args.method != "auto":
        reason = f"chosen with --method; {reason}"
    print("\n".join(wrap_lines(f"method: {method} 95 % intervals ({reason}); differs: the interval of B - A "
                                "excludes 0")))
    print(render(pd.DataFrame(rows, columns=["KPI", "A", "B", "B - A", "± 95 %", "differs", "n", "method"]),
                 keep=["KPI", "B - A", "± 95 %"], right=["A", "B", "B - A", "± 95 %", "n"]))
    if args.xlsx is not None:
        from twin.export import write_xlsx

        out = table.copy()
        out.insert(0, "label", [REGISTRY.find(str(k)).label if REGISTRY.find(str(k)) else str(k) for k in out.index])
        out.insert(1, "unit", [getattr(REGISTRY.find(str(k)), "unit", "") for k in out.index])
        info = pd.DataFrame({"item": ["run A", "point A", "run B", "point B", "method", "why", "warnings"],
                             "value": [a, pa, b, pb, method, reason, "; ".join(problems) or "none"]})
        write_xlsx(args.xlsx, {"comparison": out.reset_index(), "info": info})
        print(f"wrote {args.xlsx}")
    if args.report is not None:  # the comparison report (plants/app/compare_report.py)
        from plants.app.compare_report import write_store_comparison_report

        page = write_store_comparison_report(store, a, pa, b, pb, args.report, args.kpi or None, args.method)
        print(f"wrote {page} and report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
