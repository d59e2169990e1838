"""Run the twin at every recipe of scenarios/opt_check.yaml's decision grid; write the regression file.

    .venv/bin/python benchmarks/opt_check_grid.py [--workers N]

The grid is the full factorial of the optimization section's decision levels (5^4 = 625 recipes),
each simulated once with the scenario seed (replication 0, the same streams the optimizer samples
with). For every recipe the file keeps the settings, the objective KPI and every KPI the limits use,
plus ``feasible`` (every limit met) and ``objective`` -- so the acceptance test
(tests/test_optimization.py) can compare the optimizer's answer with the best feasible recipe
without running 625 simulations. Writes tests/data/opt_check_grid.csv.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plants.app.api import load  # noqa: E402
from plants.app.optimize import build_problem  # noqa: E402
from plants.app.plant import PLANT  # noqa: E402
from twin.campaign import run_experiment  # noqa: E402
from twin.experiments import Backend  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    scen = ROOT / "scenarios" / "opt_check.yaml"
    problem = build_problem(load(scen))
    names = list(problem.levels)
    design = pd.DataFrame(list(itertools.product(*(problem.levels[n] for n in names))), columns=names)
    design.index.name = "point_id"
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        exp = run_experiment(PLANT, "sweep", load(scen), design, 1, Backend("pool", args.workers), Path(tmp) / "grid.duckdb",
                             keep_lots=False)
    k = exp.kpis.droplevel("replication").reindex(design.index)
    keep = problem.kpis
    out = pd.concat([design, k[keep]], axis=1)
    out["objective"] = k[problem.objective]
    out["feasible"] = [all(lim.met(float(lim.value(k.loc[i]))) for lim in problem.limits) for i in design.index]
    target = ROOT / "tests" / "data" / "opt_check_grid.csv"
    out.to_csv(target, float_format="%.10g")
    best = out[out["feasible"]].sort_values("objective").iloc[0] if out["feasible"].any() else None
    print(f"{len(design)} recipes in {time.perf_counter() - t0:.1f} s; {int(out['feasible'].sum())} feasible")
    if best is not None:
        print("best feasible:", {n: best[n] for n in names}, f"{problem.objective} = {best['objective']:.6g}")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
