"""KPIs of one replication, as pure functions of its frames. Keys are flat, units in the names."""

from __future__ import annotations

import pandas as pd

from plants.fbcvd.physics import M_SI_G_MOL, M_SIH4_G_MOL
from plants.plant import Replication
from plants.lines import LotKind, LotStatus
from twin.states import state_shares

__all__ = ["buffer_stats", "li_balance", "si_balance", "summarize", "water_balance"]

GOOD_ROLL = ("buffered", "prelithiating", "consumed")
RELEASED_POWDER = ("released", "consumed")


def _mean(s: pd.Series) -> float:
    s = s.dropna()
    return float(s.mean()) if len(s) else float("nan")


def si_balance(rep: Replication) -> dict[str, float]:
    """Si fed (from the silane tank's own accounting) against where the Si went (from the lots).

    fed = fines + exhaust + rejected + scrapped CVD lots + powder-plant in process + released powder
    still in the warehouse + Si in mixers and slurry tanks + Si in casting scrap (scrapped rolls, web
    breaks, changeovers, edge trim) + Si in electrode rolls (buffered, prelithiating, prelithiated).
    The two sides are computed independently: the left from tank draws and returns, the right from
    lot records, the physics and the genealogy's drawn masses.
    """
    lots = rep.lots
    si_per_silane = M_SI_G_MOL / M_SIH4_G_MOL
    fed = (rep.silane["drawn_kg"] - rep.silane["returned_kg"]) * si_per_silane
    cvd = lots[(lots["line"] == LotKind.CVD) & (lots["row"] >= 0)] if "row" in lots else lots.iloc[0:0]
    powder = lots[lots["line"] == LotKind.POWDER]
    dep = cvd["si_deposited_kg"] if len(cvd) else pd.Series(dtype=float)
    # Batches still depositing at the horizon: silane drawn, outcome not known yet -> in process whole.
    depositing = cvd["status"] == LotStatus.IN_PROCESS
    done = ~depositing
    fines = float(cvd.loc[done, "si_fines_kg"].sum()) if len(cvd) else 0.0
    exhaust = float(cvd.loc[done, "si_exhaust_kg"].sum()) if len(cvd) else 0.0
    scrapped = float(dep[cvd["status"] == LotStatus.SCRAPPED].sum()) if len(cvd) else 0.0
    released = powder[powder["status"] == LotStatus.RELEASED]
    rejected = float(powder.loc[powder["status"] == LotStatus.REJECTED, "si_kg"].sum()) if len(powder) else 0.0
    open_powder = float(powder.loc[~powder["status"].isin([LotStatus.RELEASED, LotStatus.REJECTED, LotStatus.CONSUMED]), "si_kg"].sum()) if len(powder) else 0.0
    # Released powder not yet drawn by the mixers (the warehouse stock).
    stock = float((released["si_kg"] * _left_share(rep, released)).sum()) if len(released) else 0.0
    # CVD lots being coated are inside their powder lot (created at coating start): count them there.
    in_cvd_or_buffer = float(dep[cvd["status"] == LotStatus.BUFFERED].sum()) if len(cvd) else 0.0
    depositing_fed = float(cvd.loc[depositing, "si_fed_kg"].sum()) if len(cvd) else 0.0
    # Mix batches: Si not yet coated (in the mixer or the slurry tank).
    mixes = lots[lots["line"] == LotKind.MIX]
    in_slurry = float((mixes["si_kg"] * _left_share(rep, mixes)).sum()) if len(mixes) else 0.0
    rolls = lots[lots["line"] == LotKind.ROLL]
    if len(rolls):
        good = rolls["status"].isin(GOOD_ROLL)
        on_coater = rolls["end_h"].isna()
        in_electrode = float((rolls.loc[good, "si_kg"] * rolls.loc[good, "good_share"]).sum())
        on_line = float(rolls.loc[on_coater, "si_kg"].sum())
        roll_scrap = float(rolls["si_kg"].sum()) - in_electrode - on_line
    else:
        in_electrode = roll_scrap = on_line = 0.0
    in_process = open_powder + in_cvd_or_buffer + depositing_fed + in_slurry + on_line
    accounted = fines + exhaust + rejected + scrapped + in_process + stock + roll_scrap + in_electrode
    err = abs(fed - accounted) / fed if fed > 0 else 0.0
    product = stock + float(mixes["si_kg"].sum()) if len(mixes) else stock
    return {
        "si_fed_kg": fed, "si_product_kg": product, "si_fines_kg": fines, "si_exhaust_kg": exhaust,
        "si_rejected_kg": rejected, "si_scrapped_kg": scrapped, "si_in_process_kg": in_process,
        "si_powder_stock_kg": stock, "si_casting_scrap_kg": roll_scrap, "si_in_electrode_kg": in_electrode,
        "si_rel_error": err,
    }


