"""The one statistics helper against scipy's own tests and hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from twin.stats import aggregate, ci_half, grouped, paired_difference, t_quantile, welch_difference

pytestmark = pytest.mark.unit


def test_t_interval_of_a_mean_by_hand():
    x = [1.0, 2.0, 3.0, 4.0]
    sd = math.sqrt(sum((v - 2.5) ** 2 for v in x) / 3)
    assert ci_half(x) == pytest.approx(3.182446305284263 * sd / 2.0, rel=1e-12)  # t(0.975, 3)
    assert math.isnan(ci_half([1.0]))
    assert t_quantile(1e9) == pytest.approx(1.959963984540054, rel=1e-8)  # the normal quantile in the limit


def test_welch_matches_scipy_ttest_ind():
    rng = np.random.default_rng(1)
    a, b = rng.normal(10, 1, 7), rng.normal(11, 3, 5)
    d = welch_difference(a, b)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert d.method == "welch"
    assert d.delta - d.ci95_half == pytest.approx(ci.low, rel=1e-10)
    assert d.delta + d.ci95_half == pytest.approx(ci.high, rel=1e-10)


def test_paired_matches_scipy_ttest_rel_and_is_tighter_under_common_noise():
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 5, 6)  # what the two runs share (common random numbers)
    a, b = 100 + noise + rng.normal(0, 0.1, 6), 102 + noise + rng.normal(0, 0.1, 6)
    p = paired_difference(a, b)
    ci = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert (p.delta - p.ci95_half, p.delta + p.ci95_half) == (pytest.approx(ci.low, rel=1e-10), pytest.approx(ci.high, rel=1e-10))
    assert p.method == "paired" and p.ci95_half < welch_difference(a, b).ci95_half / 10
    with pytest.raises(ValueError, match="same length"):
        paired_difference(a, b[:3])


def test_grouped_means_and_half_widths():
    import pandas as pd

    df = pd.DataFrame({"g": [0, 0, 0, 1], "x": [1.0, 2.0, 3.0, 5.0]})
    mean, half, n = grouped(df[["x"]], df["g"])
    assert mean.loc[0, "x"] == 2.0 and n.loc[1, "x"] == 1
    assert half.loc[0, "x"] == pytest.approx(ci_half([1.0, 2.0, 3.0]), rel=1e-12)
    assert math.isnan(half.loc[1, "x"])  # one replication: no interval


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=20))
def test_aggregate_mean_and_interval(values):
    reps = [{"k": v, "label": "a" if i % 3 else "b", "seed": 1.0} for i, v in enumerate(values)]
    out = aggregate(reps)
    assert out["k"] == pytest.approx(sum(values) / len(values), rel=1e-9, abs=1e-6)
    assert out["k.ci95_half"] >= 0 and "seed.ci95_half" not in out  # bookkeeping has no interval
    labels = [r["label"] for r in reps]
    assert out["label"] == max(sorted(set(labels)), key=labels.count)


def test_aggregate_skips_missing_values():
    out = aggregate([{"k": 1.0}, {"k": float("nan")}, {"k": 3.0}])
    assert out["k"] == 2.0 and out["k.ci95_half"] == pytest.approx(ci_half([1.0, 3.0]))
