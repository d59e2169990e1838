"""The prelithiation line's KPIs and its Li balance."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.common import mean_or_nan
from plants.lines import LotKind, LotStatus, label
from twin.kpis import Kpi
from twin.units import HOURS_PER_YEAR

__all__ = ["KPIS", "first_pass", "li_balance", "summarize"]

G = label("prelith")
KPIS = [
    Kpi("prelith.output_m2", "Released prelithiated electrode", "m2", "released prelithiated area", 0, group=G),
    Kpi("prelith.output_m2_per_yr", "Prelithiated electrode", "m2/yr", "released prelithiated area, annualised", 0,
        headline=7),
    Kpi("prelith.rolls_released", "Rolls released", "", "prelithiated rolls released", 0),
    Kpi("prelith.ice_mean", "ICE after prelithiation", "", "ICE after prelithiation of finished rolls", 4,
        headline=9, group=G),
    Kpi("prelith.ice_std", "ICE after prelithiation, std", "", "roll-to-roll standard deviation", 4),
    Kpi("prelith.residual_li_fraction", "Residual Li (of Li applied)", "", "residual metallic Li / Li applied", 4,
        group=G),
    Kpi("prelith.rolls_scrapped", "Rolls scrapped", "", "prelithiated rolls scrapped (residual Li, off-spec)", 0,
        group=G),
    Kpi("prelith.li_used_kg", "Li used", "kg", "Li drawn from the supply", 0, group=G),
    Kpi("prelith.li_deliveries", "Li deliveries", "", "Li deliveries received", 0),
    Kpi("prelith.excursion_h", "Dew-point excursion roll-hours", "h", "roll-hours in dew-point excursions", 1),
]


def li_balance(rep: Any) -> dict[str, float]:
    """Li drawn from the supply (its own counters) against the Li the prelithiated rolls received.

    Finished rolls split their Li into compensating (pays the first-cycle loss), residual metal,
    degraded by moisture and waste left on the carrier; rolls still on the line or resting hold
    theirs as in process.
    """
    drawn = rep.lithium["drawn_kg"] - rep.lithium["returned_kg"]
    rolls = rep.of(LotKind.PRELITH_ROLL)
    if rolls.empty:
        return {"li_drawn_kg": drawn, "li_rel_error": 0.0 if drawn == 0 else 1.0}
    done = rolls["ice"].notna() if "ice" in rolls else pd.Series(False, index=rolls.index)
    parts = {k: float(rolls.loc[done, f"li_{k}_kg"].sum()) if done.any() else 0.0
             for k in ("compensating", "residual", "degraded", "waste")}
    in_process = float(rolls.loc[~done, "li_applied_kg"].sum())
    accounted = sum(parts.values()) + in_process
    out = {"li_drawn_kg": drawn, **{f"li_{k}_kg": v for k, v in parts.items()}, "li_in_process_kg": in_process}
    out["li_rel_error"] = abs(drawn - accounted) / drawn if drawn > 0 else 0.0
    return out


def first_pass(rep: Any) -> dict[str, float]:
    """Share of finished prelithiated rolls released."""
    pl = rep.of(LotKind.PRELITH_ROLL)
    done = pl[pl["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED])] if len(pl) else pl
    return {"prelith": float((done["status"] == LotStatus.RELEASED).sum()) / float(len(done)) if len(done) else float("nan")}


def summarize(rep: Any, shares: pd.DataFrame) -> dict[str, float]:
    h = rep.horizon_h
    pl = rep.of(LotKind.PRELITH_ROLL)
    done = pl[pl["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED])] if len(pl) else pl
    released = pl[pl["status"] == LotStatus.RELEASED] if len(pl) else pl
    li = li_balance(rep)
    applied = float(done["li_applied_kg"].sum()) if len(done) else 0.0
    return {
        "prelith.rolls_released": float(len(released)),
        "prelith.rolls_scrapped": float((done["status"] == LotStatus.SCRAPPED).sum()) if len(done) else 0.0,
        "prelith.output_m2": float(released["area_m2"].sum()) if len(released) else 0.0,
        "prelith.output_m2_per_yr": (float(released["area_m2"].sum()) if len(released) else 0.0) * HOURS_PER_YEAR / h,
        "prelith.ice_mean": mean_or_nan(done["ice"]) if len(done) else float("nan"),
        "prelith.ice_std": float(done["ice"].std()) if len(done) > 1 else float("nan"),
        "prelith.residual_li_fraction": float(done["li_residual_kg"].sum()) / applied if applied else float("nan"),
        "prelith.li_used_kg": li["li_drawn_kg"],
        "prelith.li_deliveries": rep.lithium["deliveries"],
        "prelith.excursion_h": float(done["excursion_h"].sum()) if len(done) else 0.0,
        "mass_balance.li_rel_error": li["li_rel_error"],
    }
