"""Plotting helpers for notebooks and reports. Each takes a run's frames (or a ``RunResult``) and
returns a matplotlib ``Figure``; nothing is shown or saved here.

The figures are made without pyplot (``matplotlib.figure.Figure``), so nothing is left open in
pyplot's state: in Jupyter a helper's figure is shown once, as the cell's value (not a second time
by the inline backend), and a report does not pay for pyplot's import. Every helper takes an
optional ``ax=`` to draw into an axes of the caller's figure instead (it then returns that figure),
except :func:`buffer_levels`, which draws one panel per buffer.

* :func:`gantt` -- equipment states over time, one row per unit;
* :func:`state_shares` -- share of time working / blocked / starved / down / idle per line;
* :func:`buffer_levels` -- each buffer's content over time;
* :func:`distribution` -- a lot attribute's histogram against its spec limits, with Cpk;
* :func:`distributions` -- several of them as small multiples in one figure;
* :func:`cost_waterfall` -- unit cost by category, total and target;
* :func:`cost_attribution` -- cost by line and category;
* :func:`genealogy` -- the ancestry of a lot, one column per lot kind;
* :func:`response` -- a KPI against a swept setting (mean and 95 % interval);
* :func:`tradeoff` -- the optimizer's objective against a limit.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from twin.costing import CATEGORIES
from twin.stats import grouped

__all__ = [
    "ancestry_links", "buffer_levels", "cash_flow", "cost_attribution", "cost_waterfall", "distribution", "distributions",
    "gantt", "genealogy", "new_figure", "response", "state_shares", "tornado", "tradeoff", "waterfall",
]

STATE_COLORS = {"working": "#2ca02c", "blocked": "#ff7f0e", "starved": "#9467bd", "down": "#d62728", "idle": "#c7c7c7"}


@functools.cache
def _figure_class() -> Any:
    from matplotlib.figure import Figure

    class ReportFigure(Figure):  # shown once in Jupyter, as the cell's value
        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=90, bbox_inches="tight")
            return buf.getvalue()

    return ReportFigure


def _new_figure(w: float, h: float) -> Any:
    """A figure with fixed margins (a report saves it without a second, "tight" layout pass)."""
    fig = _figure_class()(figsize=(w, h))
    fig.subplots_adjust(left=0.75 / w + 0.03, right=0.97, bottom=min(0.55 / h + 0.02, 0.4), top=1.0 - min(0.4 / h, 0.3))
    return fig


new_figure = _new_figure  # for an application's own plots: a pyplot-free figure with the same margins


def _subplots(fig: Any, *args: Any, **kw: Any) -> Any:
    """``fig.subplots`` with the titles at a fixed height above the axes (where matplotlib puts them
    anyway when nothing is drawn above an axes), so a draw does not measure every tick label to
    place them: about a tenth of a report figure's drawing time."""
    from matplotlib import rc_context

    with rc_context({"axes.titley": 1.0}):
        return fig.subplots(*args, **kw)


def _margins(fig: Any, **inches: float) -> None:
    """Room (in inches) for what sticks out of the axes: rotated tick labels below, long labels left."""
    w, h = fig.get_size_inches()
    kw = {"bottom": min(inches["bottom"] / h, 0.6)} if "bottom" in inches else {}
    if "left" in inches:
        kw["left"] = min(inches["left"] / w, 0.6)
    fig.subplots_adjust(**kw)


def _figure(w: float = 7.0, h: float = 3.6, ax: Any = None) -> tuple[Any, Any]:
    """A new figure and its axes (at most 5 numbered ticks on y: ticks are much of a figure's drawing
    time), or ``ax`` and its figure."""
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(w, h)
    ax = _subplots(fig)
    _few_ticks(ax, x=False)
    return fig, ax


def _few_ticks(ax: Any, x: bool = True, y: bool = True, n: int = 5) -> None:
    """At most ``n`` numbered ticks on a numeric axis (never on one that shows categories)."""
    from matplotlib.ticker import MaxNLocator

    for on, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if on:
            axis.set_major_locator(MaxNLocator(n))