def _left_share(rep: Replication, lots: pd.DataFrame) -> pd.Series:
    """Share of each lot's mass not yet drawn into child lots (from the genealogy's drawn kg)."""
    g = rep.genealogy
    drawn = g[g["parent_id"].isin(lots["lot_id"])].groupby("parent_id")["mass_kg"].sum() if len(g) else pd.Series(dtype=float)
    return (lots["mass_kg"] - lots["lot_id"].map(drawn).fillna(0.0)) / lots["mass_kg"]


def li_balance(rep: Replication) -> dict[str, float]:
    """Li drawn from the supply (its own counters) against the Li the prelithiated rolls received.

    Finished rolls split their Li into compensating (pays the first-cycle loss), residual metal,
    degraded by moisture and waste left on the carrier; rolls still on the line or resting hold
    theirs as in process.
    """
    drawn = rep.lithium["drawn_kg"] - rep.lithium["returned_kg"]
    rolls = rep.lots[rep.lots["line"] == LotKind.PRELITH_ROLL]
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


def water_balance(rep: Replication) -> dict[str, float]:
    """Water added at mixing against water evaporated in the dryers plus water still in slurry."""
    lots = rep.lots
    mixes = lots[lots["line"] == LotKind.MIX]
    rolls = lots[lots["line"] == LotKind.ROLL]
    added = float(mixes["water_kg"].sum()) if len(mixes) else 0.0
    evaporated = float(rolls["water_evaporated_kg"].sum()) if len(rolls) else 0.0
    on_coater = float(rolls.loc[rolls["end_h"].isna(), "water_kg"].sum()) if len(rolls) else 0.0
    in_slurry = float((mixes["water_kg"] * _left_share(rep, mixes)).sum()) if len(mixes) else 0.0
    err = abs(added - evaporated - in_slurry - on_coater) / added if added > 0 else 0.0
    return {"water_added_kg": added, "water_evaporated_kg": evaporated, "water_in_slurry_kg": in_slurry,
            "water_on_coater_kg": on_coater,
            "water_rel_error": err}


def buffer_stats(rep: Replication, start_h: float = 0.0) -> pd.DataFrame:
    """Per buffer over [start_h, horizon]: time-weighted mean level, throughput, mean residence.

    Little's law says mean level = throughput x mean residence; the three are measured separately
    (levels from the level log, throughput and residence from what left the buffer).
    """
    from twin.monitor import time_weighted_mean

    rows = []
    for name, lv in rep.levels.groupby("buffer", sort=False):
        st = rep.stays[rep.stays["buffer"] == name]
        st = st[st["time_out_h"] >= start_h]
        span = rep.horizon_h - start_h
        rows.append({
            "buffer": name, "unit": lv["unit"].iloc[0],
            "mean_level": time_weighted_mean(lv["time_h"].to_numpy(), lv["level"].to_numpy(), start_h, rep.horizon_h),
            "max_level": float(lv["level"].max()),
            "throughput_per_h": float(st["amount"].sum()) / span,
            # time spent inside the window, weighted by amount
            "mean_residence_h": float(((st["time_out_h"] - st["time_in_h"].clip(lower=start_h)) * st["amount"]).sum()
                                      / st["amount"].sum()) if len(st) else float("nan"),
        })
    return pd.DataFrame(rows).set_index("buffer")


LINES = ("fbcvd", "coating", "mixing", "casting", "prelith")


def _line_shares(rep: Replication) -> pd.DataFrame:
    """Mean state shares of the units of each line (rows: line)."""
    shares = state_shares(rep.states, rep.horizon_h, rep.warmup_h)
    line_of = rep.states.groupby("unit")["line"].first()
    return shares.groupby(line_of.reindex(shares.index)).mean()


