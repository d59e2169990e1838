"""Consumption and energy of a carbon-coating batch. Pure functions (floats or numpy arrays).

The coater is a heated fluidized (or rotary) bed like the CVD reactor: the same heat balance
(:func:`plants.fbcvd.cost.batch_heat_kwh`) without a reaction credit (acetylene pyrolysis heat is
small against the heat-up and is neglected), and nitrogen as the diluent of acetylene while
coating plus the full flow while hot and inert. Run continuously (mode ``continuous``) the coater
stays hot: no vessel heat-up, no heat-up/purge/cool phases (as the line sequences it).
"""

from __future__ import annotations

from typing import Any

from plants import _num as nm
from plants.economics import EnergyParams
from plants.fbcvd.cost import N2_KG_PER_NM3, batch_heat_kwh

__all__ = ["coating_heat_kwh", "coating_nitrogen_kg"]

F = Any


def coating_heat_kwh(bed_kg: F, temperature_c: F, hot_h: F, gas_nm3: F, e: EnergyParams, reheat_vessel: bool = True) -> F:
    """Heat per batch; a coater run continuously (kept hot) heats only the powder and gas, not the vessel."""
    return batch_heat_kwh(bed_kg, temperature_c, hot_h, gas_nm3, 0.0,
                          e if reheat_vessel else e.model_copy(update={"reactor_heat_capacity_kj_k": 0.0}))


def coating_nitrogen_kg(total_flow_nm3_h: F, acetylene_fraction: F, coating_h: F, inert_h: F) -> F:
    diluent = nm.clip(1.0 - acetylene_fraction, 0.0, 1.0)
    return total_flow_nm3_h * (diluent * coating_h + inert_h) * N2_KG_PER_NM3
