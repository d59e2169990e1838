"""A reference pouch cell with an NCM811 cathode, to turn anode properties into cell energy and cost.

The stack is ``layers`` repeat units of (double-sided anode on Cu | separator | double-sided
cathode on Al | separator) of footprint ``width x length``; the parameters and their sources
are in the parameter set (``cell:``). Relations:

* N/P: anode reversible areal capacity = N/P x cathode reversible areal capacity (per side; CMU
  BatteryCost default N/P 1.15, process-data 4.2). Given the anode's areal capacity the cathode is
  sized from it; otherwise the cathode loading is the parameter and the anode is sized from it.
* Coat mass per side = areal capacity / (specific capacity x active share); thickness = mass /
  press density.
* First cycle (:func:`first_cycle`): the cathode gives Q_c / ICE_c of Li on first charge; the anode
  keeps Q_a (1/ICE_a - 1) of it (its first-cycle loss, after prelithiation if any) and prelithiation
  may have left residual Li on top; the cathode can take back at most Q_c. Cell reversible capacity
  per side = min(Q_c, Q_c / ICE_c - Q_a (1/ICE_a - 1) + residual); the excess is a Li reservoir.
* Electrolyte fills the pores of both coatings and the separator, plus an excess share.
* The full cell delivers ``cathode_utilization`` of that (93 % of the cathode's half-cell capacity was
  used in the VW ID.3 78 Ah pouch cell, Guenter & Wassiliadis, JES 169 (2022) 030515).
* Energy = capacity x average voltage; mass and volume add the pouch (a mass and a volume share).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from pydantic import Field

from twin.params import ParamModel, Unit

__all__ = ["CellParams", "CellResult", "FirstCycle", "first_cycle", "reference_cell"]

Pos = Field(gt=0)
Frac = Field(gt=0, lt=1)


class CellParams(ParamModel):
    cathode_capacity_mah_g: Annotated[float, Pos, Unit("mAh/g")]
    cathode_ice: Annotated[float, Field(gt=0.5, le=1), Unit("1")]
    cathode_active_wt: Annotated[float, Frac, Unit("1")]
    cathode_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    cathode_porosity: Annotated[float, Frac, Unit("1")]
    cathode_areal_capacity_mah_cm2: Annotated[float, Pos, Unit("mAh/cm2")]
    np_ratio: Annotated[float, Field(ge=1, le=2), Unit("1")]
    cathode_utilization: Annotated[float, Field(gt=0.5, le=1), Unit("1")]
    average_voltage_v: Annotated[float, Field(gt=2, lt=5), Unit("V")]
    anode_active_wt: Annotated[float, Frac, Unit("1")]
    anode_porosity: Annotated[float, Frac, Unit("1")]
    cu_foil_um: Annotated[float, Pos, Unit("um")]
    al_foil_um: Annotated[float, Pos, Unit("um")]
    separator_um: Annotated[float, Pos, Unit("um")]
    separator_porosity: Annotated[float, Frac, Unit("1")]
    separator_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    electrolyte_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    electrolyte_excess: Annotated[float, Field(ge=0, le=2), Unit("1")]
    width_m: Annotated[float, Pos, Unit("m")]
    length_m: Annotated[float, Pos, Unit("m")]
    layers: Annotated[int, Field(ge=1, le=500), Unit("1")]
    packaging_kg: Annotated[float, Field(ge=0), Unit("kg")]
    packaging_volume_share: Annotated[float, Field(ge=0, lt=1), Unit("1")]
    # prices of everything in the cell that is not the anode coating on Cu (made by the plant)
    cathode_usd_per_kg: Annotated[float, Field(ge=0), Unit("USD/kg")]
    al_foil_usd_per_m2: Annotated[float, Field(ge=0), Unit("USD/m2")]
    separator_usd_per_m2: Annotated[float, Field(ge=0), Unit("USD/m2")]
    electrolyte_usd_per_l: Annotated[float, Field(ge=0), Unit("USD/L")]
    packaging_usd: Annotated[float, Field(ge=0), Unit("USD")]
    conversion_usd_per_kwh: Annotated[float, Field(ge=0), Unit("USD/kWh")]


@dataclass(frozen=True, slots=True)
class FirstCycle:
    """The cell's Li after formation, per cm2 of one anode side (mAh/cm2) and as shares."""

    capacity: float  # first discharge capacity: min(cathode capacity, cyclable Li)
    reservoir: float  # cyclable Li beyond the cathode's capacity, held in the anode
    reservoir_share: float  # reservoir / capacity


def first_cycle(cathode_mah_cm2: float, cathode_ice: float, anode_loss_mah_cm2: float,
                li_added_mah_cm2: float = 0.0) -> FirstCycle:
    """First-cycle Li accounting of a full cell.

    The cathode gives Q_c / ICE_c of Li on its first charge; the anode keeps its first-cycle loss L
    (SEI, trapped Li); prelithiation added P to the anode (what reached it and survived moisture).
    Cyclable Li M = Q_c / ICE_c - L + P. The cathode takes back at most its capacity Q_c, so the cell
    delivers min(Q_c, M) and the rest, max(M - Q_c, 0), stays in the anode as a reservoir that later
    losses consume first (Holtstiege et al., Batteries 4 (2018) 4). A dose that only pays the anode's
    loss gains energy when the anode loses more than the cathode; beyond that it builds the reservoir.
    """
    mobile = cathode_mah_cm2 / cathode_ice - anode_loss_mah_cm2 + li_added_mah_cm2
    capacity = max(0.0, min(cathode_mah_cm2, mobile))
    reservoir = max(0.0, mobile - cathode_mah_cm2)
    return FirstCycle(capacity, reservoir, reservoir / capacity if capacity > 0 else 0.0)


