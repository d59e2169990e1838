"""Running a SimPy environment to a horizon while counting the events it processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import simpy

from twin.progress import SIM_TICK_H, sim_hook

__all__ = ["GC_THRESHOLDS", "relaxed_gc", "run_counted"]

#: Garbage-collector thresholds while the event loop runs (CPython's default is (700, 10, 10)).
#: A run appends hundreds of thousands of records (lots, state rows, events) that live to the
#: end; with the defaults the collector re-scans them over and over, which cost ~15 % of the
#: loop in the baseline plant-year. The records are acyclic; the cyclic garbage SimPy leaves
#: (~60k small objects per plant-year) is still collected, just in fewer, larger passes.
#: The second threshold keeps the middle generation out of it: a pass over it re-scans every
#: record that survived a young pass, which with 50 came every ~5th baseline run and cost it
#: 0.5 s. After the block the records are freed by reference counting, and the pass that
#: follows finds little left to scan.
GC_THRESHOLDS = (50_000, 1_000)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Raise the collector's thresholds to at least :data:`GC_THRESHOLDS` inside the block."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_THRESHOLDS[0]), max(thresholds[1], GC_THRESHOLDS[1]), thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def run_counted(env: simpy.Environment, until: float) -> int:
    """Process every event scheduled before ``until``; returns how many were processed.

    Afterwards ``env.now == until``. Uses only SimPy's public ``peek``/``step``. When a progress bar
    watches (:func:`twin.progress.simulated_hours`), the clock is reported to it once per simulated
    day; otherwise the loop does no extra work. The garbage collector's thresholds are raised to at
    least :data:`GC_THRESHOLDS` for the loop and restored afterwards (also on error).
    """
    if until < env.now:
        raise ValueError(f"until={until} is before now={env.now}")
    step, peek = env.step, env.peek
    n = 0
    hook = sim_hook()  # someone watches the clock (a progress bar): report it once per simulated day
    with relaxed_gc():
        if hook is None:
            while peek() < until:
                step()
                n += 1
        else:
            mark = env.now
            while mark < until:
                mark = min(mark + SIM_TICK_H, until)
                while peek() < mark:
                    step()
                    n += 1
                hook(mark)
        env.run(until=until)
    return n
