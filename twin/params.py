"""Unit-bearing, sourced parameters.

A parameter-set file holds entries of the form ``{value, units, source, flag}``. Typed parameter
models declare the unit of each field with :class:`Unit`; loading checks the file's ``units``
string against it and hands the model the plain value, so the model is a frozen object of floats
that physics code can use directly. The source records are kept beside the model in a flat
``dotted.path -> SourceRecord`` map (:func:`collect_sources`) for reports and audits.

Inputs may also carry units: a field whose name ends in a unit (``bed_temperature_c``, ``time_h``;
:data:`UNIT_SUFFIXES`) takes ``"480 degC"``, ``"753.15 K"`` or a pint Quantity, converted to its
unit (:func:`convert_units`), and an override of a sourced entry is converted to the entry's
``units`` (:func:`convert_entry_units`). pint is imported only when such a value is met.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError, core_schema

from twin.errors import InputError, Problem
from twin.units import HOURS_PER_YEAR

if TYPE_CHECKING:
    import pint

__all__ = ["UNIT_SUFFIXES", "BulkSupplyParams", "Flag", "ParamModel", "Reliability", "SourceRecord", "StrictModel", "Unit",
           "check_number", "collect_sources", "convert_entry_units", "convert_units", "is_entry", "is_numeric", "is_quantity",
           "quantity_text", "to_unit", "unit_of"]

ENTRY_KEYS = frozenset({"value", "units", "source", "flag", "note"})


class Flag(str, Enum):
    """Reliability of a number (as in process-data.md)."""

    VERIFIED = "V"
    SECONDARY = "S"
    UNVERIFIED = "U"  # from memory or an engineering placeholder: check before relying on it
    DERIVED = "D"
    CALIBRATED = "C"  # estimated from plant records (twin calibrate): the source names the data, method, n, interval
    SCENARIO = "scenario"  # set by a scenario override or --set


@dataclass(frozen=True, slots=True)
class SourceRecord:
    path: str
    value: Any
    units: str
    source: str
    flag: Flag
    note: str = ""

    @property
    def is_placeholder(self) -> bool:
        return self.flag is Flag.UNVERIFIED

    @property
    def is_calibrated(self) -> bool:
        return self.flag is Flag.CALIBRATED


def is_entry(node: Any) -> bool:
    """True when a YAML node is a sourced entry ``{value, units, source, ...}``."""
    return isinstance(node, Mapping) and "value" in node and set(node) <= ENTRY_KEYS


def is_numeric(annotation: Any) -> bool:
    """True when a field's type is a number (int or float, maybe Annotated or optional), not a bool."""
    if annotation in (int, float):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_numeric(get_args(annotation)[0])
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return bool(args) and all(is_numeric(a) for a in args)
    return False


def check_number(value: Any) -> None:
    """A number where one is meant: no true/false, no text, no NaN or infinity (pydantic would
    coerce the first two and accept the last)."""
    if isinstance(value, bool):
        raise PydanticCustomError("strict_number", "expected a number, got {got}", {"got": str(value).lower()})
    if isinstance(value, str):
        raise PydanticCustomError("strict_number", "expected a number, got the text '{got}'", {"got": value[:40]})
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("strict_number", "expected a finite number, got {got}", {"got": repr(value)})