CU_DENSITY_G_CM3 = 8.96  # handbook
AL_DENSITY_G_CM3 = 2.70  # handbook


@dataclass(frozen=True)
class CellResult:
    capacity_ah: float
    energy_wh: float
    mass_kg: float
    volume_l: float
    energy_wh_kg: float
    energy_wh_l: float
    anode_areal_capacity_mah_cm2: float
    cathode_areal_capacity_mah_cm2: float
    anode_coat_mg_cm2: float
    anode_thickness_um: float
    anode_area_m2: float
    wh_per_m2_anode: float
    other_materials_usd: float
    conversion_usd: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def reference_cell(anode_capacity_mah_g: float, anode_ice: float, anode_press_density_g_cm3: float = 1.6,
                   anode_areal_capacity_mah_cm2: float | None = None, anode_active_wt: float | None = None, *,
                   params: CellParams, residual_li_mah_cm2: float = 0.0) -> CellResult:
    """Energy of the reference NCM811 pouch cell made with an anode of the given properties.

    ``anode_capacity_mah_g`` is the reversible capacity of the anode's active blend and
    ``anode_ice`` its first-cycle efficiency as built (after prelithiation, if any: the Li that paid
    part of the loss is in it); ``residual_li_mah_cm2`` the prelithiation Li beyond the anode's loss,
    which adds cyclable Li (see :func:`first_cycle`).
    """
    if not anode_capacity_mah_g > 0 or not 0 < anode_ice <= 1.5 or not anode_press_density_g_cm3 > 0:
        raise ValueError("reference_cell needs anode_capacity_mah_g > 0, 0 < anode_ice <= 1.5 and "
                         f"anode_press_density_g_cm3 > 0 (got {anode_capacity_mah_g}, {anode_ice}, {anode_press_density_g_cm3})")
    p = params
    act_a = p.anode_active_wt if anode_active_wt is None else anode_active_wt
    if anode_areal_capacity_mah_cm2 is None:
        q_c = p.cathode_areal_capacity_mah_cm2
        q_a = p.np_ratio * q_c
    else:
        q_a = anode_areal_capacity_mah_cm2
        q_c = q_a / p.np_ratio
    # per side, per cm2
    anode_mg = q_a / (anode_capacity_mah_g * act_a) * 1000.0
    cathode_mg = q_c / (p.cathode_capacity_mah_g * p.cathode_active_wt) * 1000.0
    anode_um = anode_mg / anode_press_density_g_cm3 * 10.0
    cathode_um = cathode_mg / p.cathode_density_g_cm3 * 10.0
    anode_loss = q_a * (1.0 / anode_ice - 1.0)
    formed = first_cycle(q_c, p.cathode_ice, anode_loss, residual_li_mah_cm2)
    # the full cell uses only part of the cathode's half-cell capacity (voltage window, kinetics,
    # overhang): 93 % in the VW ID.3 teardown (Guenter & Wassiliadis, JES 169 (2022) 030515)
    q_cell = formed.capacity * p.cathode_utilization  # mAh/cm2 per side
    # one repeat unit per cm2 of footprint: 2 anode sides, Cu, 2 separators, 2 cathode sides, Al
    sep_mg = p.separator_um * 1e-4 * p.separator_density_g_cm3 * (1.0 - p.separator_porosity) * 1000.0
    pores_cm3 = (2 * anode_um * p.anode_porosity + 2 * cathode_um * p.cathode_porosity
                 + 2 * p.separator_um * p.separator_porosity) * 1e-4
    electrolyte_cm3 = pores_cm3 * (1.0 + p.electrolyte_excess)
    unit_mg = (2 * anode_mg + p.cu_foil_um * 1e-4 * CU_DENSITY_G_CM3 * 1000.0 + 2 * cathode_mg
               + p.al_foil_um * 1e-4 * AL_DENSITY_G_CM3 * 1000.0 + 2 * sep_mg
               + electrolyte_cm3 * p.electrolyte_density_g_cm3 * 1000.0)
    unit_um = 2 * anode_um + p.cu_foil_um + 2 * cathode_um + p.al_foil_um + 2 * p.separator_um
    area_cm2 = p.width_m * p.length_m * 1e4 * p.layers
    capacity_ah = 2 * q_cell * area_cm2 / 1000.0
    energy_wh = capacity_ah * p.average_voltage_v
    mass_kg = unit_mg * area_cm2 / 1e6 + p.packaging_kg
    volume_l = unit_um * 1e-4 * area_cm2 / 1000.0 / (1.0 - p.packaging_volume_share)
    anode_m2 = area_cm2 / 1e4  # m2 of double-sided anode electrode (web area) in the cell
    other_usd = (2 * cathode_mg * area_cm2 / 1e6 * p.cathode_usd_per_kg + anode_m2 * p.al_foil_usd_per_m2
                 + 2 * anode_m2 * p.separator_usd_per_m2 + electrolyte_cm3 * area_cm2 / 1000.0 * p.electrolyte_usd_per_l
                 + p.packaging_usd)
    return CellResult(
        capacity_ah=capacity_ah, energy_wh=energy_wh, mass_kg=mass_kg, volume_l=volume_l,
        energy_wh_kg=energy_wh / mass_kg, energy_wh_l=energy_wh / volume_l if volume_l > 0 else float("nan"),
        anode_areal_capacity_mah_cm2=q_a, cathode_areal_capacity_mah_cm2=q_c, anode_coat_mg_cm2=anode_mg,
        anode_thickness_um=anode_um, anode_area_m2=anode_m2, wh_per_m2_anode=energy_wh / anode_m2,
        other_materials_usd=other_usd, conversion_usd=p.conversion_usd_per_kwh * energy_wh / 1000.0,
    )
