"""Emissions and electricity against hand-checked relations: a factor moves the total by exactly
what it multiplies; the attribution and the waterfall add up; the flare follows stoichiometry."""

from __future__ import annotations

import pytest

from plants.common import M_C2H4_G_MOL, M_C_G_MOL
from plants.costing import cost_of
from plants.emissions import SCOPES, emissions_of
from plants.lines import LotKind, stage_keys
from plants.plant import simulate

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def case(smoke):
    sc = smoke.with_set("horizon_h=300", "warmup_h=0", "settings.fbcvd.c2h4_ratio=0.1")
    rep = simulate(sc)
    kwh_per_m2 = cost_of(rep, sc).summary["cell.wh_per_m2_anode"] / 1000.0
    return sc, rep, kwh_per_m2, emissions_of(rep, sc, kwh_per_m2)


def test_doubling_the_grid_factor_adds_exactly_the_electricity_emissions(case):
    sc, rep, kwh_per_m2, base = case
    g = sc.params.emissions.grid_kg_per_kwh
    twice = emissions_of(rep, sc.with_set(f"overrides.emissions.grid_kg_per_kwh={2 * g!r}"), kwh_per_m2)
    electricity = float(base.ledger.loc[base.ledger["category"] == "electricity", "kg"].sum())
    assert electricity > 0
    assert twice.summary["co2.total_kg"] - base.summary["co2.total_kg"] == pytest.approx(electricity, rel=1e-12)
    # ... and electricity emissions are the kWh times the factor
    assert electricity == pytest.approx(base.summary["energy.total_kwh"] * g, rel=1e-12)


def test_a_material_factor_moves_the_total_by_exactly_its_consumption(case):
    sc, rep, kwh_per_m2, base = case
    f = sc.params.emissions.silane_kg_per_kg
    more = emissions_of(rep, sc.with_set(f"overrides.emissions.silane_kg_per_kg={f + 1.0!r}"), kwh_per_m2)
    silane_kg = float(rep.lots.loc[rep.lots["line"] == LotKind.CVD, "silane_fed_kg"].fillna(0.0).sum())
    assert silane_kg > 0
    assert more.summary["co2.total_kg"] - base.summary["co2.total_kg"] == pytest.approx(silane_kg, rel=1e-12)


def test_attribution_and_waterfall_add_up(case):
    _, _, _, base = case
    s = base.summary
    by_line = sum(s[f"co2.by_line.{ln}.{scope}_kg"] for ln in stage_keys() for scope in SCOPES)
    assert by_line == pytest.approx(s["co2.total_kg"], rel=1e-12)
    parts = sum(s[f"co2.waterfall.powder.{scope}_kg_per_kg"] for scope in SCOPES)
    assert parts == pytest.approx(s["co2.powder_kg_per_kg"], rel=1e-12)
    assert sum(s[f"energy.{ln}_kwh"] for ln in stage_keys()) == pytest.approx(s["energy.total_kwh"], rel=1e-12)
    assert s["co2.anode_kg_per_kwh"] > 0 and s["energy.powder_kwh_per_kg"] > 0


def test_the_flare_of_unreacted_ethylene_by_stoichiometry(case):
    sc, rep, _, base = case
    cvd = rep.lots[(rep.lots["line"] == LotKind.CVD) & rep.lots["si_deposited_kg"].notna()]
    # only the SiC whose carbon came from the ethylene cracked it (the thermal SiC took scaffold carbon)
    unreacted = (cvd["c2h4_fed_kg"] - cvd["c2h4_carbon_kg"] * M_C2H4_G_MOL / (2 * M_C_G_MOL)).clip(lower=0.0)
    assert unreacted.sum() > 0
    fbcvd_direct = float(base.ledger.loc[(base.ledger["line"] == "fbcvd") & (base.ledger["category"] == "direct"), "kg"].sum())
    assert fbcvd_direct == pytest.approx(float(unreacted.sum()) * 2 * 44.009 / M_C2H4_G_MOL, rel=1e-3)  # factor 3.1374 (4 digits)
    none = emissions_of(rep, sc.with_set("overrides.emissions.flare_ethylene_kg_per_kg=0",
                                         "overrides.emissions.flare_acetylene_kg_per_kg=0"), 1.0)
    assert none.summary["co2.total_kg"] == pytest.approx(
        base.summary["co2.total_kg"] - float(base.ledger.loc[base.ledger["category"] == "direct", "kg"].sum()), rel=1e-12)


def test_scrapped_material_carries_its_emissions_into_scrap(smoke):
    # a tight electrode spec scraps rolls: what they carried moves to the casting line's scrap
    sc = smoke.with_set("horizon_h=300", "warmup_h=0", "specs.electrode.press_density_g_cm3.max=1.55")
    rep = simulate(sc)
    res = emissions_of(rep, sc, 1.0)
    lots = res.lots
    dead = lots["status"].isin(["scrapped", "rejected"]).to_numpy()
    assert dead.any()
    assert lots.loc[dead, "scrap_kg"].to_numpy() == pytest.approx(lots.loc[dead, "co2_kg"].to_numpy()
                                                                  - lots.loc[dead, "absorbed_scrap_kg"].to_numpy(), rel=1e-12)
    assert res.summary["co2.scrap_kg"] == pytest.approx(float(lots["scrap_kg"].sum()), rel=1e-12)
    assert res.summary["co2.by_line.casting.scrap_kg"] > 0


def test_a_zero_carbon_grid_still_uses_its_electricity(case):
    sc, rep, kwh_per_m2, base = case
    zero = emissions_of(rep, sc.with_set("overrides.emissions.grid_kg_per_kwh=0"), kwh_per_m2)
    for key in ("energy.total_kwh", "energy.fbcvd_kwh", "energy.powder_kwh_per_kg", "energy.anode_kwh_per_kwh"):
        assert zero.summary[key] == pytest.approx(base.summary[key], rel=1e-12)
    assert zero.summary["co2.by_line.fbcvd.electricity_kg"] == 0.0
