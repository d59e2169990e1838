"""What makes a good anode: electrode swelling, rate capability and cycle life of the reference cell.

Pure functions of floats or numpy arrays (see :mod:`plants._num`); constants through
:class:`PerformanceParams` (sourced, placeholders flagged, in the parameter set ``performance:``).
The model is semi-empirical and per roll, in the spirit of O'Kane et al., PCCP 24 (2022) 7909
(coupled SEI growth, loss of active material, Li plating), reduced to closed forms a plant twin
can afford for every roll. Inputs are each roll's own powder properties (mass-weighted over the
powder lots in it, through the genealogy), its electrode and, for cycle life, its prelithiation.

Electrode swelling at full charge (thickness change, %)
    The coating is laterally held by the foil, so particle volume growth goes into thickness:
    X = (v_SiC-particles * e_p + v_graphite * e_gr) * s_lith, less the part the electrode's pores
    take up, X (1 - k_pore * porosity). e_p is the Si/C particle's expansion not accommodated by its
    own voids (the powder's ``swelling``), e_gr graphite's ~10 % (LiC6), s_lith the anode's state
    of lithiation at full charge (1 / N:P). Calibrated to the 15-27 % electrode expansion of CVD
    carbon-coated Si/C (process-data 7, [S]); the reviews' limit is < 70 %, preferably < 30 %.

Rate retention (share of the C/10 capacity delivered at ``fast_charge_c``)
    Diffusion in series: t = r_p^2 / D_p (Li through the carbon scaffold, slowed by SiC, whose Li
    barrier is > 3x that of Si, EES2025 4.1.2) + (d_Si / 2)^2 / D_Si (amorphous 1e-11, crystalline
    1e-13 cm2/s, durability notes) + r_p * shell / D_shell + h^2 tau / (eps D_e) (electrolyte
    through the coating, Bruggeman tau = eps^-0.5), divided by the conductive network's reach. The
    delivered share is tanh(z) / z with z^2 = t / t_charge (the effectiveness of a diffusion-limited
    slab): 1 for fast transport, ~1/z when diffusion limits.

Cycle life (cycles to 80 % of the first discharge capacity; protocol below)
    * Li inventory lost to SEI: a sqrt(n) (diffusion-limited growth on the open surface, Ploehn,
      Ramadass & White, JES 151 (2004) A456) + b n (Si surface re-exposed every cycle as particles
      swell and crack). Side reactions on Si are cut where interfacial SiC covers it (Si-C bonds cut
      the side-reaction rate ~300x, EES2025 4.1.2) and raised by exposed Si (incomplete shells); the
      carbon surfaces' SEI is not. In Si-graphite full cells Li inventory is the usual first limit.
    * Loss of active Si: c n, from stress (Reniers, Mulder & Howey, JES 166 (2019) A3189): the
      particle's unaccommodated swelling, the crystalline share (crystalline Si lithiates
      anisotropically and forms c-Li15Si4; Liu et al., ACS Nano 6 (2012) 1522; Obrovac & Chevrier,
      Chem. Rev. 114 (2014) 11444), the gradient (a Si-rich core under a Si-poor shell lowers the
      stress, EES2025 4.1.1), calendering damage to porous particles, and the binder and conductive
      network that hold the particles in contact.
    * The Li reservoir prelithiation leaves beyond the first-cycle losses is consumed first
      (Holtstiege et al., Batteries 4 (2018) 4); Li beyond what the anode can host at full charge
      (its N:P margin) plates and is lost faster.
    Retention(n) = min(1, inventory(n), anode capacity(n)); the cycle life is the first n where it
    reaches 0.8, in closed form for each branch.

Protocol: the reference pouch cell (:mod:`plants.cell`), 0.5C charge / 1C discharge between 2.8
and 4.2 V at 25 degC, 100 % depth of discharge, as in the full-cell data the reviews quote. The
constants are calibrated to the reviews' figures (sub-nm Si from the 10:5 C2H4 co-feed keeps > 80 %
after 500 cycles, a 30 % Si/C blend at the baseline recipe about 500-1000 cycles, pure-silane Si
clearly worse, EES2025 4.1.1 and AdvSci2025 2.2) and flagged as placeholders where they are guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from plants import _num as nm
from twin.params import ParamModel, Unit

__all__ = [
    "ELECTRODE_FIGURES",
    "POWDER_QUALITY",
    "PRELITH_FIGURES",
    "DurabilityRates",
    "PerformanceParams",
    "RollRecipe",
    "calendering_damage",
    "complete",
    "crystalline_share",
    "cycle_life",
    "degradation_rates",
    "electrode_figures",
    "electrode_swelling",
    "first_cycle_arrays",
    "rate_retention",
]

F = Any  # float or numpy array

#: Powder-lot properties the model needs downstream, in this order (the coating line publishes them
#: through the ``powder_quality`` port; mix batches and rolls carry their mass-weighted means).
POWDER_QUALITY = ("crystallite_nm", "sic_fraction", "exposed_si_fraction", "surface_area_m2_g", "swelling", "shell_nm",
                  "void_share", "gradient_index", "si_content_wt", "particle_density_g_cm3")
Pos = Field(gt=0)
NonNeg = Field(ge=0)

#: what :func:`electrode_figures` adds to an electrode roll, and what a prelithiated roll gets
ELECTRODE_FIGURES = ("electrode_swelling_pct", "rate_retention", "calendering_damage", "si_capacity_share", "sei_sqrt",
                     "sei_linear", "lam")
PRELITH_FIGURES = ("li_reservoir_share", "cycle_life_cycles")


class PerformanceParams(ParamModel):
    """Constants of the product performance model (see the module docstring)."""

    # swelling
    graphite_volume_expansion: Annotated[float, Field(ge=0, le=0.5), Unit("1")]
    pore_take_up: Annotated[float, Field(ge=0, le=1), Unit("1")]
    # amorphous / crystalline Si
    amorphous_below_nm: Annotated[float, Pos, Unit("nm")]
    crystalline_exponent: Annotated[float, Field(gt=0, le=10), Unit("1")]
    # rate
    fast_charge_c: Annotated[float, Field(gt=0, le=20), Unit("1/h")]
    d_particle_cm2_s: Annotated[float, Pos, Unit("cm2/s")]
    sic_barrier_factor: Annotated[float, Field(ge=1), Unit("1")]
    d_si_amorphous_cm2_s: Annotated[float, Pos, Unit("cm2/s")]
    d_si_crystalline_cm2_s: Annotated[float, Pos, Unit("cm2/s")]
    d_shell_cm2_s: Annotated[float, Pos, Unit("cm2/s")]
    d_electrolyte_cm2_s: Annotated[float, Pos, Unit("cm2/s")]
    bruggeman_exponent: Annotated[float, Field(ge=0, le=3), Unit("1")]
    # cycle life: SEI
    sei_sqrt_per_m2_g: Annotated[float, NonNeg, Unit("1/(m2/g)")]
    sei_sqrt_graphite: Annotated[float, NonNeg, Unit("1")]
    sei_exposed_si: Annotated[float, NonNeg, Unit("1")]
    sic_protection_ref: Annotated[float, Pos, Unit("mol/mol")]
    sic_side_reaction_cut: Annotated[float, Field(ge=1), Unit("1")]
    reexposure_per_swelling: Annotated[float, NonNeg, Unit("1/cycle")]
    # cycle life: loss of active Si
    lam_per_swelling: Annotated[float, NonNeg, Unit("1/cycle")]
    crystalline_stress: Annotated[float, NonNeg, Unit("1")]
    gradient_relief: Annotated[float, NonNeg, Unit("1")]
    binder_ref_wt: Annotated[float, Pos, Unit("1")]
    binder_exponent: Annotated[float, NonNeg, Unit("1")]
    paa_factor: Annotated[float, Pos, Unit("1")]
    network_sensitivity: Annotated[float, NonNeg, Unit("1")]
    # calendering
    crush_density_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    crush_void_sensitivity: Annotated[float, Field(ge=0, lt=1), Unit("1")]
    crush_width_g_cm3: Annotated[float, Pos, Unit("g/cm3")]
    crush_damage: Annotated[float, NonNeg, Unit("1")]
    crush_reexposure: Annotated[float, NonNeg, Unit("1")]
    # plating
    plating_loss: Annotated[float, NonNeg, Unit("1")]


def crystalline_share(crystallite_nm: F, p: PerformanceParams) -> F:
    """Share of the Si that lithiates as crystalline Si: 1 / (1 + (d_a / d)^m).

    Sub-nm to few-nm Si is XRD-amorphous (0.87-3.8 nm with the C2H4 co-feed vs ~40 nm crystalline
    from pure silane, AdvSci2025 2.2); ``amorphous_below_nm`` is the size at which half is crystalline.
    """
    return 1.0 / (1.0 + (p.amorphous_below_nm / nm.maximum(crystallite_nm, 1e-6)) ** p.crystalline_exponent)


def electrode_swelling(sic_volume_share: F, particle_swelling: F, graphite_volume_share: F, porosity: F,
                       np_ratio: F, p: PerformanceParams) -> F:
    """Electrode thickness change at full charge (fraction; x100 for %). See the module docstring."""
    lith = 1.0 / np_ratio
    x = (sic_volume_share * particle_swelling + graphite_volume_share * p.graphite_volume_expansion) * lith
    return x * (1.0 - p.pore_take_up * porosity)


def rate_retention(particle_size_um: F, sic_fraction: F, crystallite_nm: F, shell_nm: F, thickness_um: F,
                   porosity: F, utilization: F, p: PerformanceParams) -> F:
    """Share of the low-rate capacity delivered at ``p.fast_charge_c`` (tanh(z)/z, see the module docstring)."""
    r_cm = particle_size_um * 0.5e-4
    d_p = p.d_particle_cm2_s / (1.0 + (p.sic_barrier_factor - 1.0) * sic_fraction)
    chi = crystalline_share(crystallite_nm, p)
    d_si = 1.0 / ((1.0 - chi) / p.d_si_amorphous_cm2_s + chi / p.d_si_crystalline_cm2_s)
    h_cm = thickness_um * 1e-4
    eps = nm.maximum(porosity, 0.02)
    t = (r_cm * r_cm / d_p + (crystallite_nm * 0.5e-7) ** 2 / d_si + r_cm * shell_nm * 1e-7 / p.d_shell_cm2_s
         + h_cm * h_cm * eps ** (-p.bruggeman_exponent) / (eps * p.d_electrolyte_cm2_s)) / utilization
    z = nm.sqrt(t / (3600.0 / p.fast_charge_c))
    z = nm.maximum(z, 1e-9)
    return nm.clip(_tanh(z) / z, 0.0, 1.0)


def _tanh(x: F) -> F:
    e = nm.exp(-2.0 * x)
    return (1.0 - e) / (1.0 + e)


def calendering_damage(press_density_g_cm3: F, void_share: F, p: PerformanceParams) -> F:
    """Share of porous Si/C particles crushed by calendering: logistic in the press density about a
    crush density that falls as the particles' empty pore volume grows (placeholder form)."""
    crush = p.crush_density_g_cm3 * (1.0 - p.crush_void_sensitivity * void_share)
    return 1.0 / (1.0 + nm.exp(-(press_density_g_cm3 - crush) / p.crush_width_g_cm3))


