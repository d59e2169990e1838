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

import simpy

from twin.calendar import ShiftCalendar
from twin.states import State, StateLog

__all__ = ["Crew", "Machine"]

Proc = Generator[simpy.events.Event, Any, Any]


class Crew:
    """Operators of one line: a resource usable only while a shift is on."""

    def __init__(self, env: simpy.Environment, size: int, calendar: ShiftCalendar) -> None:
        self.env = env
        self.calendar = calendar
        self.resource = simpy.Resource(env, capacity=size)


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
        log.set(env.now, name, line, State.IDLE, "start")

    def set(self, state: State, reason: str = "") -> None:
        if state is not self.state or reason:
            self.state = state
            self.log.set(self.env.now, self.name, self.line, state, reason)

    def work(self, hours: float, phase: str, abortable: bool = False) -> Generator[simpy.events.Event, Any, float]:
        """Spend ``hours`` of operating time in ``phase``; returns the hours done (less if aborted)."""
        env = self.env
        done = 0.0
        self.set(State.WORKING, phase)
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

    def maintain_if_due(self) -> Proc:
        if self.since_maintenance_h >= self.maintenance_interval_h:
            self.set(State.DOWN, "planned maintenance")
            yield self.env.timeout(self.maintenance_h)
            self.since_maintenance_h = 0.0

    def with_crew(self, crew: Crew, hours: float, phase: str) -> Proc:
        """Work a phase that needs an operator on shift (charging, discharging)."""
        t_on = crew.calendar.next_on(self.env.now)
        if t_on > self.env.now:
            self.set(State.IDLE, "off shift")
            yield self.env.timeout(t_on - self.env.now)
        req = crew.resource.request()
        if not req.triggered:
            self.set(State.IDLE, "waiting for operator")
        yield req
        try:
            yield from self.work(hours, phase)
        finally:
            crew.resource.release(req)
