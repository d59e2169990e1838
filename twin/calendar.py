"""Shift calendar: when operators are on site."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from twin.params import StrictModel

__all__ = ["ShiftCalendar"]


class ShiftCalendar(StrictModel):
    """Shifts start at 00:00 each working day and run back to back; weeks start on day 0."""

    shifts_per_day: Annotated[int, Field(ge=1, le=4)] = 3
    shift_length_h: Annotated[float, Field(gt=0, le=24)] = 8.0
    working_days_per_week: Annotated[int, Field(ge=1, le=7)] = 7

    @model_validator(mode="after")
    def _fits_in_a_day(self) -> ShiftCalendar:
        if self.shifts_per_day * self.shift_length_h > 24.0 + 1e-9:
            raise ValueError(
                f"shifts_per_day x shift_length_h = {self.shifts_per_day * self.shift_length_h:g} h "
                "exceeds 24 h a day"
            )
        return self

    @property
    def always_on(self) -> bool:
        return self.shifts_per_day * self.shift_length_h >= 24.0 - 1e-9 and self.working_days_per_week == 7

    @property
    def staffed_share(self) -> float:
        return self.shifts_per_day * self.shift_length_h / 24.0 * self.working_days_per_week / 7.0

    def next_on(self, t: float) -> float:
        """Earliest time >= t at which a shift is on."""
        if self.always_on:
            return t
        day = math.floor(t / 24.0)
        for d in range(day, day + 8):
            if d % 7 >= self.working_days_per_week:
                continue
            start, end = d * 24.0, d * 24.0 + self.shifts_per_day * self.shift_length_h
            if t < end:
                return max(t, start)
        raise AssertionError("unreachable: a week has at least one working day")
