"""Writing a simulated run as plant records (:mod:`plants.records.schema`), so that the twin's own
history can stand in for a plant's: ``twin run SCENARIO --export-records DIR`` and
:func:`export_records`. The folder is written all or nothing (:func:`twin.atomic.atomic_folder`).
"""

from __future__ import annotations

import json
import os
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plants.lines import STAGES, LotKind
from plants.records.schema import FORMAT, MANIFEST, TABLES, VERSION, property_unit
from twin.atomic import atomic_folder
from twin.errors import InputError

__all__ = ["DEFAULT_START", "export_records", "property_column", "record_frames", "write_records"]

DEFAULT_START = "2025-01-01T00:00:00+00:00"  # hour 0 of a simulated run, unless told otherwise
_NOT_PROPS = {"lot_id", "line", "unit", "start_h", "end_h", "mass_kg", "status", "reason", "parents", "row",
              "replication", "cost_usd", "scrap_usd"}
_QC = ("si_content_wt", "capacity_mah_g", "ice", "exposed_si_fraction")  # the powder release test


def property_column(name: str) -> str:
    """A twin lot property's record column: its name if that ends in a unit suffix, else ``<name>_1``."""
    return name if property_unit(name) is not None else f"{name}_1"


def _times(hours: Any, start: pd.Timestamp) -> pd.Series:
    h = np.asarray(hours, dtype=float)
    out = np.full(len(h), "", dtype=object)  # no time (a lot still in process): an empty cell
    ok = np.isfinite(h)
    if ok.any():
        ts = start + pd.to_timedelta(np.round(h[ok] * 3.6e6).astype(np.int64), unit="ms")
        out[ok] = [t.isoformat(timespec="milliseconds") for t in ts]
    return pd.Series(out)


def _state_intervals(states: pd.DataFrame, horizon_h: float) -> pd.DataFrame:
    """The state log's change rows as intervals per machine (zero-length ones dropped)."""
    s = states[["time_h", "unit", "line", "state", "reason"]].copy()
    s["_order"] = np.arange(len(s))
    s = s.sort_values(["unit", "time_h", "_order"], kind="stable")
    nxt = s.groupby("unit", sort=False)["time_h"].shift(-1)
    s["end_h"] = nxt.fillna(horizon_h).to_numpy()
    s = s[s["end_h"] > s["time_h"]]
    return s.sort_values(["time_h", "_order"], kind="stable").drop(columns="_order")


def _settings_rows(lots: pd.DataFrame, loaded: Any) -> pd.DataFrame:
    owner = {s.lot_kind.value: s.line for s in STAGES}
    per_line: dict[str, list[tuple[str, str]]] = {}
    for line in set(owner.values()):
        section = getattr(loaded.scenario.settings, line, None)
        if section is None:
            continue
        flat: dict[str, Any] = {}
        for k, v in section.model_dump().items():  # a nested group (a gas program) as dotted names
            if isinstance(v, dict):
                flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
            else:
                flat[k] = v
        items = []
        for k, v in flat.items():
            if v is None or isinstance(v, (dict, list)):
                continue
            v = v.value if isinstance(v, Enum) else v
            items.append((f"{line}.{k}", repr(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)))
        per_line[line] = items
    ids, names, values = [], [], []
    for lot_id, kind in zip(lots["lot_id"], lots["line"], strict=True):
        for name, value in per_line.get(owner.get(kind, ""), []):
            ids.append(lot_id)
            names.append(name)
            values.append(value)
    return pd.DataFrame({"lot_id": ids, "setting": names, "value": values})


