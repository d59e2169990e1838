"""Product performance model (plants/performance.py) and the cell's first-cycle Li accounting:
bounds over the whole input range, the monotone trends the sources state, and the closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plants import performance as pf
from plants.cell import first_cycle

pytestmark = pytest.mark.unit

frac = st.floats(0.0, 1.0)


@pytest.fixture(scope="module")
def p(params):
    return params.performance


def _rates(p, **kw):
    base = dict(si_capacity_share=0.6, surface_area_m2_g=4.0, sic_share_of_active=0.3, exposed_si=0.001,
                si_content_wt=0.46, sic_fraction=0.03, crystallite_nm=7.0, particle_swelling=0.33, gradient_index=0.0,
                damage=0.05, binder_wt=0.03, paa=False, utilization=0.98, p=p)
    base.update(kw)
    return pf.degradation_rates(**base)


def test_crystalline_share_amorphous_below_a_few_nm(p):
    # sub-nm Si from the C2H4 co-feed is amorphous, ~40 nm from pure silane crystalline (AdvSci2025 2.2)
    assert pf.crystalline_share(0.87, p) < 0.05
    assert pf.crystalline_share(40.0, p) > 0.95
    sizes = np.geomspace(0.5, 200, 30)
    assert np.all(np.diff(pf.crystalline_share(sizes, p)) > 0)


@given(swell=st.floats(0, 3), v_sic=st.floats(0, 0.7), v_gr=st.floats(0, 0.7), eps=st.floats(0, 0.6),
       np_ratio=st.floats(1.0, 2.0))
def test_electrode_swelling_is_bounded_and_grows_with_particle_swelling(p, swell, v_sic, v_gr, eps, np_ratio):
    x = pf.electrode_swelling(v_sic, swell, v_gr, eps, np_ratio, p)
    assert 0.0 <= x <= v_sic * swell + v_gr * p.graphite_volume_expansion + 1e-12
    assert pf.electrode_swelling(v_sic, swell + 0.1, v_gr, eps, np_ratio, p) >= x
    # porosity takes up part of the expansion
    assert pf.electrode_swelling(v_sic, swell, v_gr, min(eps + 0.1, 0.7), np_ratio, p) <= x


def test_electrode_swelling_of_a_coated_si_c_electrode_is_in_the_published_range(p):
    # a pure CVD-coated Si/C electrode (no graphite) with ~35 % particle swelling at 30 % porosity:
    # the kiln vendor quotes 15-27 % electrode expansion with a CVD carbon coat (process-data 7, [S])
    x = pf.electrode_swelling(1.6 * 0.97 / 1.56, 0.35, 0.0, 0.3, 1.15, p)
    assert 0.15 <= x <= 0.35


def _rate(p, **kw):
    base = dict(particle_size_um=5.0, sic_fraction=0.03, crystallite_nm=7.0, shell_nm=10.0, thickness_um=40.0,
                porosity=0.27, utilization=0.98, p=p)
    base.update(kw)
    return pf.rate_retention(**base)


@given(d=st.floats(0.5, 100), sic=frac, cryst=st.floats(0.5, 500), shell=st.floats(0, 500), h=st.floats(1, 500),
       eps=st.floats(0.0, 0.9), u=st.floats(0.05, 1.0))
def test_rate_retention_is_a_share(p, d, sic, cryst, shell, h, eps, u):
    r = pf.rate_retention(d, sic, cryst, shell, h, eps, u, p)
    assert 0.0 < r <= 1.0


def test_rate_retention_trends(p):
    base = _rate(p)
    assert 0.6 < base < 0.95  # a 5 um Si/C in a blend delivers most of its capacity at 3C
    assert _rate(p, particle_size_um=9.0) < base < _rate(p, particle_size_um=3.0)  # large: slow bulk diffusion (EES2025 4.1.3)
    assert _rate(p, sic_fraction=0.4) < base  # SiC: Li barrier > 3x that of Si (EES2025 4.1.2)
    assert _rate(p, shell_nm=40.0) < base  # thick shells slow kinetics (process-data 3)
    assert _rate(p, thickness_um=120.0) < base and _rate(p, porosity=0.4) > base  # electrode transport
    assert _rate(p, utilization=0.7) < base  # conductive network
    # amorphous Si diffuses Li ~100x faster than crystalline: a coarse crystalline domain is slower
    assert _rate(p, crystallite_nm=300.0) < _rate(p, crystallite_nm=2.0)


def test_calendering_crushes_porous_particles(p):
    dense = np.linspace(1.4, 2.0, 13)
    assert np.all(np.diff(pf.calendering_damage(dense, 0.2, p)) > 0)
    assert pf.calendering_damage(1.7, 0.4, p) > pf.calendering_damage(1.7, 0.1, p)  # more void, weaker particle
    assert pf.calendering_damage(1.5, 0.28, p) < 0.05


def test_degradation_rates_follow_the_reviews(p):
    base = _rates(p)
    # Si-C bonds cut side reactions (EES2025 4.1.2)
    assert _rates(p, sic_fraction=0.15).sei_sqrt < base.sei_sqrt and _rates(p, sic_fraction=0.15).sei_linear < base.sei_linear
    assert _rates(p, exposed_si=0.05).sei_sqrt > base.sei_sqrt  # exposed Si: incomplete shells
    assert _rates(p, surface_area_m2_g=30.0).sei_sqrt > base.sei_sqrt  # open surface
    assert _rates(p, crystallite_nm=40.0).lam > base.lam > _rates(p, crystallite_nm=0.9).lam  # crystalline Si
    assert _rates(p, gradient_index=0.2).lam < base.lam < _rates(p, gradient_index=-0.2).lam  # Si-rich core
    assert _rates(p, particle_swelling=0.6).lam > base.lam  # swelling against pore volume
    assert _rates(p, damage=0.8).lam > base.lam and _rates(p, damage=0.8).sei_sqrt > base.sei_sqrt
    assert _rates(p, binder_wt=0.015).lam > base.lam > _rates(p, paa=True).lam
    assert _rates(p, utilization=0.8).lam > base.lam


def test_cycle_life_closed_form_reaches_exactly_80_percent(p):
    r = _rates(p)
    s, npr, res = 0.6, 1.15, 0.05
    n = pf.cycle_life(r, s, npr, res, p)
    inventory = 1.0 + res - (r.sei_sqrt * math.sqrt(n) + r.sei_linear * n)
    anode = npr * (1.0 - s * r.lam * n)
    assert min(1.0, inventory, anode) == pytest.approx(0.8, abs=1e-9)
    assert min(inventory, anode) >= 0.8 - 1e-9


@given(res=st.floats(0.0, 0.5), a=st.floats(1e-5, 0.05), b=st.floats(0.0, 0.01), c=st.floats(1e-7, 0.01),
       s=st.floats(0.01, 1.0))
def test_cycle_life_is_positive_and_falls_with_every_loss(p, res, a, b, c, s):
    rates = pf.DurabilityRates(a, b, c)
    n = pf.cycle_life(rates, s, 1.15, res, p)
    assert n > 0 and math.isfinite(n)
    assert pf.cycle_life(pf.DurabilityRates(a * 1.5, b, c), s, 1.15, res, p) <= n
    assert pf.cycle_life(pf.DurabilityRates(a, b * 1.5 + 1e-6, c), s, 1.15, res, p) <= n
    assert pf.cycle_life(pf.DurabilityRates(a, b, c * 1.5), s, 1.15, res, p) <= n


def test_reservoir_extends_life_up_to_the_n_p_margin_then_plates(p):
    rates = pf.DurabilityRates(0.004, 0.0004, 1e-5)  # inventory-limited
    lives = [pf.cycle_life(rates, 0.6, 1.15, r, p) for r in (0.0, 0.05, 0.10, 0.15)]
    assert lives[0] < lives[1] < lives[2] < lives[3]  # a Li reservoir is consumed first (Holtstiege 2018)
    assert pf.cycle_life(rates, 0.6, 1.15, 0.40, p) < lives[3]  # beyond the anode's margin Li plates


@given(qc=st.floats(0.5, 8.0), ice=st.floats(0.6, 1.0), loss=st.floats(0.0, 2.0), added=st.floats(0.0, 2.0))
def test_first_cycle_conserves_li(qc, ice, loss, added):
    f = first_cycle(qc, ice, loss, added)
    mobile = qc / ice - loss + added
    assert 0.0 <= f.capacity <= qc + 1e-12
    if mobile > 0:
        assert f.capacity + f.reservoir == pytest.approx(mobile, rel=1e-12)
    assert f.reservoir >= 0.0


def test_prelithiation_pays_in_energy_when_the_anode_loses_more_than_the_cathode():
    # cathode ICE 0.90 (loses 0.111 Q_c); an anode losing 0.2 Q_c limits the cell until Li is added
    bare = first_cycle(4.0, 0.90, 0.8)
    dosed = first_cycle(4.0, 0.90, 0.8, 0.4)
    assert bare.capacity < 4.0 and dosed.capacity > bare.capacity
    more = first_cycle(4.0, 0.90, 0.8, 0.8)
    assert more.capacity == pytest.approx(4.0) and more.reservoir > 0  # beyond: a reservoir


def test_every_declared_dependency_is_a_registered_kpi_and_a_parameter_section(params):
    from plants.kpi import DEPENDS, REGISTRY
    from plants.parameters import load_parameter_set

    _, sources = load_parameter_set("reference-2025")
    for key, sections in DEPENDS.items():
        assert REGISTRY.find(key) is not None and REGISTRY.find(key).depends == sections, key
        for sec in sections:
            assert any(p == sec or p.startswith(sec + ".") for p in sources), (key, sec)
