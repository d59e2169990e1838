"""``twin backtest``: simulate the recorded period with a (calibrated) parameter set and the recorded
recipes over replications, and compare what the plant did with what the twin predicts: output per
line, yields and scrap by cause, state shares, buffer levels, property means and CVs, each with the
twin's 95 % prediction interval for one more period and a verdict (inside / outside).

The twin starts empty and idle; a record that starts with a running plant differs in its first
days (a forecast can start from a snapshot, ``twin run --from-state``; the back-test does not).
"""

from __future__ import annotations

import copy
import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from plants.lines import STAGES
from plants.plant import simulate
from plants.records import Records, read_records
from plants.records.export import _state_intervals, property_column
from plants.scenario import LoadedScenario, load_scenario
from twin.errors import InputError
from twin.params import Flag, collect_sources
from twin.quality import capability
from twin.report import Page
from twin.yamlio import read_yaml

__all__ = ["PERIOD_H", "PROPERTIES", "Backtest", "backtest", "metrics", "scenario_for_records", "spec_limits"]

PROPERTIES: dict[str, tuple[str, ...]] = {  # lot properties compared (mean and CV), per lot kind
    "fbcvd": ("temperature_c", "si_loading_wt", "pore_fill_1", "crystallite_nm", "sic_fraction_1"),
    "coating": ("si_content_wt", "capacity_mah_g", "ice_1", "exposed_si_fraction_1"),
    "casting": ("coat_weight_mg_cm2", "areal_capacity_mah_cm2", "porosity_1"),
    "prelith": ("ice_1",),
}
PERIOD_H = 168.0  # the period of the per-period output comparison (a week)
_NONE = object()
_DONE = ("released", "consumed", "buffered", "rejected", "scrapped", "in_tank", "quarantine", "testing", "coating",
         "prelithiating")


@dataclass(frozen=True)
class Backtest:
    table: pd.DataFrame  # group, line, metric, observed, predicted, low95, high95, verdict
    records: Records
    scenario: LoadedScenario
    report: Path | None


