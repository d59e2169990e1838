"""End-to-end time of ``twin run``, split into import, load, simulate, evaluate, assemble, write and
report; plus ``twin --help`` and ``twin validate``.

Run from the project root::

    .venv/bin/python benchmarks/bench_run.py [--scenarios smoke baseline] [--repeat 3]

What it measures, in one run:

1. **The phases of a run, through the Python API**, each scenario in a fresh interpreter (so the
   imports are cold, as for a user typing ``twin run``), ``--repeat`` times, alternating scenarios:

   * ``import``: ``from plants.app import api`` and ``plants.app.cli`` (what ``twin run`` imports
     before it loads the scenario);
   * ``load``: ``api.load(scenario)`` (YAML, validation, parameter set);
   * ``simulate`` and ``evaluate``: ``api.run(loaded)`` with ``plants.app.plant.simulate`` and
     ``plants.app.plant.evaluate`` wrapped in timers (the one replicate path,
     ``SiCPlant.replicate``); ``assemble`` is the rest of ``api.run`` (concatenating the frames);
   * ``write``: ``api.write_outputs(result, dir)`` (summary, parquet frames, scenario);
   * ``report``: ``build_page(result).write_into(dir)``, which is what ``write_outputs(report=True)``
     adds (report.html, report.md and images; the first call imports matplotlib and the report
     module, as ``twin run`` does).

   Both shipped scenarios have one replication, so ``api.run`` runs serially in this process.
2. **``twin run`` end to end**: ``twin run <scenario> --no-store --out <tmp>`` as a subprocess
   (wall clock, best of ``--repeat``); it also prints the KPI table.
3. **``twin --help``**, **``twin run --help``** and **``twin validate scenarios/baseline.yaml``** as
   subprocesses (best of 5).

Prints the best (minimum) of each phase over the repeats, as wall clock and as CPU time of the
process and its children (the report renders its figures in this process and one forked child, see
``twin.report``; on a loaded machine the CPU time of a serial phase is close to what the wall clock
would be on an idle one; for the report it is the sum of both processes, above its idle wall
clock), the ratios evaluate/simulate and report/simulate, and the goals of issue 15 (``--help`` <
0.5 s, ``validate`` < 1 s, evaluate <= 0.25 x simulate, report < 0.5 x simulate for the baseline; a goal not met prints
``MISSED``). Writes every run to ``benchmarks/results/bench_run.json`` (git-ignored).

The machine is shared (2 cores): the load at the start and end is printed; compare figures only
from runs made side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TWIN = str(Path(PY).with_name("twin"))
PHASES = ("import", "load", "simulate", "evaluate", "assemble", "write", "report")


def _cpu() -> float:
    """CPU time of this process and of its children that have ended (the report's forked renderer)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


class _Clock:
    """Wall and CPU time of this process (and its ended children) since the last ``lap``."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), _cpu()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def _phases(scenario: str) -> dict[str, float]:
    """One run's phases, timed in this (fresh) interpreter: ``<phase>`` wall and ``cpu.<phase>`` CPU seconds."""
    clock = _Clock()
    out: dict[str, float] = {}

    def record(phase: str, lap: tuple[float, float]) -> None:
        out[phase], out[f"cpu.{phase}"] = lap

    import plants.app.cli  # noqa: F401  (what the twin command imports first)
    from plants.app import api
    from plants.app import plant as plant_module

    record("import", clock.lap())
    loaded = api.load(ROOT / "scenarios" / f"{scenario}.yaml")
    record("load", clock.lap())
    spent = {"simulate": [0.0, 0.0], "evaluate": [0.0, 0.0]}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kw: Any) -> Any:
            c = _Clock()
            try:
                return fn(*args, **kw)
            finally:
                wall, cpu = c.lap()
                spent[name][0] += wall
                spent[name][1] += cpu
        return wrapper

    plant_module.simulate = timed("simulate", plant_module.simulate)  # type: ignore[assignment]
    plant_module.evaluate = timed("evaluate", plant_module.evaluate)  # type: ignore[assignment]
    result = api.run(loaded)
    wall, cpu = clock.lap()
    for name, (w, c) in spent.items():
        record(name, (w, c))
    record("assemble", (wall - spent["simulate"][0] - spent["evaluate"][0], cpu - spent["simulate"][1]
                        - spent["evaluate"][1]))
    with tempfile.TemporaryDirectory() as tmp:
        clock.lap()
        api.write_outputs(result, Path(tmp) / "files")
        record("write", clock.lap())
        from plants.app.report import build_page  # imported here by write_outputs(report=True) too

        (Path(tmp) / "report").mkdir()
        build_page(result).write_into(Path(tmp) / "report")
        record("report", clock.lap())
    out["events"] = float(result.summary.get("sim.events", 0))
    out["horizon_h"] = float(loaded.scenario.horizon_h)
    return out


