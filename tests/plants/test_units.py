"""Settings with units: ``--set settings.fbcvd.bed_temperature_c="480 degC"`` (or "753.15 K"), a
pint Quantity in Python, or a quantity as text in the YAML, converted to the field's unit."""

from __future__ import annotations

from pathlib import Path

import pint
import pytest
import yaml

from plants.scenario import load_scenario, load_scenario_text
from twin.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
pytestmark = pytest.mark.unit

UREG = pint.UnitRegistry()  # the user's own registry, not the one the loader converts with


@pytest.mark.parametrize("given, expected", [
    ("480 degC", 480.0), ("753.15 K", 480.0), ("480degC", 480.0), ("896 degF", 480.0), ("480 °C", 480.0),
])
def test_a_temperature_with_a_unit_is_converted_to_degc(given, expected):
    got = load_scenario(SMOKE, [f"settings.fbcvd.bed_temperature_c={given}"])
    assert got.scenario.settings.fbcvd.bed_temperature_c == pytest.approx(expected, abs=1e-9)


def test_offset_units_convert_as_temperatures_not_differences():
    got = load_scenario(SMOKE, ["settings.prelith.dew_point_c=228.15 K", "settings.casting.dryer_air_temperature_c=248 degF"])
    assert got.scenario.settings.prelith.dew_point_c == pytest.approx(-45.0)
    assert got.scenario.settings.casting.dryer_air_temperature_c == pytest.approx(120.0)


@pytest.mark.parametrize("item, attr, expected", [
    ("settings.fbcvd.deposition_time_h=360 min", ("fbcvd", "deposition_time_h"), 6.0),
    ("settings.fbcvd.batch_mass_kg=0.2 t", ("fbcvd", "batch_mass_kg"), 200.0),
    ("settings.fbcvd.total_gas_flow_nm3_h=5 Nm3/min", ("fbcvd", "total_gas_flow_nm3_h"), 300.0),
    ("settings.fbcvd.silane_fraction=12 %", ("fbcvd", "silane_fraction"), 0.12),
    ("settings.casting.coat_weight_mg_cm2=60 g/m^2", ("casting", "coat_weight_mg_cm2"), 6.0),
    ("settings.casting.coat_weight_mg_cm2=6 mg/cm2", ("casting", "coat_weight_mg_cm2"), 6.0),
    ("settings.casting.line_speed_m_min=0.5 m/s", ("casting", "line_speed_m_min"), 30.0),
    ("settings.casting.coated_width_m=1200 mm", ("casting", "coated_width_m"), 1.2),
    ("settings.casting.press_density_g_cm3=1600 kg/m^3", ("casting", "press_density_g_cm3"), 1.6),
    ("settings.casting.binder_wt=3 %", ("casting", "binder_wt"), 0.03),
    ("settings.prelith.contact_time_min=0.25 h", ("prelith", "contact_time_min"), 15.0),
    ("settings.prelith.pressure_mpa=10 bar", ("prelith", "pressure_mpa"), 1.0),
])
def test_each_unit_suffix_converts(item, attr, expected):
    got = load_scenario(SMOKE, [item])
    assert getattr(getattr(got.scenario.settings, attr[0]), attr[1]) == pytest.approx(expected)


def test_top_level_and_calendar_fields_with_units():
    got = load_scenario(SMOKE, ["horizon_h=2 weeks", "warmup_h=1 day"])
    assert got.scenario.horizon_h == 336.0 and got.scenario.warmup_h == 24.0


def test_a_wrong_dimension_names_the_field_the_given_and_the_expected_unit():
    with pytest.raises(InputError) as e:
        load_scenario(SMOKE, ["settings.fbcvd.bed_temperature_c=480 kg"])
    msg = str(e.value)
    assert "smoke.yaml" in msg and "settings.fbcvd.bed_temperature_c" in msg
    assert "'kg'" in msg and "[mass]" in msg and "'degC'" in msg and "[temperature]" in msg
    with pytest.raises(InputError, match=r"settings\.casting\.binder_wt: 'kg' \(\[mass\]\) cannot be converted"):
        load_scenario(SMOKE, ["settings.casting.binder_wt=3 kg"])