@dataclass(frozen=True, slots=True)
class DurabilityRates:
    """Per-cycle fade of an electrode, before prelithiation (fractions of the cell's capacity)."""

    sei_sqrt: F  # a: Li lost ~ a sqrt(n)
    sei_linear: F  # b: Li lost ~ b n (re-exposed surface)
    lam: F  # c: share of the Si/C capacity lost per cycle


def degradation_rates(*, si_capacity_share: F, surface_area_m2_g: F, sic_share_of_active: F, exposed_si: F,
                      si_content_wt: F, sic_fraction: F, crystallite_nm: F, particle_swelling: F, gradient_index: F,
                      damage: F, binder_wt: F, paa: bool, utilization: F, p: PerformanceParams) -> DurabilityRates:
    """The fade rates of a roll from its powder and electrode (see the module docstring)."""
    protection = 1.0 - nm.exp(-sic_fraction / p.sic_protection_ref)
    side = (1.0 - protection) + protection / p.sic_side_reaction_cut
    chi = crystalline_share(crystallite_nm, p)
    stress = particle_swelling * (1.0 + p.crystalline_stress * chi) * nm.exp(-p.gradient_relief * gradient_index)
    cracks = 1.0 + p.crush_damage * damage
    binder = (p.binder_ref_wt / nm.maximum(binder_wt, 1e-4)) ** p.binder_exponent * (p.paa_factor if paa else 1.0)
    network = nm.exp(p.network_sensitivity * (1.0 - utilization))
    # SEI on the carbon surfaces (open area, shell) is not protected by SiC; on Si it is
    sei_sqrt = (p.sei_sqrt_per_m2_g * surface_area_m2_g * sic_share_of_active * cracks
                + p.sei_sqrt_graphite * (1.0 - sic_share_of_active)
                + p.sei_exposed_si * exposed_si * si_content_wt * sic_share_of_active * side)
    # surface re-exposed every cycle: by swelling and cracking Si, and by particles calendering crushed
    # (a crushed porous particle keeps opening fresh Si surface whatever its swelling)
    sei_linear = p.reexposure_per_swelling * (stress * cracks + p.crush_reexposure * damage) * si_capacity_share * side
    lam = p.lam_per_swelling * stress * cracks * binder * network
    return DurabilityRates(sei_sqrt, sei_linear, lam)


