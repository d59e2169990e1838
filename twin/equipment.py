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

__all__ = ["Crew", "Machine", "Proc"]

Proc = Generator[simpy.events.Event, Any, Any]


class Crew:
    """Operators of one line: a resource usable only while a shift is on."""

    def __init__(self, env: simpy.Environment, size: int, calendar: ShiftCalendar) -> None:
        self.env = env
        self.calendar = calendar
        self.always_on = calendar.always_on
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
        self._append = log.rows.append  # one tuple per state change: the cheapest record there is
        log.set(env.now, name, line, State.IDLE, "start")

    def set(self, state: State, reason: str = "") -> None:
        if state is not self.state or reason:
            self.state = state
            self._append((self.env.now, self.name, self.line, state, reason))

    def _start(self, hours: float, phase: str) -> simpy.events.Timeout | None:
        """Log the start of a working phase. If no failure falls inside it (the common case), count
        its operating hours now and return the timeout that ends it; otherwise return None."""
        self.state = State.WORKING
        self._append((self.env.now, self.name, self.line, State.WORKING, phase))
        if self.ttf_left >= hours:
            self.ttf_left -= hours
            self.since_maintenance_h += hours
            return self.env.timeout(hours)
        return None

    def work(self, hours: float, phase: str, abortable: bool = False) -> Generator[simpy.events.Event, Any, float]:
        """Spend ``hours`` of operating time in ``phase``; returns the hours done (less if aborted)."""
        end = self._start(hours, phase)
        if end is not None:
            yield end
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
        req = crew.resource.request()
        if not req.triggered:
            self.set(State.IDLE, "waiting for operator")
        yield req
        try:
            end = self._start(hours, phase)  # inlined fast path of work(): one generator less
            if end is not None:
                yield end
            else:
                yield from self._work_through_failures(hours, phase, False)
        finally:
            crew.resource.release(req)
