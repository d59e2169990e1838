"""The plant's state at one moment, derived from its records (``twin snapshot``): every machine's
state (working phase and time in it, down with the repair or maintenance time so far, idle,
starved, blocked), every lot in process, in a buffer, in quarantine or in stock with its
properties and how far along it is, tank and buffer levels, and open supply orders.

Format (JSON, ``format: sic-twin-plant-state``, version 1; :func:`state_schema` is its JSON Schema):
``at`` (ISO-8601 with zone) and ``at_h`` (hours since the records' start), ``records`` (folder,
sha256), ``machines`` [{equipment, line, state, reason, since, for_h, operating_h_since_maintenance,
optional remaining_h}], ``lots`` [{lot_id, kind, equipment, where, start, progress_h, since_end_h
(finished lots), mass_kg, remaining_kg, properties, parents (lots in process or in a buffer: [{lot_id,
kind, mass_kg drawn, properties}])}], ``tanks`` [{tank, level, unit, time}], ``open_orders`` [{supply,
ordered, mass_kg, optional due}]. ``where`` is one of ``in process``, ``buffer``, ``quarantine`` (made,
QC result not yet out), ``stock`` (released or purchased, not used up).

``twin run SCENARIO --from-state STATE.json`` starts a simulation from a snapshot (:mod:`plants.state`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plants.records import Records
from plants.records.schema import STATES
from twin.atomic import atomic_text
from twin.errors import InputError

__all__ = ["FORMAT", "parse_at", "snapshot", "state_schema", "write_snapshot"]

FORMAT = "sic-twin-plant-state"
_PURCHASED = ("scaffold",)


def parse_at(text: str | None, rec: Records) -> float:
    """``--at``: an ISO-8601 time with a zone, or hours since the records' start; default the end."""
    if text is None or text == "":
        return rec.end_h
    try:
        h = float(text)
    except ValueError:
        from datetime import datetime

        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            raise InputError.single("--at", "", "is neither an ISO-8601 time nor hours since the records' start",
                                    value=text) from None
        if t.tzinfo is None:
            raise InputError.single("--at", "", "has no time zone (e.g. 2025-03-05T06:00:00+01:00)", value=text) from None
        h = (pd.Timestamp(t) - rec.start).total_seconds() / 3600.0
    if not 0.0 <= h <= rec.end_h + 1e-9:
        raise InputError.single("--at", "", f"lies outside the records ({rec.start.isoformat()} + {rec.end_h:g} h)",
                                value=text)
    return h


def _iso(rec: Records, h: float) -> str:
    return (rec.start + pd.Timedelta(hours=float(h))).isoformat()


def _num(v: Any) -> float | None:
    return float(v) if v is not None and isinstance(v, (int, float, np.floating)) and math.isfinite(v) else None


