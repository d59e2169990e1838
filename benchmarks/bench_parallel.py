"""Throughput of experiments: serial vs local pool vs Dask LocalCluster, and the run store's write cost.

    .venv/bin/python benchmarks/bench_parallel.py [--replications 200] [--horizon 168] [--workers N]

One run, side by side on the same machine: the same 200 short replications of the smoke scenario
(one point, replications 0..199) through ``twin.campaign.run_experiment`` on each backend, each into
its own fresh store; then the store's write time per replication (``RunStore.add_result`` with the
replication's KPIs and lot table) against the simulation time of the same replications. Goals (on 2
cores): pool >= 1.8x serial, Dask >= 1.6x serial, store writes < 5 % of simulation time. Results go
to ``benchmarks/results/bench_parallel.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plants.app.api import load  # noqa: E402
from plants.app.plant import PLANT  # noqa: E402
from twin.campaign import Job, run_experiment, work  # noqa: E402
from twin.experiments import Backend, chunked  # noqa: E402
from twin.store import RunStore  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--horizon", type=float, default=168.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    scen = ROOT / "scenarios" / "smoke.yaml"
    sets = [f"horizon_h={args.horizon:g}", "warmup_h=0"]
    design = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, backend in (("serial", Backend("serial")), ("pool", Backend("pool", args.workers)),
                              ("dask", Backend("dask", args.workers))):
            t0 = time.perf_counter()
            exp = run_experiment(PLANT, "run", load(scen, sets), design, args.replications, backend, Path(tmp) / f"{name}.duckdb",
                                 progress=False)
            wall = time.perf_counter() - t0
            assert exp.complete
            results[name] = {"wall_s": wall, "replications_per_s": args.replications / wall}
            print(f"{name:<7} {wall:8.2f} s  {args.replications / wall:7.2f} replications/s", flush=True)
        # the store's share: simulate+evaluate the replications chunk by chunk (as run_experiment
        # chunks them for the pool), then time each chunk's write (one transaction) alone
        loaded = load(scen, sets)
        sim_s = write_s = 0.0
        with RunStore(Path(tmp) / "overhead.duckdb") as store:
            store.begin_run("overhead", "run", "smoke", loaded.text, "x", "bench", loaded.scenario.seed, args.replications,
                            design)
            for chunk in chunked([Job(PLANT, loaded, 0, r) for r in range(args.replications)], args.workers):
                t0 = time.perf_counter()
                outs = work(chunk)
                t1 = time.perf_counter()
                store.add_results("overhead", [(o.point_id, o.replication, o.seed, o.summary, o.lots, o.wall_s) for o in outs])
                t2 = time.perf_counter()
                sim_s += t1 - t0
                write_s += t2 - t1
    serial = results["serial"]["wall_s"]
    speedup = {k: serial / v["wall_s"] for k, v in results.items()}
    share = write_s / sim_s
    goals = {"pool": 1.8, "dask": 1.6}
    print(f"\nworkers {args.workers}, cpu_count {os.cpu_count()}")
    for k in ("pool", "dask"):
        print(f"speed-up {k:<5} {speedup[k]:5.2f}x  (goal >= {goals[k]}x) {'ok' if speedup[k] >= goals[k] else 'MISSED'}")
    print(f"store writes {share * 100:5.2f} % of simulation time ({write_s / args.replications * 1e3:.1f} ms per replication, "
          f"simulation {sim_s / args.replications * 1e3:.1f} ms)  (goal < 5 %) {'ok' if share < 0.05 else 'MISSED'}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_parallel.json").write_text(json.dumps({
        "replications": args.replications, "horizon_h": args.horizon, "workers": args.workers, "cpu_count": os.cpu_count(),
        "backends": results, "speedup": speedup, "store_write_share": share,
        "store_write_ms_per_replication": write_s / args.replications * 1e3,
        "simulation_ms_per_replication": sim_s / args.replications * 1e3}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
