"""The one statistics helper: Student-t intervals of a mean, of grouped means, and of a difference
of means, Welch (independent samples) or paired (replications that share random streams).

Every 95 % half-width the framework and the plant report comes from here, on scipy's t quantile.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DiffMethod", "Difference", "aggregate", "ci_half", "describe", "grouped", "paired_difference", "t_quantile",
           "welch_difference"]

BOOKKEEPING = ("seed", "replication", "horizon_h", "warmup_h")  # numbers that describe a run, not results of it


def t_quantile(dof: Any, level: float = 0.95) -> Any:
    """Two-sided Student t quantile (``dof`` a number or an array; fractional dof allowed)."""
    from scipy import stats

    q = stats.t.ppf(0.5 + level / 2.0, dof)
    return float(q) if np.ndim(q) == 0 else q


def ci_half(values: Sequence[float] | np.ndarray, level: float = 0.95) -> float:
    """Half-width of the t interval of the mean of ``values`` (NaN for fewer than two)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return math.nan
    mean = float(x.sum()) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x.tolist()) / (n - 1))
    return float(t_quantile(n - 1, level) * sd / math.sqrt(n))


def grouped(frame: pd.DataFrame, by: Any, level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per group: mean, t half-width (NaN for groups of one) and count of every column."""
    g = frame.groupby(by)
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    half = sd * t_quantile((n - 1).clip(lower=1), level) / n.pow(0.5)
    return mean, half.where(n > 1), n


def describe(frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per numeric column of ``frame`` (one row per replication): mean, t half-width (NaN for fewer
    than two values) and count, as a frame indexed by column name."""
    num = frame.select_dtypes("number")
    mean, half, n = grouped(num, np.zeros(len(num), dtype=int), level)
    return pd.DataFrame({"mean": mean.iloc[0], "ci95_half": half.iloc[0], "n": n.iloc[0]}) if len(num) else \
        pd.DataFrame({"mean": [], "ci95_half": [], "n": []})


class DiffMethod(StrEnum):
    """How a difference of two runs' means gets its interval."""

    PAIRED = "paired"  # replication i of both drew the same random streams: t on the pairwise differences
    WELCH = "welch"  # independent samples: Welch standard error and dof


@dataclass(frozen=True)
class Difference:
    """``b - a``: the estimate, its half-width, the dof and which method gave them."""

    delta: float
    ci95_half: float
    dof: float
    method: DiffMethod


def welch_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95) -> Difference:
    """Difference of means of two independent samples: Welch standard error, Welch-Satterthwaite dof."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = float(y.mean() - x.mean()) if len(x) and len(y) else math.nan
    if len(x) < 2 or len(y) < 2:
        return Difference(d, math.nan, math.nan, DiffMethod.WELCH)
    qa, qb = float(np.var(x, ddof=1)) / len(x), float(np.var(y, ddof=1)) / len(y)
    se2 = qa + qb
    if se2 == 0.0:
        return Difference(d, 0.0, math.inf, DiffMethod.WELCH)
    dof = se2**2 / ((qa**2 / (len(x) - 1) if qa else 0.0) + (qb**2 / (len(y) - 1) if qb else 0.0))
    return Difference(d, float(t_quantile(dof, level)) * math.sqrt(se2), dof, DiffMethod.WELCH)


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95) -> Difference:
    """Mean of the pairwise differences ``b[i] - a[i]`` (replication i of both drew the same random
    streams): a t interval on n - 1 dof. Pairs with a missing side are dropped."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"paired samples need the same length (got {len(x)} and {len(y)})")
    d = (y - x)[np.isfinite(x) & np.isfinite(y)]
    if not len(d):
        return Difference(math.nan, math.nan, math.nan, DiffMethod.PAIRED)
    return Difference(float(d.mean()), ci_half(d, level), float(len(d) - 1), DiffMethod.PAIRED)


def aggregate(per_replication: Sequence[Mapping[str, Any]], skip: Iterable[str] = BOOKKEEPING) -> dict[str, Any]:
    """One summary over replications: the mean of each numeric key over its finite values with
    ``<key>.ci95_half`` beside it (two or more replications), the most frequent value of a label."""
    n = len(per_replication)
    skip = set(skip)
    out: dict[str, Any] = {}
    for key in per_replication[0]:
        values = [r.get(key) for r in per_replication]
        if any(isinstance(v, str) for v in values):  # a label (e.g. the bottleneck line): most frequent
            texts = [str(v) for v in values if v is not None]
            out[key] = max(sorted(set(texts)), key=texts.count)
            continue
        finite = [v for v in values if v is not None and math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else float("nan")
        out[key] = mean
        if n > 1 and key not in skip and len(finite) > 1:
            sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (len(finite) - 1))
            out[f"{key}.ci95_half"] = t_quantile(len(finite) - 1) * sd / math.sqrt(len(finite))
    return out
