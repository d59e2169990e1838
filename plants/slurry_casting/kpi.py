"""The slurry-casting line's KPIs (mixing and casting stages) and its water balance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from plants.common import mean_or_nan
from plants.genealogy import left_share_in
from plants.lines import LotKind, LotStatus, label
from twin.kpis import Kpi
from twin.units import HOURS_PER_YEAR

__all__ = ["GOOD_ROLL", "KPIS", "first_pass", "summarize", "water_balance"]

GOOD_ROLL = (LotStatus.BUFFERED, LotStatus.PRELITHIATING, LotStatus.CONSUMED)  # made and not scrapped

G = label("casting")
KPIS = [
    Kpi("mixing.batches", "Mix batches", "", "mix batches started", 0),
    Kpi("casting.output_m2", "Good electrode", "m2", "good electrode area after slitting trim and scrap lengths", 0,
        group=G),
    Kpi("casting.output_m2_per_yr", "Good electrode, annualised", "m2/yr", "good electrode area, annualised", 0),
    Kpi("casting.coated_m2", "Coated area", "m2", "all coated area", 0),
    Kpi("casting.rolls_made", "Mother rolls coated", "", "mother rolls coated", 0, group=G),
    Kpi("casting.rolls_scrapped", "Rolls scrapped", "", "rolls scrapped (crack, off-spec)", 0, group=G),
    Kpi("casting.areal_capacity_mah_cm2_mean", "Areal capacity (per side)", "mAh/cm2", "per-roll areal capacity", 2,
        group=G),
    Kpi("casting.areal_capacity_mah_cm2_std", "Areal capacity, std", "mAh/cm2", "roll-to-roll standard deviation", 3),
    Kpi("casting.press_density_g_cm3_mean", "Press density", "g/cm3", "calendered density", 3, group=G),
    Kpi("casting.coat_weight_mg_cm2_mean", "Coat weight", "mg/cm2", "dry coat weight per side", 2),
    Kpi("casting.coat_weight_cv_mean", "Coat weight CV", "", "within-roll coat-weight CV", 4),
    Kpi("casting.crack_probability_mean", "Crack probability", "", "mean crack probability of a roll", 4),
    Kpi("casting.crack_scrap_fraction", "Area scrapped for cracks", "", "coated area scrapped for cracks", 4, group=G),
    Kpi("casting.off_spec_scrap_fraction", "Area scrapped off-spec", "", "coated area scrapped off-spec", 4),
    Kpi("casting.scrap_fraction", "Area not ending as good electrode", "", "all area not ending as good electrode", 4,
        group=G),
    Kpi("casting.defects_per_1000_m2", "Defects", "per 1000 m2", "inline-camera defects", 2),
    Kpi("casting.water_evaporated_kg", "Water evaporated", "kg", "water the dryers took out", 0),
    Kpi("casting.dryer_energy_kwh", "Dryer energy", "kWh", "dryer energy", 0, group=G),
]


def water_balance(rep: Any) -> dict[str, float]:
    """Water added at mixing against water evaporated in the dryers plus water still in slurry."""
    mixes = rep.of(LotKind.MIX)
    rolls = rep.of(LotKind.ROLL)
    added = float(mixes["water_kg"].sum()) if len(mixes) else 0.0
    # (the column exists once a roll has been finished: rolls all still on the coater have none)
    evaporated = float(rolls["water_evaporated_kg"].sum()) if "water_evaporated_kg" in rolls else 0.0
    on_coater = float(rolls.loc[rolls["end_h"].isna(), "water_kg"].sum()) if len(rolls) else 0.0
    in_slurry = float((mixes["water_kg"] * left_share_in(rep, mixes)).sum()) if len(mixes) else 0.0
    err = abs(added - evaporated - in_slurry - on_coater) / added if added > 0 else 0.0
    return {"water_added_kg": added, "water_evaporated_kg": evaporated, "water_in_slurry_kg": in_slurry,
            "water_on_coater_kg": on_coater,
            "water_rel_error": err}


def first_pass(rep: Any) -> dict[str, float]:
    """Mixing: every batch started is coated (1, or NaN without batches); casting: coated area that
    ends as good electrode."""
    rolls = rep.of(LotKind.ROLL)
    made = rolls[rolls["end_h"].notna()] if len(rolls) else rolls
    coated = float(made["coated_area_m2"].sum()) if len(made) else 0.0
    good_area = float(made.loc[made["status"].isin(GOOD_ROLL), "area_m2"].sum()) if len(made) else 0.0
    return {"mixing": 1.0 if rep.kind_mask(LotKind.MIX).any() else float("nan"),
            "casting": good_area / coated if coated else float("nan")}


def _startswith(values: pd.Series, prefix: str) -> pd.Series:
    """``values.str.startswith(prefix)``, tested once per distinct value (a handful over 10^4 rolls);
    with a missing or non-text value, pandas' own answer."""
    codes, uniques = pd.factorize(values)
    if (codes < 0).any() or not all(isinstance(u, str) for u in uniques):
        return values.str.startswith(prefix)
    return pd.Series(np.array([u.startswith(prefix) for u in uniques], dtype=bool)[codes], index=values.index)


