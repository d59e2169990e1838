"""Physical and calendar constants the framework and every plant share (one place, not re-typed)."""

from __future__ import annotations

__all__ = ["HOURS_PER_YEAR", "MOLAR_VOLUME_NM3_KMOL", "R_J_MOL_K"]

HOURS_PER_YEAR = 8760.0  # 365 d x 24 h: the annualisation basis of every "per_yr" figure and of depreciation
R_J_MOL_K = 8.314462618  # molar gas constant, CODATA 2018 (exact)
MOLAR_VOLUME_NM3_KMOL = 22.414  # ideal gas at 0 degC and 1 atm (normal conditions), Nm3/kmol = L/mol
