"""Carbon coating (CVD carbon shell from acetylene) and the finished powder's properties.

Pure, vectorised numpy functions; constants through :class:`CoatingKinetics` and
:class:`PowderProperties` from the parameter set.

Shell growth is Arrhenius in temperature and first order in the acetylene fraction (Langmuir-
Hinshelwood at low pressure reduces to first order, Norinaga & Huettinger 2003), capped by the
carbon fed. The per-particle thickness is lognormal about the mean with the bed's coefficient of
variation; a particle whose local shell is thinner than the protective minimum (about 5 nm) leaves
its accessible Si exposed: the exposed-Si fraction the alkali H2 test would measure. Hot coating
(above the a-Si crystallization onset) grows crystallites and SiC.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt

import numpy as np
from numpy.typing import ArrayLike, NDArray

from plants.carbon_coating.params import CoatingKinetics, PowderProperties
from plants.common import M_C2H2_G_MOL, M_C_G_MOL, M_SI_G_MOL, MOLAR_VOLUME_L_MOL, R_J_MOL_K

__all__ = [
    "CoatingResult",
    "PowderResult",
    "bounded_ice",
    "coat",
    "exposed_share",
    "outer_area_cm2_g",
    "particle_density_g_cm3",
    "powder_properties",
    "shell_growth_nm_h",
]

Array = NDArray[np.float64]
_erf = np.frompyfunc(erf, 1, 1)


def _norm_cdf(z: Array) -> Array:
    return 0.5 * (1.0 + np.asarray(_erf(z / sqrt(2.0)), dtype=float))


def shell_growth_nm_h(
    temperature_c: ArrayLike, acetylene_fraction: ArrayLike, k: CoatingKinetics
) -> Array:
    """Kinetic carbon-shell growth rate (nm/h)."""
    t_k = np.asarray(temperature_c, dtype=float) + 273.15
    t_ref = k.reference_temperature_c + 273.15
    arr = np.exp(k.activation_j_mol / R_J_MOL_K * (1.0 / t_ref - 1.0 / t_k))
    return k.growth_nm_h_ref * np.asarray(acetylene_fraction, float) / k.reference_acetylene_fraction * arr


def outer_area_cm2_g(particle_size_um: ArrayLike, particle_density_g_cm3: ArrayLike) -> Array:
    """Outer (envelope) area of spheres per gram: 6 / (rho d)."""
    return 6.0 / (np.asarray(particle_density_g_cm3, float) * np.asarray(particle_size_um, float) * 1e-4)


def exposed_share(mean_nm: ArrayLike, cv: ArrayLike, min_nm: float) -> Array:
    """Share of particles whose local shell (lognormal, mean and CV) is thinner than ``min_nm``."""
    mean = np.maximum(np.asarray(mean_nm, float), 1e-12)
    sigma = np.sqrt(np.log1p(np.asarray(cv, float) ** 2))
    mu = np.log(mean) - 0.5 * sigma**2
    return _norm_cdf((np.log(min_nm) - mu) / sigma)


def particle_density_g_cm3(
    pore_volume_cm3_g: ArrayLike, added_kg_per_kg_carbon: ArrayLike, carbon_skeletal_density_g_cm3: float
) -> Array:
    """Envelope density of a scaffold particle carrying ``added`` kg of material per kg of carbon."""
    v_particle = np.asarray(pore_volume_cm3_g, float) + 1.0 / carbon_skeletal_density_g_cm3
    return (1.0 + np.asarray(added_kg_per_kg_carbon, float)) / v_particle


@dataclass(frozen=True, slots=True)
class CoatingResult:
    shell_nm: Array
    shell_carbon_kg: Array
    acetylene_fed_kg: Array
    crystallite_nm: Array
    sic_fraction: Array
    scaffold_carbon_in_sic_kg: Array  # scaffold carbon the coater's heat bonded to Si as SiC


def coat(
    *,
    temperature_c: ArrayLike,
    acetylene_fraction: ArrayLike,
    gas_flow_nm3_h: ArrayLike,
    time_h: ArrayLike,
    charge_kg: ArrayLike,
    particle_size_um: ArrayLike,
    particle_density_g_cm3: ArrayLike,
    crystallite_nm_in: ArrayLike,
    sic_fraction_in: ArrayLike,
    k: CoatingKinetics,
    si_kg: ArrayLike,
    free_scaffold_carbon_kg: ArrayLike,
) -> CoatingResult:
    """Grow a carbon shell on a charge of Si/C particles.

    Hot coating also crystallizes a-Si (above ``crystallization_onset_c``) and lets the Si react with
    the scaffold carbon it touches (Si + C -> SiC, significant only at about 1000-1100 degC,
    process-data 3): first order in the free Si, Arrhenius about ``sic_onset_c``, and never more
    than the charge's free scaffold carbon (``free_scaffold_carbon_kg``) can bond.
    """
    t = np.asarray(temperature_c, float)
    t_k = t + 273.15
    time = np.asarray(time_h, float)
    area_cm2 = outer_area_cm2_g(particle_size_um, particle_density_g_cm3) * np.asarray(charge_kg, float) * 1e3
    kinetic_nm = shell_growth_nm_h(t, acetylene_fraction, k) * time
    mol_c2h2 = np.asarray(acetylene_fraction, float) * np.asarray(gas_flow_nm3_h, float) * 1e3 / MOLAR_VOLUME_L_MOL * time
    carbon_fed_g = 2.0 * mol_c2h2 * M_C_G_MOL
    feed_limit_nm = k.carbon_utilization_max * carbon_fed_g / (k.shell_density_g_cm3 * area_cm2) * 1e7
    shell_nm = np.minimum(kinetic_nm, feed_limit_nm)
    shell_g = shell_nm * 1e-7 * area_cm2 * k.shell_density_g_cm3

    t_ref = k.crystallization_onset_c + 273.15
    over = t > k.crystallization_onset_c
    growth = k.crystallite_growth_nm2_h_ref * np.exp(
        k.crystallite_growth_activation_j_mol / R_J_MOL_K * (1.0 / t_ref - 1.0 / t_k)
    )
    cryst = np.sqrt(np.asarray(crystallite_nm_in, float) ** 2 + np.where(over, growth * time, 0.0))
    t_sic = k.sic_onset_c + 273.15
    sic_rate = k.sic_growth_1_h_ref * np.exp(k.sic_growth_activation_j_mol / R_J_MOL_K * (1.0 / t_sic - 1.0 / t_k))
    sic_in = np.asarray(sic_fraction_in, float)
    wanted = (1.0 - sic_in) * -np.expm1(-sic_rate * time)  # mol SiC formed per mol Si
    mol_si = np.asarray(si_kg, float) * 1e3 / M_SI_G_MOL
    mol_c_free = np.asarray(free_scaffold_carbon_kg, float) * 1e3 / M_C_G_MOL
    new_mol = np.minimum(wanted * mol_si, mol_c_free)
    sic = sic_in + new_mol / np.maximum(mol_si, 1e-300)
    return CoatingResult(
        shell_nm=shell_nm,
        shell_carbon_kg=shell_g / 1e3,
        acetylene_fed_kg=mol_c2h2 * M_C2H2_G_MOL / 1e3 * np.ones_like(shell_nm),
        crystallite_nm=cryst,
        sic_fraction=np.clip(sic, 0.0, 1.0),
        scaffold_carbon_in_sic_kg=new_mol * M_C_G_MOL / 1e3 * np.ones_like(shell_nm),
    )


@dataclass(frozen=True, slots=True)
class PowderResult:
    si_content_wt: Array
    capacity_mah_g: Array
    ice: Array
    exposed_si_fraction: Array
    h2_test_l_per_g: Array
    surface_area_m2_g: Array
    swelling: Array
    carbon_kg: Array  # all carbon in the powder (free and bonded as SiC)
    free_carbon_kg: Array
    mass_kg: Array  # scaffold + Si + ethylene carbon + shell carbon
    void_share: Array  # pore volume left empty, share of the particle volume


def bounded_ice(intrinsic: ArrayLike, loss: ArrayLike, floor: float) -> Array:
    """First-cycle efficiency after first-cycle losses ``loss`` (sum of linear terms), kept above ``floor``.

    ICE = floor + (intrinsic - floor) exp(-loss / (intrinsic - floor)): the linear rule
    (intrinsic - loss) for small losses, never below the floor however large the losses (a thin
    shell or a huge open area makes a poor material, not one that keeps every Li it is given).
    """
    span = np.asarray(intrinsic, float) - floor
    return floor + span * np.exp(-np.maximum(np.asarray(loss, float), 0.0) / span)


def powder_properties(
    *,
    scaffold_kg: ArrayLike,
    si_pore_kg: ArrayLike,
    si_surface_kg: ArrayLike,
    shell_carbon_kg: ArrayLike,
    sic_fraction: ArrayLike,
    crystallite_nm: ArrayLike,
    shell_nm: ArrayLike,
    shell_cv: ArrayLike,
    pore_volume_cm3_g: ArrayLike,
    pore_fill: ArrayLike,
    internal_area_m2_g: ArrayLike,
    particle_size_um: ArrayLike,
    carbon_skeletal_density_g_cm3: float,
    si_density_g_cm3: float,
    min_protective_nm: float,
    pore_mouth_access: float,
    p: PowderProperties,
    c2h4_carbon_kg: ArrayLike,
) -> PowderResult:
    """Finished-powder properties from composition and structure.

    * Mass and carbon: scaffold carbon + Si + the carbon SiC took from the ethylene + shell carbon.
      SiC bonds 1 mol C per mol Si (M_C / M_Si kg per kg Si); its carbon comes from the ethylene or
      the scaffold (named in the lot record), never from nothing.
    * Si content: all Si (free and SiC-bonded) over the powder mass.
    * Reversible capacity: blend rule C = w_Si,active 3579 + w_C,free C_carbon (process-data 7), SiC
      inert (Li barrier > 3x that of Si, EES2025 4.1.2); the core's capacity is reached through the
      shell with a kinetic factor exp(-k shell) (> 20 nm costs > 10 %, process-data 3), the shell's
      own carbon counts as carbon: positive for any shell, however thick.
    * Exposed Si: accessible Si (surface-enriched Si plus pore-mouth access to pore Si) on
      particles whose local shell is below the protective minimum; H2 test volume from 1.596 L/g.
    * ICE: intrinsic less SEI losses on open surface area and exposed Si, and a crystallite term
      (sub-nm Si gave 93.1 %, AdvSci2025 2.2), bounded below by ``ice_floor`` (:func:`bounded_ice`).
    * Swelling: Si expansion not accommodated by remaining pore void and the matrix.
    """
    m_c = np.asarray(scaffold_kg, float)
    si_pore = np.asarray(si_pore_kg, float)
    si_surf = np.asarray(si_surface_kg, float)
    si = si_pore + si_surf
    shell_c = np.asarray(shell_carbon_kg, float)
    c_eth = np.asarray(c2h4_carbon_kg, float)
    x_sic = np.asarray(sic_fraction, float)
    carbon = m_c + shell_c + c_eth
    sic_carbon = si * x_sic * M_C_G_MOL / M_SI_G_MOL
    free_carbon = np.maximum(carbon - sic_carbon, 0.0)
    total = carbon + si
    w_si = si / total
    w_si_active = si * (1.0 - x_sic) / total
    w_carbon = free_carbon / total
    shell = np.asarray(shell_nm, float)
    # the shell slows Li to the core (its Si and carbon); the shell's own carbon stores Li as carbon
    w_shell = np.minimum(shell_c / total, w_carbon)
    capacity = ((w_si_active * p.si_capacity_mah_g + (w_carbon - w_shell) * p.carbon_capacity_mah_g)
                * np.exp(-p.shell_kinetic_loss_per_nm * shell) + w_shell * p.carbon_capacity_mah_g)

    thin = exposed_share(shell, shell_cv, min_protective_nm)
    accessible = (si_surf + pore_mouth_access * si_pore) / np.maximum(si, 1e-300)
    exposed = np.clip(accessible * thin, 0.0, 1.0)
    h2 = p.h2_per_exposed_si_l_g * exposed * w_si

    v_particle = np.asarray(pore_volume_cm3_g, float) + 1.0 / carbon_skeletal_density_g_cm3  # cm3/g C
    rho_particle = total / m_c / v_particle
    outer_m2_g = outer_area_cm2_g(particle_size_um, rho_particle) * 1e-4
    open_internal = np.asarray(internal_area_m2_g, float) * (1.0 - np.asarray(pore_fill, float))
    bet = outer_m2_g + open_internal * m_c / total * np.exp(-shell / p.pore_sealing_nm)
    loss = (p.ice_loss_per_m2_g * bet + p.ice_loss_per_exposed_si * exposed * w_si
            + p.ice_loss_per_ln_nm * np.log(np.maximum(np.asarray(crystallite_nm, float), 1.0)))
    ice = bounded_ice(p.ice_intrinsic, loss, p.ice_floor)

    v_si_cm3_per_g_c = si / m_c / si_density_g_cm3
    v_free = np.maximum(np.asarray(pore_volume_cm3_g, float) - si_pore / m_c / si_density_g_cm3, 0.0)
    unaccommodated = np.maximum(p.si_volume_expansion * v_si_cm3_per_g_c - v_free, 0.0) * (1.0 - p.matrix_accommodation)
    swelling = unaccommodated / v_particle
    return PowderResult(
        si_content_wt=w_si,
        capacity_mah_g=capacity,
        ice=ice,
        exposed_si_fraction=exposed,
        h2_test_l_per_g=h2,
        surface_area_m2_g=bet,
        swelling=swelling,
        carbon_kg=carbon,
        free_carbon_kg=free_carbon,
        mass_kg=total,
        void_share=v_free / v_particle,
    )
