"""Additive piecewise-linear surrogates of twin KPIs. Pure numpy.

KPI(x) ~ a + sum_j f_j(x_j) + sum_d g_d(option_d) + sum_{i<j} c_ij u_i u_j: each continuous
decision enters through a piecewise-linear function with knots at evenly spaced values of its range
(hat-function basis, the first hat dropped against the intercept), each discrete decision through
one offset per option (the first dropped), and each pair of continuous decisions through a bilinear
term of their centred unit values (silane fraction x deposition time sets the Si content, say).
The fit is least squares with a small ridge on the non-intercept terms, so a design with few
points still gives a unique, smooth model. Because every term is linear in the
basis, a prediction at a candidate is a linear function of the coefficients, and the candidates'
predicted KPIs are plain numbers for the MILP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Space", "Surrogate", "fit"]


@dataclass(frozen=True)
class Space:
    """The decision space: continuous ranges with their knots, and discrete options."""

    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    options: dict[str, tuple[float | str, ...]] = field(default_factory=dict)
    knots: int = 3
    interactions: bool = True  # bilinear terms between continuous decisions

    @property
    def names(self) -> list[str]:
        return [*self.ranges, *self.options]

    def basis(self, x: pd.DataFrame) -> np.ndarray:
        cols = [np.ones(len(x))]
        for name, (lo, hi) in self.ranges.items():
            k = np.linspace(lo, hi, self.knots)
            v = np.clip(x[name].to_numpy(dtype=float), lo, hi)
            h = k[1] - k[0]
            for i in range(1, self.knots):  # hat i, the first one dropped (intercept)
                cols.append(np.clip(1.0 - np.abs(v - k[i]) / h, 0.0, 1.0))
        for name, opts in self.options.items():
            v = x[name].to_numpy()
            for o in opts[1:]:
                cols.append((v == o).astype(float))
        if self.interactions:
            unit = {n: (np.clip(x[n].to_numpy(dtype=float), lo, hi) - lo) / (hi - lo) - 0.5
                    for n, (lo, hi) in self.ranges.items()}
            names = list(self.ranges)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    cols.append(unit[a] * unit[b])
        return np.column_stack(cols)

    @property
    def n_terms(self) -> int:
        k = len(self.ranges)
        return (1 + k * (self.knots - 1) + sum(len(o) - 1 for o in self.options.values())
                + (k * (k - 1) // 2 if self.interactions else 0))


@dataclass(frozen=True)
class Surrogate:
    space: Space
    coef: dict[str, np.ndarray]  # per KPI
    rmse: dict[str, float]  # leave-one-out root-mean-square error per KPI (NaN if too few points)

    def predict(self, x: pd.DataFrame) -> pd.DataFrame:
        b = self.space.basis(x)
        return pd.DataFrame({k: b @ c for k, c in self.coef.items()}, index=x.index)


def fit(space: Space, x: pd.DataFrame, y: pd.DataFrame, ridge: float = 1e-6) -> Surrogate:
    """Fit every column of ``y`` (rows aligned with ``x``); rows with a non-finite KPI are left out for that KPI."""
    b = space.basis(x)
    p = b.shape[1]
    reg = np.eye(p) * ridge
    reg[0, 0] = 0.0
    coef, rmse = {}, {}
    for kpi in y.columns:
        v = y[kpi].to_numpy(dtype=float)
        ok = np.isfinite(v)
        if ok.sum() < 2:
            raise ValueError(f"KPI {kpi!r} has fewer than two finite samples: cannot fit a surrogate")
        bk, vk = b[ok], v[ok]
        scale = max(float(np.abs(vk).max()), 1e-12)
        a = bk.T @ bk + reg * len(vk)
        c = np.linalg.solve(a, bk.T @ (vk / scale)) * scale
        coef[kpi] = c
        # leave-one-out residuals from the hat matrix (ridge-adjusted)
        if ok.sum() > p:
            hat = bk @ np.linalg.solve(a, bk.T)
            res = (vk - bk @ c) / np.clip(1.0 - np.diag(hat), 1e-9, None)
            rmse[kpi] = float(np.sqrt(np.mean(res ** 2)))
        else:
            rmse[kpi] = float("nan")
    return Surrogate(space, coef, rmse)