def summarize(rep: Any, shares: pd.DataFrame) -> dict[str, float]:
    h = rep.horizon_h
    rolls = rep.of(LotKind.ROLL)
    made = rolls[rolls["end_h"].notna()] if len(rolls) else rolls
    good = made[made["status"].isin(GOOD_ROLL)] if len(made) else made
    coated = float(made["coated_area_m2"].sum()) if len(made) else 0.0

    def scrap_share(reason: str) -> float:
        if not coated:
            return float("nan")
        hit = made[_startswith(made["reason"], reason)]
        return float(hit["coated_area_m2"].sum()) / coated

    return {
        "mixing.batches": float(rep.kind_mask(LotKind.MIX).sum()),
        "casting.rolls_made": float(len(made)),
        "casting.rolls_scrapped": float((made["status"] == LotStatus.SCRAPPED).sum()) if len(made) else 0.0,
        "casting.output_m2": float(good["area_m2"].sum()) if len(good) else 0.0,
        "casting.output_m2_per_yr": (float(good["area_m2"].sum()) if len(good) else 0.0) * HOURS_PER_YEAR / h,
        "casting.coated_m2": coated,
        "casting.areal_capacity_mah_cm2_mean": mean_or_nan(made["areal_capacity_mah_cm2"]) if len(made) else float("nan"),
        "casting.areal_capacity_mah_cm2_std": float(made["areal_capacity_mah_cm2"].std()) if len(made) > 1 else float("nan"),
        "casting.press_density_g_cm3_mean": mean_or_nan(made["press_density_g_cm3"]) if len(made) else float("nan"),
        "casting.coat_weight_mg_cm2_mean": mean_or_nan(made["coat_weight_mg_cm2"]) if len(made) else float("nan"),
        "casting.coat_weight_cv_mean": mean_or_nan(made["coat_weight_cv"]) if len(made) else float("nan"),
        "casting.crack_probability_mean": mean_or_nan(made["crack_probability"]) if len(made) else float("nan"),
        "casting.crack_scrap_fraction": scrap_share("crack"),
        "casting.off_spec_scrap_fraction": scrap_share("off-spec"),
        "casting.scrap_fraction": 1.0 - (float(good["area_m2"].sum()) if len(good) else 0.0) / coated if coated else float("nan"),
        "casting.defects_per_1000_m2": float(made["defects"].sum()) / coated * 1000.0 if coated else float("nan"),
        "casting.water_evaporated_kg": float(made["water_evaporated_kg"].sum()) if len(made) else 0.0,
        "casting.dryer_energy_kwh": float(made["dryer_energy_kwh"].sum()) if len(made) else 0.0,
    }