@dataclass(frozen=True, slots=True)
class Unit:
    """Annotation: the field is read from a sourced entry whose ``units`` must equal ``symbol``.

    Put it last in ``Annotated[...]`` so range constraints apply to the unwrapped value.
    """

    symbol: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        numeric = is_numeric(source)

        def unwrap(node: Any) -> Any:
            value = self._unwrap(node)
            if numeric:
                check_number(value)
            return value

        return core_schema.no_info_before_validator_function(unwrap, handler(source))

    def _unwrap(self, node: Any) -> Any:
        if not isinstance(node, Mapping):
            raise PydanticCustomError(
                "sourced_entry",
                "expected a sourced entry {{value, units, source, flag}} with units '{units}'",
                {"units": self.symbol},
            )
        missing = [key for key in ("value", "units", "source", "flag") if key not in node]
        if missing:
            raise PydanticCustomError(
                "sourced_entry",
                "sourced entry lacks {missing}; every parameter needs value, units, source and flag",
                {"missing": ", ".join(missing)},
            )
        extra = sorted(set(node) - ENTRY_KEYS)
        if extra:
            raise PydanticCustomError(
                "sourced_entry",
                "unknown key(s) {extra} in a sourced entry; allowed: value, units, source, flag, note",
                {"extra": ", ".join(extra)},
            )
        if node["units"] != self.symbol:
            raise PydanticCustomError(
                "unit_mismatch",
                "units '{got}' do not match the units this parameter is defined in, '{units}'",
                {"got": node["units"], "units": self.symbol},
            )
        try:
            Flag(node["flag"])
        except ValueError:
            raise PydanticCustomError(
                "sourced_entry",
                "flag '{got}' is not one of V, S, U, D, C, scenario",
                {"got": node["flag"]},
            ) from None
        if not str(node["source"]).strip():
            raise PydanticCustomError("sourced_entry", "source is empty; cite where the number comes from", {})
        return node["value"]


class StrictModel(BaseModel):
    """Base of input sections: frozen, unknown keys are errors, numbers are numbers (no true/false
    or text coerced into one, no NaN or infinity)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None and is_numeric(cls.model_fields[info.field_name].annotation):
            check_number(value)
        return value


class ParamModel(BaseModel):
    """Base of typed parameter groups: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _walk(node: Any, prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if is_entry(node):
        yield prefix, node
    elif isinstance(node, Mapping):
        for key, child in node.items():
            yield from _walk(child, f"{prefix}.{key}" if prefix else str(key))


def collect_sources(tree: Mapping[str, Any]) -> dict[str, SourceRecord]:
    """Flat map of every sourced entry in a raw (already validated) parameter tree."""
    return {
        path: SourceRecord(
            path=path,
            value=entry["value"],
            units=str(entry["units"]),
            source=str(entry["source"]),
            flag=Flag(entry["flag"]),
            note=str(entry.get("note", "")),
        )
        for path, entry in _walk(tree, "")
    }


class Reliability(ParamModel):
    """Failure, maintenance and crew data shared by every kind of equipment (see :class:`twin.equipment.Machine`)."""

    mtbf_h: Annotated[float, Field(gt=0), Unit("h")]
    repair_median_h: Annotated[float, Field(gt=0), Unit("h")]
    repair_sigma: Annotated[float, Field(ge=0, le=3), Unit("1")]
    maintenance_interval_h: Annotated[float, Field(gt=0), Unit("h")]
    maintenance_h: Annotated[float, Field(ge=0), Unit("h")]
    operators_per_shift: Annotated[int, Field(ge=1, le=100), Unit("1")]


class BulkSupplyParams(ParamModel):
    capacity_kg: Annotated[float, Field(gt=0), Unit("kg")]
    initial_level_kg: Annotated[float, Field(ge=0), Unit("kg")]
    reorder_point_kg: Annotated[float, Field(ge=0), Unit("kg")]
    delivery_kg: Annotated[float, Field(gt=0), Unit("kg")]
    lead_time_median_h: Annotated[float, Field(gt=0), Unit("h")]
    lead_time_sigma: Annotated[float, Field(ge=0, le=3), Unit("1")]

    @model_validator(mode="after")
    def _fits(self) -> BulkSupplyParams:
        if self.initial_level_kg > self.capacity_kg:
            raise ValueError("initial_level_kg exceeds capacity_kg")
        if self.delivery_kg > self.capacity_kg:
            raise ValueError("delivery_kg exceeds capacity_kg")
        if self.reorder_point_kg + self.delivery_kg > self.capacity_kg:
            raise ValueError("reorder_point_kg + delivery_kg exceeds capacity_kg: a delivery would not fit")
        return self


# ---------------------------------------------------------------------------------------------------------------
# Quantities with units for fields whose name carries the unit (``bed_temperature_c``, ``time_h``, ...)

UNIT_SUFFIXES: tuple[tuple[str, str | None], ...] = (
    # longest first; None: the suffix is a unit, but not a physical one pint converts (currencies, t/yr of 8760 h)
    ("_usd_per_kwh", None), ("_usd_per_kg", None), ("_t_per_yr", None), ("_cny_per_t", None), ("_usd", None),
    ("_mah_cm2", "mAh/cm**2"), ("_mg_cm2", "mg/cm**2"), ("_nm3_h", "Nm3/h"), ("_g_cm3", "g/cm**3"),
    ("_m_min", "m/min"), ("_mah_g", "mAh/g"), ("_fraction", "1"), ("_mpa", "MPa"), ("_kwh", "kWh"), ("_min", "min"),
    ("_kg", "kg"), ("_um", "um"), ("_nm", "nm"), ("_wt", "1"), ("_c", "degC"), ("_h", "h"), ("_m", "m"),
)
"""Field-name suffix -> the unit of the field's number (``pint`` notation; ``"1"``: a fraction)."""

_NUMBER = r"[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d.+-].*?)\s*$")
_POWER = re.compile(r"(?<![A-Za-z])(mm|cm|dm|m|km|um|nm)([23])\b")  # cm2 -> cm**2 (Nm3 is its own unit)