def record_frames(lots: pd.DataFrame, states: pd.DataFrame, lot_events: pd.DataFrame, genealogy: pd.DataFrame,
                  levels: pd.DataFrame, horizon_h: float, loaded: Any, start: str | pd.Timestamp = DEFAULT_START,
                  deliveries: pd.DataFrame | None = None, tanks: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """One replication's frames (as :class:`plants.plant.Replication` holds them) as record tables
    (``deliveries``: supply, ordered_h, time_h, mass_kg of the bulk deliveries received; ``tanks``:
    supply, time_h, level_kg of the bulk supplies' levels, written as tank readings named after the supply)."""
    t0 = pd.Timestamp(start)
    if t0.tzinfo is None:
        raise InputError.single("start", "", "needs a time zone (e.g. 2025-01-01T00:00:00+00:00)", value=str(start))
    iv = _state_intervals(states, horizon_h)
    out: dict[str, pd.DataFrame] = {}
    out["equipment_states"] = pd.DataFrame({
        "start": _times(iv["time_h"], t0), "end": _times(iv["end_h"], t0), "equipment": iv["unit"].to_numpy(),
        "line": iv["line"].to_numpy(), "state": iv["state"].astype(str).to_numpy(), "reason": iv["reason"].to_numpy()})
    props = [c for c in lots.columns if c not in _NOT_PROPS and pd.api.types.is_numeric_dtype(lots[c])]
    lot = pd.DataFrame({
        "lot_id": lots["lot_id"].to_numpy(), "kind": lots["line"].astype(str).to_numpy(),
        "equipment": lots["unit"].to_numpy(), "start": _times(lots["start_h"], t0).to_numpy(),
        "end": _times(lots["end_h"] if "end_h" in lots else np.full(len(lots), np.nan), t0).to_numpy(),
        "status": lots["status"].astype(str).to_numpy(), "reason": lots["reason"].fillna("").to_numpy(),
        "mass_kg": lots["mass_kg"].to_numpy(dtype=float)})
    extra = {property_column(c): lots[c].to_numpy(dtype=float) for c in props}
    out["lots"] = pd.concat([lot, pd.DataFrame(extra, index=lot.index)], axis=1)
    out["genealogy"] = pd.DataFrame({"child_lot": genealogy["lot_id"].to_numpy(),
                                     "parent_lot": genealogy["parent_id"].to_numpy(),
                                     "mass_kg": genealogy["mass_kg"].to_numpy(dtype=float)})
    ev = lot_events[lot_events["status"].astype(str).isin(["released", "rejected"])]
    powder = lots[lots["line"].astype(str) == LotKind.POWDER.value].set_index("lot_id")
    ev = ev[ev["lot_id"].isin(powder.index)]
    rows = []
    for t, lot_id in zip(ev["time_h"], ev["lot_id"], strict=True):
        p = powder.loc[lot_id]
        for a in _QC:
            if a in p.index and pd.notna(p[a]):
                rows.append((lot_id, property_column(a), float(p[a]), float(p["end_h"]), float(t)))
    qc = pd.DataFrame(rows, columns=["lot_id", "attribute", "value", "sampled_h", "time_h"])
    out["qc_results"] = pd.DataFrame({"lot_id": qc["lot_id"], "attribute": qc["attribute"], "value": qc["value"],
                                      "sampled": _times(qc["sampled_h"], t0), "time": _times(qc["time_h"], t0)})
    out["settings"] = _settings_rows(lots, loaded)
    if deliveries is None or deliveries.empty:
        out["supply_deliveries"] = pd.DataFrame({c: [] for c in TABLES["supply_deliveries"].names})
    else:
        out["supply_deliveries"] = pd.DataFrame({
            "time": _times(deliveries["time_h"], t0).to_numpy(), "supply": deliveries["supply"].to_numpy(),
            "mass_kg": deliveries["mass_kg"].to_numpy(dtype=float), "ordered": _times(deliveries["ordered_h"], t0).to_numpy()})
    out["tank_levels"] = pd.DataFrame({"time": _times(levels["time_h"], t0).to_numpy(),
                                       "tank": levels["buffer"].to_numpy(),
                                       "level": levels["level"].to_numpy(dtype=float),
                                       "unit": levels["unit"].to_numpy()})
    if tanks is not None and not tanks.empty:
        out["tank_levels"] = pd.concat([out["tank_levels"], pd.DataFrame({
            "time": _times(tanks["time_h"], t0).to_numpy(), "tank": tanks["supply"].to_numpy(),
            "level": tanks["level_kg"].to_numpy(dtype=float), "unit": "kg"})], ignore_index=True)
    return out


def write_records(frames: dict[str, pd.DataFrame], folder: str | os.PathLike[str], start: str | pd.Timestamp,
                  horizon_h: float, meta: dict[str, Any] | None = None) -> Path:
    """Write record tables as ``<table>.csv`` plus ``manifest.json``; the folder is replaced as a
    whole when everything was written (a failure leaves the old folder or none, never a part)."""
    out = Path(folder)
    ours = {f"{t}.csv" for t in TABLES} | {MANIFEST}
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in ours)
        if others:
            raise InputError.single(str(out), "", f"holds files that are not records written by the twin "
                                    f"({', '.join(others[:5])}): choose another folder")
    elif out.exists():
        raise InputError.single(str(out), "", "exists and is not a folder")
    t0 = pd.Timestamp(start)
    manifest = {"format": FORMAT, "version": VERSION, "period_start": t0.isoformat(),
                "period_end": (t0 + pd.Timedelta(hours=horizon_h)).isoformat(), **(meta or {})}
    with atomic_folder(out, replace=True) as tmp:
        for name in TABLES:
            frames[name].to_csv(tmp / f"{name}.csv", index=False, float_format="%.10g")
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return out


