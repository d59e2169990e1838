"""Event-loop throughput of the twin versus a bare SimPy skeleton of the same plant.

Run from the project root::

    .venv/bin/python benchmarks/bench_events.py

What it measures, in one run:

1. **Twin** -- loads ``scenarios/baseline.yaml`` and runs one replication with
   ``plants.plant.simulate(loaded, 0)``. ``rep.events`` is the number of SimPy events processed and
   ``rep.wall_s`` the wall time of the event loop only; the whole ``simulate`` call (which also
   builds the result frames) is timed separately with ``time.perf_counter``. Reported: events/s of
   the event loop, and wall time for one simulated plant-year (scaled from the scenario horizon to
   8760 h) for the event loop and for the whole call.
2. **Skeleton** -- a bare SimPy model written here with no project imports and the same structure:
   12 FBCVD batch reactors (operator Resource(4) for charge/discharge, heat-up, silane drawn from a
   Container refilled by reorder-point deliveries, deposition, purge, cool, token put into a
   Store(12) buffer), operating-hour breakdowns (exponential 600 h TTF, 8 h repair, timed to the
   failure instant, no interrupts), 5 coating reactors (2 tokens from the buffer, operator
   Resource(2), five timed phases) and a QC-lab process per product (bench Resource(4) for 2 h,
   then a 48 h turnaround). Run to 8760 h counting events with the same loop as
   ``twin.engine.run_counted``.

Each measurement is repeated ``REPEATS`` times, alternating twin and skeleton, and the best of each
(max rate, min time) is reported so that noise on a shared machine does not decide.

Goals:

* twin events/s >= 0.5 x skeleton events/s (the twin's bookkeeping costs at most half the loop);
* one simulated plant-year in < 2 s on one core (event loop, and whole ``simulate`` call).

Numbers are printed as a table and written to ``benchmarks/results/bench_events.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from twin.engine import run_counted

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "bench_events.json"

YEAR_H = 8760.0
REPEATS = 3
SKELETON_SEED = 20261121
GOAL_RATIO = 0.5
GOAL_YEAR_S = 2.0

Proc = Generator[simpy.events.Event, Any, Any]


# --------------------------------------------------------------------------------------------
# Bare SimPy skeleton
# --------------------------------------------------------------------------------------------

N_FBCVD = 12
N_COATING = 5
MTBF_H = 600.0
REPAIR_H = 8.0


# The skeleton is counted with the very loop the twin uses (public SimPy peek/step only).
_counted = run_counted


class _Breakdowns:
    """Operating-hour failure clock of one reactor (the simple way: timeout to the failure instant)."""

    __slots__ = ("env", "g", "ttf_left", "failures")

    def __init__(self, env: simpy.Environment, g: np.random.Generator) -> None:
        self.env = env
        self.g = g
        self.ttf_left = float(g.exponential(MTBF_H))
        self.failures = 0

    def work(self, hours: float) -> Proc:
        env = self.env
        while hours > 1e-12:
            if self.ttf_left >= hours:
                yield env.timeout(hours)
                self.ttf_left -= hours
                return
            if self.ttf_left > 0:
                yield env.timeout(self.ttf_left)
            hours -= self.ttf_left
            self.failures += 1
            yield env.timeout(REPAIR_H)
            self.ttf_left = float(self.g.exponential(MTBF_H))


class _Tank:
    """Silane tank with reorder-point deliveries."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.c = simpy.Container(env, capacity=40000.0, init=30000.0)
        self.on_order = False
        self.deliveries = 0

    def get(self, kg: float) -> simpy.events.Event:
        ev = self.c.get(kg)
        self._check()
        return ev

    def _check(self) -> None:
        if not self.on_order and self.c.level <= 15000.0:
            self.on_order = True
            self.env.process(self._deliver())

    def _deliver(self) -> Proc:
        yield self.env.timeout(48.0)
        yield self.c.put(20000.0)
        self.deliveries += 1
        self.on_order = False
        self._check()


def _with_operator(res: simpy.Resource, bd: _Breakdowns, hours: float) -> Proc:
    req = res.request()
    yield req
    try:
        yield from bd.work(hours)
    finally:
        res.release(req)


def _fbcvd(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, tank: _Tank, buf: simpy.Store,
           stats: dict[str, int]) -> Proc:
    while True:
        yield from _with_operator(ops, bd, 0.5)   # charge
        yield from bd.work(2.0)                   # heat-up
        yield tank.get(200.0)                     # silane
        yield from bd.work(6.0)                   # deposition
        yield from bd.work(1.0)                   # purge
        yield from bd.work(2.5)                   # cool
        yield from _with_operator(ops, bd, 0.5)   # discharge
        yield buf.put(stats["cvd"])
        stats["cvd"] += 1


def _lab(env: simpy.Environment, bench: simpy.Resource, stats: dict[str, int]) -> Proc:
    with bench.request() as req:
        yield req
        yield env.timeout(2.0)
    yield env.timeout(48.0)
    stats["released"] += 1


def _coating(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, buf: simpy.Store,
             bench: simpy.Resource, stats: dict[str, int]) -> Proc:
    while True:
        yield buf.get()
        yield buf.get()
        yield from _with_operator(ops, bd, 0.5)   # charge
        yield from bd.work(1.5)                   # heat-up
        yield from bd.work(2.0)                   # coating
        yield from bd.work(0.5)                   # purge
        yield from bd.work(2.0)                   # cool
        yield from _with_operator(ops, bd, 0.5)   # discharge
        stats["powder"] += 1
        env.process(_lab(env, bench, stats))


