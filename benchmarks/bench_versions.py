"""The event-loop benchmark of two versions of the twin, side by side in one run.

    .venv/bin/python benchmarks/bench_versions.py [--ref GIT_REV] [--rounds N]

Checks ``GIT_REV`` (default: the commit before the redesign, ``db269d2``) out into a temporary git
worktree and runs ``benchmarks/bench_events.py`` of that version and of this checkout alternately,
``N`` rounds each (default 3), each in its own process (with ``PYTHONPATH`` pointing at its own
tree, so each imports its own ``twin`` and ``plants``). Each ``bench_events.py`` run already times
the twin against the bare SimPy skeleton; the comparison is of those ratios (twin events/s over
skeleton events/s), which cancels most of the machine's load at the moment, and of the best event-loop
time for a plant-year. Prints a table and writes ``benchmarks/results/bench_versions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_versions.json"


def _bench(tree: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, str(tree / "benchmarks" / "bench_events.py")], cwd=tree, env=env, check=True,
                   capture_output=True, text=True)
    best = json.loads((tree / "benchmarks" / "results" / "bench_events.json").read_text())["best"]
    return {k: float(best[k]) for k in ("ratio", "twin_events_per_s", "skeleton_events_per_s", "twin_year_loop_s",
                                        "twin_year_simulate_s", "twin_events")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="db269d2", help="git revision to compare against (default db269d2)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {args.ref: [], "this checkout": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.ref], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            for i in range(args.rounds):
                for name, tree in ((args.ref, old), ("this checkout", ROOT)):
                    runs[name].append(_bench(tree))
                    r = runs[name][-1]
                    print(f"round {i + 1}: {name:<14} ratio {r['ratio']:.3f}  twin {r['twin_events_per_s']:,.0f} ev/s  "
                          f"loop {r['twin_year_loop_s']:.3f} s  simulate {r['twin_year_simulate_s']:.3f} s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
    print(f"\nbest of {args.rounds} rounds (each itself the best of bench_events' repeats)")
    summary = {}
    for name, rs in runs.items():
        summary[name] = {"ratio": max(r["ratio"] for r in rs), "twin_year_loop_s": min(r["twin_year_loop_s"] for r in rs),
                         "twin_year_simulate_s": min(r["twin_year_simulate_s"] for r in rs),
                         "twin_events": rs[0]["twin_events"]}
        s = summary[name]
        print(f"  {name:<14} ratio {s['ratio']:.3f}  plant-year loop {s['twin_year_loop_s']:.3f} s  "
              f"simulate {s['twin_year_simulate_s']:.3f} s  events {s['twin_events']:,.0f}")
    a, b = summary[args.ref], summary["this checkout"]
    print(f"  change: ratio x{b['ratio'] / a['ratio']:.3f}, loop x{b['twin_year_loop_s'] / a['twin_year_loop_s']:.3f}, "
          f"simulate x{b['twin_year_simulate_s'] / a['twin_year_simulate_s']:.3f}; "
          f"same event count: {a['twin_events'] == b['twin_events']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"ref": args.ref, "runs": runs, "best": summary}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
