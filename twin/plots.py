"""Plotting helpers for notebooks and reports. Each takes a run's frames (or a ``RunResult``) and
returns a matplotlib ``Figure``; nothing is shown or saved here.

* :func:`gantt` -- equipment states over time, one row per unit;
* :func:`state_shares` -- share of time working / blocked / starved / down / idle per line;
* :func:`buffer_levels` -- each buffer's content over time;
* :func:`distribution` -- a lot attribute's histogram against its spec limits, with Cpk;
* :func:`cost_waterfall` -- unit cost by category, total and target;
* :func:`cost_attribution` -- cost by line and category;
* :func:`genealogy` -- the ancestry of a lot, one column per lot kind;
* :func:`response` -- a KPI against a swept setting (mean and 95 % interval);
* :func:`tradeoff` -- the optimizer's objective against a limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from twin.costing import CATEGORIES
from twin.stats import grouped

__all__ = [
    "buffer_levels", "cash_flow", "cost_attribution", "cost_waterfall", "distribution", "gantt", "genealogy", "response",
    "state_shares", "tornado", "tradeoff", "waterfall",
]

STATE_COLORS = {"working": "#2ca02c", "blocked": "#ff7f0e", "starved": "#9467bd", "down": "#d62728", "idle": "#c7c7c7"}


def _figure(w: float = 7.0, h: float = 3.6) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt  # the caller's backend (inline in Jupyter, Agg without a display)

    fig, ax = plt.subplots(figsize=(w, h))
    return fig, ax


def _states(res: Any, replication: int = 0) -> pd.DataFrame:
    ev = res.events
    ev = ev[(ev["kind"] == "state") & (ev["replication"] == replication)]
    return ev[["time_h", "unit", "line", "state"]].sort_values(["unit", "time_h"], kind="stable")


def gantt(res: Any, start_h: float = 0.0, end_h: float | None = None, line: str | None = None, replication: int = 0) -> Any:
    st = _states(res, replication)
    if line is not None:
        st = st[st["line"] == line]
    end_h = float(res.summary["horizon_h"]) if end_h is None else end_h
    fig, ax = _figure(8.0, 0.25 * max(st["unit"].nunique(), 4) + 1.2)
    units = list(dict.fromkeys(st["unit"]))
    for i, (_unit, g) in enumerate(st.groupby("unit", sort=False)):
        t = g["time_h"].to_numpy()
        t_next = np.r_[t[1:], end_h]
        lo, hi = np.maximum(t, start_h), np.minimum(t_next, end_h)
        keep = hi > lo
        states = g["state"].to_numpy()
        for s in np.unique(states[keep]):  # one call per unit and state
            m = keep & (states == s)
            ax.broken_barh(list(zip(lo[m], (hi - lo)[m], strict=True)), (i - 0.4, 0.8), color=STATE_COLORS.get(s, "k"))
    ax.set_yticks(range(len(units)), units, fontsize=7)
    ax.set_xlim(start_h, end_h)
    ax.set_xlabel("time (h)")
    ax.set_title("Equipment states" + (f" ({line})" if line else ""))
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=s) for s, c in STATE_COLORS.items()], fontsize=7, ncol=5, loc="upper center",
              bbox_to_anchor=(0.5, -0.18), frameon=False)
    return fig


def state_shares(res: Any) -> Any:
    keys = [k for k in res.summary if ".state_share." in k and not k.endswith("ci95_half")]
    lines = list(dict.fromkeys(k.split(".")[0] for k in keys))
    fig, ax = _figure()
    bottom = np.zeros(len(lines))
    for s, c in STATE_COLORS.items():
        v = np.array([res.summary.get(f"{ln}.state_share.{s}", 0.0) for ln in lines], dtype=float)
        v = np.nan_to_num(v)
        ax.bar(lines, v, bottom=bottom, color=c, label=s)
        bottom += v
    ax.set_ylabel("share of time")
    ax.set_title("Time per state, by line")
    ax.legend(fontsize=7, ncol=5)
    return fig


def buffer_levels(res: Any, replication: int = 0) -> Any:
    lv = res.levels[res.levels["replication"] == replication]
    names = list(dict.fromkeys(lv["buffer"]))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(names), 1, figsize=(8.0, 1.6 * len(names)), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        g = lv[lv["buffer"] == name]
        ax.step(g["time_h"], g["level"], where="post", lw=0.8)
        ax.set_ylabel(f"{name}\n({g['unit'].iloc[0]})", fontsize=7)
    axes[-1, 0].set_xlabel("time (h)")
    fig.suptitle("Buffer levels")
    return fig


def distribution(res: Any, line: str, attribute: str, lsl: float | None = None, usl: float | None = None) -> Any:
    """``line`` is the lot kind (the lot table's ``line`` column)."""
    from twin.quality import capability

    x = res.lots.loc[res.lots["line"] == line, attribute].dropna()
    fig, ax = _figure()
    ax.hist(x, bins=40, color="#1f77b4", alpha=0.8)
    for v, lab in ((lsl, "LSL"), (usl, "USL")):
        if v is not None:
            ax.axvline(v, color="#d62728", ls="--")
            ax.text(v, ax.get_ylim()[1] * 0.95, lab, color="#d62728", ha="center", fontsize=8)
    c = capability(x.to_numpy(), lsl, usl)
    ax.set_title(f"{attribute} ({line} lots): mean {c['mean']:.4g}, CV {c['cv']:.2%}, Cpk {c['cpk']:.2f}, "
                 f"in spec {c['in_spec']:.1%}", fontsize=9)
    ax.set_xlabel(attribute)
    ax.set_ylabel("lots")
    return fig


def waterfall(w: pd.DataFrame, ylabel: str, title: str) -> Any:
    """Parts stacked into their total, with a target line: ``w`` has one column, indexed by the
    parts and then ``total``, ``target`` and ``gap`` (a NaN target draws none)."""
    parts = w.drop(index=["total", "target", "gap"]).iloc[:, 0].fillna(0.0)
    fig, ax = _figure()
    base = 0.0
    for i, (_name, v) in enumerate(parts.items()):
        ax.bar(i, v, bottom=base, color=f"C{i}")
        ax.text(i, base + v, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
        base += v
    ax.bar(len(parts), base, color="k")
    ax.text(len(parts), base, f"{base:.2f}", ha="center", va="bottom", fontsize=8)
    target = w.loc["target"].iloc[0]
    if isinstance(target, float) and math.isfinite(target):
        ax.axhline(target, color="#d62728", ls="--", label=f"target {target:.2f}")
        ax.legend(fontsize=8)
    ax.set_xticks(range(len(parts) + 1), [*parts.index, "total"], rotation=30, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


def cost_waterfall(res: Any, per: str = "kg") -> Any:
    w = res.cost_waterfall(per)
    return waterfall(w, str(w.columns[0]).replace("usd_per_", "USD/"), "What a unit costs, by category")


def cost_attribution(res: Any) -> Any:
    t = res.cost_attribution
    fig, ax = _figure()
    bottom = np.zeros(len(t))
    for i, c in enumerate(CATEGORIES):
        if c in t.columns:
            v = t[c].to_numpy() / 1e6
            ax.bar(t.index, v, bottom=bottom, color=f"C{i}", label=c)
            bottom += v
    ax.set_ylabel("M USD over the horizon")
    ax.set_title("Cost by line and category (scrap moved to the line that scrapped it)")
    ax.legend(fontsize=7, ncol=3)
    return fig


def genealogy(res: Any, lot_id: str, order: Sequence[str], replication: int = 0) -> Any:
    """The ancestry of ``lot_id``, one column per lot kind in ``order`` (parents before children)."""
    anc = res.ancestry(lot_id, replication)
    order = [str(k) for k in order]
    kinds = {lot_id: res.lots.loc[res.lots["lot_id"] == lot_id, "line"].iloc[0]}
    kinds.update(dict(zip(anc["lot_id"], anc["line"], strict=True)))
    cols = {k: [n for n, v in kinds.items() if v == k] for k in order}
    pos = {}
    for j, k in enumerate(order):
        for i, n in enumerate(sorted(cols[k])):
            pos[n] = (j, i - (len(cols[k]) - 1) / 2)
    fig, ax = _figure(9.0, 0.18 * max((len(v) for v in cols.values()), default=4) + 2.0)
    for _, e in anc.iterrows():
        a, b = pos[e["lot_id"]], pos[e["via"]]
        ax.plot([a[0], b[0]], [a[1], b[1]], color="#999999", lw=0.5)
    for n, (x, y) in pos.items():
        ax.plot(x, y, "o", ms=3, color="C0" if n != lot_id else "C3")
    ax.set_xticks(range(len(order)), order)
    ax.set_yticks([])
    ax.set_title(f"Genealogy of {lot_id}: {len(pos) - 1} ancestor lots")
    return fig


def response(design: pd.DataFrame, kpis: pd.DataFrame, setting: str, kpi: str, kpi_label: str | None = None) -> Any:
    """A swept setting against a KPI (mean and 95 % interval over replications, other settings pooled)."""
    df = kpis[[kpi]].join(design[[setting]], on="point_id")
    m, h, _ = grouped(df[[kpi]], df[setting])
    mean, half = m[kpi], h[kpi].fillna(0.0)
    fig, ax = _figure()
    ax.errorbar(mean.index, mean.to_numpy(), yerr=half.to_numpy(), fmt="o-", capsize=3)
    ax.set_xlabel(setting)
    ax.set_ylabel(kpi_label or kpi)
    ax.set_title(f"{kpi_label or kpi} against {setting}")
    return fig


def tradeoff(result: Any) -> Any:
    t = result.tradeoff
    fig, ax = _figure()
    ok = t["status"] == "optimal"
    ax.plot(t.loc[ok, "value"], t.loc[ok, "predicted_objective"], "o-")
    ax.set_xlabel(str(t["limit"].iloc[0]).replace(" >= v", " (lower limit)").replace(" <= v", " (upper limit)"))
    ax.set_ylabel("objective (surrogate)")
    ax.set_title("Trade-off curve")
    return fig


def cash_flow(flows: pd.DataFrame, title: str = "Cash flow over the plant's life") -> Any:
    """Net cash flow per year (bars) and the cumulative, undiscounted and discounted (lines), in M USD,
    from :func:`twin.finance.cash_flows`."""
    fig, ax = _figure()
    years = flows["year"].to_numpy()
    net = flows["net_cash_flow"].to_numpy() / 1e6
    ax.bar(years, net, color=np.where(net >= 0, "#2ca02c", "#d62728"), label="net cash flow")
    ax.plot(years, flows["cumulative_cash_flow"].to_numpy() / 1e6, "k-", lw=1.2, label="cumulative")
    ax.plot(years, np.cumsum(flows["discounted_cash_flow"].to_numpy()) / 1e6, "k--", lw=1.0, label="cumulative, discounted")
    ax.axhline(0.0, color="#999999", lw=0.6)
    ax.set_xlabel("year (0: first construction year)")
    ax.set_ylabel("M USD")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


def tornado(table: pd.DataFrame, base: float, label: str = "NPV (M USD)", scale: float = 1e-6) -> Any:
    """Each driver's low and high result around ``base``, widest swing on top (columns driver,
    ``low_*``, ``high_*``: the first two numeric columns after ``driver``)."""
    lo_col, hi_col = [c for c in table.columns if c != "driver"][:2]
    t = table.iloc[::-1]
    fig, ax = _figure(7.0, 0.45 * len(t) + 1.4)
    y = np.arange(len(t))
    lo, hi = t[lo_col].to_numpy() * scale, t[hi_col].to_numpy() * scale
    b = base * scale
    ax.barh(y, lo - b, left=b, color="#1f77b4", label="driver -20 %")
    ax.barh(y, hi - b, left=b, color="#ff7f0e", label="driver +20 %")
    ax.axvline(b, color="k", lw=0.8)
    ax.set_yticks(y, t["driver"].tolist(), fontsize=8)
    ax.set_xlabel(label)
    ax.set_title("What moves the result most")
    ax.legend(fontsize=7)
    return fig
