"""The plant record format: the tables a plant's MES and historian export, and the twin writes.

A record folder holds one file per table, ``<table>.csv``, ``<table>.parquet`` or ``<table>.xlsx``
(or one workbook ``records.xlsx`` with a sheet per table), plus an optional ``manifest.json`` that
states the recorded period. Every time is an ISO-8601 timestamp with a time zone
(``2025-01-01T06:00:00+01:00``); a time without a zone is an error. The columns of each table are
declared once here (:data:`TABLES`); the README's "Plant records" section and the JSON Schema files
in ``plants/records/schemas/`` are made from these declarations (:func:`json_schema`,
:func:`markdown_tables`).

Lot properties are extra columns of the ``lots`` table whose names end in a unit suffix
(:data:`UNIT_SUFFIXES`, e.g. ``pore_volume_cm3_g``, ``temperature_c``; ``_1`` marks a dimensionless
number such as ``ice_1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plants.lines import LotKind, LotStatus, stage_keys

__all__ = ["FORMAT", "MANIFEST", "SCHEMA_DIR", "STATES", "TABLES", "UNIT_SUFFIXES", "VERSION", "Column", "Table",
           "json_schema", "markdown_tables", "property_unit", "write_schemas"]

FORMAT = "sic-twin-plant-records"
VERSION = 1
MANIFEST = "manifest.json"
SCHEMA_DIR = Path(__file__).parent / "schemas"
STATES = ("working", "idle", "starved", "blocked", "down")

# Unit suffixes a lot property column may end in (longest match wins), and the unit each stands for.
UNIT_SUFFIXES: dict[str, str] = {
    "_kg": "kg", "_g": "g", "_c": "degC", "_h": "h", "_um": "um", "_nm": "nm", "_m": "m", "_m2": "m2",
    "_m2_g": "m2/g", "_cm3_g": "cm3/g", "_g_cm3": "g/cm3", "_mg_cm2": "mg/cm2", "_mah_g": "mAh/g",
    "_mah_cm2": "mAh/cm2", "_wt": "1 (mass fraction)", "_l_per_g": "L/g", "_kwh": "kWh", "_m_min": "m/min",
    "_kg_m2_h": "kg/(m2 h)", "_g_h_kg": "g h/kg", "_1": "1 (dimensionless)", "_frac": "1 (fraction)",
    "_count": "1 (count)", "_pct": "%", "_mpa": "MPa", "_min": "min",
}


def property_unit(name: str) -> str | None:
    """The unit a property column's name states, or None when it ends in no known suffix."""
    best = max((s for s in UNIT_SUFFIXES if name.endswith(s) and len(name) > len(s)), key=len, default=None)
    return UNIT_SUFFIXES[best] if best else None


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "time", "text", "number"
    unit: str
    required: bool  # the column must be present and every value given
    description: str
    allowed: tuple[str, ...] = ()

    @property
    def optional_value(self) -> bool:
        return not self.required


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    properties: bool = False  # extra numeric columns named <property>_<unit suffix>

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_T, _X, _N = "time", "text", "number"
_KINDS = tuple(k.value for k in LotKind)
_STATUS = tuple(s.value for s in LotStatus)

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("equipment_states", "One row per interval a machine spent in one state (MES downtime/state log).", (
        Column("start", _T, "", True, "when the machine entered the state"),
        Column("end", _T, "", True, "when it left it (>= start); intervals of one machine may not overlap"),
        Column("equipment", _X, "", True, "machine id, e.g. R01"),
        Column("line", _X, "", True, "the stage the machine belongs to", stage_keys()),
        Column("state", _X, "", True, "state of the machine", STATES),
        Column("reason", _X, "", False, "why: a phase while working (deposition, coating, web break, ...), "
               "'failure in <phase>' or 'planned maintenance' while down, the missing input while starved"),
    )),
    Table("lots", "One row per lot (batch, roll): what made it, when, its disposition and measured properties.", (
        Column("lot_id", _X, "", True, "unique lot id"),
        Column("kind", _X, "", True, "what the lot is (the stage that made it; scaffold = purchased)", _KINDS),
        Column("equipment", _X, "", False, "machine that made it (supplier for purchased lots)"),
        Column("start", _T, "", True, "start of processing (receipt for purchased lots)"),
        Column("end", _T, "", False, "end of processing (>= start); empty while in process"),
        Column("status", _X, "", True, "disposition at the end of the record", _STATUS),
        Column("reason", _X, "", False, "why it was scrapped or rejected"),
        Column("mass_kg", _N, "kg", True, "lot mass"),
    ), properties=True),
    Table("genealogy", "Which lots went into which, and how much.", (
        Column("child_lot", _X, "", True, "the lot made (a lot_id of the lots table)"),
        Column("parent_lot", _X, "", True, "a lot drawn into it (a lot_id of the lots table)"),
        Column("mass_kg", _N, "kg", True, "mass of the parent drawn into the child"),
    )),
    Table("qc_results", "Laboratory results (release tests).", (
        Column("lot_id", _X, "", True, "the lot tested (a lot_id of the lots table)"),
        Column("attribute", _X, "", True, "what was measured, e.g. capacity_mah_g"),
        Column("value", _N, "as the attribute's suffix", True, "the result"),
        Column("sampled", _T, "", False, "when the sample was taken"),
        Column("time", _T, "", True, "when the result was reported"),
    )),
    Table("settings", "Recipe settings in force for each batch or roll.", (
        Column("lot_id", _X, "", True, "the batch or roll (a lot_id of the lots table)"),
        Column("setting", _X, "", True, "dotted setting name as in a scenario, e.g. fbcvd.bed_temperature_c"),
        Column("value", _X, "as the setting's suffix", True, "the value (a number or a choice such as cmc_sbr)"),
    )),
    Table("supply_deliveries", "Bulk deliveries (silane, lithium, ...).", (
        Column("time", _T, "", True, "when the delivery was received"),
        Column("supply", _X, "", True, "which supply, e.g. silane"),
        Column("mass_kg", _N, "kg", True, "mass delivered"),
        Column("ordered", _T, "", False, "when it was ordered"),
    )),
    Table("tank_levels", "Historian readings of tanks and buffers.", (
        Column("time", _T, "", True, "time of the reading"),
        Column("tank", _X, "", True, "tank or buffer name"),
        Column("level", _N, "see unit", True, "the level"),
        Column("unit", _X, "", True, "unit of the level (kg, item)"),
    )),
)}