def snapshot(rec: Records, at_h: float | None = None) -> dict[str, Any]:
    at = rec.end_h if at_h is None else float(at_h)
    eps = 1e-9
    machines = []
    st = rec["equipment_states"]
    for unit, g in st.sort_values(["equipment", "start_h"], kind="stable").groupby("equipment"):
        cur = g[(g["start_h"] <= at + eps) & (g["end_h"] > at + eps)]
        row = cur.iloc[-1] if len(cur) else g.iloc[-1]
        before = g[g["start_h"] <= at + eps]
        maint = before[(before["state"] == "down") & (before["reason"] == "planned maintenance")
                       & (before["end_h"] <= at + eps)]
        since = float(maint["end_h"].max()) if len(maint) else -math.inf
        work = before[(before["state"] == "working") & (before["end_h"] > since)]
        operating = float((np.minimum(work["end_h"], at) - np.maximum(work["start_h"], since)).clip(lower=0).sum())
        machines.append({"equipment": str(unit), "line": str(row["line"]), "state": str(row["state"]),
                         "reason": str(row["reason"]), "since": _iso(rec, row["start_h"]),
                         "for_h": round(float(min(at, row["end_h"]) - row["start_h"]), 6),
                         "operating_h_since_maintenance": round(operating, 6)})
    lots = rec["lots"]
    gen = rec["genealogy"]
    drawn: dict[str, float] = {}
    parents_of: dict[str, list[tuple[str, float]]] = {}
    for child, parent, kg in zip(gen["child_lot"], gen["parent_lot"], gen["mass_kg"], strict=True):
        parents_of.setdefault(str(child), []).append((str(parent), float(kg)))
    if len(gen):
        started = lots.set_index("lot_id")["start_h"]
        g = gen.assign(child_start=started.reindex(gen["child_lot"]).to_numpy())
        g = g[g["child_start"] <= at + eps]
        drawn = g.groupby("parent_lot")["mass_kg"].sum().to_dict()
    qc = rec["qc_results"]
    result_at = qc.groupby("lot_id")["time_h"].min().to_dict() if len(qc) else {}
    tested = set(lots.loc[lots["lot_id"].isin(result_at), "kind"])  # kinds released by a lab test
    props = [c for c in lots.columns if c not in ("lot_id", "kind", "equipment", "start", "end", "status", "reason",
                                                 "mass_kg", "start_h", "end_h")]
    out_lots = []
    prop_of: dict[str, tuple[str, dict[str, float]]] = {}  # every lot's kind and properties, for the parents
    for r in lots.itertuples(index=False):
        d = r._asdict()
        prop_of[str(d["lot_id"])] = (str(d["kind"]), {p: v for p in props if (v := _num(d[p])) is not None})
    for r in lots.itertuples(index=False):
        d = r._asdict()
        start, end = d["start_h"], d["end_h"]
        if not start <= at + eps:
            continue
        done = end is not None and not (isinstance(end, float) and math.isnan(end)) and end <= at + eps
        mass = float(d["mass_kg"])
        remaining = mass - float(drawn.get(d["lot_id"], 0.0))
        if not done and d["kind"] not in _PURCHASED:
            where = "in process"
        else:
            if remaining <= 1e-6 * max(mass, 1.0):
                continue
            status = str(d["status"])
            qc_t = result_at.get(d["lot_id"])
            if status == "scrapped":
                continue
            if d["kind"] in tested and (qc_t is None or qc_t > at + eps):
                where = "quarantine"  # made, its release test not reported yet
            elif status == "rejected":
                continue
            elif d["kind"] in _PURCHASED or d["kind"] in tested or status == "released":
                where = "stock"  # purchased, released after its test, or a released product
            else:
                where = "buffer"
        entry: dict[str, Any] = {
            "lot_id": str(d["lot_id"]), "kind": str(d["kind"]), "equipment": str(d["equipment"]), "where": where,
            "start": _iso(rec, start), "progress_h": round(float(at - start), 6), "mass_kg": mass,
            "remaining_kg": round(max(remaining, 0.0), 9), "properties": prop_of[str(d["lot_id"])][1]}
        if done:
            entry["since_end_h"] = round(float(at - end), 6)
        if where in ("in process", "buffer"):  # what it was made from (the physics of what comes next needs it)
            entry["parents"] = [{"lot_id": p, "kind": prop_of.get(p, ("", {}))[0], "mass_kg": kg,
                                 "properties": prop_of.get(p, ("", {}))[1]} for p, kg in parents_of.get(str(d["lot_id"]), [])]
        out_lots.append(entry)
    tanks = []
    tl = rec["tank_levels"]
    if len(tl):
        for tank, g in tl[tl["time_h"] <= at + eps].sort_values("time_h", kind="stable").groupby("tank"):
            last = g.iloc[-1]
            tanks.append({"tank": str(tank), "level": float(last["level"]), "unit": str(last["unit"]),
                          "time": _iso(rec, last["time_h"])})
    orders = []
    sd = rec["supply_deliveries"]
    if len(sd) and "ordered_h" in sd.columns:
        open_ = sd[(sd["ordered_h"] <= at + eps) & (sd["time_h"] > at + eps)]
        orders = [{"supply": str(r["supply"]), "ordered": _iso(rec, r["ordered_h"]), "mass_kg": float(r["mass_kg"])}
                  for _, r in open_.iterrows()]
    return {"format": FORMAT, "version": 1, "at": _iso(rec, at), "at_h": at,
            "records": {"folder": rec.folder, "sha256": rec.sha256}, "machines": machines, "lots": out_lots,
            "tanks": tanks, "open_orders": orders}


def write_snapshot(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    return atomic_text(path, json.dumps(state, indent=1) + "\n")


def state_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a snapshot."""
    time = {"type": "string", "format": "date-time"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"{FORMAT} v1", "type": "object",
        "required": ["format", "version", "at", "at_h", "machines", "lots", "tanks", "open_orders"],
        "properties": {
            "format": {"const": FORMAT}, "version": {"const": 1}, "at": time, "at_h": {"type": "number", "minimum": 0},
            "records": {"type": "object"},
            "machines": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                         "required": ["equipment", "line", "state", "reason", "since", "for_h"],
                         "properties": {"equipment": {"type": "string"}, "line": {"type": "string"},
                                        "state": {"enum": list(STATES)}, "reason": {"type": "string"}, "since": time,
                                        "for_h": {"type": "number", "minimum": 0},
                                        "remaining_h": {"type": "number", "minimum": 0},
                                        "operating_h_since_maintenance": {"type": "number", "minimum": 0}}}},
            "lots": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                     "required": ["lot_id", "kind", "where", "start", "progress_h", "mass_kg", "remaining_kg", "properties"],
                     "properties": {"lot_id": {"type": "string"}, "kind": {"type": "string"},
                                    "equipment": {"type": "string"},
                                    "where": {"enum": ["in process", "buffer", "quarantine", "stock"]}, "start": time,
                                    "progress_h": {"type": "number", "minimum": 0}, "mass_kg": {"type": "number"},
                                    "since_end_h": {"type": "number", "minimum": 0},
                                    "remaining_kg": {"type": "number", "minimum": 0},
                                    "properties": {"type": "object", "additionalProperties": {"type": "number"}},
                                    "parents": {"type": "array", "items": {
                                        "type": "object", "required": ["lot_id", "mass_kg"],
                                        "properties": {"lot_id": {"type": "string"}, "kind": {"type": "string"},
                                                       "mass_kg": {"type": "number", "minimum": 0},
                                                       "properties": {"type": "object",
                                                                      "additionalProperties": {"type": "number"}}}}}}}},
            "tanks": {"type": "array", "items": {"type": "object", "required": ["tank", "level", "unit", "time"]}},
            "open_orders": {"type": "array", "items": {"type": "object", "required": ["supply", "ordered", "mass_kg"],
                                                       "properties": {"due": time}}},
        },
    }
