"""What plant records say about the parameter set: reliability, maintenance, scatter, quality,
lab and physics constants, each as a maximum-likelihood (or least-squares) estimate with a 95 %
interval, against the value the scenario's parameter set had (the prior).

The numbers come from :mod:`twin.reliability_fit`; this module knows which records feed which
parameter of the Si/C plant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import numpy as np
import pandas as pd

from plants.records import Records
from plants.records.export import property_column
from plants.scenario import LoadedScenario
from twin.params import Flag
from twin.reliability_fit import (
    Estimate,
    LeastSquares,
    exponential_mtbf,
    fit_constants,
    lognormal_durations,
    mean_interval,
    min_threshold,
    poisson_rate,
    random_effects_sd,
    sd_interval,
)

__all__ = ["EQUIPMENT", "PARTS", "Calibrated", "Calibration", "PhysicsFit", "calibrate_records"]

# The parameter section whose Reliability fields drive each stage's machines (twin.equipment.make_machines).
EQUIPMENT: dict[str, str] = {"fbcvd": "fbcvd.equipment", "coating": "coating.equipment", "mixing": "casting.mixer",
                             "casting": "casting.equipment", "prelith": "prelith.equipment"}
_SCAFFOLD = {"pore_volume": "cm3_g", "particle_size": "um", "surface_area": "m2_g"}
_EPS = 1e-6


@dataclass(frozen=True)
class Calibrated:
    path: str  # dotted path in the parameter set
    label: str
    group: str
    prior: float
    prior_flag: str
    units: str
    estimate: Estimate

    @property
    def written(self) -> bool:
        e = self.estimate
        return e.supported and math.isfinite(e.value)


@dataclass(frozen=True)
class PhysicsFit:
    name: str  # e.g. "fbcvd crystallite size"
    function: str
    column: str
    fit: LeastSquares
    temperature_c: np.ndarray
    priors: dict[str, float]


@dataclass
class Calibration:
    records: Records
    values: list[Calibrated]
    per_machine: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    repairs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # stage -> durations, censored
    repair_fits: dict[str, Any] = field(default_factory=dict)
    ttf: dict[str, np.ndarray] = field(default_factory=dict)  # stage -> operating hours between failures
    biases: pd.DataFrame = field(default_factory=pd.DataFrame)  # per reactor: mean temperature offset, 95 % interval
    physics: list[PhysicsFit] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        rows = [{"parameter": c.path, "what": c.label, "units": c.units, "prior": c.prior, "prior flag": c.prior_flag,
                 "estimate": c.estimate.value, "low95": c.estimate.low, "high95": c.estimate.high, "n": c.estimate.n,
                 "prior inside": bool(c.estimate.contains(c.prior)) if c.written else None,
                 "written": c.written, "method": c.estimate.method + (f" ({c.estimate.note})" if c.estimate.note else "")}
                for c in self.values]
        return pd.DataFrame(rows)


def _source(loaded: LoadedScenario, path: str) -> tuple[float, str, str]:
    rec = loaded.sources.get(path)
    if rec is None:
        return math.nan, "", ""
    try:
        return float(rec.value), rec.flag.value, rec.units
    except (TypeError, ValueError):
        return math.nan, rec.flag.value, rec.units


def _operating(st: pd.DataFrame) -> pd.DataFrame:
    """Per state interval: its duration and the machine's operating hours up to its start."""
    st = st.sort_values(["equipment", "start_h"], kind="stable").copy()
    st["dur_h"] = st["end_h"] - st["start_h"]
    work = np.where(st["state"] == "working", st["dur_h"], 0.0)
    st["op_before_h"] = pd.Series(work, index=st.index).groupby(st["equipment"]).cumsum() - work
    return st


def _settings(rec: Records) -> pd.DataFrame:
    s = rec["settings"]
    if s.empty:
        return pd.DataFrame()
    wide = s.pivot_table(index="lot_id", columns="setting", values="value", aggfunc="first")
    return wide.apply(pd.to_numeric, errors="coerce")