def _legend_outside(ax: Any, **kw: Any) -> None:
    """A legend beside the axes (right), where it cannot cover data (the figure's right margin makes room)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False, **kw)
    fig = ax.figure
    if len(fig.axes) == 1:
        fig.subplots_adjust(right=0.74)


def _states(res: Any, replication: int = 0, before_h: float | None = None) -> pd.DataFrame:
    """The state changes of one replication (those before ``before_h`` only), by unit and time."""
    ev = res.events
    keep = (ev["kind"] == "state") & (ev["replication"] == replication)
    if before_h is not None:
        keep &= ev["time_h"] < before_h
    return ev.loc[keep, ["time_h", "unit", "line", "state"]].sort_values(["unit", "time_h"], kind="stable")


def gantt(res: Any, start_h: float = 0.0, end_h: float | None = None, line: str | None = None, replication: int = 0,
          order: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Equipment states over time, one row per unit; ``order``: the lines top to bottom (process order)."""
    end_h = float(res.summary["horizon_h"]) if end_h is None else end_h
    st = _states(res, replication, before_h=end_h)  # a state starting after the window cannot show in it
    if line is not None:
        st = st[st["line"] == line]
    if order is not None:
        rank = {str(k): i for i, k in enumerate(order)}
        st = st.assign(_r=st["line"].astype(str).map(rank).fillna(len(rank))).sort_values(
            ["_r", "unit", "time_h"], kind="stable").drop(columns="_r")
    fig, ax = _figure(8.0, 0.25 * max(st["unit"].nunique(), 4) + 1.2, ax)
    units = list(dict.fromkeys(st["unit"]))
    # each state lasts until the unit's next one: keep only the spells that overlap the window, and
    # join a unit's consecutive spells in the same state (no seams between them, fewer shapes)
    unit = st["unit"].to_numpy()
    state = st["state"].astype(str).to_numpy()
    t = st["time_h"].to_numpy(dtype=float)
    same_unit = np.r_[False, unit[1:] == unit[:-1]]
    t_next = np.r_[np.where(same_unit[1:], t[1:], end_h), end_h] if len(t) else t
    lo_all, hi_all = np.maximum(t, start_h), np.minimum(t_next, end_h)
    keep = hi_all > lo_all
    unit, state, lo_all, hi_all = unit[keep], state[keep], lo_all[keep], hi_all[keep]
    if len(unit):
        new_run = np.r_[True, (unit[1:] != unit[:-1]) | (state[1:] != state[:-1]) | (lo_all[1:] != hi_all[:-1])]
        first = np.flatnonzero(new_run)
        last = np.r_[first[1:] - 1, len(unit) - 1]
        unit, state, lo_all, hi_all = unit[first], state[first], lo_all[first], hi_all[last]
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path

    row_of = {u: i for i, u in enumerate(units)}
    row = np.array([row_of[u] for u in unit], dtype=float)
    codes1 = np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], dtype=Path.code_type)
    for s in dict.fromkeys(state):  # one collection per state, one compound path per unit
        m = state == s
        lo, hi, y = lo_all[m], hi_all[m], row[m]
        paths = []
        for r in np.unique(y):
            k = y == r
            a, b, n = lo[k], hi[k], int(k.sum())
            verts = np.stack([np.c_[a, np.full(n, r - 0.4)], np.c_[a, np.full(n, r + 0.4)], np.c_[b, np.full(n, r + 0.4)],
                              np.c_[b, np.full(n, r - 0.4)], np.c_[a, np.full(n, r - 0.4)]], axis=1).reshape(-1, 2)
            paths.append(Path(verts, np.tile(codes1, n)))
        ax.add_collection(PathCollection(paths, facecolors=STATE_COLORS.get(s, "k"), edgecolors="none", label=s))
    ax.set_ylim(-0.6, len(units) - 0.4)
    ax.set_yticks(range(len(units)), units, fontsize=7)
    ax.invert_yaxis()  # the first line on top
    ax.set_xlim(start_h, end_h)
    _few_ticks(ax, y=False, n=8)
    ax.set_xlabel("time (h)")
    ax.set_title("Equipment states" + (f" ({line})" if line else ""))
    from matplotlib.patches import Patch

    if len(fig.axes) == 1:
        _margins(fig, bottom=0.8, left=0.8)
    below = 0.42 / max(ax.get_position().height * float(fig.get_size_inches()[1]), 0.5)  # under the x label (inches)
    ax.legend(handles=[Patch(color=c, label=s) for s, c in STATE_COLORS.items()], fontsize=7, ncol=5, loc="upper center",
              bbox_to_anchor=(0.5, -below), frameon=False)
    return fig