def _electrode(rep: Replication) -> dict[str, float]:
    lots, h = rep.lots, rep.horizon_h
    rolls = lots[lots["line"] == LotKind.ROLL]
    made = rolls[rolls["end_h"].notna()] if len(rolls) else rolls
    good = made[made["status"].isin(GOOD_ROLL)] if len(made) else made
    pl = lots[lots["line"] == LotKind.PRELITH_ROLL]
    done = pl[pl["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED])] if len(pl) else pl
    released = pl[pl["status"] == LotStatus.RELEASED] if len(pl) else pl
    coated = float(made["coated_area_m2"].sum()) if len(made) else 0.0

    def scrap_share(reason: str) -> float:
        if not coated:
            return float("nan")
        hit = made[made["reason"].str.startswith(reason)]
        return float(hit["coated_area_m2"].sum()) / coated

    li = li_balance(rep)
    applied = float(done["li_applied_kg"].sum()) if len(done) else 0.0
    return {
        "mixing.batches": float((lots["line"] == LotKind.MIX).sum()),
        "casting.rolls_made": float(len(made)),
        "casting.rolls_scrapped": float((made["status"] == LotStatus.SCRAPPED).sum()) if len(made) else 0.0,
        "casting.output_m2": float(good["area_m2"].sum()) if len(good) else 0.0,
        "casting.output_m2_per_yr": (float(good["area_m2"].sum()) if len(good) else 0.0) * 8760.0 / h,
        "casting.coated_m2": coated,
        "casting.areal_capacity_mah_cm2_mean": _mean(made["areal_capacity_mah_cm2"]) if len(made) else float("nan"),
        "casting.areal_capacity_mah_cm2_std": float(made["areal_capacity_mah_cm2"].std()) if len(made) > 1 else float("nan"),
        "casting.press_density_g_cm3_mean": _mean(made["press_density_g_cm3"]) if len(made) else float("nan"),
        "casting.coat_weight_mg_cm2_mean": _mean(made["coat_weight_mg_cm2"]) if len(made) else float("nan"),
        "casting.coat_weight_cv_mean": _mean(made["coat_weight_cv"]) if len(made) else float("nan"),
        "casting.crack_probability_mean": _mean(made["crack_probability"]) if len(made) else float("nan"),
        "casting.crack_scrap_fraction": scrap_share("crack"),
        "casting.off_spec_scrap_fraction": scrap_share("off-spec"),
        "casting.scrap_fraction": 1.0 - (float(good["area_m2"].sum()) if len(good) else 0.0) / coated if coated else float("nan"),
        "casting.defects_per_1000_m2": float(made["defects"].sum()) / coated * 1000.0 if coated else float("nan"),
        "casting.water_evaporated_kg": float(made["water_evaporated_kg"].sum()) if len(made) else 0.0,
        "casting.dryer_energy_kwh": float(made["dryer_energy_kwh"].sum()) if len(made) else 0.0,
        "prelith.rolls_released": float(len(released)),
        "prelith.rolls_scrapped": float((done["status"] == LotStatus.SCRAPPED).sum()) if len(done) else 0.0,
        "prelith.output_m2": float(released["area_m2"].sum()) if len(released) else 0.0,
        "prelith.output_m2_per_yr": (float(released["area_m2"].sum()) if len(released) else 0.0) * 8760.0 / h,
        "prelith.ice_mean": _mean(done["ice"]) if len(done) else float("nan"),
        "prelith.ice_std": float(done["ice"].std()) if len(done) > 1 else float("nan"),
        "prelith.residual_li_fraction": float(done["li_residual_kg"].sum()) / applied if applied else float("nan"),
        "prelith.li_used_kg": li["li_drawn_kg"],
        "prelith.li_deliveries": rep.lithium["deliveries"],
        "prelith.excursion_h": float(done["excursion_h"].sum()) if len(done) else 0.0,
        "mass_balance.li_rel_error": li["li_rel_error"],
    }


def summarize(rep: Replication) -> dict[str, float | str]:
    lots, h, w = rep.lots, rep.horizon_h, rep.warmup_h
    cvd = lots[lots["line"] == LotKind.CVD]
    powder = lots[lots["line"] == LotKind.POWDER]
    steady = lambda df: df[df["end_h"] >= w] if w > 0 else df  # noqa: E731  (lots finished after warm-up)
    cvd_done = steady(cvd[cvd["status"].isin([LotStatus.BUFFERED, LotStatus.COATING, LotStatus.CONSUMED])])
    cvd_fed = cvd[cvd["status"] != LotStatus.IN_PROCESS]
    cvd_fed = cvd_fed[cvd_fed["row"] >= 0] if "row" in cvd_fed else cvd_fed
    # a released lot stays "released" until the mixers have drawn all of it ("consumed")
    tested = steady(powder[powder["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,))])
    released = powder[powder["status"].isin(RELEASED_POWDER)]
    coated = steady(powder[powder["end_h"].notna()])
    shares = _line_shares(rep)
    si_fed = float(cvd_fed["si_fed_kg"].sum()) if len(cvd_fed) else 0.0
    bal = si_balance(rep)
    out: dict[str, float | str] = {
        "horizon_h": h,
        "warmup_h": w,
        "seed": float(rep.seed),
        "replication": float(rep.replication),
        "sim.events": float(rep.events),
        "sim.wall_s": rep.wall_s,
        "fbcvd.batches_started": float(len(cvd)),
        "fbcvd.batches_completed": float(cvd["status"].isin([LotStatus.BUFFERED, LotStatus.COATING, LotStatus.CONSUMED]).sum()),
        "fbcvd.batches_scrapped": float((cvd["status"] == LotStatus.SCRAPPED).sum()),
        "fbcvd.silane_fed_kg": (rep.silane["drawn_kg"] - rep.silane["returned_kg"]),
        "fbcvd.silane_deliveries": rep.silane["deliveries"],
        "fbcvd.si_deposited_kg": float(cvd_fed["si_deposited_kg"].sum()) if len(cvd_fed) else 0.0,
        "fbcvd.silane_utilization": float(cvd_fed["si_deposited_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.fines_fraction": float(cvd_fed["si_fines_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.exhaust_fraction": float(cvd_fed["si_exhaust_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.si_loading_wt_mean": _mean(cvd_done.get("si_loading_wt", pd.Series(dtype=float))),
        "fbcvd.si_loading_wt_std": float(cvd_done["si_loading_wt"].std()) if len(cvd_done) > 1 else float("nan"),
        "fbcvd.pore_fill_mean": _mean(cvd_done.get("pore_fill", pd.Series(dtype=float))),
        "fbcvd.surface_enrichment_mean": _mean(cvd_done.get("surface_enrichment", pd.Series(dtype=float))),
        "fbcvd.crystallite_nm_mean": _mean(cvd_done.get("crystallite_nm", pd.Series(dtype=float))),
        "fbcvd.sic_fraction_mean": _mean(cvd_done.get("sic_fraction", pd.Series(dtype=float))),
        "fbcvd.reactor_utilization": float(shares.loc["fbcvd", "working"]) if "fbcvd" in shares.index else float("nan"),
        "coating.batches_completed": float(powder["end_h"].notna().sum()),
        "coating.shell_nm_mean": _mean(coated.get("shell_nm", pd.Series(dtype=float))),
        "coating.exposed_si_fraction_mean": _mean(coated.get("exposed_si_fraction", pd.Series(dtype=float))),
        "coating.reactor_utilization": float(shares.loc["coating", "working"]) if "coating" in shares.index else float("nan"),
        "powder.output_kg": float(released["mass_kg"].sum()) if len(released) else 0.0,
        "powder.output_t_per_yr": (float(released["mass_kg"].sum()) if len(released) else 0.0) / 1e3 * 8760.0 / h,
        "powder.lots_released": float(len(released)),
        "powder.lots_rejected": float((powder["status"] == LotStatus.REJECTED).sum()),
        "powder.lots_in_quarantine": float(powder["status"].isin([LotStatus.QUARANTINE, LotStatus.TESTING]).sum()),
        "powder.si_content_wt_mean": _mean(tested.get("si_content_wt", pd.Series(dtype=float))),
        "powder.capacity_mah_g_mean": _mean(tested.get("capacity_mah_g", pd.Series(dtype=float))),
        "powder.capacity_mah_g_std": float(tested["capacity_mah_g"].std()) if len(tested) > 1 else float("nan"),
        "powder.ice_mean": _mean(tested.get("ice", pd.Series(dtype=float))),
        "powder.ice_std": float(tested["ice"].std()) if len(tested) > 1 else float("nan"),
        "powder.surface_area_m2_g_mean": _mean(tested.get("surface_area_m2_g", pd.Series(dtype=float))),
        "powder.swelling_mean": _mean(tested.get("swelling", pd.Series(dtype=float))),
        "mass_balance.si_fed_kg": bal["si_fed_kg"],
        "mass_balance.si_product_kg": bal["si_product_kg"],
        "mass_balance.si_in_process_kg": bal["si_in_process_kg"],
        "mass_balance.si_in_electrode_kg": bal["si_in_electrode_kg"],
        "mass_balance.si_rel_error": bal["si_rel_error"],
    }
    out.update(_electrode(rep))
    wb = water_balance(rep)
    out["mass_balance.water_added_kg"] = wb["water_added_kg"]
    out["mass_balance.water_rel_error"] = wb["water_rel_error"]
    for line in LINES:
        for state in shares.columns:
            out[f"{line}.state_share.{state}"] = float(shares.loc[line, state]) if line in shares.index else float("nan")
    # The bottleneck: the line whose units are busiest (working or down, i.e. neither blocked,
    # starved nor idle) -- the active-period view of Roser, Nakano & Tanaka (2001).
    active = (shares["working"] + shares["down"]).reindex([ln for ln in LINES if ln in shares.index])
    out["plant.bottleneck"] = str(active.idxmax()) if len(active) else ""
    out["plant.bottleneck_active_share"] = float(active.max()) if len(active) else float("nan")
    for name, row in buffer_stats(rep, w).iterrows():
        key = str(name).replace(" ", "_").replace("->", "_to_").lower()
        out[f"buffer.{key}.mean_level"] = row["mean_level"]
        out[f"buffer.{key}.max_level"] = row["max_level"]
    return {k: (v if isinstance(v, str) else float(v) if v is not None else float("nan")) for k, v in out.items()}