def run_skeleton(seed: int = SKELETON_SEED, until: float = YEAR_H) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    stats = {"cvd": 0, "powder": 0, "released": 0}
    tank = _Tank(env)
    buf = simpy.Store(env, capacity=12)
    fb_ops = simpy.Resource(env, capacity=4)
    co_ops = simpy.Resource(env, capacity=2)
    bench = simpy.Resource(env, capacity=4)
    seeds = rng.spawn(N_FBCVD + N_COATING)
    fb_bd = [_Breakdowns(env, np.random.default_rng(s)) for s in seeds[:N_FBCVD]]
    co_bd = [_Breakdowns(env, np.random.default_rng(s)) for s in seeds[N_FBCVD:]]
    for bd in fb_bd:
        env.process(_fbcvd(env, bd, fb_ops, tank, buf, stats))
    for bd in co_bd:
        env.process(_coating(env, bd, co_ops, buf, bench, stats))
    t0 = time.perf_counter()
    n = _counted(env, until)
    wall = time.perf_counter() - t0
    return {"events": n, "wall_s": wall, "events_per_s": n / wall, "horizon_h": until,
            "cvd_batches": stats["cvd"], "powder_batches": stats["powder"], "released": stats["released"],
            "failures": sum(b.failures for b in fb_bd + co_bd), "silane_deliveries": tank.deliveries}


# --------------------------------------------------------------------------------------------
# Twin
# --------------------------------------------------------------------------------------------

def run_twin(loaded: Any) -> dict[str, Any]:
    from plants.plant import simulate

    t0 = time.perf_counter()
    rep = simulate(loaded, 0)
    total = time.perf_counter() - t0
    scale = YEAR_H / rep.horizon_h
    return {"events": rep.events, "wall_s": rep.wall_s, "simulate_s": total, "events_per_s": rep.events / rep.wall_s,
            "horizon_h": rep.horizon_h, "year_loop_s": rep.wall_s * scale, "year_simulate_s": total * scale,
            "lots": len(rep.lots)}


# --------------------------------------------------------------------------------------------

def main() -> int:
    from twin.study import load

    loaded = load(SCENARIO)
    twins: list[dict[str, Any]] = []
    skels: list[dict[str, Any]] = []
    for i in range(REPEATS):
        twins.append(run_twin(loaded))
        skels.append(run_skeleton())
        print(f"  run {i + 1}/{REPEATS}: twin {twins[-1]['events_per_s']:,.0f} ev/s "
              f"(loop {twins[-1]['wall_s']:.3f} s, simulate {twins[-1]['simulate_s']:.3f} s), "
              f"skeleton {skels[-1]['events_per_s']:,.0f} ev/s ({skels[-1]['wall_s']:.3f} s)", flush=True)

    best = {
        "twin_events": twins[0]["events"],
        "twin_events_per_s": max(t["events_per_s"] for t in twins),
        "skeleton_events": skels[0]["events"],
        "skeleton_events_per_s": max(s["events_per_s"] for s in skels),
        "twin_year_loop_s": min(t["year_loop_s"] for t in twins),
        "twin_year_simulate_s": min(t["year_simulate_s"] for t in twins),
    }
    best["ratio"] = best["twin_events_per_s"] / best["skeleton_events_per_s"]
    goals = {
        "ratio_min": GOAL_RATIO, "year_max_s": GOAL_YEAR_S,
        "ratio_met": best["ratio"] >= GOAL_RATIO,
        "year_loop_met": best["twin_year_loop_s"] < GOAL_YEAR_S,
        "year_simulate_met": best["twin_year_simulate_s"] < GOAL_YEAR_S,
    }

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    rows = [
        ("twin events", f"{best['twin_events']:,}", ""),
        ("twin events/s", f"{best['twin_events_per_s']:,.0f}", ""),
        ("skeleton events", f"{best['skeleton_events']:,}", ""),
        ("skeleton events/s", f"{best['skeleton_events_per_s']:,.0f}", ""),
        ("ratio twin/skeleton rate", f"{best['ratio']:.3f}", f">= {GOAL_RATIO}  {ok(goals['ratio_met'])}"),
        ("twin plant-year, event loop", f"{best['twin_year_loop_s']:.3f} s", f"< {GOAL_YEAR_S:g} s  {ok(goals['year_loop_met'])}"),
        ("twin plant-year, simulate()", f"{best['twin_year_simulate_s']:.3f} s", f"< {GOAL_YEAR_S:g} s  {ok(goals['year_simulate_met'])}"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"\nbest of {REPEATS} (max rate / min time), horizon {YEAR_H:g} h")
    print(f"{'metric':<{w0}}  {'value':>{w1}}  goal")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 16}")
    for name, value, goal in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {goal}".rstrip())

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = {
        "scenario": str(SCENARIO.relative_to(ROOT)), "repeats": REPEATS, "best": best, "goals": goals,
        "twin_runs": twins, "skeleton_runs": skels,
        "env": {"python": platform.python_version(), "simpy": simpy.__version__, "numpy": np.__version__,
                "machine": platform.machine(), "cpus": os.cpu_count(),
                "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    }
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
