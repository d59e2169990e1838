"""Scenarios in memory: deriving without the file, loading from a mapping, parameter sets by path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from plants.parameters import PARAMETER_SET_DIR
from plants.scenario import load_scenario
from twin.errors import InputError

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"


def _copy(tmp_path: Path) -> Path:
    p = tmp_path / "smoke.yaml"
    shutil.copy(SMOKE, p)
    return p


def test_with_set_gives_what_loading_with_the_set_gives():
    base = load_scenario(SMOKE)
    derived = base.with_set("settings.fbcvd.bed_temperature_c=480", "seed=11")
    fresh = load_scenario(SMOKE, ["settings.fbcvd.bed_temperature_c=480", "seed=11"])
    assert derived.scenario == fresh.scenario and derived.params == fresh.params
    assert derived.text == fresh.text and derived.sets == fresh.sets
    assert derived.scenario.settings.fbcvd.bed_temperature_c == 480.0 and base.scenario.settings.fbcvd.bed_temperature_c != 480.0


def test_derived_scenarios_survive_the_file_being_edited_or_deleted(tmp_path):
    p = _copy(tmp_path)
    base = load_scenario(p)
    p.write_text(p.read_text().replace("seed: 7", "seed: 99"))  # edited in the notebook's back
    hot = base.with_settings({"fbcvd.bed_temperature_c": 480})
    assert hot.scenario.seed == base.scenario.seed == 7
    p.unlink()
    hotter = hot.with_settings(fbcvd__bed_temperature_c=490)
    assert hotter.scenario.settings.fbcvd.bed_temperature_c == 490.0 and hotter.scenario.seed == 7
    assert hotter.sets == ("settings.fbcvd.bed_temperature_c=480", "settings.fbcvd.bed_temperature_c=490")
    with pytest.raises(InputError, match="bed_temperature_c"):  # still validated like --set
        base.with_settings({"fbcvd.bed_temperature_c": 5000})


def test_a_mapping_loads_like_its_file():
    tree = yaml.safe_load(SMOKE.read_text())
    a, b = load_scenario(tree), load_scenario(SMOKE)
    assert a.scenario == b.scenario and a.params == b.params and a.path == "<memory>"
    assert yaml.safe_load(a.text) == tree  # the text is the mapping, so provenance hashes what was run
    tree["seed"] = 8
    assert a.scenario.seed == 7  # the loaded scenario holds its own copy


def test_parameter_set_by_path_relative_to_the_scenario(tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    own = yaml.safe_load((PARAMETER_SET_DIR / "reference-2025.yaml").read_text())
    own["name"] = "my-plant"
    own["fbcvd"]["equipment"]["mtbf_h"]["value"] = 123.0
    (sets / "my-plant.yaml").write_text(yaml.safe_dump(own))
    tree = yaml.safe_load(SMOKE.read_text())
    tree["parameter_set"] = "sets/my-plant.yaml"
    p = tmp_path / "mine.yaml"
    p.write_text(yaml.safe_dump(tree))
    loaded = load_scenario(p)
    assert loaded.params.name == "my-plant" and loaded.params.fbcvd.equipment.mtbf_h == 123.0
    assert Path(loaded.parameter_file) == sets / "my-plant.yaml"
    (sets / "my-plant.yaml").unlink()  # derived scenarios reuse the set they were built from
    assert loaded.with_set("seed=3").params.fbcvd.equipment.mtbf_h == 123.0


def test_a_missing_parameter_set_file_names_the_field_and_the_path(tmp_path):
    tree = yaml.safe_load(SMOKE.read_text())
    tree["parameter_set"] = "nowhere/plant.yaml"
    with pytest.raises(InputError) as e:
        load_scenario(tree, base_dir=tmp_path)
    assert "parameter_set" in str(e.value) and "nowhere/plant.yaml" in str(e.value)
    with pytest.raises(InputError, match="reference-2025"):  # a bad name lists the packaged sets
        load_scenario(SMOKE, ["parameter_set=reference-2024"])


def test_overrides_are_recorded_as_scenario_values():
    loaded = load_scenario(SMOKE, ["overrides.economics.prices.silane_cny_per_t=150000"])
    rec = loaded.sources["economics.prices.silane_cny_per_t"]
    assert rec.value == 150000 and rec.flag.value == "scenario" and "smoke.yaml" in rec.source
    assert loaded.params.economics.prices.silane_cny_per_t == 150000


def test_the_provenance_text_loads_back_to_the_same_scenario_with_its_set_lines():
    from plants.scenario import load_scenario_text

    a = load_scenario(SMOKE, ["overrides.economics.prices.silane_cny_per_t=150000", "seed=3"])
    b = load_scenario_text(a.text)
    assert b.scenario == a.scenario and b.params == a.params and b.text == a.text and b.sets == a.sets
    plain = load_scenario(SMOKE)
    assert load_scenario_text(plain.text).sets == () and load_scenario_text(plain.text).scenario == plain.scenario


@pytest.mark.parametrize("item, needle", [
    ("horizon_h=true", "horizon_h: expected a number, got true"),
    ("horizon_h=.nan", "horizon_h: expected a finite number"),
    ("settings.fbcvd.bed_temperature_c=hot", "settings.fbcvd.bed_temperature_c: expected a number, got the text 'hot'"),
    ("specs.powder.ice.min=.inf", "specs.powder.ice.min: expected a finite number"),
    ("targets.powder_usd_per_kg=1e308", None),  # finite: allowed by type, refused by nothing here
    ("overrides.fbcvd.equipment.mtbf_h=.nan", "fbcvd.equipment.mtbf_h: expected a finite number"),
    ("overrides.economics.prices.silane_cny_per_t=yes", "silane_cny_per_t: expected a number, got true"),
])
def test_numbers_are_numbers(item, needle):
    if needle is None:
        load_scenario(SMOKE, [item])
        return
    with pytest.raises(InputError) as e:
        load_scenario(SMOKE, [item])
    assert needle in str(e.value) and "smoke.yaml" in str(e.value)


def test_validate_checks_the_paths_studies_name():
    opt = ROOT / "scenarios" / "opt_check.yaml"
    with pytest.raises(InputError) as e:
        load_scenario(opt, ["optimization.decisions={settings.fbcvd.bed_temprature_c: {min: 430, max: 490}}"])
    msg = str(e.value)
    assert "optimization.decisions.settings.fbcvd.bed_temprature_c" in msg and "did you mean 'bed_temperature_c'" in msg
    with pytest.raises(InputError, match=r"reactor_cnt.*did you mean 'reactor_count'"):
        load_scenario(ROOT / "scenarios" / "sensitivity.yaml",
                      ["sensitivity.parameters={overrides.fbcvd.equipment.reactor_cnt: {min: 1, max: 3}}"])
    with pytest.raises(InputError, match=r"settings\.casting\.binder"):  # an option the setting cannot take
        load_scenario(opt, ["optimization.decisions={settings.casting.binder: {options: [glue, paa]}}"])
    load_scenario(opt, ["optimization.decisions={settings.casting.binder: {options: [paa, cmc_sbr]}}"])
