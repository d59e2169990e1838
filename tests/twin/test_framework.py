"""Domain-free framework pieces: lazy table, streams, calendar, state shares, sourced units."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
import pytest
from pydantic import Field, ValidationError

from twin.calendar import ShiftCalendar
from twin.lazy import LazyTable
from twin.params import ParamModel, Unit
from twin.states import state_shares
from twin.streams import Streams

pytestmark = pytest.mark.unit


def test_lazy_table_evaluates_pending_rows_in_one_call():
    calls = []

    def square(c):
        calls.append(len(c["x"]))
        return {"y": c["x"] ** 2}

    t = LazyTable(["x"], square)
    for x in (1.0, 2.0, 3.0):
        t.append(x)
    assert calls == []
    assert t.get(1, "y") == 4.0
    assert calls == [3]
    assert t.get(0, "y") == 1.0 and calls == [3]
    t.append(5.0)
    assert t.get(3, "y") == 25.0 and calls == [3, 1]
    assert list(t.outputs()["y"]) == [1.0, 4.0, 9.0, 25.0]


def test_lazy_table_rejects_bad_rows_and_shapes():
    t = LazyTable(["a", "b"], lambda c: {"s": np.float64(1.0)})
    with pytest.raises(ValueError, match="expected 2 values"):
        t.append(1.0)
    t.append(1.0, 2.0)
    with pytest.raises(ValueError, match="shape"):
        t.flush()


def test_streams_are_reproducible_and_independent():
    a, b = Streams(42, 0), Streams(42, 0)
    assert a("x").random() == b("x").random()
    assert Streams(42, 0)("x").random() != Streams(42, 1)("x").random()
    assert Streams(42, 0)("x").random() != Streams(42, 0)("y").random()
    assert Streams(42, 0)("x").random() != Streams(43, 0)("x").random()


def test_calendar_next_on():
    day_shift = ShiftCalendar(shifts_per_day=1, shift_length_h=8, working_days_per_week=5)
    assert day_shift.next_on(3.0) == 3.0
    assert day_shift.next_on(8.0) == 24.0
    assert day_shift.next_on(4 * 24 + 9) == 7 * 24  # Friday evening -> Monday 00:00
    assert ShiftCalendar().always_on and ShiftCalendar().next_on(123.4) == 123.4
    with pytest.raises(ValidationError, match="exceeds 24 h"):
        ShiftCalendar(shifts_per_day=4, shift_length_h=8)


def test_state_shares_time_weighted():
    log = pd.DataFrame([(0.0, "A", "l", "idle", ""), (2.0, "A", "l", "working", ""), (8.0, "A", "l", "down", "")],
                       columns=["time_h", "unit", "line", "state", "reason"])
    s = state_shares(log, 10.0)
    assert s.loc["A", "idle"] == pytest.approx(0.2)
    assert s.loc["A", "working"] == pytest.approx(0.6)
    assert s.loc["A", "down"] == pytest.approx(0.2)
    assert s.loc["A"].sum() == pytest.approx(1.0)
    assert state_shares(log, 10.0, start_h=5.0).loc["A", "working"] == pytest.approx(0.6)


class _P(ParamModel):
    rate_cm_s: Annotated[float, Field(gt=0), Unit("cm/s")]


def test_unit_annotation_checks_units_and_range():
    ok = _P.model_validate({"rate_cm_s": {"value": 2.0, "units": "cm/s", "source": "x", "flag": "V"}})
    assert ok.rate_cm_s == 2.0
    with pytest.raises(ValidationError, match="units 'm/s' do not match"):
        _P.model_validate({"rate_cm_s": {"value": 2.0, "units": "m/s", "source": "x", "flag": "V"}})
    with pytest.raises(ValidationError, match="greater than 0"):
        _P.model_validate({"rate_cm_s": {"value": -1.0, "units": "cm/s", "source": "x", "flag": "V"}})
    with pytest.raises(ValidationError, match="lacks source"):
        _P.model_validate({"rate_cm_s": {"value": 1.0, "units": "cm/s", "flag": "V"}})
    with pytest.raises(ValidationError, match="sourced entry"):
        _P.model_validate({"rate_cm_s": 1.0})


def test_relaxed_gc_raises_the_thresholds_inside_and_restores_them_also_on_error() -> None:
    import gc

    from twin.engine import GC_THRESHOLDS, relaxed_gc

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with pytest.raises(RuntimeError), relaxed_gc():
            inside = gc.get_threshold()
            raise RuntimeError("boom")
        assert inside == (GC_THRESHOLDS[0], GC_THRESHOLDS[1], 10)
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(10**6, 10**4, 10)  # a caller's higher thresholds are kept
        with relaxed_gc():
            assert gc.get_threshold() == (10**6, 10**4, 10)
    finally:
        gc.set_threshold(*before)
