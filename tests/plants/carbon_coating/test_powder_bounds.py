"""Coating and finished-powder relations over the schema ranges: physical bounds and conservation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plants.carbon_coating import physics as cp
from plants.common import M_C_G_MOL, M_SI_G_MOL

pytestmark = pytest.mark.unit


@given(t=st.floats(400.0, 1200.0), y=st.floats(1e-3, 1.0), q=st.floats(1.0, 1e5), hours=st.floats(0.01, 200.0),
       sic_in=st.floats(0.0, 0.6), cryst=st.floats(0.54, 60.0), cv=st.floats(0.02, 1.0), vp=st.floats(0.2, 2.0),
       fill=st.floats(0.0, 1.0), si_surf=st.floats(0.0, 0.5), c_eth=st.floats(0.0, 0.2), dp=st.floats(0.5, 100.0))
def test_coated_powder_stays_physical_and_conserves_carbon(params, t, y, q, hours, sic_in, cryst, cv, vp, fill,
                                                           si_surf, c_eth, dp):
    fb, k, pp = params.fbcvd.kinetics, params.coating.kinetics, params.coating.powder
    scaffold = 100.0
    si_pore = fill * vp * fb.si_density_g_cm3 * scaffold
    si_s = si_surf * scaffold
    si = si_pore + si_s
    c_eth_kg = min(c_eth * scaffold, si * sic_in * M_C_G_MOL / M_SI_G_MOL)  # what the co-feed SiC could take
    free_scaffold = scaffold - (si * sic_in * M_C_G_MOL / M_SI_G_MOL - c_eth_kg)
    rho = cp.particle_density_g_cm3(vp, (si + c_eth_kg) / scaffold, fb.carbon_skeletal_density_g_cm3)
    co = cp.coat(temperature_c=t, acetylene_fraction=y, gas_flow_nm3_h=q, time_h=hours, charge_kg=scaffold + si + c_eth_kg,
                 particle_size_um=dp, particle_density_g_cm3=rho, crystallite_nm_in=cryst, sic_fraction_in=sic_in, k=k,
                 si_kg=si, free_scaffold_carbon_kg=max(free_scaffold, 0.0))
    assert sic_in - 1e-12 <= float(co.sic_fraction) <= 1.0
    assert float(co.scaffold_carbon_in_sic_kg) <= max(free_scaffold, 0.0) + 1e-9
    pw = cp.powder_properties(
        scaffold_kg=scaffold, si_pore_kg=si_pore, si_surface_kg=si_s, shell_carbon_kg=co.shell_carbon_kg,
        sic_fraction=co.sic_fraction, crystallite_nm=co.crystallite_nm, shell_nm=co.shell_nm, shell_cv=cv,
        pore_volume_cm3_g=vp, pore_fill=fill, internal_area_m2_g=1200.0, particle_size_um=dp,
        carbon_skeletal_density_g_cm3=fb.carbon_skeletal_density_g_cm3, si_density_g_cm3=fb.si_density_g_cm3,
        min_protective_nm=k.min_protective_nm, pore_mouth_access=k.pore_mouth_access, p=pp, c2h4_carbon_kg=c_eth_kg)
    # ICE well above 0 (the reviews' lowest half-cell ICE is ~72 %), never above the intrinsic value
    assert pp.ice_floor <= float(pw.ice) <= pp.ice_intrinsic
    assert float(pw.capacity_mah_g) > 0.0
    for x in (pw.si_content_wt, pw.exposed_si_fraction, pw.void_share):
        assert 0.0 <= float(x) <= 1.0
    # mass = scaffold + Si + ethylene carbon + shell carbon = Si + all carbon; free carbon never negative
    assert float(pw.mass_kg) == pytest.approx(scaffold + si + c_eth_kg + float(co.shell_carbon_kg), rel=1e-12)
    assert float(pw.mass_kg) == pytest.approx(si + float(pw.carbon_kg), rel=1e-12)
    assert float(pw.free_carbon_kg) >= 0.0


def test_ice_floor_and_linear_rule_for_small_losses(params):
    pp = params.coating.powder
    assert cp.bounded_ice(0.94, 0.0, pp.ice_floor) == pytest.approx(0.94)
    assert cp.bounded_ice(0.94, 0.01, pp.ice_floor) == pytest.approx(0.93, abs=2e-4)  # ~ intrinsic - loss
    assert cp.bounded_ice(0.94, 50.0, pp.ice_floor) == pytest.approx(pp.ice_floor)
