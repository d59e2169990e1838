"""The modelling layer's cost: the recipe-choice MILP built and solved through Pyomo vs the same MILP
passed to highspy directly as numpy arrays, side by side in one run, at growing sizes.

    .venv/bin/python benchmarks/bench_milp.py [--sizes 10,100,1000,10000] [--lines 4] [--limits 6]

Instance (seeded, the same for both): ``lines`` lines with ``n`` candidate recipes each (binaries,
one recipe per line), each recipe with a cost and contributions to ``limits`` coupling limits
(quality and output floors, a capital ceiling), all additive across lines -- a multiple-choice
knapsack, so HiGHS has real branch-and-bound work. Pyomo path: ``optimization.model.build_model``
(LinearExpression fast path) + the persistent HiGHS interface in ``optimization.solve``; direct
path: ``highspy.Highs.passModel`` with CSC arrays. Reported: wall time of each path, HiGHS's own
run time inside each, and the ratio. Goal: Pyomo total <= 1.15 x direct at the largest size.
Writes benchmarks/results/bench_milp.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimization.model import ConstraintRow, OptData, build_model  # noqa: E402
from optimization.solve import Solver  # noqa: E402


def instance(n: int, lines: int, limits: int, seed: int) -> OptData:
    rng = np.random.default_rng(seed)
    total = n * lines
    group = np.repeat(np.arange(lines), n)
    quality = rng.normal(1.0, 0.3, size=(limits, total))
    cost = 10.0 + 3.0 * quality.mean(axis=0) + rng.normal(0.0, 1.0, total)  # better recipes cost more
    rows = []
    for i in range(limits):
        # a floor each line's average recipe would just miss: the choice matters
        rhs = float(lines * np.quantile(quality[i], 0.62))
        rows.append(ConstraintRow(f"limit {i}", quality[i], rhs, abs(rhs)))
    return OptData(cost, "min", "USD", tuple(rows), group=group)


def direct(data: OptData, time_limit: float) -> tuple[float, float, float]:
    import highspy

    t0 = time.perf_counter()
    n = data.n
    group = data.group
    lines = int(group.max()) + 1
    a_rows = [np.vstack([(group == g).astype(float) for g in range(lines)])] + [np.vstack([c.coef for c in data.constraints])]
    a = np.vstack(a_rows)  # dense (rows x n), then CSC
    lower = np.r_[np.ones(lines), [c.rhs for c in data.constraints]]
    upper = np.r_[np.ones(lines), np.full(len(data.constraints), highspy.kHighsInf)]
    nz = a != 0.0
    start = np.r_[0, np.cumsum(nz.sum(axis=0))].astype(np.int32)
    index = np.nonzero(nz.T)[1].astype(np.int32)
    value = a.T[nz.T]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = data.objective.astype(float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1, float(h.getInfo().objective_function_value)


def via_pyomo(data: OptData, time_limit: float) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    model = build_model(data)
    res = Solver(time_limit_s=time_limit).solve(model)
    t1 = time.perf_counter()
    return t1 - t0, res.seconds, res.objective


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--lines", type=int, default=4)
    ap.add_argument("--limits", type=int, default=6)
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        data = instance(n, args.lines, args.limits, seed=n)
        d_wall, d_run, d_obj = direct(data, args.time_limit)
        p_wall, p_solve, p_obj = via_pyomo(data, args.time_limit)
        ratio = p_wall / d_wall
        rows.append({"recipes_per_line": n, "direct_s": d_wall, "direct_highs_run_s": d_run, "pyomo_s": p_wall,
                     "pyomo_solve_call_s": p_solve, "ratio": ratio, "objective_direct": d_obj, "objective_pyomo": p_obj})
        print(f"n={n:>6} per line: direct {d_wall:8.3f} s (HiGHS run {d_run:7.3f} s)  pyomo {p_wall:8.3f} s  "
              f"ratio {ratio:5.2f}  objectives {d_obj:.6g} / {p_obj:.6g}", flush=True)
    last = rows[-1]
    ok = last["ratio"] <= 1.15
    print(f"largest size: Pyomo total {last['ratio']:.2f}x direct highspy (goal <= 1.15x) {'ok' if ok else 'MISSED'}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_milp.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
