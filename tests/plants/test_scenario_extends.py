"""Scenario inheritance: ``extends: baseline.yaml`` plus only what changes, deep-merged; errors name
the file a bad value came from; a run records (and reloads) the merged scenario."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from plants.scenario import load_scenario, load_scenario_text, scenario_json_schema
from twin.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "scenarios"


def _write(path: Path, tree: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def family(tmp_path: Path) -> Path:
    """base.yaml (a copy of smoke) in tmp_path, child.yaml in tmp_path/sub extending it."""
    shutil.copy(SCEN / "smoke.yaml", tmp_path / "base.yaml")
    return tmp_path


@pytest.mark.unit
def test_child_deep_merges_over_its_base(family: Path) -> None:
    child = _write(family / "sub" / "child.yaml", {
        "extends": "../base.yaml", "name": "child",
        "settings": {"fbcvd": {"bed_temperature_c": 480}},  # one key of a section: the rest inherited
        "overrides": {"fbcvd": {"equipment": {"reactor_count": 3}}},  # merges into smoke's overrides
        "specs": {"powder": {"ice": {"min": 0.9}, "capacity_mah_g": None}},  # null removes an inherited key
    })
    base, got = load_scenario(family / "base.yaml"), load_scenario(child)
    assert got.scenario.name == "child" and base.scenario.name == "smoke"
    assert got.scenario.settings.fbcvd.bed_temperature_c == 480.0
    assert got.scenario.settings.fbcvd.silane_fraction == base.scenario.settings.fbcvd.silane_fraction
    assert got.scenario.settings.casting == base.scenario.settings.casting
    assert got.params.fbcvd.equipment.reactor_count == 3
    assert got.params.fbcvd.equipment.operators_per_shift == base.params.fbcvd.equipment.operators_per_shift == 1
    assert got.params.coating.equipment.reactor_count == base.params.coating.equipment.reactor_count == 1
    assert got.scenario.specs.powder.ice is not None and got.scenario.specs.powder.ice.min == 0.9
    assert got.scenario.specs.powder.capacity_mah_g is None and base.scenario.specs.powder.capacity_mah_g is not None
    assert got.scenario.specs.powder.si_content_wt == base.scenario.specs.powder.si_content_wt


@pytest.mark.unit
def test_lists_replace_and_chains_resolve(tmp_path: Path) -> None:
    reactors = "overrides.fbcvd.equipment.reactor_count"
    _write(tmp_path / "a.yaml", {**yaml.safe_load((SCEN / "opt_check.yaml").read_text()), "name": "a"})
    _write(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b", "seed": 3,
                                 "optimization": {"decisions": {reactors: {"options": [8, 10, 12]}}}})
    _write(tmp_path / "c" / "c.yaml", {"extends": "../b.yaml", "name": "c", "optimization": {
        "decisions": {reactors: {"options": [9, 11]}, "settings.fbcvd.bed_temperature_c": {"min": 440}}}})
    a, c = load_scenario(tmp_path / "a.yaml"), load_scenario(tmp_path / "c" / "c.yaml")
    assert c.scenario.name == "c" and c.scenario.seed == 3 and a.scenario.seed != 3  # b's seed reaches c
    assert a.scenario.optimization is not None and c.scenario.optimization is not None
    decisions = c.scenario.optimization.decisions
    assert decisions[reactors].options == [9, 11]  # the list replaced, not appended
    assert set(decisions) == {*a.scenario.optimization.decisions, reactors}  # a's decisions inherited
    t = decisions["settings.fbcvd.bed_temperature_c"]
    assert (t.min, t.max) == (440.0, a.scenario.optimization.decisions["settings.fbcvd.bed_temperature_c"].max)
    assert c.scenario.optimization.objective == a.scenario.optimization.objective


@pytest.mark.unit
def test_the_shipped_example_equals_the_scenario_it_replaced() -> None:
    """scenarios/cost_target.yaml extends baseline.yaml; written out in full it is the baseline with
    its own name, description, horizon, warm-up, target and optimization section."""
    ct, base = load_scenario(SCEN / "cost_target.yaml"), load_scenario(SCEN / "baseline.yaml")
    assert "extends" in yaml.safe_load((SCEN / "cost_target.yaml").read_text())
    full = yaml.safe_load((SCEN / "baseline.yaml").read_text())
    full.update(name="cost_target", horizon_h=3000, warmup_h=0, targets={"powder_usd_per_kg": 45.0},
                description=ct.scenario.description,
                optimization=yaml.safe_load((SCEN / "cost_target.yaml").read_text())["optimization"])
    written_out = load_scenario(full, base_dir=SCEN)
    assert ct.scenario == written_out.scenario and ct.params == written_out.params
    assert ct.scenario.settings == base.scenario.settings and ct.scenario.specs == base.scenario.specs


@pytest.mark.unit
def test_a_parameter_set_path_stays_relative_to_the_file_that_names_it(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    sets.mkdir()
    shutil.copy(ROOT / "plants" / "parameter_sets" / "reference-2025.yaml", sets / "mine.yaml")
    _write(tmp_path / "base" / "base.yaml", {**yaml.safe_load((SCEN / "smoke.yaml").read_text()),
                                             "parameter_set": "../sets/mine.yaml"})
    child = _write(tmp_path / "deep" / "er" / "child.yaml", {"extends": "../../base/base.yaml", "seed": 1})
    got = load_scenario(child)
    assert Path(got.parameter_file).resolve() == (sets / "mine.yaml").resolve()
    assert load_scenario_text(got.text, base_dir=child.parent).params == got.params  # the merged text resolves too


@pytest.mark.unit
def test_a_cycle_is_an_error_naming_the_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    _write(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(InputError) as e:
        load_scenario(tmp_path / "a.yaml")
    msg = str(e.value)
    assert "cycle" in msg and "a.yaml" in msg and "b.yaml" in msg and "extends" in msg
    _write(tmp_path / "self.yaml", {"extends": "self.yaml"})
    with pytest.raises(InputError, match="cycle"):
        load_scenario(tmp_path / "self.yaml")


@pytest.mark.unit
def test_a_missing_or_malformed_base_is_an_error_naming_the_extending_file(tmp_path: Path) -> None:
    child = _write(tmp_path / "child.yaml", {"extends": "nowhere.yaml", "name": "x"})
    with pytest.raises(InputError) as e:
        load_scenario(child)
    assert "child.yaml: extends: no scenario file at" in str(e.value) and "nowhere.yaml" in str(e.value)
    _write(child, {"extends": ["a.yaml", "b.yaml"]})
    with pytest.raises(InputError, match=r"child\.yaml: extends: must name the scenario file"):
        load_scenario(child)


@pytest.mark.unit
def test_errors_name_the_file_the_bad_value_came_from(family: Path) -> None:
    base = family / "base.yaml"
    tree = yaml.safe_load(base.read_text())
    tree["settings"]["casting"]["coat_weight_mg_cm2"] = 60  # bad in the base
    tree["overrides"]["lab"]["turnaround_h"] = -1  # a bad parameter override in the base
    _write(base, tree)
    child = _write(family / "sub" / "child.yaml", {
        "extends": "../base.yaml",
        "settings": {"fbcvd": {"bed_temperature_c": 900}},  # bad in the child
        "overrides": {"fbcvd": {"equipment": {"reactor_count": 0}}},  # a bad override in the child
    })
    with pytest.raises(InputError) as e:
        load_scenario(child)
    by_path = {p.path: p.file for p in e.value.problems}
    assert by_path["settings.fbcvd.bed_temperature_c"] == str(child)
    assert Path(by_path["settings.casting.coat_weight_mg_cm2"]).resolve() == base.resolve()
    tree["settings"]["casting"]["coat_weight_mg_cm2"] = 6.0
    _write(base, tree)
    _write(child, {"extends": "../base.yaml", "overrides": {"fbcvd": {"equipment": {"reactor_count": 0}}}})
    with pytest.raises(InputError) as e:
        load_scenario(child)
    files = {p.path: p.file for p in e.value.problems}
    assert files["fbcvd.equipment.reactor_count"].startswith(str(child))
    assert "base.yaml" in files["lab.turnaround_h"] and str(child) not in files["lab.turnaround_h"]
    # a --set line is the scenario file's, not the base's where the key was first given
    _write(child, {"extends": "../base.yaml"})
    tree["overrides"]["lab"]["turnaround_h"] = 24
    _write(base, tree)
    with pytest.raises(InputError) as e:
        load_scenario(child, ["settings.casting.coat_weight_mg_cm2=50"])
    assert [p.file for p in e.value.problems] == [str(child)]


@pytest.mark.unit
def test_the_recorded_text_is_the_merged_scenario_and_reloads_without_the_base(family: Path) -> None:
    child = _write(family / "sub" / "child.yaml", {"extends": "../base.yaml", "name": "child",
                                                   "settings": {"fbcvd": {"bed_temperature_c": 470}}})
    got = load_scenario(child, ["seed=5"])
    assert "extends" not in yaml.safe_load(got.text.rsplit("\n# --set", 1)[0])
    (family / "base.yaml").unlink()  # the run's record must not need the base file
    child.unlink()
    back = load_scenario_text(got.text)
    assert back.scenario == got.scenario and back.params == got.params and back.text == got.text
    assert back.scenario.seed == 5 and back.scenario.settings.fbcvd.bed_temperature_c == 470.0
    derived = got.with_set("settings.fbcvd.bed_temperature_c=490")  # built in memory from the merged tree
    assert derived.scenario.settings.fbcvd.bed_temperature_c == 490.0 and derived.scenario.name == "child"


@pytest.mark.unit
def test_a_scenario_that_extends_nothing_keeps_its_own_text() -> None:
    plain = load_scenario(SCEN / "smoke.yaml")
    assert plain.text == (SCEN / "smoke.yaml").read_text(encoding="utf-8")  # provenance hashes unchanged


@pytest.mark.unit
def test_a_mapping_may_extend_a_file() -> None:
    got = load_scenario({"extends": "smoke.yaml", "name": "m", "seed": 9}, base_dir=SCEN)
    smoke = load_scenario(SCEN / "smoke.yaml")
    assert got.scenario.name == "m" and got.scenario.seed == 9
    assert got.scenario.settings == smoke.scenario.settings and got.params == smoke.params


@pytest.mark.component
def test_json_schema_takes_a_partial_extending_scenario_and_checks_its_keys() -> None:
    from jsonschema import Draft202012Validator

    schema = scenario_json_schema()
    Draft202012Validator.check_schema(schema)
    v = Draft202012Validator(schema)
    assert not list(v.iter_errors(yaml.safe_load((SCEN / "cost_target.yaml").read_text())))
    assert not list(v.iter_errors({"extends": "baseline.yaml", "settings": {"fbcvd": {"bed_temperature_c": 480}},
                                   "targets": None}))
    assert list(v.iter_errors({"extends": "baseline.yaml", "settings": {"fbcvd": {"bed_temprature_c": 480}}}))
    assert list(v.iter_errors({"extends": "baseline.yaml", "horizon_h": -5}))
    assert not list(v.iter_errors({"extends": "opt_check.yaml", "optimization": {"decisions": {  # null removes one
        "settings.coating.time_h": None, "settings.fbcvd.bed_temperature_c": {"min": 440}}}}))
    assert list(v.iter_errors({"name": "no extends: everything required"}))
    assert not list(v.iter_errors({**yaml.safe_load((SCEN / "smoke.yaml").read_text()),
                                   "horizon_h": "2 weeks"}))  # a quantity as text


@pytest.mark.integration
def test_a_run_of_an_extended_scenario_records_and_reloads_the_merged_scenario(family: Path) -> None:
    from plants.app.api import RunResult, run, write_outputs

    child = _write(family / "sub" / "child.yaml", {"extends": "../base.yaml", "name": "child", "horizon_h": 96,
                                                   "settings": {"fbcvd": {"bed_temperature_c": 470}}})
    loaded = load_scenario(child)
    res = run(loaded)
    out = write_outputs(res, family / "out")
    (family / "base.yaml").unlink()  # the folder alone reproduces the run
    back = RunResult.from_folder(out)
    assert back.scenario is not None
    # reloaded against the very parameter-set file the run read (so parameter_set names that file)
    assert back.scenario.scenario.model_copy(update={"parameter_set": "reference-2025"}) == loaded.scenario
    assert back.scenario.params == loaded.params
    stored = (out / "scenario.yaml").read_text()
    assert stored == loaded.text and "extends" not in yaml.safe_load(stored)
    assert json.loads((out / "summary.json").read_text())["horizon_h"] == 96
