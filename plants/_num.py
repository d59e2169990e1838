"""Elementwise math that stays in plain Python floats for float input and uses numpy for arrays.

The electrode lines evaluate their physics per roll inside the event loop, where numpy's
per-call overhead on scalars would dominate; the same functions take arrays for tests, sweeps and
the optimizer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["clip", "erf", "exp", "log", "maximum", "minimum", "norm_cdf", "norm_pdf", "sqrt"]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf_array = np.frompyfunc(math.erf, 1, 1)


def _scalar(x: Any) -> bool:
    return isinstance(x, (float, int))


def exp(x: Any) -> Any:
    return math.exp(x) if _scalar(x) else np.exp(x)


def log(x: Any) -> Any:
    return math.log(x) if _scalar(x) else np.log(x)


def sqrt(x: Any) -> Any:
    return math.sqrt(x) if _scalar(x) else np.sqrt(x)


def erf(x: Any) -> Any:
    return math.erf(x) if _scalar(x) else _erf_array(np.asarray(x, dtype=float)).astype(float)


def minimum(a: Any, b: Any) -> Any:
    return min(a, b) if _scalar(a) and _scalar(b) else np.minimum(a, b)


def maximum(a: Any, b: Any) -> Any:
    return max(a, b) if _scalar(a) and _scalar(b) else np.maximum(a, b)


def clip(x: Any, lo: float, hi: float) -> Any:
    return min(max(x, lo), hi) if _scalar(x) else np.clip(x, lo, hi)


def norm_cdf(x: Any) -> Any:
    return 0.5 * (1.0 + erf(x / _SQRT2))


def norm_pdf(x: Any) -> Any:
    return _INV_SQRT_2PI * exp(-0.5 * x * x)
