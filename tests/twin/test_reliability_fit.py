"""Estimates with intervals (twin.reliability_fit): coverage on synthetic data, censoring, and the
constants a least-squares fit cannot identify."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.reliability_fit import (
    exponential_mtbf,
    fit_constants,
    lognormal_durations,
    min_threshold,
    poisson_rate,
    random_effects_sd,
    sd_interval,
)


def _failures(rng, mtbf, horizon):
    t, n = 0.0, 0
    while True:
        t += rng.exponential(mtbf)
        if t > horizon:
            return n
        n += 1


@pytest.mark.unit
def test_the_mtbf_interval_covers_the_truth_in_about_95_percent_and_counts_censored_time():
    rng = np.random.default_rng(1)
    hits = [exponential_mtbf(1000.0, _failures(rng, 100.0, 1000.0)).contains(100.0) for _ in range(400)]
    assert 0.92 <= np.mean(hits) <= 0.98
    e = exponential_mtbf(1000.0, 4)
    assert e.value == 250.0 and e.low < 250.0 < e.high
    none = exponential_mtbf(500.0, 0)
    assert not none.supported and math.isinf(none.high) and 100 < none.low < 500  # a lower bound only


@pytest.mark.unit
def test_poisson_and_sd_intervals_cover_in_about_95_percent():
    rng = np.random.default_rng(2)
    assert 0.92 <= np.mean([poisson_rate(int(rng.poisson(12.0)), 6.0).contains(2.0) for _ in range(400)]) <= 0.99
    assert 0.92 <= np.mean([sd_interval(rng.normal(5.0, 2.0, 15)).contains(2.0) for _ in range(400)]) <= 0.98


@pytest.mark.unit
def test_lognormal_repairs_with_and_without_censoring():
    rng = np.random.default_rng(3)
    hits_m, hits_s = [], []
    for _ in range(300):
        d = 3.0 * np.exp(rng.normal(0.0, 0.6, 12))
        f = lognormal_durations(d)
        hits_m.append(f.median.contains(3.0))
        hits_s.append(f.sigma.contains(0.6))
    assert 0.92 <= np.mean(hits_m) <= 0.98 and 0.92 <= np.mean(hits_s) <= 0.98
    d = 3.0 * np.exp(rng.normal(0.0, 0.6, 200))
    cut = np.minimum(d, 4.0)  # the longest repairs still running at the end of the record
    naive = lognormal_durations(cut)
    fair = lognormal_durations(cut, censored=d > 4.0)
    assert fair.censored == int((d > 4.0).sum()) > 0
    assert abs(fair.sigma.value - 0.6) < abs(naive.sigma.value - 0.6)  # dropping censoring biases sigma down
    assert fair.median.contains(3.0)


@pytest.mark.unit
def test_threshold_and_random_effects():
    e = min_threshold([730.0, 722.0, 741.0])
    assert e.value == 722.0 and e.high == 722.0 and e.low == 722.0 - 19.0
    rng = np.random.default_rng(4)
    bias = rng.normal(0.0, 5.0, 12)
    groups = [f"R{i:02d}" for i in range(12) for _ in range(40)]
    values = np.repeat(bias, 40) + rng.normal(0.0, 2.0, 480)
    re = random_effects_sd(values, groups)
    assert re.within.contains(2.0) and re.between.supported and re.between.low < 5.0 * 1.6
    few = random_effects_sd(values[:80], groups[:80])
    assert not few.between.supported  # two reactors say little about reactor-to-reactor scatter


@pytest.mark.unit
def test_least_squares_names_what_the_data_cannot_identify():
    rng = np.random.default_rng(5)
    t = rng.uniform(440.0, 480.0, 60) + 273.15
    true = {"a": 2.0, "ea": 50000.0}

    def model(c):  # c["b"] and c["a"] only ever appear as a product: b is not identifiable apart from a
        return c["a"] * c.get("b", 1.0) * np.exp(-c["ea"] / 8.314 * (1 / t - 1 / 733.15)) + 0.0 * c.get("dead", 0.0)

    y = model({**true, "b": 1.0}) * (1 + 0.01 * rng.standard_normal(60))
    fit = fit_constants(model, y, {"a": 1.5, "ea": 40000.0, "b": 1.0, "dead": 3.0})
    assert set(fit.estimates) == {"a", "ea"}
    assert "dead" in fit.not_identified and "does not change" in fit.not_identified["dead"]
    assert "b" in fit.not_identified and "together with a" in fit.not_identified["b"]
    assert fit.estimates["ea"].contains(50000.0) and fit.estimates["a"].contains(2.0)
    assert ("a", "ea") in fit.correlation
