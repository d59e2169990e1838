"""BatPaC-shaped cost arithmetic (scaling law, depreciation, overheads, the ledger row) against hand-worked cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.costing import CostRow, depreciation_usd, overheads_usd, scaled

pytestmark = pytest.mark.unit


def test_scaling_law_and_depreciation_by_hand():
    # BatPaC coating + drying: 8.0 M USD at 67.7 M m2/yr, exponent 0.8; twice the rate -> 2^0.8
    assert scaled(8.0e6, 135.4e6, 67.7e6, 0.8) == pytest.approx(8.0e6 * 2**0.8, rel=1e-12)
    assert scaled(8.0e6, 67.7e6, 67.7e6, 0.8) == 8.0e6
    assert depreciation_usd(6.0e6, 6.0, 4380.0) == pytest.approx(0.5e6)  # half a year of 1 M USD/yr


def test_overheads_by_hand(params):
    ov = params.economics.overheads
    got = overheads_usd(100.0, 200.0, 1000.0, 8760.0, ov)
    vo = 0.40 * 100 + 0.20 * 200  # 80
    assert got["variable overhead"] == pytest.approx(vo)
    assert got["GS&A"] == pytest.approx(0.25 * (100 + vo))  # 45
    assert got["R&D"] == pytest.approx(0.40 * 200)  # 80
    assert got["working capital"] == pytest.approx(0.15 * 1000 * 0.08)  # 12
    # half a year: the same annual working capital held for half the time costs half
    half = overheads_usd(100.0, 200.0, 500.0, 4380.0, ov)
    assert half["working capital"] == pytest.approx(6.0)


def test_cost_row_rejects_unknown_category():
    with pytest.raises(ValueError, match="category"):
        CostRow("fbcvd", "reactors", "fun", "x", 1.0)


@given(st.floats(0.0, 1e4), st.floats(0.0, 1e4), st.floats(0.0, 1e5))
def test_overheads_are_non_negative_and_linear(params, labour, dep, variable):
    ov = params.economics.overheads
    a = overheads_usd(labour, dep, variable, 8760.0, ov)
    b = overheads_usd(2 * labour, 2 * dep, 2 * variable, 8760.0, ov)
    assert all(v >= 0 for v in a.values())
    for k in a:
        assert b[k] == pytest.approx(2 * a[k], rel=1e-12, abs=1e-12)


# ------------------------------------------------------------------ reference cell