_YEARS = re.compile(r"(?<![A-Za-z])(yr|year|years)(?![A-Za-z])")


def _units_text(text: str) -> str:
    """Units as people write them, in pint's notation: ``cm2`` -> ``cm**2``, ``K^1.5`` -> ``K**1.5``."""
    return _POWER.sub(r"\1**\2", text.replace("^", "**"))


def unit_of(field: str) -> str | None:
    """The unit a field's number is in, from its name's suffix (``bed_temperature_c`` -> ``degC``), or None."""
    for suffix, unit in UNIT_SUFFIXES:
        if field.endswith(suffix):
            return unit
    return None


def is_quantity(value: Any) -> bool:
    """True for a pint Quantity (duck-typed: pint is imported only when a quantity is converted)."""
    return hasattr(value, "magnitude") and hasattr(value, "units") and hasattr(value, "to")


def quantity_text(value: Any) -> str:
    """A pint Quantity as text this module reads back (``480 degree_Celsius``)."""
    return f"{value.magnitude!r} {value.units}"


@cache
def _registry() -> pint.UnitRegistry:
    import pint  # ~0.3 s: only when a value with a unit is given

    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=False)
    ureg.define("normal_cubic_meter = meter ** 3 = Nm3")  # gas volume at normal conditions (0 degC, 1 atm)
    return ureg


def _label(unit: str) -> str:
    return "'1' (a fraction: 0.45 or '45 %')" if unit == "1" else f"'{unit}'"


def _dimension(ureg: pint.UnitRegistry, units: Any) -> str:
    dim = str(ureg.Quantity(1, units).dimensionality)
    return "dimensionless" if dim in ("", "dimensionless") else dim


def to_unit(value: Any, unit: str) -> float | None:
    """``value`` (text like ``"480 degC"`` or ``"753.15 K"``, or a pint Quantity) in ``unit``; None when
    ``value`` is not a quantity (a plain number or other text is left to validation). A unit that
    is not known or has the wrong dimension raises ValueError saying what was given and what is expected."""
    if is_quantity(value):
        magnitude, text = value.magnitude, str(value.units)
    elif isinstance(value, str) and (m := _QUANTITY.match(value)):
        magnitude, text = float(m.group(1).replace("_", "")), m.group(2)
    else:
        return None
    if _YEARS.search(unit):
        raise ValueError(f"'{unit}' counts years of {HOURS_PER_YEAR:g} h (pint's year is 365.25 days): give a plain "
                         f"number in {unit}")
    ureg = _registry()
    try:
        expected = ureg.parse_units(_units_text(unit))
    except Exception:  # a currency, a count (lot, roll, driver): nothing to convert
        raise ValueError(f"'{unit}' is not a physical unit to convert to: give a plain number in {unit}") from None
    try:
        given = ureg.parse_units(_units_text(text))
    except Exception:
        raise ValueError(f"'{text}' is not a unit pint knows (give a number in {_label(unit)}, or a quantity "
                         f"with a unit of the same dimension)") from None
    try:
        number = float(magnitude)
    except (TypeError, ValueError):
        raise ValueError(f"expected one number with a unit, got {magnitude!r}") from None
    try:
        converted = float(ureg.Quantity(number, given).to(expected).magnitude)
    except Exception:  # DimensionalityError (and an offset unit in a product)
        raise ValueError(f"'{text}' ({_dimension(ureg, given)}) cannot be converted to this field's unit, "
                         f"{_label(unit)} ({_dimension(ureg, expected)})") from None
    if not math.isfinite(converted):
        raise ValueError(f"expected a finite number, got {value}")
    return float(f"{converted:.12g}")  # 753.15 K -> 480 degC, not 480.00000000000006


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (unwrapping Optional and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Annotated, Union, UnionType):
        for arg in get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _file_for(file_of: Mapping[str, str] | str, path: str) -> str:
    if isinstance(file_of, str):
        return file_of
    keys = [k for k in file_of if k == "" or path == k or path.startswith(k + ".")]
    return file_of[max(keys, key=len)] if keys else next(iter(file_of.values()), "<input>")


