"""KPIs of one replication, as pure functions of its frames. Keys are flat, units in the names."""

from __future__ import annotations

import pandas as pd

from plants.fbcvd.physics import M_SI_G_MOL, M_SIH4_G_MOL
from plants.plant import Replication
from twin.states import state_shares

__all__ = ["si_balance", "summarize"]


def _mean(s: pd.Series) -> float:
    s = s.dropna()
    return float(s.mean()) if len(s) else float("nan")


def si_balance(rep: Replication) -> dict[str, float]:
    """Si fed (from the silane tank's own accounting) against where the Si went (from the lots).

    fed = product + fines + exhaust + rejected + scrapped + in process. The two sides are computed
    independently: the left from tank draws and returns, the right from lot records and physics.
    """
    lots = rep.lots
    si_per_silane = M_SI_G_MOL / M_SIH4_G_MOL
    fed = (rep.silane["drawn_kg"] - rep.silane["returned_kg"]) * si_per_silane
    cvd = lots[(lots["line"] == "fbcvd") & (lots["row"] >= 0)] if "row" in lots else lots.iloc[0:0]
    powder = lots[lots["line"] == "coating"]
    dep = cvd["si_deposited_kg"] if len(cvd) else pd.Series(dtype=float)
    # Batches still depositing at the horizon: silane drawn, outcome not known yet -> in process whole.
    depositing = cvd["status"] == "in_process"
    done = ~depositing
    fines = float(cvd.loc[done, "si_fines_kg"].sum()) if len(cvd) else 0.0
    exhaust = float(cvd.loc[done, "si_exhaust_kg"].sum()) if len(cvd) else 0.0
    scrapped = float(dep[cvd["status"] == "scrapped"].sum()) if len(cvd) else 0.0
    product = float(powder.loc[powder["status"] == "released", "si_kg"].sum()) if len(powder) else 0.0
    rejected = float(powder.loc[powder["status"] == "rejected", "si_kg"].sum()) if len(powder) else 0.0
    open_powder = float(powder.loc[~powder["status"].isin(["released", "rejected"]), "si_kg"].sum()) if len(powder) else 0.0
    # CVD lots being coated are inside their powder lot (created at coating start): count them there.
    in_cvd_or_buffer = float(dep[cvd["status"] == "buffered"].sum()) if len(cvd) else 0.0
    depositing_fed = float(cvd.loc[depositing, "si_fed_kg"].sum()) if len(cvd) else 0.0
    in_process = open_powder + in_cvd_or_buffer + depositing_fed
    accounted = product + fines + exhaust + rejected + scrapped + in_process
    err = abs(fed - accounted) / fed if fed > 0 else 0.0
    return {
        "si_fed_kg": fed, "si_product_kg": product, "si_fines_kg": fines, "si_exhaust_kg": exhaust,
        "si_rejected_kg": rejected, "si_scrapped_kg": scrapped, "si_in_process_kg": in_process,
        "si_rel_error": err,
    }


def summarize(rep: Replication) -> dict[str, float]:
    lots, h, w = rep.lots, rep.horizon_h, rep.warmup_h
    cvd = lots[lots["line"] == "fbcvd"]
    powder = lots[lots["line"] == "coating"]
    steady = lambda df: df[df["end_h"] >= w] if w > 0 else df  # noqa: E731  (lots finished after warm-up)
    cvd_done = steady(cvd[cvd["status"].isin(["buffered", "coating", "consumed"])])
    cvd_fed = cvd[cvd["status"] != "in_process"]
    cvd_fed = cvd_fed[cvd_fed["row"] >= 0] if "row" in cvd_fed else cvd_fed
    tested = steady(powder[powder["status"].isin(["released", "rejected"])])
    released = powder[powder["status"] == "released"]
    coated = steady(powder[powder["end_h"].notna()])
    shares = state_shares(rep.states, h, w)
    fb_units = [u for u in shares.index if u.startswith("R")]
    co_units = [u for u in shares.index if u.startswith("K")]
    si_fed = float(cvd_fed["si_fed_kg"].sum()) if len(cvd_fed) else 0.0
    bal = si_balance(rep)
    out: dict[str, float] = {
        "horizon_h": h,
        "warmup_h": w,
        "seed": float(rep.seed),
        "replication": float(rep.replication),
        "sim.events": float(rep.events),
        "sim.wall_s": rep.wall_s,
        "fbcvd.batches_started": float(len(cvd)),
        "fbcvd.batches_completed": float(cvd["status"].isin(["buffered", "coating", "consumed"]).sum()),
        "fbcvd.batches_scrapped": float((cvd["status"] == "scrapped").sum()),
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
        "fbcvd.reactor_utilization": float(shares.loc[fb_units, "working"].mean()) if fb_units else float("nan"),
        "coating.batches_completed": float(powder["end_h"].notna().sum()),
        "coating.shell_nm_mean": _mean(coated.get("shell_nm", pd.Series(dtype=float))),
        "coating.exposed_si_fraction_mean": _mean(coated.get("exposed_si_fraction", pd.Series(dtype=float))),
        "coating.reactor_utilization": float(shares.loc[co_units, "working"].mean()) if co_units else float("nan"),
        "powder.output_kg": float(released["mass_kg"].sum()) if len(released) else 0.0,
        "powder.output_t_per_yr": (float(released["mass_kg"].sum()) if len(released) else 0.0) / 1e3 * 8760.0 / h,
        "powder.lots_released": float(len(released)),
        "powder.lots_rejected": float((powder["status"] == "rejected").sum()),
        "powder.lots_in_quarantine": float(powder["status"].isin(["quarantine", "testing"]).sum()),
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
        "mass_balance.si_rel_error": bal["si_rel_error"],
    }
    for line, units in (("fbcvd", fb_units), ("coating", co_units)):
        for state in shares.columns:
            out[f"{line}.state_share.{state}"] = float(shares.loc[units, state].mean()) if units else float("nan")
    return {k: (float(v) if v is not None else float("nan")) for k, v in out.items()}
