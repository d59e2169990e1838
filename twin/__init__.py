"""The Si/C manufacturing twin, from Python (and Jupyter)::

    import twin
    sc = twin.load("scenarios/baseline.yaml")
    res = twin.run(sc.with_settings({"fbcvd.bed_temperature_c": 480}))
    res.kpis()["cost.powder_usd_per_kg"]
    twin.compare(res, twin.run(sc))          # KPI deltas with 95 % intervals
    opt = twin.optimize("scenarios/opt_check.yaml")

The names load lazily, so ``import twin`` stays light for the framework's own modules.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compare", "load", "optimize", "run"]


def __getattr__(name: str) -> Any:
    if name in ("load", "run", "compare"):
        from twin import study

        return getattr(study, name)
    if name == "optimize":
        from twin.optimize import optimize_scenario

        return optimize_scenario
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