def convert_units(tree: Mapping[str, Any], model: type[BaseModel], file_of: Mapping[str, str] | str = "<input>",
                  prefix: str = "") -> dict[str, Any]:
    """A copy of ``tree`` with every quantity (``"480 degC"``, ``"753.15 K"``, a pint Quantity) at a
    numeric field of ``model`` whose name carries a unit (:data:`UNIT_SUFFIXES`) converted to a plain
    number in that unit. A unit of the wrong dimension is an :class:`InputError` naming the file
    (``file_of``: one name, or dotted-path prefix -> file), the field, the unit given and the unit expected."""
    out = dict(tree)
    problems: list[Problem] = []
    for name, info in model.model_fields.items():
        if name not in out:
            continue
        value = out[name]
        path = f"{prefix}.{name}" if prefix else name
        sub = _model_of(info.annotation)
        if sub is not None and isinstance(value, Mapping):
            try:
                out[name] = convert_units(value, sub, file_of, path)
            except InputError as exc:
                problems.extend(exc.problems)
            continue
        unit = unit_of(name)
        if not is_numeric(info.annotation) or not (is_quantity(value) or isinstance(value, str)):
            continue
        if unit is None:
            if is_quantity(value) or (isinstance(value, str) and _QUANTITY.match(value)):
                problems.append(Problem(_file_for(file_of, path), path, str(value),
                                        "has no physical unit to convert to; give a plain number"))
            continue
        try:
            converted = to_unit(value, unit)
        except ValueError as exc:
            problems.append(Problem(_file_for(file_of, path), path, str(value), str(exc)))
            continue
        if converted is not None:
            out[name] = converted
    if problems:
        raise InputError(problems)
    return out


def convert_entry_units(values: Mapping[str, Any], raw: Mapping[str, Any], file_of: Mapping[str, str] | str = "<input>",
                        prefix: str = "") -> dict[str, Any]:
    """A copy of ``values`` (overrides of a raw parameter tree: nested mappings down to sourced
    entries) with every quantity converted to the ``units`` of the entry it overrides
    (``mtbf_h: "25 days"`` -> 600 for an entry in ``h``). What is not a quantity, or overrides no
    entry, is left to validation. Errors name the file, the dotted path, the unit given and expected."""
    out = dict(values)
    problems: list[Problem] = []
    for key, value in values.items():
        node = raw.get(key) if isinstance(raw, Mapping) else None
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and isinstance(node, Mapping) and not is_entry(node):
            try:
                out[key] = convert_entry_units(value, node, file_of, path)
            except InputError as exc:
                problems.extend(exc.problems)
        elif isinstance(node, Mapping) and is_entry(node) and (is_quantity(value) or isinstance(value, str)):
            try:
                converted = to_unit(value, str(node["units"]))
            except ValueError as exc:
                problems.append(Problem(_file_for(file_of, path), path, str(value), str(exc)))
                continue
            if converted is not None:
                out[key] = converted
    if problems:
        raise InputError(problems)
    return out
