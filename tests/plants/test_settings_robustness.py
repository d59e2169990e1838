"""Settings that pass validation either run (reporting NaN or zero where nothing was made) or are
refused at validation with one line per problem naming the file, the setting and the limit: never
a traceback.

The four cases an attack on the command line found, then a property over the whole allowed range
of every numeric process setting.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import annotated_types as at
import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from plants.app.cli import main
from plants.app.plant import PLANT
from plants.carbon_coating.settings import BedType, CoatingMode, CoatingSettings
from plants.fbcvd.settings import FbcvdSettings, GasProgram
from plants.prelithiation import physics as pl
from plants.prelithiation.settings import PrelithRoute, PrelithSettings
from plants.scenario import LoadedScenario, load_scenario
from plants.slurry_casting import physics as ca
from plants.slurry_casting.settings import Binder, CastingSettings, Conductive
from twin.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
BALANCES = ("mass_balance.si_rel_error", "mass_balance.li_rel_error", "mass_balance.water_rel_error",
            "mass_balance.c_rel_error", "mass_balance.total_rel_error", "mass_balance.powder_lot_rel_error")


def _run(tmp_path: Path, *sets: str) -> int:
    argv = ["run", str(SMOKE), "--no-store", "--out", str(tmp_path / "out")]
    for s in sets:
        argv += ["--set", s]
    return main(argv)


def _refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one problem, one line
    return lines[0]


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))  # summary.json writes NaN as null


# ----------------------------------------------------------------------------- 1. coated width within the edge trim
@pytest.mark.integration
@pytest.mark.parametrize("width", ["0.01", "0.03"])  # below and at the 0.03 m trim of reference-2025
def test_a_coated_width_within_the_edge_trim_is_refused_at_validation(tmp_path, capsys, width):
    line = _refused(capsys, _run(tmp_path, f"settings.casting.coated_width_m={width}"))
    assert "smoke.yaml" in line and "settings.casting.coated_width_m" in line
    assert "casting.equipment.edge_trim_m = 0.03 m" in line and "reference-2025" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.component
def test_validate_refuses_the_same_width_and_names_every_problem(capsys):
    code = main(["validate", str(SMOKE), "--set", "settings.casting.coated_width_m=0.01",
                 "--set", "settings.casting.dryer_air_temperature_c=30"])
    assert code == 2
    err = capsys.readouterr().err
    assert "settings.casting.coated_width_m" in err and "settings.casting.dryer_air_temperature_c" in err


# ----------------------------------------------------------------------------- 2. a line too slow to finish a roll
@pytest.mark.integration
def test_a_line_too_slow_to_finish_a_roll_runs_and_reports_no_electrode(tmp_path, capsys):
    # 1000 m at 0.01 m/min takes 1667 h: no roll leaves the coater in the 336 h horizon
    assert _run(tmp_path, "settings.casting.line_speed_m_min=0.01") == 0
    assert "Traceback" not in capsys.readouterr().err
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["mixing.batches"] > 0
    for key in ("casting.rolls_made", "casting.coated_m2", "casting.output_m2", "casting.water_evaporated_kg",
                "prelith.rolls_released", "prelith.output_m2", "mass_balance.si_in_electrode_kg"):
        assert s[key] == 0.0, key
    for key in ("casting.areal_capacity_mah_cm2_mean", "casting.scrap_fraction", "yield.casting.first_pass",
                "prelith.ice_mean", "cell.energy_wh_kg", "cost.electrode_usd_per_m2"):
        assert _nan(s[key]), key
    for key in BALANCES:
        assert s[key] < 1e-9, key


# ------------------------------------------------------------ 2b. a batch needing more silane than the tank holds
@pytest.mark.integration
def test_a_batch_needing_more_silane_than_the_tank_holds_is_refused_not_stalled(tmp_path, capsys):
    # 0.1 x 100000 Nm3/h x 100 h is ~1.4 million kg of silane per batch; the tank holds 40 t: the
    # reactor would wait for the draw for ever and the plant would stall without a word
    line = _refused(capsys, _run(tmp_path, "settings.fbcvd.total_gas_flow_nm3_h=100000",
                                 "settings.fbcvd.deposition_time_h=100"))
    assert "settings.fbcvd.total_gas_flow_nm3_h" in line and "fbcvd.silane.tank_capacity_kg = 40,000 kg" in line
    assert not (tmp_path / "out").exists()
    # a batch that fits the tank runs
    assert _run(tmp_path, "settings.fbcvd.total_gas_flow_nm3_h=260", "horizon_h=48") == 0


# ----------------------------------------------------------------------------- 3. dryer air at or below the wet bulb
@pytest.mark.integration
@pytest.mark.parametrize("temperature", ["30", "40"])  # below and at the 40 degC wet bulb of reference-2025
def test_dryer_air_at_or_below_the_wet_bulb_is_refused_at_validation(tmp_path, capsys, temperature):
    line = _refused(capsys, _run(tmp_path, f"settings.casting.dryer_air_temperature_c={temperature}"))
    assert "smoke.yaml" in line and "settings.casting.dryer_air_temperature_c" in line
    assert "casting.dryer.wet_bulb_c = 40 degC" in line and "reference-2025" in line


@pytest.mark.component
def test_the_wet_bulb_limit_follows_the_parameter_not_a_literal():
    loaded = load_scenario(SMOKE, ["overrides.casting.dryer.wet_bulb_c=25", "settings.casting.dryer_air_temperature_c=30"])
    assert loaded.params.casting.dryer.wet_bulb_c == 25.0  # 30 degC air dries against a 25 degC wet bulb
    with pytest.raises(InputError, match=r"casting\.dryer\.wet_bulb_c = 55 degC"):
        load_scenario(SMOKE, ["overrides.casting.dryer.wet_bulb_c=55", "settings.casting.dryer_air_temperature_c=50"])
    # the dryer's reference point must itself dry (it scales the evaporation capacity)
    with pytest.raises(InputError, match=r"casting\.dryer\.air_temperature_ref_c"):
        load_scenario(SMOKE, ["overrides.casting.dryer.wet_bulb_c=55", "overrides.casting.dryer.air_temperature_ref_c=50"])


# ----------------------------------------------------------------------------- 4. no Si, no shell: powder at ICE 0
CASE_4 = ("settings.fbcvd.bed_temperature_c=300", "settings.fbcvd.silane_fraction=0.01",
          "settings.coating.acetylene_fraction=0.01")


@pytest.mark.integration
def test_powder_without_si_or_shell_is_rejected_by_the_powder_specs(smoke):
    s = PLANT.replicate(smoke.with_set(*CASE_4, "horizon_h=120"), 0).summary
    assert s["powder.lots_rejected"] > 0 and s["powder.output_kg"] == 0.0 and s["casting.rolls_made"] == 0.0
    for key in BALANCES:
        assert s[key] < 1e-9, key


@pytest.mark.integration
def test_the_worst_powder_let_through_keeps_its_ice_above_the_floor_and_every_balance(tmp_path, capsys, params):
    # Without powder specs the worst powder of the schema ranges (1 % Si, no shell, open pores) reaches
    # the mixers. Its ICE is bounded below (a poor material, not one that keeps every Li it is given:
    # the reviews' lowest half-cell ICE is ~72 %), so the electrode it makes has a finite loss, a Li dose
    # offsets it and the run completes with every figure finite and every balance closed.
    assert _run(tmp_path, *CASE_4, "specs.powder={}") == 0
    assert "Traceback" not in capsys.readouterr().err
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["casting.rolls_made"] > 0
    assert params.coating.powder.ice_floor <= s["powder.ice_mean"] < 0.8
    assert s["prelith.ice_mean"] > 0.0 and s["prelith.li_used_kg"] > 0.0
    for key in BALANCES:
        assert s[key] < 1e-9, key


@pytest.mark.unit
def test_blend_ice_at_the_degenerate_ends_is_the_limit_of_the_blend_rule():
    graphite = (350.0, 0.941)
    # a Si/C powder that stores nothing leaves the graphite's ICE
    assert ca.blend_ice(0.3, 0.0, 0.0, *graphite) == pytest.approx(0.941, rel=1e-12)
    assert ca.blend_ice(0.3, 0.0, 0.9, *graphite) == pytest.approx(0.941, rel=1e-12)
    # one that stores some at ICE 0 loses without bound
    assert ca.blend_ice(0.3, 250.0, 0.0, *graphite) == 0.0
    assert ca.blend_ice(1e-9, 250.0, 0.0, *graphite) == 0.0
    # nothing reversible at all gives nothing back
    assert ca.blend_ice(1.0, 0.0, 0.9, *graphite) == 0.0
    # the limit is approached continuously and arrays agree with floats
    assert ca.blend_ice(0.3, 1e-9, 0.9, *graphite) == pytest.approx(0.941, rel=1e-9)
    shares, caps, ices = [0.3, 0.3, 0.3, 1.0, 0.3], [1583.0, 0.0, 250.0, 0.0, 1583.0], [0.905, 0.0, 0.0, 0.9, 0.905]
    arr = ca.blend_ice(np.array(shares), np.array(caps), np.array(ices), *graphite)
    assert arr.tolist() == [ca.blend_ice(a, b, c, *graphite) for a, b, c in zip(shares, caps, ices, strict=True)]


@pytest.mark.unit
def test_prelithiation_at_the_degenerate_ends(params):
    li = params.prelith.lithium
    assert pl.li_needed_mah_cm2(3.0, 0.0) == math.inf and pl.li_needed_mah_cm2(0.0, 0.0) == 0.0
    assert pl.li_needed_mah_cm2(np.array([3.0, 0.0, 3.0]), np.array([0.0, 0.0, 0.85])).tolist() == [
        math.inf, 0.0, pl.li_needed_mah_cm2(3.0, 0.85)]
    # an unbounded loss takes all the Li laid: no residual, ICE stays 0
    r = pl.prelithiate(3.0, 0.0, 0.5, 0.9, 1.0, 0.05, li)
    assert r.residual == 0.0 and r.ice == 0.0 and abs(r.balance_error) < 1e-12
    # no reversible capacity: nothing given back, every bit of Li left is residual metal
    r = pl.prelithiate(0.0, 0.0, 0.5, 0.9, 1.0, 0.05, li)
    assert r.ice == 0.0 and r.residual_of_capacity == math.inf and abs(r.balance_error) < 1e-12
    # no dose
    r = pl.prelithiate(3.0, 0.85, 0.0, 0.9, 1.0, 0.05, li)
    assert r.applied == 0.0 and r.residual == 0.0 and r.ice == pytest.approx(0.85, rel=1e-12)
    a = pl.prelithiate(np.array([3.0, 0.0, 3.0]), np.array([0.0, 0.0, 0.85]), 0.5, 0.9, 1.0, 0.05, li)
    for i, (q, ice) in enumerate([(3.0, 0.0), (0.0, 0.0), (3.0, 0.85)]):
        b = pl.prelithiate(q, ice, 0.5, 0.9, 1.0, 0.05, li)
        assert a.ice[i] == pytest.approx(b.ice, rel=1e-12) and a.residual[i] == pytest.approx(b.residual, abs=1e-15)
        assert a.residual_of_capacity[i] == pytest.approx(b.residual_of_capacity, rel=1e-12)


# ----------------------------------------------------------------------------- amounts too small to account
@pytest.mark.component
@pytest.mark.parametrize(("item", "named"), [
    ("settings.fbcvd.batch_mass_kg=1e-9", "settings.fbcvd.batch_mass_kg"),
    ("settings.fbcvd.total_gas_flow_nm3_h=5e-324", "settings.fbcvd"),
    ("settings.fbcvd.deposition_time_h=5e-324", "settings.fbcvd"),
    ("settings.casting.mix_batch_dry_kg=5e-324", "settings.casting.mix_batch_dry_kg"),
    ("settings.casting.coat_weight_mg_cm2=5e-324", "settings.casting.coat_weight_mg_cm2"),
])
def test_amounts_below_what_the_twin_can_account_are_refused(smoke, item, named):
    with pytest.raises(InputError) as exc:
        smoke.with_set(item)
    assert f"smoke.yaml: {named}:" in str(exc.value)


# ----------------------------------------------------------------------------- the whole allowed range
def _bounds(field: FieldInfo) -> tuple[Any, bool, Any, bool]:
    """(low, low excluded, high, high excluded) of a numeric field, from its metadata (also inside Optional)."""
    meta = list(field.metadata)
    if not meta:
        for arg in getattr(field.annotation, "__args__", ()) or ():
            for m in getattr(arg, "__metadata__", ()):
                if isinstance(m, FieldInfo):
                    meta = list(m.metadata)
    lo: Any = None
    hi: Any = None
    lo_open = hi_open = False
    for m in meta:
        if isinstance(m, at.Ge):
            lo = m.ge
        elif isinstance(m, at.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, at.Le):
            hi = m.le
        elif isinstance(m, at.Lt):
            hi, hi_open = m.lt, True
    return lo, lo_open, hi, hi_open


# Fields with no upper limit in the model: drawn up to well past what the smoke plant can take
# (300 kg reactor charge, 2500 kg mixer), so the refusals above the limits are drawn too.
_UNBOUNDED_TO = {"batch_mass_kg": 1000.0, "mix_batch_dry_kg": 10000.0}


def _number(model: type[BaseModel], name: str) -> st.SearchStrategy[float]:
    field = model.model_fields[name]
    lo, lo_open, hi, hi_open = _bounds(field)
    assert lo is not None, f"{model.__name__}.{name} has no lower limit"
    if hi is None:
        hi = _UNBOUNDED_TO[name]
    if field.annotation is int:
        return st.integers(int(lo) + lo_open, int(hi) - hi_open)
    return st.floats(min_value=lo, max_value=hi, exclude_min=lo_open, exclude_max=hi_open)


def _numeric_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, f in model.model_fields.items() if _bounds(f)[0] is not None]


@st.composite
def _setting_lines(draw: st.DrawFn) -> list[str]:
    """--set lines for every numeric field of settings.fbcvd, .coating, .casting and .prelith (and the
    choices), each drawn over its whole allowed range.

    Drawn independently, nearly every example breaks one of the limits that couple the fields (silane
    plus ethylene within the feed, the reactor's and the coater's charge, the edge trim, the wet
    bulb) and is refused; so in about three examples of four those few fields are drawn inside what
    the others and the smoke plant allow, and the rest of the settings still over their whole range.
    """
    out: dict[str, Any] = {}
    for section, model in (("fbcvd", FbcvdSettings), ("coating", CoatingSettings), ("casting", CastingSettings),
                           ("prelith", PrelithSettings)):
        for name in _numeric_fields(model):
            out[f"{section}.{name}"] = draw(_number(model, name), label=f"{section}.{name}")
    if draw(st.integers(0, 3), label="coupled fields inside their limits") > 0:
        p = _smoke_60h().params
        y = out["fbcvd.silane_fraction"]
        out["fbcvd.c2h4_ratio"] = draw(st.floats(0.0, min(5.0, 1.0 / y - 1.0)), label="fbcvd.c2h4_ratio")
        batch = draw(st.floats(1e-6, p.fbcvd.equipment.max_charge_kg), label="fbcvd.batch_mass_kg")
        out["fbcvd.batch_mass_kg"] = batch
        worst = batch * (1.0 + p.fbcvd.scaffold.pore_volume_mean_cm3_g * p.fbcvd.kinetics.si_density_g_cm3)
        most = min(int(p.coating.equipment.max_charge_kg // worst), p.buffers.cvd_to_coating_lots, 50)
        out["coating.cvd_lots_per_batch"] = draw(st.integers(1, max(most, 1)), label="coating.cvd_lots_per_batch")
        out["casting.coated_width_m"] = draw(st.floats(p.casting.equipment.edge_trim_m, 3.0, exclude_min=True),
                                             label="casting.coated_width_m")
        out["casting.dryer_air_temperature_c"] = draw(st.floats(p.casting.dryer.wet_bulb_c, 200.0, exclude_min=True),
                                                      label="casting.dryer_air_temperature_c")
    if draw(st.booleans(), label="gas program"):
        out["fbcvd.gas_program"] = (f"{{silane_fraction_end: {draw(_number(GasProgram, 'silane_fraction_end'))!r}, "
                                    f"c2h4_ratio_end: {draw(_number(GasProgram, 'c2h4_ratio_end'))!r}}}")
    # exactly one Li dose
    if draw(st.booleans(), label="dose in um"):
        out["prelith.li_dose_fraction_of_loss"] = "null"
    else:
        out["prelith.li_dose_um"] = "null"
    for key, enum in (("coating.mode", CoatingMode), ("coating.bed", BedType), ("casting.binder", Binder),
                      ("casting.conductive", Conductive), ("prelith.route", PrelithRoute)):
        out[key] = draw(st.sampled_from([e.value for e in enum]), label=key)
    return [f"settings.{k}={v!r}" if isinstance(v, float) else f"settings.{k}={v}" for k, v in out.items()]


@lru_cache(maxsize=1)
def _smoke_60h() -> LoadedScenario:
    return load_scenario(SMOKE, ["horizon_h=60"])


@pytest.mark.integration
@hyp_settings(max_examples=25, deadline=None)
@given(items=_setting_lines())
def test_any_allowed_settings_are_refused_at_validation_or_run_with_closed_balances(items):
    note("\n".join(items))
    try:
        loaded = _smoke_60h().with_set(*items)
    except InputError as exc:
        assert re.search(r"settings\.(fbcvd|coating|casting|prelith)", str(exc)), str(exc)
        event("refused at validation")
        return
    event("ran")
    s = PLANT.replicate(loaded, 0).summary
    for key in BALANCES:
        assert s[key] < 1e-9, (key, s[key])
