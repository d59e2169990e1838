"""twin.params: field-name suffix -> unit, and quantities converted to it (pint, offset units)."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field

from twin.errors import InputError
from twin.params import StrictModel, convert_units, to_unit, unit_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name, unit", [
    ("bed_temperature_c", "degC"), ("time_h", "h"), ("contact_time_min", "min"), ("batch_mass_kg", "kg"),
    ("coated_width_m", "m"), ("line_speed_m_min", "m/min"), ("coat_weight_mg_cm2", "mg/cm**2"),
    ("press_density_g_cm3", "g/cm**3"), ("total_gas_flow_nm3_h", "Nm3/h"), ("pressure_mpa", "MPa"),
    ("li_dose_um", "um"), ("binder_wt", "1"), ("silane_fraction", "1"),
    ("powder_usd_per_kg", None), ("max_capital_usd", None), ("min_output_t_per_yr", None), ("seed", None),
    ("min_cpk", None), ("spec_confidence", None),
])
def test_the_unit_is_read_from_the_longest_matching_suffix(name, unit):
    assert unit_of(name) == unit


def test_offset_and_plain_conversions():
    assert to_unit("480 degC", "degC") == 480.0
    assert to_unit("753.15 K", "degC") == 480.0  # rounded to 12 significant digits: no 480.00000000000006
    assert to_unit("0 degC", "K") == 273.15
    assert to_unit("1.5e3 kg", "t") == 1.5
    assert to_unit("45 %", "1") == 0.45
    assert to_unit("260 Nm3/h", "Nm3/h") == 260.0
    assert to_unit(480, "degC") is None and to_unit("hot", "degC") is None and to_unit("480", "degC") is None


def test_wrong_dimension_and_unknown_unit_raise_value_error():
    with pytest.raises(ValueError, match=r"'kg' \(\[mass\]\) cannot be converted to this field's unit, 'degC'"):
        to_unit("480 kg", "degC")
    with pytest.raises(ValueError, match="not a unit pint knows"):
        to_unit("3 parsecz", "m")


class _Inner(StrictModel):
    temperature_c: float
    count: int = 1


class _Outer(StrictModel):
    time_h: Annotated[float, Field(gt=0)]
    inner: _Inner | None = None


def test_convert_units_walks_nested_models_and_names_file_and_path():
    got = convert_units({"time_h": "90 min", "inner": {"temperature_c": "300 K"}}, _Outer, "f.yaml")
    assert got == {"time_h": 1.5, "inner": {"temperature_c": 26.85}}
    with pytest.raises(InputError) as e:
        convert_units({"time_h": "2 m", "inner": {"temperature_c": "1 s", "count": "2 kg"}}, _Outer,
                      {"": "top.yaml", "inner": "base.yaml"})
    where = {(p.file, p.path) for p in e.value.problems}
    assert where == {("top.yaml", "time_h"), ("base.yaml", "inner.temperature_c"), ("base.yaml", "inner.count")}


def test_years_are_not_converted_because_the_plant_year_is_8760_hours():
    with pytest.raises(ValueError, match="counts years of 8760 h"):
        to_unit("6 yr", "yr")
    with pytest.raises(ValueError, match="counts years of 8760 h"):
        to_unit("50 kg/month", "kg/yr")
