"""Experimental designs over dotted setting paths: full grids and Latin hypercubes.

A design is a DataFrame with one row per point (index ``point_id`` 0..n-1) and one column per
dotted path; each row becomes ``--set path=value`` lines for that point's scenario.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.errors import InputError

__all__ = ["grid", "latin_hypercube", "parse_params", "point_sets"]


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def parse_params(items: Sequence[str],
                 where: str = "--param") -> tuple[dict[str, list[float | str]], dict[str, tuple[float, float]]]:
    """``path=v1,v2,...`` (values for a grid) or ``path=lo:hi`` (a range for a Latin hypercube)."""
    values: dict[str, list[float | str]] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for item in items:
        path, sep, rhs = item.partition("=")
        path = path.strip()
        if not sep or not path or not rhs.strip():
            raise InputError.single(where, item, "must look like dotted.path=v1,v2,... or dotted.path=lo:hi")
        if path in values or path in ranges:
            raise InputError.single(where, path, "is given twice")
        if ":" in rhs and "," not in rhs:
            lo_s, _, hi_s = rhs.partition(":")
            try:
                lo, hi = float(lo_s), float(hi_s)
            except ValueError:
                raise InputError.single(where, path, f"range {rhs!r} must be two numbers lo:hi") from None
            if not lo < hi:
                raise InputError.single(where, path, f"range {rhs!r} needs lo < hi")
            ranges[path] = (lo, hi)
        else:
            vals = [_number(v.strip()) for v in rhs.split(",") if v.strip()]
            if not vals:
                raise InputError.single(where, path, "has no values")
            values[path] = vals
    return values, ranges


def grid(values: dict[str, list[float | str]]) -> pd.DataFrame:
    """Every combination of the values (the last path varies fastest)."""
    paths = list(values)
    rows = list(itertools.product(*(values[p] for p in paths))) if paths else [()]
    df = pd.DataFrame(rows, columns=paths)
    df.index.name = "point_id"
    return df


def latin_hypercube(ranges: dict[str, tuple[float, float]], samples: int, seed: int) -> pd.DataFrame:
    """``samples`` points, one in each of ``samples`` equal strata of every range (McKay et al. 1979),
    strata matched at random and each point placed uniformly inside its stratum; reproducible from ``seed``."""
    if samples < 1:
        raise InputError.single("--samples", str(samples), "must be at least 1")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1A7E]))
    cols = {}
    for path, (lo, hi) in ranges.items():
        u = (rng.permutation(samples) + rng.random(samples)) / samples
        cols[path] = lo + u * (hi - lo)
    df = pd.DataFrame(cols)
    df.index.name = "point_id"
    return df


def point_sets(design: pd.DataFrame, point_id: int) -> list[str]:
    """The ``--set`` lines of one point."""
    row = design.loc[point_id]
    out = []
    for path, v in row.items():
        if isinstance(v, float | np.floating) and float(v).is_integer() and abs(float(v)) < 1e15:
            v = int(v) if _int_like(path, design) else float(v)
        out.append(f"{path}={v}")
    return out


def _int_like(path: str, design: pd.DataFrame) -> bool:
    col = design[path]
    return bool(np.issubdtype(col.dtype, np.number) and np.all(np.mod(col.to_numpy(dtype=float), 1.0) == 0.0))