def export_records(result: Any, folder: str | os.PathLike[str], replication: int = 0,
                   start: str | pd.Timestamp = DEFAULT_START) -> Path:
    """Write one replication of a run (a :class:`plants.app.api.RunResult` computed in this session,
    or a :class:`plants.plant.Replication` with ``result.loaded`` set by :func:`replication_records`)
    as a plant record folder."""
    loaded = result.scenario
    if loaded is None:
        raise InputError.single("result", "", "has no scenario (read back from a folder?): export a run computed now")
    ev = result.events
    if ev.empty or "kind" not in ev.columns:
        raise InputError.single("result", "", "has no event log to export (a run read from the store?)")
    if replication not in set(result.lots["replication"]):
        raise InputError.single("--replication", "", f"the run has no replication {replication}")
    ev = ev[ev["replication"] == replication]
    states = ev[ev["kind"] == "state"]
    lot_events = ev[ev["kind"] == "lot"].rename(columns={"state": "status"})
    lots = result.lots[result.lots["replication"] == replication]
    gen = result.genealogy[result.genealogy["replication"] == replication]
    levels = result.levels[result.levels["replication"] == replication] if not result.levels.empty else result.levels
    horizon = float(loaded.scenario.horizon_h)
    deliveries = getattr(result, "deliveries", None)  # kept by a run result that keeps it
    if isinstance(deliveries, pd.DataFrame) and "replication" in deliveries.columns:
        deliveries = deliveries[deliveries["replication"] == replication]
    tanks = getattr(result, "tanks", None)
    if isinstance(tanks, pd.DataFrame) and "replication" in tanks.columns:
        tanks = tanks[tanks["replication"] == replication]
    frames = record_frames(lots, states, lot_events, gen, levels, horizon, loaded, start,
                           deliveries if isinstance(deliveries, pd.DataFrame) else None,
                           tanks if isinstance(tanks, pd.DataFrame) else None)
    meta = {"plant": f"simulated: scenario {loaded.scenario.name}", "seed": loaded.scenario.seed,
            "replication": replication, "parameter_set": f"{loaded.params.name}@{loaded.params.version}"}
    if not isinstance(deliveries, pd.DataFrame):
        meta["note"] = "supply_deliveries is empty: the run result does not keep the bulk deliveries"
    return write_records(frames, folder, start, horizon, meta)


def export_replication(rep: Any, loaded: Any, folder: str | os.PathLike[str], start: str | pd.Timestamp = DEFAULT_START
                       ) -> Path:
    """Write a :class:`plants.plant.Replication` (from :func:`plants.plant.simulate`) as records."""
    frames = record_frames(rep.lots, rep.states, rep.lot_events, rep.genealogy, rep.levels, rep.horizon_h, loaded, start,
                           getattr(rep, "deliveries", None), getattr(rep, "tanks", None))
    meta = {"plant": f"simulated: scenario {loaded.scenario.name}", "seed": rep.seed, "replication": rep.replication,
            "parameter_set": f"{loaded.params.name}@{loaded.params.version}"}
    return write_records(frames, folder, start, rep.horizon_h, meta)
