"""How the Si/C reports name and round KPIs: registry labels and units, quality keys spelled out,
a KPI in its registry decimals (4 significant figures when it has none), ``mean ± half-width``."""

from __future__ import annotations

import math
from typing import Any

from plants.kpi import REGISTRY
from twin.report import fmt, plus_minus

__all__ = ["kpi_label", "kpi_pm", "kpi_value"]


def kpi_label(key: str, unit: bool = True) -> str:
    """A KPI's label (with its unit): ``quality.powder.capacity_mah_g.mean`` -> ``powder capacity (mAh/g), mean``."""
    parts = key.split(".")
    if key.startswith("quality.") and len(parts) == 4:
        from plants.app.plots import attribute_label

        name = attribute_label(parts[2]) if unit else attribute_label(parts[2]).split(" (")[0]
        return f"{parts[1]} {name}, {parts[3].replace('_', ' ')}"
    k = REGISTRY.find(key)
    if k is None or k.is_pattern:
        return key
    return k.axis_label() if unit else k.label.strip()


def kpi_value(key: str, v: Any) -> str:
    """A KPI value in its registry decimals (4 significant figures when unregistered or a pattern)."""
    k = REGISTRY.find(key)
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, str):
        return v
    if k is not None and not k.is_pattern and k.digits is not None:
        return REGISTRY.format(key, v)
    return fmt(v, 4)


def kpi_pm(key: str, v: Any, half: Any) -> str:
    """``value ± half-width`` of a KPI, both in its registry decimals (or aligned significant figures)."""
    k = REGISTRY.find(key)
    if k is not None and not k.is_pattern and k.digits is not None and k.digits >= 0:
        text = kpi_value(key, v)
        if isinstance(half, (int, float)) and math.isfinite(half) and text != "n/a":
            text += f" ± {kpi_value(key, half)}"
        return text
    return plus_minus(v, half, 4)