def state_shares(res: Any, order: Sequence[str] | None = None, labels: dict[str, str] | None = None, ax: Any = None) -> Any:
    """Share of time per state, one bar per line (``order``: process order; ``labels``: readable names)."""
    keys = [k for k in res.summary if ".state_share." in k and not k.endswith("ci95_half")]
    lines = list(dict.fromkeys(k.split(".")[0] for k in keys))
    if order is not None:
        lines = [str(x) for x in order if str(x) in lines] + [x for x in lines if x not in {str(o) for o in order}]
    fig, ax = _figure(8.0, 3.6, ax)
    bottom = np.zeros(len(lines))
    names = [(labels or {}).get(ln, ln) for ln in lines]
    for s, c in STATE_COLORS.items():
        v = np.array([res.summary.get(f"{ln}.state_share.{s}", 0.0) for ln in lines], dtype=float)
        v = np.nan_to_num(v)
        ax.bar(names, v, bottom=bottom, color=c, label=s)
        bottom += v
    ax.set_ylabel("share of time (fraction)")
    ax.set_ylim(0, 1.0)
    ax.tick_params(axis="x", labelsize=7, labelrotation=20)
    ax.set_title("Time per state, by line")
    _legend_outside(ax, fontsize=7)
    if len(fig.axes) == 1:
        _margins(fig, bottom=0.9)
    return fig