def _kind_tables(states: pd.DataFrame, lots: pd.DataFrame, levels: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A replication's frames in the records' shape, with times in hours."""
    iv = states.rename(columns={"time_h": "start_h", "unit": "equipment"})
    props = {c: property_column(c) for c in lots.columns
             if c not in ("lot_id", "line", "unit", "start_h", "end_h", "mass_kg", "status", "reason", "parents", "row")}
    lt = lots.rename(columns={"line": "kind", "unit": "equipment", **props})
    lt["kind"] = lt["kind"].astype(str)
    lt["status"] = lt["status"].astype(str)
    tl = levels.rename(columns={"time_h": "time_h", "buffer": "tank"}) if not levels.empty else levels
    return {"equipment_states": iv, "lots": lt, "tank_levels": tl}


def spec_limits(sc: LoadedScenario) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    """The scenario's spec limits by lot kind and record column (``ice`` of powder -> coating, ``ice_1``)."""
    kinds = {"powder": "coating", "electrode": "casting", "prelith": "prelith"}
    return {kind: {property_column(a): (lim.min, lim.max) for a, lim in getattr(sc.scenario.specs, product).items()}
            for product, kind in kinds.items()}


def metrics(tables: dict[str, pd.DataFrame], end_h: float,
            specs: dict[str, dict[str, tuple[float | None, float | None]]] | None = None) -> dict[tuple[str, str, str], float]:
    """The compared figures of one history (recorded or simulated), keyed (group, line, metric); with
    ``specs`` (lot kind -> record column -> (min, max)) also each limited property's Cpk."""
    out: dict[tuple[str, str, str], float] = {}
    st = tables["equipment_states"]
    if len(st):
        dur = (st["end_h"].clip(upper=end_h) - st["start_h"]).clip(lower=0.0)
        for stage, g in st.assign(dur=dur).groupby("line"):
            total = float(g["dur"].sum())
            for state in ("working", "idle", "starved", "blocked", "down"):
                share = float(g.loc[g["state"] == state, "dur"].sum()) / total if total else math.nan
                out[("state share", str(stage), state)] = share
    lots = tables["lots"]
    for s in STAGES:
        kind = s.lot_kind.value
        lk = lots[(lots["kind"] == kind) & lots["end_h"].notna() & (lots["end_h"] <= end_h + 1e-9)]
        out[("output", kind, "lots finished")] = float(len(lk))
        out[("output", kind, "kg finished")] = float(lk["mass_kg"].sum())
        if end_h > PERIOD_H:  # and per period (week), so that a drift or a bad week shows
            for k in range(math.ceil(end_h / PERIOD_H - 1e-9)):
                lo, hi = k * PERIOD_H, min((k + 1) * PERIOD_H, end_h)
                inside = (lk["end_h"] > lo) & (lk["end_h"] <= hi + 1e-9)
                out[("output per period", kind, f"kg finished in h {lo:g}-{hi:g}")] = float(lk.loc[inside, "mass_kg"].sum())
        bad = lk[lk["status"].isin(["scrapped", "rejected"])]
        made = float(lk["mass_kg"].sum())
        out[("yield", kind, "mass yield")] = 1.0 - float(bad["mass_kg"].sum()) / made if len(lk) and made else math.nan
        for cause, g in bad.groupby(bad["reason"].fillna("").astype(str).str.split(":").str[0]):
            out[("scrap kg by cause", kind, cause or "(no reason)")] = float(g["mass_kg"].sum())
        for prop in PROPERTIES.get(kind, ()):
            if prop in lk.columns:
                v = lk[prop].dropna().to_numpy(dtype=float)
                if len(v) >= 3:
                    m = float(v.mean())
                    out[("property mean", kind, prop)] = m
                    out[("property CV", kind, prop)] = float(v.std(ddof=1)) / abs(m) if m else math.nan
        for prop, (lo, hi) in (specs or {}).get(kind, {}).items():
            if prop in lk.columns and lk[prop].notna().sum() >= 3:
                cpk = capability(lk[prop].to_numpy(dtype=float), lo, hi)["cpk"]
                if math.isfinite(cpk):
                    out[("property Cpk", kind, prop)] = float(cpk)
    tl = tables.get("tank_levels")
    if tl is not None and len(tl):
        for tank, g in tl.sort_values("time_h", kind="stable").groupby("tank"):
            t = np.append(g["time_h"].to_numpy(dtype=float), end_h)
            w = np.clip(np.diff(t), 0.0, None)
            if w.sum() > 0:
                out[("buffer mean level", str(tank), str(g["unit"].iloc[0]))] = float(np.sum(w * g["level"].to_numpy()) / w.sum())
    return out


def _record_settings(rec: Records) -> tuple[dict[str, Any], list[str]]:
    s = rec["settings"]
    chosen: dict[str, Any] = {}
    notes = []
    for name, g in s.groupby("setting"):
        counts = Counter(g["value"].astype(str))
        value, n = counts.most_common(1)[0]
        if len(counts) > 1:
            notes.append(f"{name}: {len(counts)} values recorded; the twin runs the most common, {value} ({n} of {len(g)})")
        try:
            chosen[str(name)] = float(value)
        except ValueError:
            chosen[str(name)] = value
    return chosen, notes


def scenario_for_records(loaded: LoadedScenario, rec: Records, params: str | os.PathLike[str] | None
                         ) -> tuple[LoadedScenario, list[str]]:
    """The scenario over the recorded period: ``params`` as its parameter set (the scenario's
    overrides of values it calibrated are dropped), the recorded recipes, no warm-up."""
    tree = copy.deepcopy(loaded.tree)
    notes: list[str] = []
    if params is not None:
        path = Path(params).resolve()
        if not path.is_file():
            raise InputError.single(str(params), "", "no parameter set file there")
        tree["parameter_set"] = str(path)
        calibrated = {p for p, r in collect_sources(read_yaml(path)).items() if r.flag is Flag.CALIBRATED}
        dropped = _drop_overrides(tree.get("overrides") or {}, calibrated)
        if dropped:
            notes.append("scenario overrides of calibrated values dropped: " + ", ".join(dropped))
    elif loaded.base_dir and not Path(str(tree.get("parameter_set", ""))).is_absolute() and (
            str(tree.get("parameter_set", "")).endswith((".yaml", ".yml"))):
        tree["parameter_set"] = str(Path(loaded.base_dir) / str(tree["parameter_set"]))
    tree["horizon_h"] = rec.end_h
    tree["warmup_h"] = 0.0
    out = load_scenario(tree, list(loaded.sets))
    settings, more = _record_settings(rec)
    notes += more
    changes: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}  # an optional group the scenario lacks (a gas program), set whole
    for name, value in settings.items():
        current: Any = out.scenario.settings
        parts = name.split(".")
        for i, part in enumerate(parts):
            parent, current = current, getattr(current, part, _NONE)
            if current is None and i == len(parts) - 2 and part in getattr(type(parent), "model_fields", {}):
                groups.setdefault(".".join(parts[:-1]), {})[parts[-1]] = value
                break
            if current is _NONE or current is None:
                break
        if current is None:
            continue
        if current is _NONE:
            notes.append(f"recorded setting {name} is not a setting of this scenario; ignored")
            continue
        current = getattr(current, "value", current)
        if isinstance(value, float) and isinstance(current, (int, float)) and math.isclose(value, float(current), rel_tol=1e-9):
            continue
        if str(value) != str(current):
            changes[name] = value
    for prefix, values in groups.items():
        changes[prefix] = "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"
    if changes:
        notes.append("recorded recipes applied: " + ", ".join(f"{k}={v}" for k, v in changes.items()))
        out = out.with_settings(changes)
    return out, notes


