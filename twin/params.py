"""Unit-bearing, sourced parameters.

A parameter-set file holds entries of the form ``{value, units, source, flag}``. Typed parameter
models declare the unit of each field with :class:`Unit`; loading checks the file's ``units``
string against it and hands the model the plain value, so the model is a frozen object of floats
that physics code can use directly. The source records are kept beside the model in a flat
``dotted.path -> SourceRecord`` map (:func:`collect_sources`) for reports and audits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["BulkSupplyParams", "Flag", "ParamModel", "Reliability", "SourceRecord", "StrictModel", "Unit", "check_number",
           "collect_sources", "is_entry", "is_numeric"]

ENTRY_KEYS = frozenset({"value", "units", "source", "flag", "note"})


class Flag(str, Enum):
    """Reliability of a number (as in process-data.md)."""

    VERIFIED = "V"
    SECONDARY = "S"
    UNVERIFIED = "U"  # from memory or an engineering placeholder: check before relying on it
    DERIVED = "D"
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
                "flag '{got}' is not one of V, S, U, D, scenario",
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