def json_schema(table: Table) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one row of ``table`` (times as strings with a zone)."""
    props: dict[str, Any] = {}
    for c in table.columns:
        if c.type == _T:
            s: dict[str, Any] = {"type": "string", "format": "date-time",
                                 "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"}
        elif c.type == _N:
            s = {"type": "number"}
        elif c.name == "value":
            s = {"type": ["string", "number"]}
        else:
            s = {"type": "string"}
        if c.allowed:
            s["enum"] = list(c.allowed)
        if not c.required:
            s = {"anyOf": [s, {"type": "null"}, {"const": ""}]}
        s["description"] = c.description + (f" [{c.unit}]" if c.unit else "")
        props[c.name] = s
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://sic-twin/records/{table.name}.schema.json",
        "title": f"{FORMAT} v{VERSION}: {table.name}",
        "description": table.description,
        "type": "object",
        "properties": props,
        "required": [c.name for c in table.columns if c.required],
    }
    if table.properties:
        suffixes = "|".join(sorted(s[1:] for s in UNIT_SUFFIXES))
        out["patternProperties"] = {rf"^[a-z][a-z0-9_]*_({suffixes})$": {"type": ["number", "null"]}}
    out["additionalProperties"] = False
    return out


def markdown_tables() -> str:
    """The tables as Markdown (the README's "Plant records" section is this text)."""
    out = []
    for t in TABLES.values():
        out.append(f"**`{t.name}`**: {t.description}\n")
        out.append("| column | type | unit | required | meaning |\n|---|---|---|---|---|")
        for c in t.columns:
            allowed = f" One of: {', '.join(c.allowed)}." if c.allowed else ""
            out.append(f"| `{c.name}` | {c.type} | {c.unit} | {'yes' if c.required else 'no'} | {c.description}.{allowed} |")
        if t.properties:
            out.append("| `<property>_<unit>` | number | from the suffix | no | a measured property; the name ends in "
                       "a unit suffix |")
        out.append("")
    return "\n".join(out)


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)write the shipped JSON Schema files (``python -m plants.records.schema``)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in TABLES.values():
        p = folder / f"{t.name}.schema.json"
        p.write_text(json.dumps(json_schema(t), indent=2) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    for path in write_schemas():
        print(f"wrote {path}")
