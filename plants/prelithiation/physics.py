"""Prelithiation of an anode roll: Li dose, transfer, moisture loss, ICE and residual Li. Pure functions.

Floats or numpy arrays in, the same out (see :mod:`plants._num`). Relations and sources:

* Li areal capacity: 0.206 mAh/cm2 per um of Li (rho 0.534 g/cm3 x 3861 mAh/g; process-data 5 [D]);
  the Li needed to offset the first-cycle loss is Q_rev (1/ICE - 1) (process-data 5 [D]);
* transfer: a route moves a share eta = eta_max (1 - exp(-(t/tau) (P/P_ref)^a)) of the dose into the
  electrode in contact time t at pressure P (foil contact takes 10-40 min, process-data 5 [V]);
  the rest stays on the carrier/foil (waste);
* moisture: Li lost to the dry room's water in proportion to its humidity ratio (Magnus over
  water, WMO; -40 degC dew point gives ~0.12 g/kg, process-data 5 [S]) and exposure time;
* uniformity: the local dose is normal around its mean with the route's CV (foil contact is less
  uniform than a transferred thin layer or a chemical bath, brief line 4); where it falls short of
  the local loss the loss stays, where it exceeds it the excess is residual metallic Li (plating
  risk). With X ~ N(mu, s^2) and loss a: residual E[max(X - a, 0)] = s phi(d) + (mu - a) Phi(d),
  d = (mu - a) / s; ICE after = Q_rev / (Q_rev + a - (mu - residual)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from plants import _num as nm
from plants.prelithiation.params import LithiumParams, RouteParams

__all__ = [
    "LI_MAH_CM2_PER_UM",
    "PrelithResult",
    "humidity_ratio_g_kg",
    "li_mass_kg",
    "li_needed_mah_cm2",
    "prelithiate",
    "transfer_efficiency",
    "um_to_mah_cm2",
]

F = Any
LI_DENSITY_G_CM3 = 0.534
LI_CAPACITY_MAH_G = 3861.0
#: mAh/cm2 of one um of Li: 1e-4 cm x 0.534 g/cm3 x 3861 mAh/g = 0.206 (process-data 5)
LI_MAH_CM2_PER_UM = 1e-4 * LI_DENSITY_G_CM3 * LI_CAPACITY_MAH_G


def um_to_mah_cm2(thickness_um: F, li: LithiumParams) -> F:
    return thickness_um * 1e-4 * li.density_g_cm3 * li.capacity_mah_g


def li_needed_mah_cm2(reversible_mah_cm2: F, ice: F) -> F:
    """Li that offsets the first-cycle loss exactly: Q_rev (1/ICE - 1).

    At ICE 0 the loss has no bound (infinity) when there is reversible capacity; an electrode with
    no reversible capacity needs none.
    """
    if _scalar(reversible_mah_cm2) and _scalar(ice):
        if ice > 0:
            return reversible_mah_cm2 * (1.0 / ice - 1.0)
        return math.inf if reversible_mah_cm2 > 0 else 0.0
    rev, ice_a = np.asarray(reversible_mah_cm2, float), np.asarray(ice, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ice_a > 0, rev * (1.0 / ice_a - 1.0), np.where(rev > 0, np.inf, 0.0))


def _scalar(x: Any) -> bool:
    return isinstance(x, (float, int))


def li_mass_kg(dose_mah_cm2: F, area_m2: F, li: LithiumParams) -> F:
    return dose_mah_cm2 / li.capacity_mah_g * 1e4 * area_m2 / 1e3


def humidity_ratio_g_kg(dew_point_c: F, pressure_hpa: float = 1013.25) -> F:
    """Water per kg of dry air at a dew point (Magnus over water, WMO constants)."""
    e = 6.112 * nm.exp(17.62 * dew_point_c / (243.12 + dew_point_c))
    return 621.98 * e / (pressure_hpa - e)


def transfer_efficiency(contact_min: F, pressure_mpa: F, r: RouteParams) -> F:
    x = contact_min / r.time_constant_min * (pressure_mpa / r.pressure_ref_mpa) ** r.pressure_exponent
    return r.efficiency_max * (1.0 - nm.exp(-x))


@dataclass(frozen=True, slots=True)
class PrelithResult:
    """Per unit area of electrode (mAh/cm2) unless named otherwise."""

    applied: F  # Li laid down
    waste: F  # left on the carrier / foil, never transferred
    degraded: F  # transferred, then lost to moisture
    compensating: F  # pays the first-cycle loss
    residual: F  # metallic Li beyond the local loss
    ice: F  # first-cycle efficiency after prelithiation
    residual_of_capacity: F  # residual / reversible capacity (the plating-risk measure)

    @property
    def balance_error(self) -> F:
        return self.applied - (self.waste + self.degraded + self.compensating + self.residual)


def prelithiate(
    reversible_mah_cm2: F, ice: F, applied_mah_cm2: F, efficiency: F, moisture_g_h_kg: F, dose_cv: F,
    li: LithiumParams,
) -> PrelithResult:
    """Outcome of laying ``applied_mah_cm2`` of Li on an electrode of ``reversible_mah_cm2`` and ``ice``.

    ``moisture_g_h_kg`` is the exposure: humidity ratio (g/kg) x hours the Li saw it.
    """
    transferred = applied_mah_cm2 * efficiency
    waste = applied_mah_cm2 - transferred
    kept = nm.exp(-li.moisture_reaction_kg_air_g_h * moisture_g_h_kg)
    mu = transferred * kept
    degraded = transferred - mu
    loss = li_needed_mah_cm2(reversible_mah_cm2, ice)
    s = nm.maximum(dose_cv * mu, 1e-12)
    residual: F
    ice_after: F
    residual_of_capacity: F
    if _scalar(reversible_mah_cm2) and _scalar(ice) and _scalar(mu) and _scalar(s):
        if loss == math.inf:  # an unbounded loss takes all the Li: none is left over
            residual = 0.0
        else:
            d = (mu - loss) / s
            residual = s * nm.norm_pdf(d) + (mu - loss) * nm.norm_cdf(d)
            residual = nm.clip(residual, 0.0, mu)
        compensating = mu - residual
        # the denominator is >= Q_rev (compensating <= loss): zero only without reversible capacity,
        # which gives nothing back (ICE 0) and leaves any Li on it as residual metal
        den = reversible_mah_cm2 + loss - compensating
        ice_after = reversible_mah_cm2 / den if den > 0 else 0.0
        residual_of_capacity = (residual / reversible_mah_cm2 if reversible_mah_cm2 > 0
                                else (math.inf if residual > 0 else 0.0))
    else:
        rev = np.asarray(reversible_mah_cm2, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (mu - loss) / s
            residual = s * nm.norm_pdf(d) + (mu - loss) * nm.norm_cdf(d)
            residual = np.where(np.isposinf(loss), 0.0, nm.clip(residual, 0.0, mu))
            compensating = mu - residual
            den = rev + loss - compensating
            ice_after = np.where(den > 0, rev / den, 0.0)
            residual_of_capacity = np.where(rev > 0, residual / rev, np.where(residual > 0, np.inf, 0.0))
    return PrelithResult(applied=applied_mah_cm2, waste=waste, degraded=degraded, compensating=compensating,
                         residual=residual, ice=ice_after, residual_of_capacity=residual_of_capacity)
