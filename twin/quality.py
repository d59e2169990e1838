"""Process capability and the drivers of a lot attribute's spread. Pure functions, no domain.

* Cpk = min(USL - mean, mean - LSL) / (3 s) with the sample standard deviation s; with one limit,
  the one-sided index (Montgomery, *Introduction to Statistical Quality Control*, ch. 8).
* In-spec fraction: the observed share of lots within the limits.
* Variance contributions: a linear regression of the attribute on standardized candidate drivers;
  driver i explains beta_i^2 var(x_i) / var(y) (first-order; covariances between drivers are
  reported in ``shared``), the rest is ``residual``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["capability", "variance_contributions"]


def capability(values: np.ndarray | pd.Series, lsl: float | None, usl: float | None) -> dict[str, float]:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3.0 * std) if std > 0 else math.inf if mean <= usl else -math.inf)
    if lsl is not None:
        sides.append((mean - lsl) / (3.0 * std) if std > 0 else math.inf if mean >= lsl else -math.inf)
    cpk = min(sides) if sides and n > 1 else math.nan
    ok = np.ones(n, dtype=bool)
    if lsl is not None:
        ok &= x >= lsl
    if usl is not None:
        ok &= x <= usl
    return {
        "n": float(n), "mean": mean, "std": std,
        "cv": std / abs(mean) if n > 1 and mean != 0 else math.nan,
        "cpk": float(cpk), "in_spec": float(ok.mean()) if n else math.nan,
    }


def variance_contributions(y: pd.Series, drivers: pd.DataFrame) -> pd.Series:
    """Share of var(y) each driver explains (first order), plus ``shared`` and ``residual``.

    Rows with a missing value are dropped; drivers that do not vary are left out (share 0).
    """
    df = pd.concat([y.rename("__y__"), drivers], axis=1).dropna()
    out = pd.Series(0.0, index=[*drivers.columns, "shared", "residual"])
    if len(df) < len(drivers.columns) + 2:
        out[:] = math.nan
        return out
    yv = df["__y__"].to_numpy()
    var_y = yv.var(ddof=1)
    if var_y <= 0:
        out["residual"] = 0.0
        return out
    cols = [c for c in drivers.columns if df[c].std(ddof=1) > 0]
    if not cols:
        out["residual"] = 1.0
        return out
    X = df[cols].to_numpy()
    A = np.column_stack([np.ones(len(X)), X])
    beta, *_ = np.linalg.lstsq(A, yv, rcond=None)
    fitted = A @ beta
    explained = fitted.var(ddof=1) / var_y
    for c, b in zip(cols, beta[1:], strict=True):
        out[c] = b * b * df[c].var(ddof=1) / var_y
    out["shared"] = explained - out[cols].sum()
    out["residual"] = 1.0 - explained
    return out
