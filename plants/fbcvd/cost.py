"""Consumption and energy of a fluidized-bed CVD batch. Pure functions (floats or numpy arrays).

* Electric heat per batch = heat-up of the reactor and bed, (C_reactor + m_bed c_p) dT, plus the
  heat lost while hot, UA dT t_hot, plus heating the gas fed, V c_p,gas dT, less the heat
  SiH4 -> Si + 2 H2 releases (0.339 kWh/kg Si, process-data 1), all over the heater efficiency;
  the duty never goes below zero (the exotherm cannot pay for more than the batch needs).
* Nitrogen: the gas that is neither silane nor ethylene while depositing, and the whole flow while
  the bed is fluidized hot without silane (heat-up, purge, cool-down), at 1.2506 kg/Nm3.
* Silane, ethylene and hydrogen are taken from the batch's own mass balance (the lot record).
"""

from __future__ import annotations

from typing import Any

from plants import _num as nm
from plants.economics import EnergyParams

__all__ = ["N2_KG_PER_NM3", "batch_heat_kwh", "nitrogen_kg"]

F = Any
N2_KG_PER_NM3 = 1.2506  # 28.013 g/mol / 22.414 L/mol
AMBIENT_C = 25.0


def batch_heat_kwh(bed_kg: F, temperature_c: F, hot_h: F, gas_nm3: F, reaction_si_kg: F, e: EnergyParams) -> F:
    """Electric energy to heat one batch, hold it at temperature and heat its gas (kWh)."""
    dt = temperature_c - AMBIENT_C
    heat_up = (e.reactor_heat_capacity_kj_k + bed_kg * e.carbon_cp_kj_kg_k) * dt / 3600.0
    losses = e.reactor_heat_loss_kw_k * dt * hot_h
    gas = gas_nm3 * e.gas_cp_kj_nm3_k * dt / 3600.0
    net = heat_up + losses + gas - reaction_si_kg * e.silane_reaction_heat_kwh_per_kg_si
    return nm.maximum(net, 0.0) / e.heater_efficiency


def nitrogen_kg(total_flow_nm3_h: F, silane_fraction: F, c2h4_ratio: F, deposition_h: F, inert_h: F) -> F:
    """N2 fed in one batch: diluent while depositing plus the full flow while inert (kg)."""
    diluent = nm.clip(1.0 - silane_fraction * (1.0 + c2h4_ratio), 0.0, 1.0)
    return total_flow_nm3_h * (diluent * deposition_h + inert_h) * N2_KG_PER_NM3
