"""The framework's plot helpers (:mod:`twin.plots`) with the Si/C plant's names filled in: the lines
in process order with their labels, the lot kinds' order for genealogy plots and KPI labels and
units for axes. Each returns a matplotlib ``Figure`` made without pyplot (shown once in Jupyter)
and takes an optional ``ax=`` to draw into the caller's axes (except :func:`buffer_levels`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plants.kpi import REGISTRY
from plants.lines import LOT_ORDER, label, stage_keys
from twin import plots as _p
from twin.plots import buffer_levels, cash_flow, tornado

__all__ = [
    "buffer_levels",
    "cash_flow",
    "co2_waterfall",
    "cost_attribution",
    "cost_waterfall",
    "distribution",
    "distributions",
    "gantt",
    "genealogy",
    "response",
    "state_shares",
    "tornado",
    "tradeoff",
]

_LABELS = {k: label(k) for k in stage_keys()}


def gantt(res: Any, start_h: float = 0.0, end_h: float | None = None, line: str | None = None, replication: int = 0,
          ax: Any = None) -> Any:
    """Equipment states over time, one row per unit, the lines in process order."""
    return _p.gantt(res, start_h, end_h, line, replication, order=stage_keys(), ax=ax)


def state_shares(res: Any, ax: Any = None) -> Any:
    """Share of time per state, one bar per line in process order."""
    return _p.state_shares(res, order=stage_keys(), labels=_LABELS, ax=ax)


def cost_attribution(res: Any, ax: Any = None) -> Any:
    """Cost by line (process order) and category."""
    return _p.cost_attribution(res, order=stage_keys(), labels=_LABELS, ax=ax)


def cost_waterfall(res: Any, per: str = "kg", ax: Any = None) -> Any:
    """What a good kg of powder (``per="kg"``) or a kWh of reference cells (``"kwh"``) costs, by category."""
    title = "What a good kg of powder costs, by category" if per == "kg" else "What a kWh of reference cells costs"
    return _p.cost_waterfall(res, per, ax=ax, title=title)


def distribution(res: Any, line: str, attribute: str, lsl: float | None = None, usl: float | None = None,
                 ax: Any = None) -> Any:
    """A lot attribute's histogram against its spec limits, the axis named with the attribute's unit."""
    return _p.distribution(res, line, attribute, lsl, usl, label=attribute_label(attribute), ax=ax)


def distributions(res: Any, items: Any, columns: int = 2) -> Any:
    """Lot attributes' histograms against their spec limits as small multiples in one figure:
    ``items`` holds (product, lot kind, attribute, LSL, USL), one panel each in the given order,
    each x axis named with the attribute's unit."""
    return _p.distributions(res, [(kind, attr, lo, hi, attribute_label(attr), product)
                                  for product, kind, attr, lo, hi in items], columns=columns)


def genealogy(res: Any, lot_id: str, replication: int = 0, ax: Any = None) -> Any:
    """The ancestry of a lot, one column per lot kind (scaffold to prelithiated roll)."""
    from plants.genealogy import KIND

    g = res.genealogy
    if "replication" in g:
        g = g[g["replication"].to_numpy() == replication]
    if not ((g["lot_id"] == lot_id).any() or (g["parent_id"] == lot_id).any()):
        raise KeyError(f"lot {lot_id!r} is not in the genealogy")
    anc = _p.ancestry_links(g, lot_id, lambda ids: ids.str[:1].map(KIND).fillna("?"))
    return _p.genealogy(res, lot_id, LOT_ORDER, replication, ax=ax, ancestry=anc)


def response(design: pd.DataFrame, kpis: pd.DataFrame, setting: str, kpi: str, ax: Any = None) -> Any:
    """A swept setting against a KPI (mean and 95 % interval over replications), one line per level of
    the other swept settings, the axis labelled from the registry."""
    return _p.response(design, kpis, setting, kpi, kpi_label=REGISTRY.label(kpi), setting_label=setting_label(setting),
                       ax=ax)


def tradeoff(result: Any, ax: Any = None) -> Any:
    """The optimizer's objective against the trade-off limit, verified points with their intervals."""
    t = result.tradeoff
    kpi = str(t["limit"].iloc[0]).split(" ")[0] if len(t) else ""
    objective = getattr(getattr(result, "problem", None), "objective", None)
    return _p.tradeoff(result, xlabel=f"{REGISTRY.label(kpi)}: limit" if kpi in REGISTRY else None,
                       ylabel=REGISTRY.label(objective) if objective else None, ax=ax)


def co2_waterfall(res: Any, ax: Any = None) -> Any:
    """A good kg of powder's emissions by scope (direct, electricity, purchased materials, scrap)."""
    return _p.waterfall(res.co2_waterfall(), "emissions (kg CO2e per kg)", "What a kg of powder emits, by scope", ax)


def attribute_label(name: str) -> str:
    """A name with its unit suffix as a label: ``capacity_mah_g`` -> ``capacity (mAh/g)``."""
    unit = _attribute_unit(name)
    for suffix in sorted(_SUFFIX_UNITS, key=len, reverse=True):
        if name.endswith("_" + suffix):
            if suffix not in ("fraction", "ice", "rel", "wt"):  # a unit, not part of the name
                name = name[: -len(suffix) - 1]
            break
    text = name.replace("_", " ")
    return f"{text} ({unit})" if unit else text


def setting_label(path: str) -> str:
    """A dotted scenario path as an axis label: ``settings.fbcvd.bed_temperature_c`` -> ``fbcvd bed temperature (°C)``."""
    parts = path.split(".")
    if len(parts) == 4 and parts[0] == "specs" and parts[3] in ("min", "max"):  # a spec limit
        name, _, unit = attribute_label(parts[2]).partition(" (")
        return f"{parts[1]} {name} {parts[3]} limit" + (f" ({unit}" if unit else "")
    where = parts[-2] if len(parts) >= 2 else ""
    return f"{where} {attribute_label(parts[-1])}".strip()


_SUFFIX_UNITS = {
    "c": "°C", "ice": "fraction", "h": "h", "min": "min", "kg": "kg", "mpa": "MPa", "um": "µm", "m_min": "m/min",
    "nm3_h": "Nm³/h", "mg_cm2": "mg/cm²", "g_cm3": "g/cm³", "mah_g": "mAh/g", "mah_cm2": "mAh/cm²", "wt": "mass fraction",
    "fraction": "fraction", "m": "m", "rel": "relative", "t_per_yr": "t/yr", "usd": "USD",
}


def _attribute_unit(name: str) -> str:
    for suffix in sorted(_SUFFIX_UNITS, key=len, reverse=True):
        if name.endswith("_" + suffix) or name == suffix:
            return _SUFFIX_UNITS[suffix]
    return ""
