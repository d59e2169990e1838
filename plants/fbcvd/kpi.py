"""The FBCVD line's KPIs: pure functions of a replication's records (lot table, silane tank)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.common import mean_or_nan
from plants.lines import LotKind, LotStatus, label
from twin.kpis import Kpi

__all__ = ["KPIS", "first_pass", "summarize"]

G = label("fbcvd")
KPIS = [
    Kpi("fbcvd.batches_started", "Batches started", "", "batches charged", 0, group=G),
    Kpi("fbcvd.batches_completed", "Batches completed", "", "batches discharged good", 0, group=G),
    Kpi("fbcvd.batches_scrapped", "Batches scrapped (breakdown)", "", "batches cut off by a breakdown", 0, group=G),
    Kpi("fbcvd.silane_fed_kg", "Silane fed", "kg", "silane drawn from the tank less returned", 0, group=G),
    Kpi("fbcvd.silane_deliveries", "Silane deliveries", "", "silane deliveries received", 0, group=G),
    Kpi("fbcvd.si_deposited_kg", "Si deposited", "kg", "Si deposited (pores + surface) in batches whose deposition ended",
        0, group=G),
    Kpi("fbcvd.silane_utilization", "Silane utilisation (Si deposited / Si fed)", "", "Si deposited over Si fed", 3,
        group=G),
    Kpi("fbcvd.fines_fraction", "Fines (of Si fed)", "", "Si lost as fines over Si fed", 4, group=G),
    Kpi("fbcvd.exhaust_fraction", "Unreacted (of Si fed)", "", "Si leaving unreacted over Si fed", 4, group=G),
    Kpi("fbcvd.si_loading_wt_mean", "Si loading", "wt frac", "Si / (scaffold + Si) of completed CVD lots", 3, group=G),
    Kpi("fbcvd.si_loading_wt_std", "Si loading, std", "wt frac", "lot-to-lot standard deviation", 4),
    Kpi("fbcvd.pore_fill_mean", "Pore fill", "", "share of the pore volume filled with Si", 3, group=G),
    Kpi("fbcvd.surface_enrichment_mean", "Surface Si share", "", "share of deposited Si on the outer surface", 3),
    Kpi("fbcvd.crystallite_nm_mean", "Si crystallite", "nm", "Si crystallite size", 2, group=G),
    Kpi("fbcvd.sic_fraction_mean", "SiC share of Si", "", "share of deposited Si bonded as SiC", 3, group=G),
    Kpi("fbcvd.reactor_utilization", "Reactor utilisation (working)", "", "mean share of time working", 3, group=G),
]


def first_pass(rep: Any) -> dict[str, float]:
    """Share of finished CVD batches not scrapped (breakdowns)."""
    cvd = rep.of(LotKind.CVD)
    done = cvd["status"].isin([LotStatus.BUFFERED, LotStatus.COATING, LotStatus.CONSUMED, LotStatus.SCRAPPED])
    bad = cvd["status"] == LotStatus.SCRAPPED
    return {"fbcvd": _div(float((done & ~bad).sum()), float(done.sum()))}


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def summarize(rep: Any, shares: pd.DataFrame) -> dict[str, float]:
    """KPIs of the CVD lots; ``shares`` are the stages' mean state shares (rows: stage)."""
    w = rep.warmup_h
    cvd = rep.of(LotKind.CVD)
    cvd_done = cvd[cvd["status"].isin([LotStatus.BUFFERED, LotStatus.COATING, LotStatus.CONSUMED])]
    if w > 0:  # lots finished after warm-up
        cvd_done = cvd_done[cvd_done["end_h"] >= w]
    cvd_fed = cvd[cvd["status"] != LotStatus.IN_PROCESS]
    cvd_fed = cvd_fed[cvd_fed["row"] >= 0] if "row" in cvd_fed else cvd_fed
    si_fed = float(cvd_fed["si_fed_kg"].sum()) if len(cvd_fed) else 0.0
    empty = pd.Series(dtype=float)
    return {
        "fbcvd.batches_started": float(len(cvd)),
        "fbcvd.batches_completed": float(cvd["status"].isin([LotStatus.BUFFERED, LotStatus.COATING, LotStatus.CONSUMED]).sum()),
        "fbcvd.batches_scrapped": float((cvd["status"] == LotStatus.SCRAPPED).sum()),
        "fbcvd.silane_fed_kg": (rep.silane["drawn_kg"] - rep.silane["returned_kg"]),
        "fbcvd.silane_deliveries": rep.silane["deliveries"],
        "fbcvd.si_deposited_kg": float(cvd_fed["si_deposited_kg"].sum()) if len(cvd_fed) else 0.0,
        "fbcvd.silane_utilization": float(cvd_fed["si_deposited_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.fines_fraction": float(cvd_fed["si_fines_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.exhaust_fraction": float(cvd_fed["si_exhaust_kg"].sum()) / si_fed if si_fed else float("nan"),
        "fbcvd.si_loading_wt_mean": mean_or_nan(cvd_done.get("si_loading_wt", empty)),
        "fbcvd.si_loading_wt_std": float(cvd_done["si_loading_wt"].std()) if len(cvd_done) > 1 else float("nan"),
        "fbcvd.pore_fill_mean": mean_or_nan(cvd_done.get("pore_fill", empty)),
        "fbcvd.surface_enrichment_mean": mean_or_nan(cvd_done.get("surface_enrichment", empty)),
        "fbcvd.crystallite_nm_mean": mean_or_nan(cvd_done.get("crystallite_nm", empty)),
        "fbcvd.sic_fraction_mean": mean_or_nan(cvd_done.get("sic_fraction", empty)),
        "fbcvd.reactor_utilization": float(shares.loc["fbcvd", "working"]) if "fbcvd" in shares.index else float("nan"),
    }