def _drop_overrides(node: dict[str, Any], paths: set[str], prefix: str = "") -> list[str]:
    dropped = []
    for key in list(node):
        path = f"{prefix}.{key}" if prefix else str(key)
        if path in paths:
            del node[key]
            dropped.append(path)
        elif isinstance(node[key], dict):
            dropped += _drop_overrides(node[key], paths, path)
    return dropped


def backtest(loaded: LoadedScenario, data: str | os.PathLike[str], params: str | os.PathLike[str] | None = None,
             replications: int = 10, out: str | os.PathLike[str] | None = None, lenient: bool = False) -> Backtest:
    if replications < 2:
        raise InputError.single("--replications", "", "needs at least 2 for a prediction interval", value=replications)
    rec = read_records(data, lenient=lenient)
    if rec.end_h <= 0:
        raise InputError.single(str(data), "", "the records span no time")
    sc, notes = scenario_for_records(loaded, rec, params)
    limits = spec_limits(sc)
    observed = metrics({n: rec[n] for n in ("equipment_states", "lots", "tank_levels")}, rec.end_h, limits)
    sims: list[dict[tuple[str, str, str], float]] = []
    for r in range(replications):
        rep = simulate(sc, r)
        sims.append(metrics(_kind_tables(_state_intervals(rep.states, rep.horizon_h), rep.lots, rep.levels), rep.horizon_h,
                            limits))
    keys = list(observed) + [k for s in sims for k in s if k not in observed]
    keys = list(dict.fromkeys(keys))
    t = float(stats.t.ppf(0.975, replications - 1))
    rows = []
    for k in keys:
        v = np.array([s.get(k, 0.0 if k[0] in ("scrap kg by cause",) else math.nan) for s in sims], dtype=float)
        v = v[np.isfinite(v)]
        obs = observed.get(k, 0.0 if k[0] == "scrap kg by cause" else math.nan)
        if len(v) >= 2:
            m, sd = float(v.mean()), float(v.std(ddof=1))
            half = t * sd * math.sqrt(1.0 + 1.0 / len(v))
            lo, hi = m - half, m + half
            if sd == 0.0:
                lo = hi = m
            if k[0] != "property Cpk":  # every other figure compared is a count, a mass, a share, a level or a CV
                lo = max(lo, 0.0)
            if k[0] in ("state share", "yield"):
                hi = min(hi, 1.0)
        else:
            m = lo = hi = math.nan
        if not (math.isfinite(obs) and math.isfinite(lo)):
            verdict = "n/a"
        else:
            tol = 1e-9 * max(abs(m), 1.0)
            verdict = "inside" if lo - tol <= obs <= hi + tol else "outside"
        rows.append({"group": k[0], "line": k[1], "metric": k[2], "observed": obs, "predicted": m, "low95": lo,
                     "high95": hi, "verdict": verdict})
    table = pd.DataFrame(rows, columns=["group", "line", "metric", "observed", "predicted", "low95", "high95", "verdict"])
    report = _write_report(table, rec, sc, notes, replications, params, out) if out is not None else None
    return Backtest(table, rec, sc, report)


def _write_report(table: pd.DataFrame, rec: Records, sc: LoadedScenario, notes: list[str], reps: int,
                  params: Any, out: str | os.PathLike[str]) -> Path:
    page = Page("Back-test: the twin against the plant records")
    judged = table[table["verdict"] != "n/a"]
    inside = int((judged["verdict"] == "inside").sum())
    page.paragraph(f"Records {rec.folder} (sha256 {rec.sha256[:16]}...), {rec.start.isoformat()} for {rec.end_h:,.1f} h; "
                   f"twin: scenario {sc.scenario.name}, parameter set {sc.params.name}@{sc.params.version} "
                   f"({params or 'the scenario own'}), {reps} replications of the recorded period. "
                   f"**{inside} of {len(judged)}** comparisons lie inside the twin's 95 % prediction interval.")
    page.paragraph("The twin starts empty and idle; a record that starts with a running plant differs in its first days.")
    for n in notes:
        page.paragraph(n)
    for group, g in table.groupby("group", sort=False):
        page.table(str(group), g.drop(columns=["group"]), digits=4)
    shares = table[table["group"] == "state share"]
    if len(shares):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.5), constrained_layout=True)
        x = np.arange(len(shares))
        err = np.vstack([shares["predicted"] - shares["low95"], shares["high95"] - shares["predicted"]])
        ax.bar(x - 0.2, shares["observed"], 0.4, label="records")
        ax.bar(x + 0.2, shares["predicted"], 0.4, yerr=np.nan_to_num(err), label="twin (95 % prediction)")
        ax.set_xticks(x, [f"{a}\n{b}" for a, b in zip(shares["line"], shares["metric"], strict=True)], fontsize=6)
        ax.set_ylabel("share of machine time")
        ax.legend()
        page.figure("State shares: the records against the twin", fig)
    return page.write(out)
