"""Capability statistics (Cpk) and variance attribution against hand-worked and known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.quality import capability, variance_contributions

pytestmark = pytest.mark.unit


def test_cpk_by_hand():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # mean 3, s = sqrt(2.5)
    s = math.sqrt(2.5)
    c = capability(x, 0.0, 9.0)
    assert c["mean"] == 3.0 and c["std"] == pytest.approx(s)
    assert c["cpk"] == pytest.approx(min(9 - 3, 3 - 0) / (3 * s))
    assert c["cv"] == pytest.approx(s / 3)
    assert capability(x, 2.5, None)["cpk"] == pytest.approx(0.5 / (3 * s))  # one-sided
    assert capability(x, 2.5, 4.5)["in_spec"] == pytest.approx(2 / 5)


def test_cpk_of_a_known_normal_sample():
    rng = np.random.default_rng(7)
    x = rng.normal(10.0, 1.0, 200_000)
    c = capability(x, 7.0, 16.0)  # Cpk = min(6, 3) / 3 = 1.0
    assert c["cpk"] == pytest.approx(1.0, abs=0.01)
    assert c["in_spec"] == pytest.approx(1 - 0.00135, abs=0.0005)  # P(z < -3)


def test_variance_contributions_recover_known_shares():
    rng = np.random.default_rng(3)
    import pandas as pd

    x = pd.DataFrame({"a": rng.normal(size=50_000), "b": rng.normal(size=50_000), "flat": np.ones(50_000)})
    y = 2.0 * x["a"] + 1.0 * x["b"] + rng.normal(scale=1.0, size=50_000)  # var 4 + 1 + 1
    sh = variance_contributions(y, x)
    assert sh["a"] == pytest.approx(4 / 6, abs=0.01)
    assert sh["b"] == pytest.approx(1 / 6, abs=0.01)
    assert sh["flat"] == 0.0
    assert sh["residual"] == pytest.approx(1 / 6, abs=0.01)
    assert sh.sum() == pytest.approx(1.0)

