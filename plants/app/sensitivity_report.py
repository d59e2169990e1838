"""What ``twin sensitivity`` writes: the indices sorted by importance (per KPI, the parameter that
matters most first), with the units they are in, as a CSV and as a bar chart beside it
(``sensitivity_<method>.csv`` and ``.png``), both readable by other users (0644 under the usual umask).

Units: Morris ``mu``, ``mu_star`` and ``sigma`` are elementary effects, in the KPI's unit per step of
the parameter's range as SALib scales it (a step of 2/3 of the range with 4 levels); Sobol ``S1``
and ``ST`` are shares of the KPI's variance (no unit).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from plants.app.formatting import kpi_label
from plants.app.plots import setting_label
from plants.kpi import REGISTRY
from twin.atomic import atomic_folder

__all__ = ["IMPORTANCE", "sort_indices", "write_sensitivity"]

IMPORTANCE = {"morris": ("mu_star", "mu_star_conf"), "sobol": ("ST", "ST_conf")}


def sort_indices(idx: pd.DataFrame, method: str) -> pd.DataFrame:
    """Per KPI (in the order given), the parameters by importance (``mu_star`` or ``ST``, largest
    first), with the unit of the indices and the KPI's label."""
    col, _ = IMPORTANCE[method]
    order = {k: i for i, k in enumerate(dict.fromkeys(idx["kpi"]))}
    out = idx.assign(_k=idx["kpi"].map(order), _v=-idx[col].abs()).sort_values(["_k", "_v"], kind="stable")
    out = out.drop(columns=["_k", "_v"]).reset_index(drop=True)
    out.insert(0, "rank", out.groupby("kpi").cumcount() + 1)
    units = [REGISTRY.find(k).unit if REGISTRY.find(k) is not None else "" for k in out["kpi"]]
    out["kpi_label"] = [kpi_label(k) for k in out["kpi"]]
    if method == "morris":
        out["index_unit"] = [f"{u or 'KPI unit'} per range step" for u in units]
    else:
        out["index_unit"] = "share of variance"
    return out


def _figure(table: pd.DataFrame, method: str) -> Any:
    from twin.plots import new_figure

    col, conf = IMPORTANCE[method]
    kpis = list(dict.fromkeys(table["kpi"]))
    n_par = table["parameter"].nunique()
    fig = new_figure(7.5, max(1.2 + 0.35 * n_par, 2.2) * len(kpis))
    axes = fig.subplots(len(kpis), 1, squeeze=False)[:, 0]
    for ax, kpi in zip(axes, kpis, strict=True):
        g = table[table["kpi"] == kpi].iloc[::-1]  # the most important on top
        y = range(len(g))
        ax.barh(list(y), g[col].abs(), xerr=g[conf].fillna(0.0), color="C0", capsize=2, label=col)
        if method == "sobol":
            ax.barh(list(y), g["S1"].clip(lower=0.0), height=0.4, color="C1", label="S1 (alone)")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(list(y), [setting_label(p) for p in g["parameter"]], fontsize=8)
        ax.set_xlabel(f"{'mu*' if method == 'morris' else 'ST (total share of variance)'} ({g['index_unit'].iloc[0]})",
                      fontsize=8)
        ax.set_title(kpi_label(kpi), fontsize=9)
    fig.subplots_adjust(left=0.38, right=0.97, hspace=0.6, bottom=0.6 / fig.get_size_inches()[1] + 0.02)
    return fig


def write_sensitivity(out_dir: str | os.PathLike[str], idx: pd.DataFrame, method: str) -> tuple[pd.DataFrame, list[Path]]:
    """Sort the indices, write ``sensitivity_<method>.csv`` and ``.png`` into ``out_dir`` (all or
    nothing); return the sorted table and the files written."""
    if method not in IMPORTANCE:
        raise ValueError(f"method must be one of {sorted(IMPORTANCE)}, not {method!r}")
    table = sort_indices(idx, method)
    fig = _figure(table, method)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=90)
    names = [f"sensitivity_{method}.csv", f"sensitivity_{method}.png"]
    with atomic_folder(out_dir) as tmp:
        (tmp / names[0]).write_text(table.to_csv(index=False), encoding="utf-8")
        (tmp / names[1]).write_bytes(png.getvalue())
    return table, [Path(out_dir) / n for n in names]