def cycle_life(rates: DurabilityRates, si_capacity_share: F, np_ratio: F, reservoir: F, p: PerformanceParams,
               end: float = 0.8) -> F:
    """Cycles until the cell keeps ``end`` of its first discharge capacity.

    ``reservoir`` is the cyclable Li beyond the cathode's capacity after formation, as a share of the
    first discharge capacity; the anode can host at most its N:P margin (np_ratio - 1) of it at full
    charge, the rest plates (lost, and it speeds the SEI's linear loss by ``plating_loss`` per unit).
    Inventory branch: a sqrt(n) + b n = (1 - end) + reservoir; anode branch: np (1 - s c n) = end.
    """
    margin = nm.maximum(np_ratio - 1.0, 0.0)
    usable = nm.minimum(reservoir, margin)
    plated = nm.maximum(reservoir - margin, 0.0)
    a = rates.sei_sqrt
    b = rates.sei_linear * (1.0 + p.plating_loss * plated)
    budget = (1.0 - end) + usable
    # b x^2 + a x - budget = 0 with x = sqrt(n); the stable root 2 budget / (a + sqrt(a^2 + 4 b budget))
    x = 2.0 * budget / nm.maximum(a + nm.sqrt(a * a + 4.0 * b * budget), 1e-300)
    n_inventory = x * x
    lam = nm.maximum(si_capacity_share * rates.lam, 1e-300)
    n_anode = nm.maximum(1.0 - end / np_ratio, 0.0) / lam
    return nm.minimum(n_inventory, n_anode)