PARTS = ("reliability", "scatter", "lab", "supply", "physics")
SUPPLIES = {"silane": "fbcvd.silane", "lithium": "prelith.li_supply"}  # supply name -> its parameter section


def calibrate_records(rec: Records, loaded: LoadedScenario, parts: tuple[str, ...] = PARTS) -> Calibration:
    """Every estimate the records support (see the module's docstring); ``parts`` limits it to
    some of reliability (with maintenance, web breaks), scatter (with coat weight), lab and physics."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown calibration part(s) {sorted(unknown)}; parts are {', '.join(PARTS)}")
    cal = Calibration(rec, [], pd.DataFrame())
    end = rec.end_h

    def add(path: str, label: str, group: str, est: Estimate) -> None:
        prior, flag, units = _source(loaded, path)
        if not flag:
            cal.warnings.append(f"{path}: not a parameter of the set; estimate {est.value:.4g} not written")
            return
        cal.values.append(Calibrated(path, label, group, prior, flag, units, est))
        if not est.supported:
            cal.warnings.append(f"{path} ({label}): the records do not determine it"
                                + (f": {est.note}" if est.note else f" ({est.method})") + "; prior kept")
        elif est.n < 5:
            cal.warnings.append(f"{path} ({label}): only {est.n} observation(s); the interval is wide")

    st = rec["equipment_states"]
    machines = []
    if not st.empty and "reliability" in parts:
        st = _operating(st)
        down = st[st["state"] == "down"]
        fail = down[down["reason"].str.startswith("failure")]
        maint = down[down["reason"] == "planned maintenance"]
        for stage, section in EQUIPMENT.items():
            mine = st[st["line"] == stage]
            if mine.empty:
                continue
            op = float(mine.loc[mine["state"] == "working", "dur_h"].sum())
            f = fail[fail["line"] == stage]
            add(f"{section}.mtbf_h", f"{stage}: mean operating hours between failures", "reliability",
                exponential_mtbf(op, len(f)))
            censored = (f["end_h"] >= end - _EPS).to_numpy()
            fit = lognormal_durations(f["dur_h"].to_numpy(), censored)
            cal.repairs[stage] = (f["dur_h"].to_numpy(), censored)
            cal.repair_fits[stage] = fit
            add(f"{section}.repair_median_h", f"{stage}: median repair time", "reliability", fit.median)
            add(f"{section}.repair_sigma", f"{stage}: repair time, sigma of ln", "reliability", fit.sigma)
            gaps = []
            for _, g in f.groupby("equipment"):
                gaps.extend(np.diff(np.concatenate([[0.0], g["op_before_h"].to_numpy()])).tolist())
            cal.ttf[stage] = np.asarray(gaps, dtype=float)
            m = maint[maint["line"] == stage]
            done = m[m["end_h"] < end - _EPS]
            add(f"{section}.maintenance_h", f"{stage}: planned maintenance duration", "maintenance",
                mean_interval(done["dur_h"]) if done["dur_h"].nunique() > 1 or len(done) < 2 else
                Estimate(float(done["dur_h"].iloc[0]), float(done["dur_h"].iloc[0]), float(done["dur_h"].iloc[0]),
                         len(done), f"all {len(done)} planned stops lasted the same"))
            cadence = [d for _, g in m.groupby("equipment") for d in np.diff(g["op_before_h"].to_numpy()).tolist()]
            est = min_threshold(cadence)
            add(f"{section}.maintenance_interval_h", f"{stage}: operating hours between planned maintenance",
                "maintenance", est)
            for unit, g in mine.groupby("equipment"):
                opu = float(g.loc[g["state"] == "working", "dur_h"].sum())
                nf = int(((g["state"] == "down") & g["reason"].str.startswith("failure")).sum())
                e = exponential_mtbf(opu, nf)
                machines.append({"line": stage, "equipment": unit, "operating_h": opu, "failures": nf,
                                 "mtbf_h": e.value, "low95": e.low, "high95": e.high,
                                 "share_down": float(g.loc[g["state"] == "down", "dur_h"].sum()) / max(end, _EPS)})
        cal.warnings += _web_breaks(st, rec, add)
    cal.per_machine = pd.DataFrame(machines)
    lots = rec["lots"]
    sets = _settings(rec)
    if "scatter" in parts:
        cal.biases = _scatter(lots, sets, add)
    if "lab" in parts:
        _lab(rec, loaded, add)
    if "supply" in parts:
        _supply(rec, add, cal.warnings)
    if "physics" in parts:
        cal.physics = _physics(lots, sets, loaded, add, cal.warnings)
    return cal


def _web_breaks(st: pd.DataFrame, rec: Records, add: Callable[[str, str, str, Estimate], None]) -> list[str]:
    cast = st[st["line"] == "casting"].sort_values(["equipment", "start_h"], kind="stable")
    if cast.empty:
        return []
    prev = cast.groupby("equipment")["reason"].shift(1).fillna("")
    new = (cast["state"] == "working") & (cast["reason"] == "web break") & (prev != "failure in web break")
    rolls = rec["lots"][rec["lots"]["kind"] == "casting"]
    sets = _settings(rec)
    length = "casting.roll_length_m"
    if length in sets.columns:
        km = float(sets[length].reindex(rolls["lot_id"]).fillna(0.0).sum()) / 1000.0
    elif "length_m" in rolls.columns:
        km = float(rolls["length_m"].fillna(0.0).sum()) / 1000.0
    else:
        return ["casting.equipment.web_breaks_per_km: no roll lengths in the records (settings casting.roll_length_m "
                "or lots length_m)"]
    add("casting.equipment.web_breaks_per_km", "web breaks per km of roll", "quality", poisson_rate(int(new.sum()), km))
    _changeovers(cast, km, add)
    breaks = cast[new]
    if len(breaks) >= 2:
        durations = breaks["end_h"] - breaks["start_h"]
        e = mean_interval(durations)
        if durations.nunique() == 1:
            v = float(durations.iloc[0])
            e = Estimate(v, v, v, len(breaks), f"all {len(breaks)} web breaks took the same time")
        add("casting.equipment.web_break_repair_h", "time to re-thread after a web break", "quality", e)
    return []


def _changeovers(cast: pd.DataFrame, km: float, add: Callable[[str, str, str, Estimate], None]) -> None:
    """Changeovers of the casting lines: km of roll per changeover (1 / the Poisson rate per km, its
    exact interval inverted: conservative for the model's fixed cadence) and their duration."""
    done = cast[(cast["state"] == "working") & (cast["reason"] == "changeover")]
    if done.empty or km <= 0:
        return
    rate = poisson_rate(len(done), km)
    add("casting.equipment.changeover_every_km", "km of roll between changeovers", "quality",
        Estimate(1.0 / rate.value, 1.0 / rate.high, (1.0 / rate.low) if rate.low > 0 else math.inf, rate.n,
                 f"1 / ({rate.method}) per km of roll"))
    durations = done["end_h"] - done["start_h"]
    if len(done) >= 2:
        e = mean_interval(durations)
        if durations.nunique() == 1:
            v = float(durations.iloc[0])
            e = Estimate(v, v, v, len(done), f"all {len(done)} changeovers took the same time")
        add("casting.equipment.changeover_h", "duration of a changeover", "quality", e)


def _scatter(lots: pd.DataFrame, sets: pd.DataFrame, add: Callable[[str, str, str, Estimate], None]) -> pd.DataFrame:
    biases: list[dict[str, Any]] = []
    sc = lots[lots["kind"] == "scaffold"]
    for name, unit in _SCAFFOLD.items():
        col = f"{name}_{unit}"
        if col in sc.columns and sc[col].notna().sum() >= 2:
            add(f"fbcvd.scaffold.{name}_mean_{unit}", f"scaffold {name.replace('_', ' ')}: lot mean", "scatter",
                mean_interval(sc[col]))
            add(f"fbcvd.scaffold.{name}_sd_{unit}", f"scaffold {name.replace('_', ' ')}: lot-to-lot scatter", "scatter",
                sd_interval(sc[col]))
    for kind, setting, section in (("fbcvd", "fbcvd.bed_temperature_c", "fbcvd.equipment"),
                                   ("coating", "coating.temperature_c", "coating.equipment")):
        lk = lots[lots["kind"] == kind]
        if lk.empty or "temperature_c" not in lk.columns or setting not in sets.columns:
            continue
        dev = lk["temperature_c"].to_numpy() - sets[setting].reindex(lk["lot_id"]).to_numpy()
        ok = np.isfinite(dev)
        if ok.sum() < 3:
            continue
        units = lk["equipment"].to_numpy()[ok].astype(str)
        re = random_effects_sd(dev[ok], units.tolist())
        for unit in sorted(set(units.tolist())):
            e = mean_interval(dev[ok][units == unit])
            biases.append({"line": kind, "equipment": unit, "batches": e.n, "mean_offset_c": e.value,
                           "low95": e.low, "high95": e.high})
        add(f"{section}.batch_temperature_sd_c", f"{kind}: batch-to-batch temperature scatter", "scatter", re.within)
        add(f"{section}.reactor_temperature_bias_sd_c", f"{kind}: reactor-to-reactor temperature bias", "scatter",
            re.between)
    rolls = lots[lots["kind"] == "casting"]
    if "coat_weight_mg_cm2" in rolls.columns and "casting.coat_weight_mg_cm2" in sets.columns:
        rel = rolls["coat_weight_mg_cm2"].to_numpy() / sets["casting.coat_weight_mg_cm2"].reindex(rolls["lot_id"]).to_numpy() - 1
        rel = rel[np.isfinite(rel)]
        if len(rel) >= 2:
            e = sd_interval(rel, center=0.0)
            add("casting.equipment.coat_weight_cv_roll", "coat weight: roll-to-roll CV", "quality",
                Estimate(e.value, e.low, e.high, e.n, e.method.replace("standard deviation", "CV about the set point")))
    return pd.DataFrame(biases)


def _lab(rec: Records, loaded: LoadedScenario, add: Callable[[str, str, str, Estimate], None]) -> None:
    qc = rec["qc_results"]
    if qc.empty or qc["sampled_h"].isna().all():
        return
    per_lot = qc.dropna(subset=["sampled_h"]).groupby("lot_id")[["sampled_h", "time_h"]].first()
    delay = (per_lot["time_h"] - per_lot["sampled_h"]).to_numpy()
    hands_on = float(loaded.params.lab.hands_on_h)
    e = min_threshold(delay - hands_on)
    add("lab.turnaround_h", "lab turnaround after the hands-on test time (sample to result minus lab.hands_on_h)", "lab",
        Estimate(e.value, e.low, e.high, e.n, e.method + "; the bench queue only adds to it", e.supported, e.note))


def _supply(rec: Records, add: Callable[[str, str, str, Estimate], None], warnings: list[str]) -> None:
    """Delivery lead times (order to receipt), lognormal, per bulk supply."""
    sd = rec["supply_deliveries"]
    if sd.empty:
        return
    for name, g in sd.groupby("supply"):
        section = SUPPLIES.get(str(name))
        if section is None:
            warnings.append(f"supply {name}: not a bulk supply of the twin ({', '.join(SUPPLIES)}); lead times not used")
            continue
        lead = (g["time_h"] - g["ordered_h"]).dropna().to_numpy()
        if len(lead) == 0:
            warnings.append(f"supply {name}: no order times recorded; lead times unknown")
            continue
        fit = lognormal_durations(lead)
        add(f"{section}.lead_time_median_h", f"{name}: median delivery lead time", "supply", fit.median)
        add(f"{section}.lead_time_sigma", f"{name}: delivery lead time, sigma of ln", "supply", fit.sigma)


# Physics constants the lot properties can identify: (name, line package, function, lot kind, property,
# parameter section, constants tried (placeholders among them are fitted)).
_PHYSICS = (
    ("FBCVD Si crystallite size", "fbcvd", "crystallite_size_nm", "fbcvd", "crystallite_nm", "fbcvd.kinetics",
     ("crystallite_growth_activation_j_mol", "crystallite_min_nm", "crystallite_reference_temperature_c")),
    ("FBCVD SiC fraction", "fbcvd", "sic_fraction", "fbcvd", "sic_fraction", "fbcvd.kinetics",
     ("sic_activation_j_mol", "sic_per_ratio", "sic_c2h4_max", "sic_thermal_max", "sic_thermal_onset_c",
      "sic_thermal_width_c")),
)


_NEEDS_RATIOS = {"sic_c2h4_max"}  # separable from sic_per_ratio only across C2H4 ratios


def _physics(lots: pd.DataFrame, sets: pd.DataFrame, loaded: LoadedScenario,
             add: Callable[[str, str, str, Estimate], None], warnings: list[str]) -> list[PhysicsFit]:
    out = []
    for name, package, fn_name, kind, prop, section, constants in _PHYSICS:
        col = property_column(prop)
        lk = lots[lots["kind"] == kind]
        ratio_key = "fbcvd.c2h4_ratio"
        if lk.empty or col not in lk.columns or "temperature_c" not in lk.columns or ratio_key not in sets.columns:
            continue
        if any(c.startswith("fbcvd.gas_program") for c in sets.columns):
            warnings.append(f"{name}: the C2H4 ratio ramps within each batch (gas program); fit not attempted")
            continue
        ratio = sets[ratio_key].reindex(lk["lot_id"]).to_numpy()
        t = lk["temperature_c"].to_numpy()
        y = lk[col].to_numpy()
        ok = np.isfinite(ratio) & np.isfinite(t) & np.isfinite(y)
        if ok.sum() < 5:
            warnings.append(f"{name}: fewer than 5 lots with {col}, temperature_c and {ratio_key}; not fitted")
            continue
        try:
            fn = getattr(import_module(f"plants.{package}.physics"), fn_name)
            k = loaded.params
            for part in section.split("."):
                k = getattr(k, part)
        except (ImportError, AttributeError) as exc:
            warnings.append(f"{name}: physics function or section not found ({exc}); not fitted")
            continue
        free = {c: float(getattr(k, c)) for c in constants if hasattr(k, c)
                and loaded.sources.get(f"{section}.{c}") is not None
                and loaded.sources[f"{section}.{c}"].flag in (Flag.UNVERIFIED, Flag.CALIBRATED, Flag.SCENARIO)}
        t_ok, r_ok = t[ok], ratio[ok]
        if len(np.unique(np.round(r_ok, 9))) < 2:  # one recipe: what only a change of ratio shows stays unknown
            for c in [c for c in free if c in _NEEDS_RATIOS]:
                del free[c]
                warnings.append(f"{section}.{c} ({name}): the records cannot identify it: every lot was made at one "
                                f"C2H4 ratio ({r_ok[0]:g}); it needs lots at two or more ratios; held at its prior")
        if not free:
            continue

        def model(c: dict[str, float], fn: Any = fn, k: Any = k, t_ok: np.ndarray = t_ok, r_ok: np.ndarray = r_ok) -> Any:
            with np.errstate(all="ignore"):  # a trial value outside the model's domain gives nan: fit_constants handles it
                return fn(t_ok, r_ok, k.model_copy(update=c))

        # the constants are positive: search within two decades of the prior either way
        bounds = {c: (v / 100.0, v * 100.0) for c, v in free.items() if v > 0}
        try:
            fit = fit_constants(model, y[ok], free, bounds=bounds)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            warnings.append(f"{name}: the least-squares fit failed ({exc})")
            continue
        for c, est in fit.estimates.items():
            add(f"{section}.{c}", f"{name}: {c}", "physics", est)
        for c, why in fit.not_identified.items():
            warnings.append(f"{section}.{c} ({name}): the records cannot identify it: {why}")
        out.append(PhysicsFit(name, f"plants.{package}.physics.{fn_name}", col, fit, t_ok, free))
    return out
