"""Lithium and dry-room costs of prelithiation. Pure functions (floats or numpy arrays).

* Li bought = Li drawn from the supply; its price is the metal index times the route's premium
  for the form it comes in (foil, transferred thin layer, chemical reagent).
* Dry-room air handling: ANL's ~400 kW for a 16 000 m3 room (process-data 5) scaled by the room
  volume, and raised by a share per degC the room is kept drier than the reference dew point.
"""

from __future__ import annotations

from typing import Any

from plants import _num as nm
from plants.economics import EnergyParams

__all__ = ["dry_room_kw", "lithium_usd"]

F = Any


def lithium_usd(li_kg: F, metal_usd_per_kg: F, premium: F) -> F:
    return li_kg * metal_usd_per_kg * premium


def dry_room_kw(floor_m2: F, dew_point_c: F, e: EnergyParams) -> F:
    drier = nm.maximum(e.dry_room_dew_point_ref_c - dew_point_c, 0.0)
    return floor_m2 * e.dry_room_height_m * e.dry_room_kw_per_m3 * (1.0 + e.dry_room_energy_per_degc * drier)
