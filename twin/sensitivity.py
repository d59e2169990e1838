"""Global sensitivity with SALib: Morris elementary-effects screening and Sobol variance indices.

:func:`sample` gives the design (a DataFrame of points over the declared ranges) and
:func:`analyze` turns the KPI values at those points into indices, one row per (kpi, parameter):

* Morris (Morris 1991; Campolongo et al. 2007): ``mu_star`` (mean absolute elementary effect,
  the screening measure), ``mu``, ``sigma`` (interaction/non-linearity), ``mu_star_conf``;
* Sobol (Saltelli 2002/2010 estimators): ``S1`` first-order and ``ST`` total-order indices with
  their bootstrap 95 % half-widths ``S1_conf``, ``ST_conf``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["METHODS", "analyze", "sample"]

METHODS = ("morris", "sobol")


def _problem(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [list(b) for b in bounds.values()]}


def sample(method: str, bounds: dict[str, tuple[float, float]], n: int, seed: int) -> pd.DataFrame:
    """Morris: ``n`` trajectories ((k+1) n points); Sobol: ``n`` base samples ((k+2) n points; n a power of 2)."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = _problem(bounds)
    if method == "morris":
        x = morris_sample.sample(problem, n, num_levels=4, seed=seed)
    elif method == "sobol":
        x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    df = pd.DataFrame(x, columns=problem["names"])
    df.index.name = "point_id"
    return df


def analyze(method: str, bounds: dict[str, tuple[float, float]], design: pd.DataFrame, outputs: pd.DataFrame,
            seed: int) -> pd.DataFrame:
    """Indices for every output column (rows of ``outputs`` aligned with ``design``)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    problem = _problem(bounds)
    rows = []
    x = design[problem["names"]].to_numpy(dtype=float)
    for kpi in outputs.columns:
        y = outputs[kpi].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"KPI {kpi!r} is not finite at every design point; choose another KPI or narrower ranges")
        if method == "morris":
            r = morris_analyze.analyze(problem, x, y, num_levels=4, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append({"kpi": kpi, "parameter": name, "mu": float(r["mu"][i]), "mu_star": float(r["mu_star"][i]),
                             "sigma": float(r["sigma"][i]), "mu_star_conf": float(r["mu_star_conf"][i])})
        elif method == "sobol":
            r = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append({"kpi": kpi, "parameter": name, "S1": float(r["S1"][i]), "S1_conf": float(r["S1_conf"][i]),
                             "ST": float(r["ST"][i]), "ST_conf": float(r["ST_conf"][i])})
        else:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    return pd.DataFrame(rows)
