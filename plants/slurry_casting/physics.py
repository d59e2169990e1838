"""Slurry casting of the anode: blend, coat weight, drying, cracking, calendering. Pure functions.

Every function takes floats or numpy arrays that broadcast (see :mod:`plants._num`) and returns
the same; nothing here knows about SimPy, rolls or time. Units are in the names. Relations and
their sources:

* blend capacity and first-cycle efficiency: mass-weighted capacities and first-cycle losses of the
  Si/C powder and graphite (process-data 7 blend rule);
* areal capacity = coat weight x active share x blend capacity x utilization (process-data 4.2:
  BattMo, BatPaC); the utilization is the share of the active capacity the electronic network
  reaches: u = 1 - (1 - u_0) exp(-w / w_c) for an additive at mass fraction w with characteristic
  loading w_c (SWCNT hundredths of a wt %, carbon black about half a wt %: brief line 3, "long
  SWCNTs beat carbon black for Si"; process-data 4.2 working ranges; placeholders);
* drying: a convective dryer removes water at a rate proportional to (T_air - T_wet-bulb) and to
  the air flow to a power (Chilton-Colburn, 0.8 for turbulent jets); the line cannot run faster
  than the dryer dries; dryer energy = water evaporated x specific energy (process-data 4.2:
  0.627 kWh/kg latent heat, 1.5-3 kWh/kg in practice); in the constant-rate period the film loses
  water at that capacity, which is the drying rate the cracking relation sees;
* cracking: critical cracking thickness h_max = 0.64 [G M phi_rcp R^3 / (2 gamma)]^(1/2)
  (Singh & Tirumkudulu, PRL 98:218302, 2007; process-data 4.2 flags the prefactor [U]) with G an
  effective modulus of the binder-bridged particle network, raised by binder, lowered by fast
  drying (Rollag et al. 2019: worse with thickness and drying rate) and by low solids content
  (brief, line 3); the crack probability of a film of thickness h is logistic in ln(h / h_max).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from plants import _num as nm
from plants.slurry_casting.params import CrackingParams, DryerParams

__all__ = [
    "areal_capacity_mah_cm2",
    "blend_capacity_mah_g",
    "blend_ice",
    "conductive_utilization",
    "crack_probability",
    "critical_cracking_thickness_um",
    "drying_rate_kg_m2_h",
    "evaporation_capacity_kg_m2_h",
    "film_thickness_um",
    "max_dry_speed_m_min",
    "porosity",
    "skeletal_density_g_cm3",
    "water_per_dry_kg",
]

F = Any  # float or numpy array


def blend_capacity_mah_g(sic_share: F, sic_capacity_mah_g: F, graphite_capacity_mah_g: F) -> F:
    """Reversible capacity of the active blend (Si/C share ``sic_share`` of the active mass)."""
    return sic_share * sic_capacity_mah_g + (1.0 - sic_share) * graphite_capacity_mah_g


def blend_ice(sic_share: F, sic_capacity_mah_g: F, sic_ice: F, graphite_capacity_mah_g: F, graphite_ice: F) -> F:
    """First-cycle efficiency of the blend: reversible over (reversible + both first-cycle losses).

    A component's first-cycle loss is its reversible capacity x (1/ICE - 1). The degenerate ends are
    the limits of that rule: a component with no reversible capacity loses nothing (a Si/C powder
    that stores nothing leaves the blend at the graphite's ICE); one with capacity at ICE 0 loses
    without bound (the blend's ICE is 0); a blend with no reversible capacity at all gives nothing
    back (ICE 0).
    """
    rev = blend_capacity_mah_g(sic_share, sic_capacity_mah_g, graphite_capacity_mah_g)
    if (isinstance(sic_share, (float, int)) and isinstance(sic_capacity_mah_g, (float, int))  # per mix batch: no generator
            and isinstance(sic_ice, (float, int)) and isinstance(graphite_capacity_mah_g, (float, int))
            and isinstance(graphite_ice, (float, int))):
        if sic_ice > 0 and graphite_ice > 0:
            loss = sic_share * sic_capacity_mah_g * (1.0 / sic_ice - 1.0) + (1.0 - sic_share) * graphite_capacity_mah_g * (
                1.0 / graphite_ice - 1.0)
        else:
            loss = (_first_cycle_loss(sic_share * sic_capacity_mah_g, sic_ice)
                    + _first_cycle_loss((1.0 - sic_share) * graphite_capacity_mah_g, graphite_ice))
        total = rev + loss
        return rev / total if total != 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        q_sic = np.asarray(sic_share * sic_capacity_mah_g, float)
        q_gr = np.asarray((1.0 - sic_share) * graphite_capacity_mah_g, float)
        ice_sic, ice_gr = np.asarray(sic_ice, float), np.asarray(graphite_ice, float)
        loss = (np.where(ice_sic > 0, q_sic * (1.0 / ice_sic - 1.0), np.where(q_sic > 0, np.inf, 0.0))
                + np.where(ice_gr > 0, q_gr * (1.0 / ice_gr - 1.0), np.where(q_gr > 0, np.inf, 0.0)))
        total = rev + loss
        return np.where(total != 0, rev / total, 0.0)


def _first_cycle_loss(reversible: float, ice: float) -> float:
    """First-cycle loss of a component of ``reversible`` capacity at an ICE (floats; see :func:`blend_ice`)."""
    if ice > 0:
        return reversible * (1.0 / ice - 1.0)
    return math.inf if reversible > 0 else 0.0


def areal_capacity_mah_cm2(coat_weight_mg_cm2: F, active_wt: F, capacity_mah_g: F, utilization: F = 1.0) -> F:
    """Reversible areal capacity of one coated side: mg/cm2 x g/g x mAh/g x utilization / 1000."""
    return coat_weight_mg_cm2 * active_wt * capacity_mah_g * utilization / 1000.0


def conductive_utilization(conductive_wt: F, characteristic_wt: F, utilization_without: F) -> F:
    """Share of the active capacity the conductive network reaches: 1 - (1 - u_0) exp(-w / w_c)."""
    return 1.0 - (1.0 - utilization_without) * nm.exp(-conductive_wt / characteristic_wt)


def skeletal_density_g_cm3(mass_fractions: list[F], densities_g_cm3: list[F]) -> F:
    """Density of the solid (no pores) from mass fractions: 1 / sum(w_i / rho_i)."""
    return 1.0 / sum(w / rho for w, rho in zip(mass_fractions, densities_g_cm3, strict=True))


def film_thickness_um(coat_weight_mg_cm2: F, density_g_cm3: F) -> F:
    """Thickness of one coated side at an apparent density (mg/cm2 / g/cm3 = 10 um)."""
    return coat_weight_mg_cm2 / density_g_cm3 * 10.0


def porosity(density_g_cm3: F, skeletal_density: F) -> F:
    return 1.0 - density_g_cm3 / skeletal_density


def water_per_dry_kg(solids_wt: F) -> F:
    """kg of water per kg of dry solids in a slurry of solids mass fraction ``solids_wt``."""
    return 1.0 / solids_wt - 1.0


def evaporation_capacity_kg_m2_h(air_temperature_c: F, air_flow_rel: F, d: DryerParams) -> F:
    """Water the dryer can remove per m2 of web per hour at an air temperature and relative flow."""
    drive = (air_temperature_c - d.wet_bulb_c) / (d.air_temperature_ref_c - d.wet_bulb_c)
    return d.evaporation_ref_kg_m2_h * drive * air_flow_rel**d.air_flow_exponent


def max_dry_speed_m_min(water_kg_m2: F, capacity_kg_m2_h: F, dryer_length_m: F) -> F:
    """Fastest line speed at which the web leaves the dryer dry: L q / (60 w)."""
    return dryer_length_m * capacity_kg_m2_h / (60.0 * water_kg_m2)


def drying_rate_kg_m2_h(water_kg_m2: F, speed_m_min: F, dryer_length_m: F) -> F:
    """Mean evaporation rate over the whole dryer residence at a line speed (its water over the
    residence): a lower bound of the film's constant-rate drying flux, which is the dryer's capacity."""
    return water_kg_m2 * speed_m_min * 60.0 / dryer_length_m


def critical_cracking_thickness_um(
    particle_radius_um: F, binder_wt: F, paa_binder: bool, drying_rate_kg_m2_h: F, drying_rate_ref_kg_m2_h: F,
    solids_wt: F, c: CrackingParams,
) -> F:
    """Dry-film thickness above which the coating cracks on drying (um)."""
    r_m = particle_radius_um * 1e-6
    base_m = 0.64 * nm.sqrt(c.shear_modulus_pa * c.coordination_number * c.phi_rcp * r_m**3 / (2.0 * c.surface_tension_n_m))
    binder = (1.0 + c.binder_toughening_per_wt * binder_wt) * (c.paa_binder_factor if paa_binder else 1.0)
    rate = (drying_rate_ref_kg_m2_h / drying_rate_kg_m2_h) ** c.drying_rate_exponent
    solids = (solids_wt / c.solids_ref_wt) ** c.solids_exponent
    return base_m * 1e6 * binder * rate * solids


def crack_probability(thickness_um: F, critical_um: F, log_width: F) -> F:
    """Probability that a film cracks: logistic in ln(h / h_crit), one half at h = h_crit."""
    # Written as 1 / (1 + (h_crit/h)^(1/w)): every step is monotone in h, so the result never
    # steps backwards by round-off near 1 (z / (1 + z) does for z ~ 1e16).
    return 1.0 / (1.0 + (critical_um / thickness_um) ** (1.0 / log_width))