def _child(scenario: str) -> dict[str, float]:
    proc = subprocess.run([PY, __file__, "--child", scenario], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"phase run of {scenario} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _wall(cmd: list[str]) -> tuple[float, float, int]:
    """Wall clock and CPU time (user + system, of the command and its children) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def _best_wall(cmd: list[str], n: int) -> dict[str, Any]:
    runs = [_wall(cmd) for _ in range(n)]
    ok = [(w, c) for w, c, rc in runs if rc == 0]
    return {"best_s": min(w for w, _ in ok) if ok else None, "best_cpu_s": min(c for _, c in ok) if ok else None,
            "runs_s": [w for w, _, _ in runs], "failed": sum(1 for _, _, rc in runs if rc != 0)}


def _fmt(v: float | None) -> str:
    return "failed" if v is None else f"{v:7.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="+", default=["smoke", "baseline"])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each scenario (best is reported; default 3)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_phases(args.child)))
        return
    load_start = os.getloadavg()
    record: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpus": os.cpu_count(),
                              "loadavg_start": load_start, "phases": {s: [] for s in args.scenarios}, "cli": {}}
    print(f"{os.cpu_count()} CPUs, load average {load_start[0]:.2f} at the start")
    print("twin --help, twin run --help, twin validate ... (best of 5)", flush=True)
    record["cli"]["help"] = _best_wall([TWIN, "--help"], 5)
    record["cli"]["run --help"] = _best_wall([TWIN, "run", "--help"], 5)
    record["cli"]["validate"] = _best_wall([TWIN, "validate", "scenarios/baseline.yaml"], 5)
    for i in range(args.repeat):
        for s in args.scenarios:
            print(f"  phases of {s} ({i + 1}/{args.repeat}) ...", flush=True)
            record["phases"][s].append(_child(s))
    with tempfile.TemporaryDirectory() as tmp:
        for s in args.scenarios:
            print(f"  twin run {s} end to end ...", flush=True)
            record["cli"][f"run {s}"] = _best_wall(
                [TWIN, "run", f"scenarios/{s}.yaml", "--no-store", "--out", str(Path(tmp) / s)], args.repeat)
    load_end = os.getloadavg()
    record["loadavg_end"] = load_end

    best: dict[str, dict[str, float]] = {}
    for kind, prefix in (("wall clock", ""), ("CPU time of the process", "cpu.")):
        print(f"\nPhases of a run, {kind}, seconds (best of {args.repeat}; fresh interpreter per run)")
        print(f"  {'scenario':<10}" + "".join(f"{p:>10}" for p in PHASES) + f"{'sum':>10}{'eval/sim':>10}"
              f"{'rep/sim':>10}")
        for s in args.scenarios:
            b = {p: min(r[prefix + p] for r in record["phases"][s]) for p in PHASES}
            best.setdefault(s, {}).update({prefix + p: v for p, v in b.items()})
            print(f"  {s:<10}" + "".join(f"{b[p]:>10.2f}" for p in PHASES) + f"{sum(b.values()):>10.2f}"
                  f"{b['evaluate'] / b['simulate']:>10.2f}{b['report'] / b['simulate']:>10.2f}")
    print("\nCommands, seconds (best; CPU: user + system of the command)")
    for name, r in record["cli"].items():
        fails = f"  ({r['failed']} of {len(r['runs_s'])} failed)" if r["failed"] else ""
        print(f"  twin {name:<22}{_fmt(r['best_s'])} wall {_fmt(r['best_cpu_s'])} CPU{fails}")
    print(f"\nload average {load_end[0]:.2f} at the end")

    cli = record["cli"]
    goals = [("twin --help < 0.5 s", cli["help"]["best_s"], cli["help"]["best_cpu_s"], 0.5),
             ("twin run --help < 0.5 s", cli["run --help"]["best_s"], cli["run --help"]["best_cpu_s"], 0.5),
             ("twin validate < 1 s", cli["validate"]["best_s"], cli["validate"]["best_cpu_s"], 1.0)]
    if "baseline" in best:
        b = best["baseline"]
        goals += [("baseline evaluate <= 0.25 x simulate", b["evaluate"] / b["simulate"],
                   b["cpu.evaluate"] / b["cpu.simulate"], 0.25),
                  ("baseline report < 0.5 x simulate", b["report"] / b["simulate"], b["cpu.report"] / b["cpu.simulate"],
                   0.5)]
    print(f"\nGoals (issue 15), judged on the wall clock{'':<12}{'wall':>7}  {'CPU':>7}")
    for name, value, cpu, limit in goals:
        status = "failed to run" if value is None else ("met" if value <= limit else "MISSED")
        print(f"  {name:<58}{_fmt(value)}  {_fmt(cpu)}  {status}")
    record["best"] = best
    out = ROOT / "benchmarks" / "results" / "bench_run.json"
    out.parent.mkdir(exist_ok=True)
    runs = json.loads(out.read_text()) if out.is_file() else []
    out.write_text(json.dumps([*runs, record], indent=1) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