@dataclass(frozen=True, slots=True)
class RollRecipe:
    """What the electrode figures need of the casting recipe and the cell (the same for every roll)."""

    sic_share: float  # Si/C share of the active mass
    active_wt: float
    binder_wt: float
    paa: bool
    graphite_density_g_cm3: float
    np_ratio: float
    cathode_ice: float


def electrode_figures(q: dict[str, F], rho: F, eps: F, thickness_um: F, dp: F, cap: F, blend_cap: F, utilization: F,
                      r: RollRecipe, p: PerformanceParams) -> dict[str, F]:
    """Swelling, rate and the fade rates of electrode rolls (floats for one roll, or arrays for many)
    from their powder (``q``: the mass-weighted powder properties, keys ``powder_<name>``) and electrode."""
    share = r.sic_share
    v_sic = rho * r.active_wt * share / q["powder_particle_density_g_cm3"]
    v_gr = rho * r.active_wt * (1.0 - share) / r.graphite_density_g_cm3
    swelling = electrode_swelling(v_sic, q["powder_swelling"], v_gr, eps, r.np_ratio, p)
    rate = rate_retention(dp, q["powder_sic_fraction"], q["powder_crystallite_nm"], q["powder_shell_nm"], thickness_um,
                          eps, utilization, p)
    damage = calendering_damage(rho, q["powder_void_share"], p)
    si_share = share * cap / blend_cap
    rates = degradation_rates(
        si_capacity_share=si_share, surface_area_m2_g=q["powder_surface_area_m2_g"], sic_share_of_active=share,
        exposed_si=q["powder_exposed_si_fraction"], si_content_wt=q["powder_si_content_wt"],
        sic_fraction=q["powder_sic_fraction"], crystallite_nm=q["powder_crystallite_nm"],
        particle_swelling=q["powder_swelling"], gradient_index=q["powder_gradient_index"], damage=damage,
        binder_wt=r.binder_wt, paa=r.paa, utilization=utilization, p=p)
    return {"electrode_swelling_pct": 100.0 * swelling, "rate_retention": rate, "calendering_damage": damage,
            "si_capacity_share": si_share, "sei_sqrt": rates.sei_sqrt, "sei_linear": rates.sei_linear, "lam": rates.lam}


