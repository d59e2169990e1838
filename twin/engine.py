"""Running a SimPy environment to a horizon while counting the events it processes."""

from __future__ import annotations

import simpy

__all__ = ["run_counted"]


def run_counted(env: simpy.Environment, until: float) -> int:
    """Process every event scheduled before ``until``; returns how many were processed.

    Afterwards ``env.now == until``. Uses only SimPy's public ``peek``/``step``.
    """
    if until < env.now:
        raise ValueError(f"until={until} is before now={env.now}")
    step, peek = env.step, env.peek
    n = 0
    while peek() < until:
        step()
        n += 1
    env.run(until=until)
    return n
