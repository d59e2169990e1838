"""The one module that touches the solver: HiGHS through Pyomo's new solver interface
(``pyomo.contrib.solver.solvers.highs.Highs``, persistent; Pyomo pinned in pyproject.toml).

Solver outcomes map to our own :class:`Status`; a result that is not optimal is reported as such
and carries no solution, never a "best guess".
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

__all__ = ["SolveResult", "Solver", "Status", "relaxed_gc", "status_of"]


@contextmanager
def relaxed_gc(gen0: int = 200_000) -> Iterator[None]:
    """Raise the collector's first threshold while a model with ~10^5 expression objects is built
    and translated: the default threshold re-scans them all many times (a 40 000-recipe model took
    1.5 s to build instead of 0.13 s). The same idea as ``twin.engine.relaxed_gc``, kept here
    because the optimizer does not import the twin."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], gen0), thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class Status(str, Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit reached"  # time or iteration limit without a proven optimum
    ERROR = "solver error"


_MAP = {
    TerminationCondition.convergenceCriteriaSatisfied: Status.OPTIMAL,
    TerminationCondition.provenInfeasible: Status.INFEASIBLE,
    TerminationCondition.locallyInfeasible: Status.INFEASIBLE,
    TerminationCondition.infeasibleOrUnbounded: Status.INFEASIBLE,
    TerminationCondition.unbounded: Status.UNBOUNDED,
    TerminationCondition.maxTimeLimit: Status.LIMIT,
    TerminationCondition.iterationLimit: Status.LIMIT,
    TerminationCondition.objectiveLimit: Status.LIMIT,
    TerminationCondition.minStepLength: Status.LIMIT,
}


def status_of(termination: TerminationCondition, solution: SolutionStatus | None) -> Status:
    """Our status for a solver outcome; 'optimal' needs both convergence and an optimal solution."""
    s = _MAP.get(termination, Status.ERROR)
    if s is Status.OPTIMAL and solution is not SolutionStatus.optimal:
        return Status.ERROR
    return s


@dataclass(frozen=True)
class SolveResult:
    status: Status
    objective: float  # NaN unless optimal
    chosen: int | None  # index of the chosen candidate (y_r = 1), None unless optimal
    slacks: np.ndarray  # per constraint (zeros unless elastic)
    seconds: float


class Solver:
    """A persistent HiGHS solver for one model: re-solving after a parameter change does not rebuild."""

    def __init__(self, time_limit_s: float = 60.0) -> None:
        self._opt = Highs()
        self._opt.config.time_limit = time_limit_s
        self._opt.config.load_solutions = False
        self._opt.config.raise_exception_on_nonoptimal_result = False

    @staticmethod
    def available() -> bool:
        return bool(Highs().available())

    def solve(self, model: pyo.ConcreteModel) -> SolveResult:
        t0 = time.perf_counter()
        with relaxed_gc():
            res = self._opt.solve(model)
        status = status_of(res.termination_condition, res.solution_status)
        slacks = np.zeros(len(model.C))
        if status is not Status.OPTIMAL:
            return SolveResult(status, float("nan"), None, slacks, time.perf_counter() - t0)
        res.solution_loader.load_vars()
        y = np.array([pyo.value(model.y[r]) for r in model.R])
        slacks = np.array([pyo.value(model.slack[i]) for i in model.C])
        return SolveResult(status, float(pyo.value(model.obj)), int(np.argmax(y)), slacks, time.perf_counter() - t0)
