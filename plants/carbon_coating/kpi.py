"""The carbon-coating line's KPIs and those of its product, the powder lots (tested by the QC lab)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.common import mean_or_nan
from plants.lines import LotKind, LotStatus, label
from twin.kpis import Kpi
from twin.units import HOURS_PER_YEAR

__all__ = ["KPIS", "RELEASED_POWDER", "first_pass", "summarize"]

RELEASED_POWDER = (LotStatus.RELEASED, LotStatus.CONSUMED)  # a released lot stays released until fully drawn

P, C, Q = "Powder", label("coating"), "Powder quality (tested lots)"
KPIS = [
    Kpi("powder.output_kg", "Released Si/C powder", "kg", "released powder mass", 0, group=P),
    Kpi("powder.output_t_per_yr", "Released powder, annualised", "t/yr", "released powder, annualised", 0, headline=1, group=P),
    Kpi("powder.lots_released", "Lots released", "", "powder lots released by the lab", 0, group=P),
    Kpi("powder.lots_rejected", "Lots rejected (off-spec)", "", "powder lots rejected by the lab", 0, group=P),
    Kpi("powder.lots_in_quarantine", "Lots in quarantine at end", "", "lots still waiting at the horizon", 0, group=P),
    Kpi("coating.batches_completed", "Batches completed", "", "coating batches", 0),
    Kpi("coating.shell_nm_mean", "Shell thickness", "nm", "mean carbon shell thickness", 2, group=C),
    Kpi("coating.exposed_si_fraction_mean", "Exposed Si (alkali H2 test)", "", "exposed Si fraction", 4, group=C),
    Kpi("coating.reactor_utilization", "Reactor utilisation (working)", "", "mean share of time working", 3, group=C),
    Kpi("powder.si_content_wt_mean", "Si content", "wt frac", "Si content of tested lots", 3, group=Q),
    Kpi("powder.capacity_mah_g_mean", "Reversible capacity", "mAh/g", "reversible capacity of tested lots", 0,
        headline=8, group=Q),
    Kpi("powder.capacity_mah_g_std", "Reversible capacity, std", "mAh/g", "lot-to-lot standard deviation", 1),
    Kpi("powder.ice_mean", "ICE", "", "first-cycle efficiency of tested lots (half cell)", 4, group=Q),
    Kpi("powder.ice_std", "ICE, std", "", "lot-to-lot standard deviation", 4),
    Kpi("powder.surface_area_m2_g_mean", "BET surface area", "m2/g", "BET surface area of tested lots", 2, group=Q),
    Kpi("powder.swelling_mean", "Particle swelling", "", "particle volume swelling on full lithiation", 3),
]


def first_pass(rep: Any) -> dict[str, float]:
    """Share of the powder lots the lab decided on that it released."""
    powder = rep.of(LotKind.POWDER)
    decided = powder["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,))
    good = powder["status"].isin(RELEASED_POWDER)
    return {"coating": float(good.sum()) / float(decided.sum()) if float(decided.sum()) else float("nan")}


def summarize(rep: Any, shares: pd.DataFrame) -> dict[str, float]:
    h, w = rep.horizon_h, rep.warmup_h
    powder = rep.of(LotKind.POWDER)

    def steady(df: pd.DataFrame) -> pd.DataFrame:  # lots finished after warm-up
        return df[df["end_h"] >= w] if w > 0 else df

    tested = steady(powder[powder["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,))])
    released = powder[powder["status"].isin(RELEASED_POWDER)]
    coated = steady(powder[powder["end_h"].notna()])
    empty = pd.Series(dtype=float)
    return {
        "coating.batches_completed": float(powder["end_h"].notna().sum()),
        "coating.shell_nm_mean": mean_or_nan(coated.get("shell_nm", empty)),
        "coating.exposed_si_fraction_mean": mean_or_nan(coated.get("exposed_si_fraction", empty)),
        "coating.reactor_utilization": float(shares.loc["coating", "working"]) if "coating" in shares.index else float("nan"),
        "powder.output_kg": float(released["mass_kg"].sum()) if len(released) else 0.0,
        "powder.output_t_per_yr": (float(released["mass_kg"].sum()) if len(released) else 0.0) / 1e3 * HOURS_PER_YEAR / h,
        "powder.lots_released": float(len(released)),
        "powder.lots_rejected": float((powder["status"] == LotStatus.REJECTED).sum()),
        "powder.lots_in_quarantine": float(powder["status"].isin([LotStatus.QUARANTINE, LotStatus.TESTING]).sum()),
        "powder.si_content_wt_mean": mean_or_nan(tested.get("si_content_wt", empty)),
        "powder.capacity_mah_g_mean": mean_or_nan(tested.get("capacity_mah_g", empty)),
        "powder.capacity_mah_g_std": float(tested["capacity_mah_g"].std()) if len(tested) > 1 else float("nan"),
        "powder.ice_mean": mean_or_nan(tested.get("ice", empty)),
        "powder.ice_std": float(tested["ice"].std()) if len(tested) > 1 else float("nan"),
        "powder.surface_area_m2_g_mean": mean_or_nan(tested.get("surface_area_m2_g", empty)),
        "powder.swelling_mean": mean_or_nan(tested.get("swelling", empty)),
    }
