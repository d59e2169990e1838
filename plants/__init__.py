"""The Si/C anode plant (four lines, a QC lab, a reference cell) and its application.

From Python and Jupyter::

    import plants
    sc = plants.load("scenarios/baseline.yaml")
    res = plants.run(sc.with_settings({"fbcvd.bed_temperature_c": 480}))
    res.kpis()["cost.powder_usd_per_kg"]
    plants.compare(plants.run(sc), res)          # KPI deltas with 95 % intervals (paired on common random numbers)
    plants.export_xlsx(res, "run.xlsx")          # summary, lots, cost ledger as an Excel workbook
    opt = plants.optimize("scenarios/opt_check.yaml")
    plants.plots.gantt(res)

The names load lazily, so importing a line's physics does not load the application.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compare", "export_records", "export_xlsx", "load", "optimize", "plots", "read_records", "run"]


def __getattr__(name: str) -> Any:
    if name in ("load", "run", "compare", "export_xlsx"):
        from plants.app import api

        return getattr(api, name)
    if name == "optimize":
        from plants.app.optimize import optimize_scenario

        return optimize_scenario
    if name == "plots":
        from plants.app import plots

        return plots
    if name in ("export_records", "read_records"):  # plant records (README "Plant records")
        from plants import records

        return getattr(records, name)
    raise AttributeError(f"module 'plants' has no attribute {name!r}")