def first_cycle_arrays(cathode: F, cathode_ice: float, loss: F, added: F) -> tuple[F, F]:
    """:func:`plants.cell.first_cycle` for arrays: (first discharge capacity, reservoir share)."""
    mobile = cathode / cathode_ice - loss + added
    capacity = np.maximum(0.0, np.minimum(cathode, mobile))
    reservoir = np.maximum(0.0, mobile - cathode)
    with np.errstate(divide="ignore", invalid="ignore"):
        return capacity, np.where(capacity > 0, reservoir / capacity, 0.0)


def complete(lots: Any, roll_kind: str, prelith_kind: str, r: RollRecipe, p: PerformanceParams) -> Any:
    """Fill the product figures of the rolls the run did not compute in its event loop (it does only
    when a spec limit needs them to decide a roll), all at once with numpy: the same relations as
    :func:`electrode_figures` and the prelithiation line's cell, on arrays. ``lots`` is the run's lot
    table (pandas); returned with the columns filled."""
    kinds = lots["line"].to_numpy()
    rolls = np.flatnonzero((kinds == roll_kind) & lots["end_h"].notna().to_numpy()
                           & ("powder_swelling" in lots))
    todo = rolls if "rate_retention" not in lots else rolls[lots["rate_retention"].isna().to_numpy()[rolls]]
    if len(todo):
        col = {c: lots[c].to_numpy(dtype=float)[todo] for c in lots.columns if c.startswith("powder_")}
        v = {c: lots[c].to_numpy(dtype=float)[todo] for c in ("press_density_g_cm3", "porosity", "thickness_um",
                                                              "particle_size_um", "blend_capacity_mah_g",
                                                              "conductive_utilization")}
        with np.errstate(divide="ignore", invalid="ignore"):
            out = electrode_figures(col, v["press_density_g_cm3"], v["porosity"], v["thickness_um"],
                                    v["particle_size_um"], col["powder_capacity_mah_g"], v["blend_capacity_mah_g"],
                                    v["conductive_utilization"], r, p)
        out["si_capacity_share"] = np.where(v["blend_capacity_mah_g"] > 0, out["si_capacity_share"], 0.0)
        for name in ELECTRODE_FIGURES:
            if name not in lots:
                lots[name] = np.nan
            lots.loc[lots.index[todo], name] = np.asarray(out[name], dtype=float)
    pl = np.flatnonzero((kinds == prelith_kind) & ("li_added_mah_cm2" in lots)
                        & (lots["li_added_mah_cm2"].notna().to_numpy() if "li_added_mah_cm2" in lots else False))
    todo = pl if "cycle_life_cycles" not in lots else pl[lots["cycle_life_cycles"].isna().to_numpy()[pl]]
    if len(todo):
        ids = lots["lot_id"].to_numpy()
        row_of = {i: k for k, i in enumerate(ids)}
        parent = np.array([row_of.get(x, -1) for x in lots["parents"].to_numpy()[todo]])
        def par(c: str) -> Any:
            return lots[c].to_numpy(dtype=float)[parent]
        areal = lots["areal_capacity_mah_cm2"].to_numpy(dtype=float)[todo]
        blend_ice = par("blend_ice")
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(blend_ice > 0, areal * (1.0 / blend_ice - 1.0), np.where(areal > 0, np.inf, 0.0))
            _, share = first_cycle_arrays(areal / r.np_ratio, r.cathode_ice, loss,
                                          lots["li_added_mah_cm2"].to_numpy(dtype=float)[todo])
            life = cycle_life(DurabilityRates(par("sei_sqrt"), par("sei_linear"), par("lam")), par("si_capacity_share"),
                              r.np_ratio, share, p)
        dead = ~np.isfinite(loss) | (areal <= 0)
        for name, values in (("li_reservoir_share", np.where(dead, 0.0, share)),
                             ("cycle_life_cycles", np.where(dead, 0.0, life))):
            if name not in lots:
                lots[name] = np.nan
            lots.loc[lots.index[todo], name] = np.asarray(values, dtype=float)
    return lots
