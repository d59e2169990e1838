"""Plant records as an OCEL 2.0 object-centric event log (JSON), for process-mining tools such as
pm4py (``pm4py.read_ocel2_json``): the twin's and the plant's histories side by side.

Objects: every lot (object type = its kind: scaffold, fbcvd, coating, mixing, casting, prelith; its
mass and measured properties as attributes; ``made from`` relationships to its parent lots) and every
machine (type ``machine``, attribute ``line``). Events: ``start <kind>`` and ``finish <kind>`` of
each lot (with the machine that made it; the finish carries its status and reason), ``QC result``
(attribute, value), ``delivery`` of a bulk supply, and each machine's state changes
(``working``/``idle``/``starved``/``blocked``/``down``, with the reason).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from plants.records.read import Records
from twin.atomic import atomic_text

__all__ = ["to_ocel", "write_ocel"]

_CORE = {"lot_id", "kind", "equipment", "start", "end", "status", "reason", "mass_kg", "start_h", "end_h"}


def _t(ts: Any) -> str:
    return pd.Timestamp(ts).isoformat()


def _ok(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NaT


def to_ocel(rec: Records) -> dict[str, Any]:
    lots, st, qc, gen, sd = rec["lots"], rec["equipment_states"], rec["qc_results"], rec["genealogy"], rec["supply_deliveries"]
    props = [c for c in lots.columns if c not in _CORE]
    machines = sorted(set(st["equipment"]) | set(lots.loc[lots["equipment"] != "supplier", "equipment"]) - {""})
    machine_line = st.groupby("equipment")["line"].first().to_dict() if len(st) else {}
    parents: dict[str, list[str]] = {}
    for child, parent in zip(gen["child_lot"], gen["parent_lot"], strict=True):
        parents.setdefault(child, []).append(parent)
    objects: list[dict[str, Any]] = []
    obj_types: dict[str, set[str]] = {"machine": {"line"}}
    for r in lots.to_dict("records"):
        when = _t(r["end"] if _ok(r["end"]) else r["start"])
        attrs = [{"name": "mass_kg", "value": float(r["mass_kg"]), "time": when}]
        attrs += [{"name": p, "value": float(r[p]), "time": when} for p in props if _ok(r[p])]
        obj_types.setdefault(str(r["kind"]), set()).update(a["name"] for a in attrs)
        objects.append({"id": str(r["lot_id"]), "type": str(r["kind"]), "attributes": attrs,
                        "relationships": [{"objectId": p, "qualifier": "made from"} for p in parents.get(r["lot_id"], [])]})
    epoch = _t(rec.start)
    objects += [{"id": m, "type": "machine", "attributes": [{"name": "line", "value": str(machine_line.get(m, "")),
                                                             "time": epoch}], "relationships": []} for m in machines]
    events: list[dict[str, Any]] = []
    ev_types: dict[str, set[str]] = {}

    def add(etype: str, time: Any, attrs: dict[str, Any], rel: list[tuple[str, str]]) -> None:
        ev_types.setdefault(etype, set()).update(attrs)
        events.append({"id": f"e{len(events) + 1}", "type": etype, "time": _t(time),
                       "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
                       "relationships": [{"objectId": o, "qualifier": q} for o, q in rel]})

    known = set(machines)
    for r in lots.to_dict("records"):
        rel = [(str(r["lot_id"]), "lot")] + ([(str(r["equipment"]), "equipment")] if r["equipment"] in known else [])
        add(f"start {r['kind']}", r["start"], {}, rel)
        if _ok(r["end"]):
            add(f"finish {r['kind']}", r["end"], {"status": str(r["status"]), "reason": str(r["reason"])}, rel)
    for r in qc.to_dict("records"):
        add("QC result", r["time"], {"attribute": str(r["attribute"]), "value": float(r["value"])}, [(str(r["lot_id"]), "lot")])
    for r in sd.to_dict("records"):
        add("delivery", r["time"], {"supply": str(r["supply"]), "mass_kg": float(r["mass_kg"])}, [])
    for r in st.to_dict("records"):
        add(str(r["state"]), r["start"], {"reason": str(r["reason"])}, [(str(r["equipment"]), "equipment")])
    events.sort(key=lambda e: e["time"])

    def types(found: dict[str, set[str]], kinds: dict[str, str]) -> list[dict[str, Any]]:
        return [{"name": name, "attributes": [{"name": a, "type": kinds.get(a, "float")} for a in sorted(attrs)]}
                for name, attrs in sorted(found.items())]

    text = {"status": "string", "reason": "string", "attribute": "string", "supply": "string", "line": "string"}
    return {"objectTypes": types(obj_types, text), "eventTypes": types(ev_types, text), "objects": objects,
            "events": events}


def write_ocel(rec: Records, path: str | os.PathLike[str]) -> Path:
    return atomic_text(path, json.dumps(to_ocel(rec)) + "\n")
