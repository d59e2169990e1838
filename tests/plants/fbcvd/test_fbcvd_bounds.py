"""FBCVD physics over the whole schema range of every setting: inside physical limits, every
element and the total mass conserved, SiC carbon from a named source and never more than is there."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plants.common import M_C2H4_G_MOL, M_C_G_MOL, M_SI_G_MOL, M_SIH4_G_MOL
from plants.fbcvd import physics as ph

pytestmark = pytest.mark.unit

# the schema ranges of settings.fbcvd (plants/fbcvd/settings.py) and of the scaffold supply
T = st.floats(300.0, 750.0)
Y = st.floats(1e-4, 1.0)
R = st.floats(0.0, 5.0)


@given(t=T, r=R)
def test_crystallite_and_sic_stay_physical(params, t, r):
    k = params.fbcvd.kinetics
    d = ph.crystallite_size_nm(t, r, k)
    assert d >= k.crystallite_min_nm - 1e-12  # never below one Si unit cell (0.543 nm)
    a, b = ph.sic_fractions(t, r, k)
    assert 0.0 <= a <= k.sic_c2h4_max and 0.0 <= b and a + b <= 1.0


def test_crystallite_falls_monotonically_with_c2h4_to_its_floor(params):
    k = params.fbcvd.kinetics
    sizes = ph.crystallite_size_nm(450.0, np.linspace(0, 2, 41), k)
    assert np.all(np.diff(sizes) < 0) and sizes[-1] >= k.crystallite_min_nm
    assert ph.crystallite_size_nm(450.0, 5.0, k) == pytest.approx(k.crystallite_min_nm, abs=1e-6)
    # the published points (EES2025 4.1.1): ~40 nm at 10:0, 0.87 nm at 10:5
    assert ph.crystallite_size_nm(k.crystallite_reference_temperature_c, 0.0, k) == pytest.approx(40.0)
    assert ph.crystallite_size_nm(k.crystallite_reference_temperature_c, 0.5, k) == pytest.approx(0.87)


@given(t=T, y0=Y, y1=Y, r0=R, r1=R, q=st.floats(1.0, 5000.0), hours=st.floats(0.1, 200.0), kg=st.floats(1.0, 1000.0),
       vp=st.floats(0.2, 2.0), dp=st.floats(0.5, 100.0), sa=st.floats(10.0, 3500.0))
def test_batch_conserves_si_c_h_and_mass(params, t, y0, y1, r0, r1, q, hours, kg, vp, dp, sa):
    assume(y0 * (1 + r0) <= 1.0 and y1 * (1 + r1) <= 1.0)
    k = params.fbcvd.kinetics
    b = ph.run_batch(temperature_c=t, silane_fraction_start=y0, silane_fraction_end=y1, c2h4_ratio_start=r0,
                     c2h4_ratio_end=r1, gas_flow_nm3_h=q, deposition_time_h=hours, scaffold_mass_kg=kg,
                     pore_volume_cm3_g=vp, particle_size_um=dp, surface_area_m2_g=sa, k=k)
    fed = float(b.si_fed_kg)
    assert float(b.si_pore_kg + b.si_surface_kg + b.si_fines_kg + b.si_exhaust_kg) == pytest.approx(fed, rel=1e-9)
    for x in (b.pore_fill, b.sic_fraction, b.silane_utilization):
        assert -1e-12 <= float(x) <= 1.0 + 1e-12
    assert float(b.crystallite_nm) >= k.crystallite_min_nm - 1e-9
    # SiC carbon: from the ethylene (2 C per C2H4 fed at most) or the scaffold (its own carbon at most)
    c_in_c2h4 = float(b.c2h4_fed_kg) * 2 * M_C_G_MOL / M_C2H4_G_MOL
    assert float(b.c2h4_carbon_kg) <= c_in_c2h4 * (1 + 1e-9) + 1e-15
    assert float(b.scaffold_carbon_in_sic_kg) <= kg * (1 + 1e-12)
    mol_sic = (float(b.c2h4_carbon_kg) + float(b.scaffold_carbon_in_sic_kg)) / M_C_G_MOL
    assert mol_sic == pytest.approx(float(b.sic_fraction) * float(b.si_deposited_kg) / M_SI_G_MOL, rel=1e-9, abs=1e-15)
    # total mass: scaffold + silane + ethylene in = lot (scaffold + Si + ethylene carbon) + fines + exhaust gases
    lot = kg + float(b.si_deposited_kg) + float(b.c2h4_carbon_kg)
    out = (lot + float(b.si_fines_kg) + float(b.si_exhaust_kg) * M_SIH4_G_MOL / M_SI_G_MOL + float(b.h2_made_kg)
           + float(b.c2h4_fed_kg - b.c2h4_consumed_kg))
    total_in = kg + float(b.silane_fed_kg) + float(b.c2h4_fed_kg)
    assert out == pytest.approx(total_in, rel=1e-12)


def test_gradient_program_scores_by_direction(params):
    k = params.fbcvd.kinetics
    common = dict(temperature_c=460.0, gas_flow_nm3_h=260.0, deposition_time_h=6.0, scaffold_mass_kg=200.0,
                  pore_volume_cm3_g=0.6, particle_size_um=5.0, surface_area_m2_g=1200.0, k=k)
    core_rich = ph.run_batch(silane_fraction_start=0.14, silane_fraction_end=0.06, c2h4_ratio_start=0.0,
                             c2h4_ratio_end=0.4, **common)
    flat = ph.run_batch(silane_fraction_start=0.10, silane_fraction_end=0.10, c2h4_ratio_start=0.2,
                        c2h4_ratio_end=0.2, **common)
    shell_rich = ph.run_batch(silane_fraction_start=0.06, silane_fraction_end=0.14, c2h4_ratio_start=0.4,
                              c2h4_ratio_end=0.0, **common)
    # EES2025 4.1.1: silane falling and carbon source rising give a Si-rich core and a Si-poor shell
    assert float(core_rich.gradient_index) > float(flat.gradient_index) > float(shell_rich.gradient_index)
    assert abs(float(flat.gradient_index)) < 0.05