def buffer_levels(res: Any, replication: int = 0, max_points: int = 1200) -> Any:
    """Each buffer's content over time (one panel per buffer). A series with more than
    ``max_points`` steps is drawn as its range per time bin (``max_points / 2`` bins: the lowest and
    highest level the buffer held in each, a band), so no peak or trough is lost to thinning."""
    lv = res.levels
    if "replication" in lv:
        lv = lv[lv["replication"].to_numpy() == replication]
    names = list(dict.fromkeys(lv["buffer"]))
    fig = _new_figure(8.0, 1.3 * max(len(names), 1) + 0.4)
    axes = _subplots(fig, max(len(names), 1), 1, sharex=True, squeeze=False)
    which = lv["buffer"].to_numpy()
    t_all, v_all = lv["time_h"].to_numpy(dtype=float), lv["level"].to_numpy(dtype=float)
    units = lv["unit"].to_numpy() if "unit" in lv else None
    h = getattr(res, "summary", {}).get("horizon_h")
    horizon = float(h) if isinstance(h, (int, float)) and math.isfinite(h) else None  # the last level lasts to here
    banded = False
    for ax, name in zip(axes[:, 0], names, strict=False):
        m = which == name
        t, v = t_all[m], v_all[m]
        if len(t) > max_points:
            banded = True
            t, lo, hi = _step_range(t, v, max_points // 2, horizon)
            ax.fill_between(t, lo, hi, step="post", lw=0.0, color="C0")
        else:
            ax.step(t, v, where="post", lw=0.8)
        unit = f"\n({units[m][0]})" if units is not None and m.any() else ""
        ax.set_ylabel(f"{name}{unit}", fontsize=7)
        ax.tick_params(labelsize=7)
        _few_ticks(ax, x=False, n=3)
    _few_ticks(axes[-1, 0], y=False, n=8)
    _margins(fig, left=1.1, bottom=0.5)
    fig.subplots_adjust(hspace=0.15)
    axes[-1, 0].set_xlabel("time (h)")
    fig.suptitle("Buffer levels" + (" (band: lowest to highest level in each time bin)" if banded else ""),
                 fontsize=10)
    return fig


def _step_range(t: np.ndarray, v: np.ndarray, bins: int, end: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A step series (level ``v[i]`` from ``t[i]`` to ``t[i + 1]``) as its lowest and highest level
    in each of ``bins`` equal time bins: (bin edges, lows, highs), the last value repeated at the end."""
    t0 = float(t[0])
    t1 = max(float(end) if end is not None else float(t[-1]), float(t[-1]))
    edges = np.linspace(t0, t1, bins + 1) if t1 > t0 else np.array([t0, t0 + 1.0])
    k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)  # each step's starting bin
    lo = np.full(len(edges) - 1, np.inf)
    hi = np.full(len(edges) - 1, -np.inf)
    np.minimum.at(lo, k, v)
    np.maximum.at(hi, k, v)
    # a bin with no change of its own holds the level carried in from before; every bin after the
    # first also holds the level carried in at its start
    carried = v[np.clip(np.searchsorted(t, edges[:-1], side="right") - 1, 0, len(v) - 1)]
    started = edges[:-1] >= t0
    lo = np.where(started, np.minimum(lo, carried), lo)
    hi = np.where(started, np.maximum(hi, carried), hi)
    return edges, np.r_[lo, lo[-1]], np.r_[hi, hi[-1]]


def distribution(res: Any, line: str, attribute: str, lsl: float | None = None, usl: float | None = None,
                 label: str | None = None, ax: Any = None) -> Any:
    """``line`` is the lot kind (the lot table's ``line`` column); ``label``: the x axis (name and unit)."""
    from twin.quality import capability

    x = res.lots.loc[res.lots["line"] == line, attribute].dropna().to_numpy(dtype=float)
    fig, ax = _figure(7.0, 3.6, ax)
    _histogram(ax, x, lsl, usl)
    _few_ticks(ax, y=False)
    c = capability(x, lsl, usl)
    ax.set_title(f"{attribute} ({line} lots): mean {c['mean']:.4g}, CV {c['cv']:.2%}, Cpk {c['cpk']:.2f}, "
                 f"in spec {c['in_spec']:.1%}", fontsize=9)
    ax.set_xlabel(label or attribute)
    ax.set_ylabel("lots")
    return fig


def _histogram(ax: Any, x: np.ndarray, lsl: float | None, usl: float | None, fontsize: float = 8) -> None:
    """A histogram (one step patch, not 40 bars) with the spec limits as dashed lines."""
    counts, edges = np.histogram(x, bins=40)
    ax.stairs(counts, edges, fill=True, color="#1f77b4", alpha=0.8)
    top = max(float(counts.max()) if len(counts) else 1.0, 1.0) * 1.12  # room for the limits' names
    ax.set_ylim(0.0, top)
    for v, lab in ((lsl, "LSL"), (usl, "USL")):
        if v is not None:
            ax.axvline(v, color="#d62728", ls="--")
            ax.text(v, top * 0.97, lab, color="#d62728", ha="center", va="top", fontsize=fontsize)


def distributions(res: Any, panels: Sequence[tuple[str, str, float | None, float | None, str, str]],
                  columns: int = 2, title: str = "Lot attributes against their spec limits") -> Any:
    """Several lot attributes' histograms against their spec limits as small multiples in one
    figure (one panel each, ``columns`` side by side): ``panels`` holds (lot kind, attribute, LSL,
    USL, x-axis label with unit, panel title). Each panel's title adds Cpk and the share in spec of
    the lots drawn; the y axes count lots."""
    from twin.quality import capability

    n = max(len(panels), 1)
    cols = min(columns, n)
    rows = -(-n // cols)
    pitch, top, bottom = 1.85, 0.45, 0.1  # inches: one row of panels, the suptitle, below the last row
    w, h = 8.0, rows * pitch + top + bottom
    fig = _figure_class()(figsize=(w, h))
    # per row: the axes and, below them, the tick labels and the x label (0.6 in) and the next title (0.3 in)
    fig.subplots_adjust(left=0.6 / w + 0.02, right=0.98, top=1.0 - (top + 0.25) / h, bottom=(bottom + 0.55) / h,
                        hspace=0.85 / (pitch - 0.85), wspace=0.25)
    axes = _subplots(fig, rows, cols, squeeze=False)
    lots = res.lots
    kinds = lots["line"].to_numpy()
    for ax, (kind, attribute, lsl, usl, xlabel, panel_title) in zip(axes.flat, panels, strict=False):
        x = lots[attribute].to_numpy(dtype=float)[kinds == kind]
        x = x[~np.isnan(x)]
        _histogram(ax, x, lsl, usl, fontsize=7)
        _few_ticks(ax, n=4)
        ax.tick_params(labelsize=7)
        c = capability(x, lsl, usl)
        ax.set_title(f"{panel_title}: Cpk {c['cpk']:.2f}, in spec {c['in_spec']:.1%}", fontsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel("lots", fontsize=8)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    return fig


def waterfall(w: pd.DataFrame, ylabel: str, title: str, ax: Any = None) -> Any:
    """Parts stacked into their total, with a target line: ``w`` has one column, indexed by the
    parts and then ``total``, ``target`` and ``gap`` (a NaN target draws none)."""
    parts = w.drop(index=["total", "target", "gap"]).iloc[:, 0].fillna(0.0)
    fig, ax = _figure(7.0, 3.6, ax)
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
        ax.legend(fontsize=8, loc="best")
    ax.set_xticks(range(len(parts) + 1), [*parts.index, "total"], rotation=30, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(fig.axes) == 1:
        _margins(fig, bottom=0.85)
    return fig


def cost_waterfall(res: Any, per: str = "kg", ax: Any = None, title: str = "What a unit costs, by category") -> Any:
    w = res.cost_waterfall(per)
    return waterfall(w, str(w.columns[0]).replace("usd_per_", "USD/"), title, ax)


def cost_attribution(res: Any, order: Sequence[str] | None = None, labels: dict[str, str] | None = None,
                     ax: Any = None) -> Any:
    """Cost by line and category (M USD over the horizon); ``order``: process order of the lines."""
    t = res.cost_attribution
    if order is not None:
        t = t.reindex([str(x) for x in order if str(x) in t.index] + [x for x in t.index if x not in {str(o) for o in order}])
    t = t.rename(index=lambda x: (labels or {}).get(x, x))
    fig, ax = _figure(8.0, 3.6, ax)
    bottom = np.zeros(len(t))
    for i, c in enumerate(CATEGORIES):
        if c in t.columns:
            v = t[c].to_numpy() / 1e6
            ax.bar(t.index, v, bottom=bottom, color=f"C{i}", label=c)
            bottom += v
    ax.set_ylabel("cost over the horizon (M USD)")
    ax.tick_params(axis="x", labelsize=7, labelrotation=20)
    ax.set_title("Cost by line and category (scrap moved to the line that scrapped it)", fontsize=10)
    _legend_outside(ax, fontsize=7)
    if len(fig.axes) == 1:
        _margins(fig, bottom=0.9)
    return fig


def ancestry_links(genealogy: pd.DataFrame, lot_id: str, kind_of: Any = None) -> pd.DataFrame:
    """Every lot that went into ``lot_id``, from a genealogy frame (rows ``lot_id``, ``parent_id``):
    rows (``lot_id``: the ancestor, ``via``: the lot one step closer to ``lot_id``, ``line``: its kind
    from ``kind_of(ids)`` when given). The same links as a breadth-first walk, one generation at a
    time over arrays (``isin``), not one lot at a time."""
    child = genealogy["lot_id"].to_numpy()
    parent = genealogy["parent_id"].to_numpy()
    seen, frontier = {lot_id}, np.array([lot_id], dtype=object)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    while len(frontier):
        m = np.isin(child, frontier)
        if not m.any():
            break
        parts.append((parent[m], child[m]))
        frontier = np.array([p for p in dict.fromkeys(parent[m]) if p not in seen], dtype=object)
        seen.update(frontier)
    ids = np.concatenate([a for a, _ in parts]) if parts else np.array([], dtype=object)
    via = np.concatenate([b for _, b in parts]) if parts else np.array([], dtype=object)
    out = pd.DataFrame({"lot_id": ids, "via": via})
    if kind_of is not None:
        out["line"] = kind_of(out["lot_id"])
    return out


def genealogy(res: Any, lot_id: str, order: Sequence[str], replication: int = 0, ax: Any = None,
              ancestry: pd.DataFrame | None = None) -> Any:
    """The ancestry of ``lot_id``, one column per lot kind in ``order`` (parents before children);
    ``ancestry``: its links (columns ``lot_id``, ``via``, ``line``) when the caller has them, else
    ``res.ancestry(lot_id, replication)``."""
    from matplotlib.collections import LineCollection

    anc = res.ancestry(lot_id, replication) if ancestry is None else ancestry
    order = [str(k) for k in order]
    kinds = {lot_id: res.lots.loc[res.lots["lot_id"] == lot_id, "line"].iloc[0]}
    kinds.update(dict(zip(anc["lot_id"], anc["line"], strict=True)))
    cols = {k: [n for n, v in kinds.items() if v == k] for k in order}
    pos = {}
    for j, k in enumerate(order):
        for i, n in enumerate(sorted(cols[k])):
            pos[n] = (float(j), i - (len(cols[k]) - 1) / 2)
    fig, ax = _figure(9.0, 0.18 * max((len(v) for v in cols.values()), default=4) + 2.0, ax)
    segments = [(pos[a], pos[b]) for a, b in zip(anc["lot_id"], anc["via"], strict=True) if a in pos and b in pos]
    ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.5, rasterized=len(segments) > 500))
    others: list[tuple[float, float]] = [p for n, p in pos.items() if n != lot_id] or [(math.nan, math.nan)]
    xy = np.array(others, dtype=float)
    ax.scatter(xy[:, 0], xy[:, 1], s=9, color="C0", rasterized=len(xy) > 500, zorder=2)
    ax.scatter([pos[lot_id][0]], [pos[lot_id][1]], s=16, color="C3", zorder=3)
    ax.autoscale_view()
    ax.set_xticks(range(len(order)), order)
    ax.set_yticks([])
    ax.set_title(f"Genealogy of {lot_id}: {len(pos) - 1} ancestor lots")
    return fig


def response(design: pd.DataFrame, kpis: pd.DataFrame, setting: str, kpi: str, kpi_label: str | None = None,
             by: Sequence[str] | None = None, setting_label: str | None = None, ax: Any = None) -> Any:
    """A swept setting against a KPI: mean and 95 % interval over replications, one line per
    combination of the other swept settings (``by``; default every other design column that takes
    more than one value), never pooled over them. Points where the KPI has no value are not drawn."""
    by = [c for c in design.columns if c != setting and design[c].nunique() > 1] if by is None else list(by)
    df = kpis[[kpi]].join(design[[setting, *by]], on="point_id")
    fig, ax = _figure(7.0, 3.6, ax)
    groups = df.groupby(by, sort=True) if by else [((), df)]
    for key, g in groups:
        m, h, _ = grouped(g[[kpi]], g[setting])
        ok = m[kpi].notna()
        mean, half = m.loc[ok, kpi], h.loc[ok, kpi].fillna(0.0)
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{'.'.join(str(c).split('.')[-2:])} = {_short(v)}" for c, v in zip(by, key, strict=True)) or None
        if label and mean.empty:
            label += " (no value)"
        ax.errorbar(mean.index, mean.to_numpy(), yerr=half.to_numpy(), fmt="o-", capsize=3, label=label)
    if by:
        _legend_outside(ax, fontsize=7, title="other settings", title_fontsize=7)
    ax.set_xlabel(setting_label or setting)
    ax.set_ylabel(kpi_label or kpi)
    ax.set_title(f"{kpi_label or kpi} against {setting_label or setting}", fontsize=10)
    return fig


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


def tradeoff(result: Any, xlabel: str | None = None, ylabel: str | None = None, ax: Any = None) -> Any:
    """The optimizer's objective against the level of one limit: the surrogate's prediction and,
    when the points were verified, the twin's mean with its 95 % interval (ties circled)."""
    t = result.tradeoff
    fig, ax = _figure(7.0, 3.6, ax)
    ok = t["status"] == "optimal"
    ax.plot(t.loc[ok, "value"], t.loc[ok, "predicted_objective"], "o:", color="#999999", label="predicted (surrogate)")
    if "verified_objective" in t:
        v = t["verified_objective"].notna()
        ax.errorbar(t.loc[v, "value"], t.loc[v, "verified_objective"],
                    yerr=t.loc[v, "verified_objective_ci95_half"].fillna(0.0), fmt="s-", capsize=3, color="C0",
                    label="verified (twin), 95 %")
        if "tie" in t and (t["tie"] & v).any():
            tie = t["tie"] & v
            ax.scatter(t.loc[tie, "value"], t.loc[tie, "verified_objective"], s=160, facecolors="none",
                       edgecolors="C3", label="tie (twin cannot tell apart)", zorder=3)
    ax.set_xlabel(xlabel or str(t["limit"].iloc[0]).replace(" >= v", " (lower limit)").replace(" <= v", " (upper limit)"))
    ax.set_ylabel(ylabel or "objective")
    ax.set_title("Trade-off: objective against the limit")
    ax.legend(fontsize=7, loc="best")
    return fig


def cash_flow(flows: pd.DataFrame, title: str = "Cash flow over the plant's life", ax: Any = None) -> Any:
    """Net cash flow per year (bars) and the cumulative, undiscounted and discounted (lines), in M USD,
    from :func:`twin.finance.cash_flows`."""
    fig, ax = _figure(7.0, 3.6, ax)
    years = flows["year"].to_numpy()
    net = flows["net_cash_flow"].to_numpy() / 1e6
    ax.bar(years, net, color=np.where(net >= 0, "#2ca02c", "#d62728"), label="net cash flow")
    ax.plot(years, flows["cumulative_cash_flow"].to_numpy() / 1e6, "k-", lw=1.2, label="cumulative")
    ax.plot(years, np.cumsum(flows["discounted_cash_flow"].to_numpy()) / 1e6, "k--", lw=1.0, label="cumulative, discounted")
    ax.axhline(0.0, color="#999999", lw=0.6)
    ax.set_xlabel("year (0: first construction year)")
    ax.set_ylabel("cash flow (M USD)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    return fig


def tornado(table: pd.DataFrame, base: float, label: str = "NPV (M USD)", scale: float = 1e-6, ax: Any = None) -> Any:
    """Each driver's low and high result around ``base``, widest swing on top (columns driver,
    ``low_*``, ``high_*``: the first two numeric columns after ``driver``)."""
    lo_col, hi_col = [c for c in table.columns if c != "driver"][:2]
    t = table.iloc[::-1]
    fig, ax = _figure(7.0, 0.45 * len(t) + 1.4, ax)
    y = np.arange(len(t))
    lo, hi = t[lo_col].to_numpy() * scale, t[hi_col].to_numpy() * scale
    b = base * scale
    ax.barh(y, lo - b, left=b, color="#1f77b4", label="driver -20 %")
    ax.barh(y, hi - b, left=b, color="#ff7f0e", label="driver +20 %")
    ax.axvline(b, color="k", lw=0.8)
    ax.set_yticks(y, t["driver"].tolist(), fontsize=8)
    if len(fig.axes) == 1:
        _margins(fig, left=min(0.08 * max((len(str(d)) for d in t["driver"]), default=10), 3.0))
    ax.set_xlabel(label)
    ax.set_title("What moves the result most")
    ax.legend(fontsize=7, loc="best")
    return fig
