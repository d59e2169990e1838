"""Which line limits the plant, with the honesty intervals need: the lines ranked by their active
share (working or down: neither blocked, starved nor idle; Roser et al.'s active-period view), mean
and 95 % half-width over replications, and a near-tie called a near-tie (the first two lines'
intervals overlap, so the twin cannot say which of them is the bottleneck)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from plants.lines import label, stage_keys
from twin.stats import ci_half

__all__ = ["bottleneck_ranking", "bottleneck_summary"]


def bottleneck_ranking(per_replication: Sequence[Mapping[str, Any]]) -> tuple[pd.DataFrame, bool]:
    """The lines ranked by active share (columns line, key, active share, ci95_half; NaN half-width
    with one replication) and whether the first two are a near-tie (their 95 % intervals overlap)."""
    rows = []
    for stage in stage_keys():
        x = [float(r.get(f"{stage}.state_share.working", math.nan)) + float(r.get(f"{stage}.state_share.down", math.nan))
             for r in per_replication]
        x = [v for v in x if math.isfinite(v)]
        if x:
            rows.append({"line": label(stage), "key": stage, "active share": sum(x) / len(x), "ci95_half": ci_half(x)})
    t = pd.DataFrame(rows, columns=["line", "key", "active share", "ci95_half"])
    t = t.sort_values("active share", ascending=False, kind="stable").reset_index(drop=True)
    near = False
    if len(t) >= 2 and t["ci95_half"].iloc[:2].notna().all():
        a, b = t.iloc[0], t.iloc[1]
        near = bool(a["active share"] - a["ci95_half"] <= b["active share"] + b["ci95_half"])
    return t, near


def bottleneck_summary(per_replication: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """``plant.bottleneck_near_tie``: 1 when the first two lines' intervals overlap, 0 when the first
    stands clear, NaN with fewer than two replications (no interval)."""
    t, near = bottleneck_ranking(per_replication)
    if len(per_replication) < 2 or len(t) < 2:
        return {"plant.bottleneck_near_tie": math.nan}
    return {"plant.bottleneck_near_tie": 1.0 if near else 0.0}
