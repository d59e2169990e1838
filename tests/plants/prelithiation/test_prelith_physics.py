"""Prelithiation physics: source values, trends, bounds and Li conservation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plants.prelithiation import physics as pl

pytestmark = pytest.mark.unit



def test_li_per_um_and_offset_examples(params):
    li = params.prelith.lithium
    assert pl.LI_MAH_CM2_PER_UM == pytest.approx(0.206, abs=1e-3)  # process-data 5
    assert pl.um_to_mah_cm2(1.0, li) == pytest.approx(0.206, abs=1e-3)
    # 4 mAh/cm2 at ICE 0.85 -> 0.71 mAh/cm2 -> ~3.4 um; at ICE 0.90 -> ~2.2 um (process-data 5)
    assert pl.li_needed_mah_cm2(4.0, 0.85) == pytest.approx(0.706, abs=1e-3)
    assert pl.li_needed_mah_cm2(4.0, 0.85) / pl.LI_MAH_CM2_PER_UM == pytest.approx(3.4, abs=0.05)
    assert pl.li_needed_mah_cm2(4.0, 0.90) / pl.LI_MAH_CM2_PER_UM == pytest.approx(2.2, abs=0.05)
    # 1 mAh/cm2 over 1 m2 is 1e4 mAh = 2.59 g of Li
    assert pl.li_mass_kg(1.0, 1.0, li) == pytest.approx(1e4 / 3861 / 1e3)


def test_dew_point_humidity_ratio():
    # -40 degC dew point ~ 0.12 g water per kg air (process-data 5, greenengguide [S])
    assert pl.humidity_ratio_g_kg(-40.0) == pytest.approx(0.12, abs=0.01)
    assert pl.humidity_ratio_g_kg(-60.0) < pl.humidity_ratio_g_kg(-40.0) < pl.humidity_ratio_g_kg(-20.0)


def test_transfer_efficiency_rises_with_contact_time_and_pressure(params):
    foil = params.prelith.routes.li_foil
    e = pl.transfer_efficiency(np.array([5.0, 10.0, 20.0, 40.0]), 1.0, foil)
    assert np.all(np.diff(e) > 0) and e[-1] <= foil.efficiency_max
    assert pl.transfer_efficiency(10.0, 2.0, foil) > pl.transfer_efficiency(10.0, 1.0, foil)


doses = st.floats(0.0, 1.5)


@settings(deadline=None)
@given(q=st.floats(1.0, 6.0), ice=st.floats(0.6, 0.97), dose=doses, eff=st.floats(0.3, 1.0),
       moist=st.floats(0.0, 20.0), cv=st.floats(0.0, 0.3))
def test_prelith_conserves_li_and_stays_in_bounds(params, q, ice, dose, eff, moist, cv):
    r = pl.prelithiate(q, ice, dose, eff, moist, cv, params.prelith.lithium)
    assert abs(r.balance_error) <= 1e-12 * max(dose, 1.0)
    assert min(r.waste, r.degraded, r.compensating, r.residual) >= -1e-15
    assert ice - 1e-12 <= r.ice <= 1.0 + 1e-12


def test_more_li_raises_ice_until_residual_li_appears(params):
    li = params.prelith.lithium
    loss = pl.li_needed_mah_cm2(4.0, 0.91)
    dose = np.linspace(0.0, 2.0, 201) * loss
    r = pl.prelithiate(4.0, 0.91, dose, 0.95, 1.0, 0.04, li)
    assert np.all(np.diff(r.ice) >= -1e-12)  # more Li never lowers the ICE
    assert np.all(np.diff(r.residual) >= -1e-12)  # ... but leaves more metallic Li
    below = dose * 0.95 < 0.8 * loss
    assert np.all(r.residual_of_capacity[below] < 1e-3)
    assert r.residual_of_capacity[-1] > li.residual_li_limit  # overdose is scrap


def test_uniform_routes_leave_less_residual_li(params):
    li = params.prelith.lithium
    loss = pl.li_needed_mah_cm2(4.0, 0.91)
    foil = pl.prelithiate(4.0, 0.91, loss, 0.98, 0.0, 0.12, li)
    layer = pl.prelithiate(4.0, 0.91, loss, 0.98, 0.0, 0.04, li)
    assert layer.residual < foil.residual and layer.ice > foil.ice


def test_float_and_array_paths_agree(params):
    li = params.prelith.lithium
    a = pl.prelithiate(np.array([4.0, 3.0]), np.array([0.91, 0.88]), np.array([0.3, 0.5]), 0.9, 2.0, 0.05, li)
    for i, args in enumerate([(4.0, 0.91, 0.3), (3.0, 0.88, 0.5)]):
        b = pl.prelithiate(*args, 0.9, 2.0, 0.05, li)
        assert a.ice[i] == pytest.approx(b.ice, rel=1e-12)
        assert a.residual[i] == pytest.approx(b.residual, rel=1e-9, abs=1e-15)
