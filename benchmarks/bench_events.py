"""Event-loop throughput of the twin versus a bare SimPy skeleton of the same four-line plant.

Run from the project root::

    .venv/bin/python benchmarks/bench_events.py

What it measures, in one run:

1. **Twin** -- loads ``scenarios/baseline.yaml`` and runs one replication with
   ``plants.plant.simulate(loaded, 0)``. ``rep.events`` is the number of SimPy events processed and
   ``rep.wall_s`` the wall time of the event loop only; the whole ``simulate`` call (which also
   builds the result frames) is timed separately with ``time.perf_counter``. Reported: events/s of
   the event loop, and wall time for one simulated plant-year (scaled from the scenario horizon to
   8760 h) for the event loop and for the whole call.
2. **Skeleton** -- a bare SimPy model written here (no project imports besides the counting loop
   ``twin.engine.run_counted``) with the structure of the twin's four lines and the baseline's
   numbers, but no physics, lots, genealogy or state logging. Every machine has operating-hour
   breakdowns (exponential time to failure, fixed repair, timed to the failure instant, no
   interrupts).

   * Powder: 12 FBCVD batch reactors (operator Resource(4) for charge/discharge, heat-up, silane
     drawn from a Container refilled by reorder-point deliveries, deposition, purge, cool, token put
     into a Store(12) buffer; MTBF 600 h, repair 8 h), 5 coating reactors (2 tokens from the buffer,
     operator Resource(2), five timed phases, same breakdowns) and a QC-lab process per powder lot
     (bench Resource(4) for 2 h, then a 48 h turnaround).
   * Powder warehouse: a coater puts 1 into a Container(200) of slots before it discharges (blocks
     when full); a released lot's 780 kg go into an unbounded powder Container and onto a FIFO of
     lot masses; a slot is freed (``get(1)``) when the mixers have drawn a lot's mass.
   * Slurry casting, 2 lines: per line 2 mixers (get 581 kg of powder, 0.25 h charge holding a
     mixing operator of a shared Resource(4), 2.5 h mixing, 0.25 h discharge, put 2000 kg into the
     line's slurry tank Container(6000); MTBF 1500 h, repair 4 h) and 1 coater (get 780 kg of
     slurry, every 12 rolls = 60 km a 1 h changeover, 62.5 min coating, Poisson(0.025) web breaks
     per roll at 0.5 h each, 0.1 h roll change -- changeover, breaks and roll change hold an operator
     of a shared Resource(4) -- then a token into the shared electrode Store(16); MTBF 500 h,
     repair 3 h).
   * Prelithiation, 3 lines on the electrode buffer: get a roll, get 10 kg Li from a
     Container(20000, init 12000) with reorder-point deliveries (reorder at 6000 kg, 10000 kg after
     168 h), 83.3 min lithiation (MTBF 400 h, repair 3 h), 0.25 h roll change holding an operator of
     a Resource(6), then a separate process per roll waits the 10 min contact time and counts it.

   Run to 8760 h counting events with ``twin.engine.run_counted``, the loop the twin uses. Not in
   the skeleton (but in the twin): lognormal repair and lead times, preventive maintenance, shift
   calendars, QC rejections, scrapped rolls and dry-room excursions.

Each measurement is repeated ``REPEATS`` times, alternating twin and skeleton, and the best of each
(max rate, min time) is reported so that noise on a shared machine does not decide. A further,
untimed skeleton run attributes its events to the line types (powder, warehouse slot frees,
casting, prelithiation, supply deliveries) for the printout.

Goals (unchanged from the powder-only benchmark, now measured against the four-line plant):

* twin events/s >= 0.5 x skeleton events/s (the twin's bookkeeping costs at most half the loop);
* one simulated plant-year in < 2 s on one core (event loop, and whole ``simulate`` call).

A goal that is not met is printed as MISSED. Numbers are printed as a table and written to
``benchmarks/results/bench_events.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections import deque
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

# Powder plant
N_FBCVD = 12
N_COATING = 5
MTBF_H = 600.0
REPAIR_H = 8.0
POWDER_LOT_KG = 780.0
WAREHOUSE_SLOTS = 200

# Slurry casting (per line: 2 mixers, 1 coater; operators shared by all lines)
N_CASTING_LINES = 2
MIXERS_PER_LINE = 2
MIX_POWDER_KG = 581.0         # Si/C part of a 2000 kg dry batch
MIX_DRY_KG = 2000.0
MIX_CHARGE_H, MIX_H, MIX_DISCHARGE_H = 0.25, 2.5, 0.25
MIX_MTBF_H, MIX_REPAIR_H = 1500.0, 4.0
MIX_OPERATORS = 4             # 2 per line
SLURRY_TANK_KG = 6000.0
ROLL_SLURRY_KG = 780.0        # 5000 m x 1.3 m x 2 sides x 6 mg/cm2
COAT_H = 5000.0 / 80.0 / 60.0   # 62.5 min
WEB_BREAKS_PER_ROLL = 0.025   # 0.005 /km x 5 km
WEB_BREAK_H = 0.5
CAST_ROLL_CHANGE_H = 0.1
CHANGEOVER_EVERY_ROLLS = 12   # 60 km of web
CHANGEOVER_H = 1.0
CAST_MTBF_H, CAST_REPAIR_H = 500.0, 3.0
CAST_OPERATORS = 4            # 2 per line
ELECTRODE_BUFFER_ROLLS = 16

# Prelithiation
N_PRELITH = 3
LI_PER_ROLL_KG = 10.0
PRELITH_H = 5000.0 / 60.0 / 60.0   # 83.3 min
PRELITH_ROLL_CHANGE_H = 0.25
PRELITH_MTBF_H, PRELITH_REPAIR_H = 400.0, 3.0
PRELITH_OPERATORS = 6         # 2 per line
CONTACT_H = 10.0 / 60.0


# The skeleton is counted with the very loop the twin uses (public SimPy peek/step only).
_counted = run_counted


class _Breakdowns:
    """Operating-hour failure clock of one machine (the simple way: timeout to the failure instant)."""

    __slots__ = ("env", "failures", "g", "mtbf", "repair", "ttf_left")

    def __init__(self, env: simpy.Environment, g: np.random.Generator, mtbf: float = MTBF_H,
                 repair: float = REPAIR_H) -> None:
        self.env = env
        self.g = g
        self.mtbf = mtbf
        self.repair = repair
        self.ttf_left = float(g.exponential(mtbf))
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
            yield env.timeout(self.repair)
            self.ttf_left = float(self.g.exponential(self.mtbf))


class _Supply:
    """Bulk supply (silane tank, Li stock) with reorder-point deliveries."""

    def __init__(self, env: simpy.Environment, capacity: float, init: float, reorder: float, delivery: float,
                 lead_h: float) -> None:
        self.env = env
        self.c = simpy.Container(env, capacity=capacity, init=init)
        self.reorder, self.delivery, self.lead_h = reorder, delivery, lead_h
        self.on_order = False
        self.deliveries = 0

    def get(self, kg: float) -> simpy.events.Event:
        ev = self.c.get(kg)
        self._check()
        return ev

    def _check(self) -> None:
        if not self.on_order and self.c.level <= self.reorder:
            self.on_order = True
            self.env.process(self._deliver())

    def _deliver(self) -> Proc:
        yield self.env.timeout(self.lead_h)
        yield self.c.put(self.delivery)
        self.deliveries += 1
        self.on_order = False
        self._check()


class _Warehouse:
    """Powder warehouse: slots a coater takes before discharging, released mass by the kg, and a
    FIFO of the released lots' remaining masses; a slot is freed when the mixers have used a lot up."""

    def __init__(self, env: simpy.Environment) -> None:
        self.slots = simpy.Container(env, capacity=WAREHOUSE_SLOTS, init=0)
        self.powder = simpy.Container(env)            # unbounded, kg
        self.fifo: deque[float] = deque()

    def release(self, kg: float) -> None:
        self.fifo.append(kg)
        self.powder.put(kg)

    def take(self, kg: float) -> None:
        """Book a draw the mixer already got from ``powder`` against the lots, oldest first."""
        fifo = self.fifo
        while kg > 1e-9:
            left = fifo[0]
            if left > kg + 1e-9:
                fifo[0] = left - kg
                return
            kg -= left
            fifo.popleft()
            self.slots.get(1)