def test_an_unknown_unit_and_a_unit_on_a_unitless_field_are_clear_errors():
    with pytest.raises(InputError, match=r"bed_temperature_c: 'degZ' is not a unit pint knows"):
        load_scenario(SMOKE, ["settings.fbcvd.bed_temperature_c=480 degZ"])
    with pytest.raises(InputError, match=r"settings\.coating\.cvd_lots_per_batch: has no physical unit"):
        load_scenario(SMOKE, ["settings.coating.cvd_lots_per_batch=2 kg"])
    with pytest.raises(InputError, match=r"targets\.powder_usd_per_kg: has no physical unit"):
        load_scenario(SMOKE, ["targets.powder_usd_per_kg=30 kg"])  # USD/kg is a price, not a mass


def test_text_without_a_number_is_still_refused_as_text():
    with pytest.raises(InputError, match="expected a number, got the text 'hot'"):
        load_scenario(SMOKE, ["settings.fbcvd.bed_temperature_c=hot"])


def test_a_converted_value_is_still_range_checked():
    with pytest.raises(InputError, match=r"bed_temperature_c: must be <= 750"):
        load_scenario(SMOKE, ["settings.fbcvd.bed_temperature_c=1100 K"])  # 826.85 degC


def test_pint_quantities_in_python():
    base = load_scenario(SMOKE)
    hot = base.with_settings({"fbcvd.bed_temperature_c": UREG.Quantity(753.15, "kelvin")},
                             casting__line_speed_m_min=UREG.Quantity(0.5, "m/s"))
    assert hot.scenario.settings.fbcvd.bed_temperature_c == pytest.approx(480.0)
    assert hot.scenario.settings.casting.line_speed_m_min == pytest.approx(30.0)
    assert load_scenario_text(hot.text).scenario == hot.scenario  # the recorded text reloads to the same
    tree = yaml.safe_load(SMOKE.read_text())
    tree["settings"]["fbcvd"]["bed_temperature_c"] = UREG.Quantity(480, "degC")
    tree["horizon_h"] = UREG.Quantity(1, "week")
    got = load_scenario(tree, base_dir=SMOKE.parent)
    assert got.scenario.settings.fbcvd.bed_temperature_c == 480.0 and got.scenario.horizon_h == 168.0
    with pytest.raises(InputError, match=r"bed_temperature_c: 'meter' \(\[length\]\) cannot be converted"):
        base.with_settings({"fbcvd.bed_temperature_c": UREG.Quantity(3, "m")})


def test_quantities_as_text_in_a_scenario_file(tmp_path):
    tree = yaml.safe_load(SMOKE.read_text())
    tree["settings"]["fbcvd"]["bed_temperature_c"] = "753.15 K"
    tree["settings"]["fbcvd"]["deposition_time_h"] = "7 kg"
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(tree), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert [(p.file, p.path) for p in e.value.problems] == [(str(path), "settings.fbcvd.deposition_time_h")]
    tree["settings"]["fbcvd"]["deposition_time_h"] = "7 h"
    path.write_text(yaml.safe_dump(tree), encoding="utf-8")
    got = load_scenario(path)
    assert got.scenario.settings.fbcvd.bed_temperature_c == 480.0 and got.scenario.settings.fbcvd.deposition_time_h == 7.0


def test_parameter_overrides_with_a_unit_take_the_units_of_the_entry_they_replace():
    got = load_scenario(SMOKE, ["overrides.fbcvd.equipment.mtbf_h=25 days", "overrides.lab.turnaround_h=2 d"])
    assert got.params.fbcvd.equipment.mtbf_h == 600.0 and got.params.lab.turnaround_h == 48.0
    assert got.sources["fbcvd.equipment.mtbf_h"].value == 600.0 and got.sources["fbcvd.equipment.mtbf_h"].units == "h"
    with pytest.raises(InputError, match=r"overrides\.fbcvd\.equipment\.mtbf_h: 'kg' \(\[mass\]\) cannot be converted "
                                         r"to this field's unit, 'h' \(\[time\]\)"):
        load_scenario(SMOKE, ["overrides.fbcvd.equipment.mtbf_h=25 kg"])
    with pytest.raises(InputError, match=r"silane_cny_per_t: 'CNY/t' is not a physical unit to convert to"):
        load_scenario(SMOKE, ["overrides.economics.prices.silane_cny_per_t=20 CNY/kg"])  # currencies: plain numbers only
