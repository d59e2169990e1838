"""A machine that works in timed phases, fails in operating time and gets planned maintenance.

Failures
--------
Time to failure is counted in *operating* hours (hours spent in working phases), the basis on
which equipment MTBF is usually quoted. When the operating-hour clock runs out inside a phase,
the machine goes down at that instant for a repair time, then:

* a phase started with ``abortable=False`` resumes where it stopped (the charge is safe: e.g.
  heat-up under N2, purge, cool-down, discharge);
* a phase started with ``abortable=True`` ends early and :meth:`Machine.work` returns the hours
  it completed, so the line can scrap the batch (e.g. CVD deposition cut off mid-run).

Because the failure instant is known from the clock, no interrupt events are needed: a failure
costs one timeout and is exactly reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from twin.calendar import ShiftCalendar
from twin.resources import LeanResource
from twin.states import Key, State, StateLog
from twin.streams import Streams

__all__ = ["Crew", "Machine", "Proc", "make_machines"]

Proc = Generator[simpy.events.Event, Any, Any]

_WORKING = State.WORKING
_WORKING_STR: str = State.WORKING.value  # what a state row holds (a plain str, see StateLog)


class Crew:
    """Operators of one line: a resource usable only while a shift is on."""

    def __init__(self, env: simpy.Environment, size: int, calendar: ShiftCalendar) -> None:
        self.env = env
        self.calendar = calendar
        self.always_on = calendar.always_on
        self.resource = LeanResource(env, capacity=size)


class Machine:
    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        line: str,
        log: StateLog,
        time_to_failure: Callable[[], float],
        repair_time: Callable[[], float],
        maintenance_interval_h: float,
        maintenance_h: float,
    ) -> None:
        self.env = env
        self.name = name
        self.line = line
        self.log = log
        self._ttf = time_to_failure
        self._repair = repair_time
        self.ttf_left = time_to_failure()
        self.maintenance_interval_h = maintenance_interval_h
        self.maintenance_h = maintenance_h
        self.since_maintenance_h = 0.0
        self.failures = 0
        self.state = State.IDLE
        # A state row is a time and a shared key (see StateLog), looked up in these caches.
        self._log_time = log.times.append
        self._log_key = log.keys.append
        self._working_keys: dict[str, Key] = {}  # phase -> key of (working, phase)
        self._reason_keys: dict[str, Key] = {}  # reason -> key of the last row set() logged with it
        log.set(env.now, name, line, State.IDLE, "start")

    def set(self, state: State, reason: str = "") -> None:
        if state is not self.state or reason:
            self.state = state
            value = state._value_
            key = self._reason_keys.get(reason)
            if key is None or key[2] != value:  # a reason nearly always comes with the same state
                key = self._reason_keys[reason] = self.log.key(self.name, self.line, value, reason)
            self._log_time(self.env.now)
            self._log_key(key)

    def _working_key(self, phase: str) -> Key:
        """The key of a (working, phase) row, made and cached on the phase's first use."""
        key = self.log.key(self.name, self.line, _WORKING_STR, phase)
        self._working_keys[phase] = key
        return key

    def work(self, hours: float, phase: str, abortable: bool = False) -> Generator[simpy.events.Event, Any, float]:
        """Spend ``hours`` of operating time in ``phase``; returns the hours done (less if aborted)."""
        # The common case, kept short (it runs for every phase of every machine): log the phase
        # start; if no failure falls inside the phase, count its operating hours now and wait.
        env = self.env
        self.state = _WORKING
        self._log_time(env.now)
        self._log_key(self._working_keys.get(phase) or self._working_key(phase))
        if self.ttf_left >= hours:
            self.ttf_left -= hours
            self.since_maintenance_h += hours
            yield env.timeout(hours)
            return hours
        return (yield from self._work_through_failures(hours, phase, abortable))

    def _work_through_failures(self, hours: float, phase: str, abortable: bool) -> Generator[simpy.events.Event, Any, float]:
        env = self.env
        done = 0.0
        while hours - done > 1e-12:
            left = hours - done
            if self.ttf_left >= left:
                yield env.timeout(left)
                self.ttf_left -= left
                self.since_maintenance_h += left
                return hours
            step = self.ttf_left
            if step > 0:
                yield env.timeout(step)
            done += step
            self.since_maintenance_h += step
            self.failures += 1
            self.set(State.DOWN, f"failure in {phase}")
            yield env.timeout(self._repair())
            self.ttf_left = self._ttf()
            if abortable:
                return done
            self.set(State.WORKING, phase)
        return hours

    @property
    def maintenance_due(self) -> bool:
        return self.since_maintenance_h >= self.maintenance_interval_h

    def maintain(self) -> Proc:
        """Planned maintenance now (down for ``maintenance_h``); resets the operating-hour count."""
        self.set(State.DOWN, "planned maintenance")
        yield self.env.timeout(self.maintenance_h)
        self.since_maintenance_h = 0.0

    def maintain_if_due(self) -> Proc:
        if self.maintenance_due:
            yield from self.maintain()

    def with_crew(self, crew: Crew, hours: float, phase: str) -> Proc:
        """Work a phase that needs an operator on shift (charging, discharging)."""
        if not crew.always_on:
            t_on = crew.calendar.next_on(self.env.now)
            if t_on > self.env.now:
                self.set(State.IDLE, "off shift")
                yield self.env.timeout(t_on - self.env.now)
        resource = crew.resource
        req = resource.request()
        if not req.triggered:
            self.set(State.IDLE, "waiting for operator")
        yield req
        try:
            # the fast path of work(), inlined: one generator less per phase
            env = self.env
            self.state = _WORKING
            self._log_time(env.now)
            self._log_key(self._working_keys.get(phase) or self._working_key(phase))
            if self.ttf_left >= hours:
                self.ttf_left -= hours
                self.since_maintenance_h += hours
                yield env.timeout(hours)
            else:
                yield from self._work_through_failures(hours, phase, False)
        finally:
            resource.release(req)


def make_machines(env: simpy.Environment, line: str, prefix: str, n: int, eq: Any, log: StateLog, streams: Streams,
                  first: int = 0) -> list[Machine]:
    """``n`` machines named ``<prefix>NN`` (numbered from ``first + 1``) of ``line``, each with its own
    named failure stream ``<line>.<name>.failures``: exponential time to failure (``eq.mtbf_h``
    operating hours), lognormal repair (``eq.repair_median_h``, ``eq.repair_sigma``) and preventive
    maintenance every ``eq.maintenance_interval_h`` for ``eq.maintenance_h``."""
    out = []
    for i in range(first, first + n):
        name = f"{prefix}{i + 1:02d}"
        g = streams(f"{line}.{name}.failures")
        mtbf, med, sig = eq.mtbf_h, eq.repair_median_h, eq.repair_sigma

        def ttf(g: np.random.Generator = g, mtbf: float = mtbf) -> float:
            return float(g.exponential(mtbf))

        def repair(g: np.random.Generator = g, med: float = med, sig: float = sig) -> float:
            return med * float(np.exp(g.normal(0.0, sig))) if sig > 0 else med

        out.append(Machine(env, name, line, log, ttf, repair, eq.maintenance_interval_h, eq.maintenance_h))
    return out