def _with_operator(res: simpy.Resource, bd: _Breakdowns, hours: float) -> Proc:
    req = res.request()
    yield req
    try:
        yield from bd.work(hours)
    finally:
        res.release(req)


# ---- powder plant --------------------------------------------------------------------------

def _fbcvd(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, tank: _Supply, buf: simpy.Store,
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


def _lab(env: simpy.Environment, bench: simpy.Resource, wh: _Warehouse, stats: dict[str, int]) -> Proc:
    with bench.request() as req:
        yield req
        yield env.timeout(2.0)
    yield env.timeout(48.0)
    stats["released"] += 1
    wh.release(POWDER_LOT_KG)


def _coating(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, buf: simpy.Store,
             bench: simpy.Resource, wh: _Warehouse, stats: dict[str, int]) -> Proc:
    while True:
        yield buf.get()
        yield buf.get()
        yield from _with_operator(ops, bd, 0.5)   # charge
        yield from bd.work(1.5)                   # heat-up
        yield from bd.work(2.0)                   # coating
        yield from bd.work(0.5)                   # purge
        yield from bd.work(2.0)                   # cool
        yield wh.slots.put(1)                     # a place in the powder warehouse
        yield from _with_operator(ops, bd, 0.5)   # discharge
        stats["powder"] += 1
        env.process(_lab(env, bench, wh, stats))


# ---- slurry casting ------------------------------------------------------------------------

def _mixer(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, wh: _Warehouse, tank: simpy.Container,
           stats: dict[str, int]) -> Proc:
    while True:
        yield wh.powder.get(MIX_POWDER_KG)
        wh.take(MIX_POWDER_KG)
        yield from _with_operator(ops, bd, MIX_CHARGE_H)   # charge
        yield from bd.work(MIX_H)                           # mixing
        yield from bd.work(MIX_DISCHARGE_H)                 # discharge
        yield tank.put(MIX_DRY_KG)
        stats["mixes"] += 1


def _caster(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, tank: simpy.Container,
            out: simpy.Store, g: np.random.Generator, stats: dict[str, int]) -> Proc:
    breaks: list[int] = []
    since_changeover = 0
    while True:
        if not breaks:   # Poisson web breaks per roll, drawn in blocks like the twin does
            breaks = g.poisson(WEB_BREAKS_PER_ROLL, 1024).tolist()
        yield tank.get(ROLL_SLURRY_KG)
        if since_changeover >= CHANGEOVER_EVERY_ROLLS:
            yield from _with_operator(ops, bd, CHANGEOVER_H)   # changeover
            since_changeover = 0
        yield from bd.work(COAT_H)                              # coat, dry, calender, slit
        for _ in range(breaks.pop()):
            yield from _with_operator(ops, bd, WEB_BREAK_H)    # web break
        yield from _with_operator(ops, bd, CAST_ROLL_CHANGE_H)  # roll change
        since_changeover += 1
        yield out.put(stats["rolls_cast"])
        stats["rolls_cast"] += 1


# ---- prelithiation -------------------------------------------------------------------------

def _contact(env: simpy.Environment, stats: dict[str, int]) -> Proc:
    yield env.timeout(CONTACT_H)
    stats["rolls_prelith"] += 1


def _prelith(env: simpy.Environment, bd: _Breakdowns, ops: simpy.Resource, src: simpy.Store, li: _Supply,
             stats: dict[str, int]) -> Proc:
    while True:
        yield src.get()
        yield li.get(LI_PER_ROLL_KG)
        yield from bd.work(PRELITH_H)                                  # lithiation
        yield from _with_operator(ops, bd, PRELITH_ROLL_CHANGE_H)      # roll change
        env.process(_contact(env, stats))


def build_skeleton(env: simpy.Environment, seed: int = SKELETON_SEED) -> dict[str, Any]:
    """Create the four-line skeleton's processes in ``env``; returns its parts (for the statistics)."""
    rng = np.random.default_rng(seed)
    stats = {"cvd": 0, "powder": 0, "released": 0, "mixes": 0, "rolls_cast": 0, "rolls_prelith": 0}
    # powder
    tank = _Supply(env, 40000.0, 30000.0, 15000.0, 20000.0, 48.0)
    buf = simpy.Store(env, capacity=12)
    fb_ops = simpy.Resource(env, capacity=4)
    co_ops = simpy.Resource(env, capacity=2)
    bench = simpy.Resource(env, capacity=4)
    wh = _Warehouse(env)
    # casting
    mix_ops = simpy.Resource(env, capacity=MIX_OPERATORS)
    cast_ops = simpy.Resource(env, capacity=CAST_OPERATORS)
    slurry = [simpy.Container(env, capacity=SLURRY_TANK_KG) for _ in range(N_CASTING_LINES)]
    electrode_buf = simpy.Store(env, capacity=ELECTRODE_BUFFER_ROLLS)
    # prelithiation
    li = _Supply(env, 20000.0, 12000.0, 6000.0, 10000.0, 168.0)
    pl_ops = simpy.Resource(env, capacity=PRELITH_OPERATORS)

    n_mix = N_CASTING_LINES * MIXERS_PER_LINE
    seeds = iter(rng.spawn(N_FBCVD + N_COATING + n_mix + 2 * N_CASTING_LINES + N_PRELITH))

    def bd(mtbf: float, repair: float) -> _Breakdowns:
        return _Breakdowns(env, np.random.default_rng(next(seeds)), mtbf, repair)

    fb_bd = [bd(MTBF_H, REPAIR_H) for _ in range(N_FBCVD)]
    co_bd = [bd(MTBF_H, REPAIR_H) for _ in range(N_COATING)]
    mix_bd = [bd(MIX_MTBF_H, MIX_REPAIR_H) for _ in range(n_mix)]
    cast_bd = [bd(CAST_MTBF_H, CAST_REPAIR_H) for _ in range(N_CASTING_LINES)]
    pl_bd = [bd(PRELITH_MTBF_H, PRELITH_REPAIR_H) for _ in range(N_PRELITH)]
    web_rng = [np.random.default_rng(next(seeds)) for _ in range(N_CASTING_LINES)]

    for b in fb_bd:
        env.process(_fbcvd(env, b, fb_ops, tank, buf, stats))
    for b in co_bd:
        env.process(_coating(env, b, co_ops, buf, bench, wh, stats))
    for i in range(N_CASTING_LINES):
        for b in mix_bd[i * MIXERS_PER_LINE:(i + 1) * MIXERS_PER_LINE]:
            env.process(_mixer(env, b, mix_ops, wh, slurry[i], stats))
        env.process(_caster(env, cast_bd[i], cast_ops, slurry[i], electrode_buf, web_rng[i], stats))
    for b in pl_bd:
        env.process(_prelith(env, b, pl_ops, electrode_buf, li, stats))
    return {
        "stats": stats, "tank": tank, "li": li, "warehouse": wh,
        "breakdowns": {"powder": fb_bd + co_bd, "casting": mix_bd + cast_bd, "prelith": pl_bd},
        # which line each resource belongs to (for the per-line event count only)
        "resources": {"powder": [tank.c, buf, fb_ops, co_ops, bench, wh.powder],
                      "warehouse": [wh.slots],
                      "casting": [mix_ops, cast_ops, *slurry, electrode_buf],
                      "prelith": [li.c, pl_ops]},
    }


def _summary(m: dict[str, Any]) -> dict[str, Any]:
    s = m["stats"]
    return {"cvd_batches": s["cvd"], "powder_batches": s["powder"], "released": s["released"],
            "mixes": s["mixes"], "rolls_cast": s["rolls_cast"], "rolls_prelithiated": s["rolls_prelith"],
            "warehouse_slots_used_end": m["warehouse"].slots.level,
            "failures": {k: sum(b.failures for b in v) for k, v in m["breakdowns"].items()},
            "silane_deliveries": m["tank"].deliveries, "li_deliveries": m["li"].deliveries}


def run_skeleton(seed: int = SKELETON_SEED, until: float = YEAR_H) -> dict[str, Any]:
    env = simpy.Environment()
    m = build_skeleton(env, seed)
    t0 = time.perf_counter()
    n = _counted(env, until)
    wall = time.perf_counter() - t0
    return {"events": n, "wall_s": wall, "events_per_s": n / wall, "horizon_h": until, **_summary(m)}


# Process generator -> line type, for the per-line event count.
_GEN_LINE = {"_fbcvd": "powder", "_coating": "powder", "_lab": "powder",
             "_mixer": "casting", "_caster": "casting",
             "_prelith": "prelith", "_contact": "prelith",
             "_deliver": "supply deliveries"}


def skeleton_events_by_line(seed: int = SKELETON_SEED, until: float = YEAR_H) -> dict[str, int]:
    """Untimed diagnostic run: the skeleton's processed events attributed to a line type.

    An event belongs to the process it resumes (or that it is), else to the resource it was issued
    on (releases, the warehouse's un-awaited slot frees). Peeks at SimPy internals (``env._queue``,
    ``Process._generator``), which is why it is not the timed loop; its total must equal
    :func:`run_skeleton`'s count for the same seed.
    """
    env = simpy.Environment()
    m = build_skeleton(env, seed)
    res_line = {id(r): line for line, rs in m["resources"].items() for r in rs}
    counts: dict[str, int] = {}

    def gen_line(p: simpy.events.Process) -> str:
        return _GEN_LINE.get(p._generator.__name__, "other")

    def line_of(ev: simpy.events.Event) -> str:
        if isinstance(ev, simpy.events.Process):
            return gen_line(ev)
        for cb in ev.callbacks or ():
            owner = getattr(cb, "__self__", None)
            if isinstance(owner, simpy.events.Process):
                return gen_line(owner)
        r = getattr(ev, "resource", None)
        return res_line.get(id(r), "other") if r is not None else "other"

    while env.peek() < until:
        line = line_of(env._queue[0][3])
        counts[line] = counts.get(line, 0) + 1
        env.step()
    return counts


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
    from plants.app.api import load

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
        ("twin plant-year, event loop", f"{best['twin_year_loop_s']:.3f} s",
         f"< {GOAL_YEAR_S:g} s  {ok(goals['year_loop_met'])}"),
        ("twin plant-year, simulate()", f"{best['twin_year_simulate_s']:.3f} s",
         f"< {GOAL_YEAR_S:g} s  {ok(goals['year_simulate_met'])}"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"\nbest of {REPEATS} (max rate / min time), horizon {YEAR_H:g} h")
    print(f"{'metric':<{w0}}  {'value':>{w1}}  goal")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 16}")
    for name, value, goal in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {goal}".rstrip())

    by_line = skeleton_events_by_line()
    total = sum(by_line.values())
    print(f"\nskeleton events by line type (separate untimed run, seed {SKELETON_SEED})")
    for line in ("powder", "warehouse", "casting", "prelith", "supply deliveries", "other"):
        if line in by_line:
            print(f"  {line:<18} {by_line[line]:>9,}  {by_line[line] / total:6.1%}")
    if total != skels[0]["events"]:
        print(f"  WARNING: total {total:,} != timed run's {skels[0]['events']:,}")
    s = skels[0]
    print(f"skeleton output: {s['cvd_batches']:,} CVD batches, {s['powder_batches']:,} powder lots "
          f"({s['released']:,} released), {s['mixes']:,} mixes, {s['rolls_cast']:,} rolls cast, "
          f"{s['rolls_prelithiated']:,} rolls prelithiated")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = {
        "scenario": str(SCENARIO.relative_to(ROOT)), "repeats": REPEATS, "best": best, "goals": goals,
        "skeleton_events_by_line": by_line,
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
