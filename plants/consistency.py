"""Yield and quality consistency of one replication, as pure functions of its frames.

Yield (per line and overall):

* first pass: the share of what a line finished that was good the first time (batches not
  scrapped, powder lots released by the lab, coated area that became good electrode, rolls
  released after prelithiation); there is no rework loop in the plant, so first pass is the yield;
* material: Si (into good electrode over Si whose fate is decided), carbon (scaffold carbon into
  released powder; acetylene carbon into shells), Li (paying the first-cycle loss over Li used);
* scrap by cause: CVD batches lost to breakdowns, powder lots rejected off-spec, web breaks and
  changeovers, cracked and off-spec rolls, rolls with residual Li, in their own units and in cost.

Quality consistency: for each attribute with spec limits in the scenario, lot-level capability
(:func:`twin.quality.capability`) and which inputs drive the spread
(:func:`twin.quality.variance_contributions` on the lot's own inputs and its ancestors' inputs,
mass-weighted through the genealogy).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from plants.common import M_C2H2_G_MOL, M_C_G_MOL
from plants.costing import charged_kg
from plants.kpi import RELEASED_POWDER, kpi_modules, li_balance, si_balance
from plants.lines import LOT_ORDER, PRODUCTS, LotKind, LotStatus, stage_keys
from plants.plant import Replication
from plants.scenario import LoadedScenario
from twin.quality import capability, variance_contributions

__all__ = ["quality", "quality_drivers", "yields"]

C_PER_C2H2 = 2 * M_C_G_MOL / M_C2H2_G_MOL


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


def yields(rep: Replication, scrap_usd: pd.Series | None = None) -> dict[str, float]:
    lots = rep.lots
    by = {k: rep.of(k) for k in LOT_ORDER}
    cvd, powder, rolls, pl = by[LotKind.CVD], by[LotKind.POWDER], by[LotKind.ROLL], by[LotKind.PRELITH_ROLL]
    cvd_bad = cvd["status"] == LotStatus.SCRAPPED
    decided = powder["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,))
    good_powder = powder["status"].isin(RELEASED_POWDER)
    made = rolls[rolls["end_h"].notna()] if len(rolls) else rolls
    pl_done = pl[pl["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED])] if len(pl) else pl
    # each line says what share of its work came out right the first time, per stage
    per_stage = {stage: v for mod in kpi_modules() for stage, v in mod.first_pass(rep).items()}
    out: dict[str, float] = {f"yield.{k}.first_pass": per_stage[k] for k in stage_keys()}
    fp = [out[f"yield.{k}.first_pass"] for k in stage_keys()]
    out["yield.overall_first_pass"] = float(np.prod(fp)) if all(math.isfinite(v) for v in fp) else math.nan
    out["yield.coating.rejected_lots"] = float((powder["status"] == LotStatus.REJECTED).sum())
    # Si: into good electrode over Si whose fate is decided (not in process or in stock)
    si = si_balance(rep)
    decided_si = si["si_fed_kg"] - si["si_in_process_kg"] - si["si_powder_stock_kg"]
    out["yield.overall_si"] = _div(si["si_in_electrode_kg"], decided_si)
    for key in ("fines", "exhaust", "scrapped", "rejected", "casting_scrap"):
        out[f"yield.si_loss.{key}"] = _div(si[f"si_{key}_kg"], decided_si)
    # carbon: scaffold into released powder; acetylene carbon into shells
    cvd_scaffold = charged_kg(rep, cvd)
    powder_scaffold = _from_parents(rep, powder, cvd.assign(scaffold_kg=cvd_scaffold.to_numpy()), "scaffold_kg")
    lost = float(cvd_scaffold[cvd_bad.to_numpy()].sum())
    out["yield.carbon_scaffold"] = _div(float(powder_scaffold[good_powder.to_numpy()].sum()),
                                        float(powder_scaffold[decided.to_numpy()].sum()) + lost)
    if "acetylene_fed_kg" in powder and len(powder):
        done = powder["end_h"].notna()
        out["yield.coating.acetylene_carbon"] = _div(float(powder.loc[done, "shell_carbon_kg"].sum()),
                                                     float(powder.loc[done, "acetylene_fed_kg"].sum()) * C_PER_C2H2)
    else:
        out["yield.coating.acetylene_carbon"] = math.nan
    li = li_balance(rep)
    li_done = li["li_drawn_kg"] - li.get("li_in_process_kg", 0.0)
    out["yield.li"] = _div(li.get("li_compensating_kg", 0.0), li_done)
    # scrap by cause, in the units the plant counts it
    out["scrap.breakdown.batches"] = float(cvd_bad.sum())
    out["scrap.off_spec_powder.kg"] = float(powder.loc[powder["status"] == LotStatus.REJECTED, "mass_kg"].sum())
    web = float(made["web_break_scrap_m"].sum()) if "web_break_scrap_m" in made else math.nan
    change = float(made["changeover_scrap_m"].sum()) if "changeover_scrap_m" in made else math.nan
    width = (made["coated_area_m2"] / made["length_m"]).mean() if len(made) else math.nan
    out["scrap.web_break.m2"] = web * width if len(made) else 0.0
    out["scrap.changeover.m2"] = change * width if len(made) else 0.0
    for cause, prefix in (("crack", "crack"), ("off_spec_electrode", "off-spec")):
        hit = made[(made["status"] == LotStatus.SCRAPPED) & made["reason"].str.startswith(prefix)] if len(made) else made
        out[f"scrap.{cause}.m2"] = float(hit["coated_area_m2"].sum()) if len(hit) else 0.0
    res = pl_done[pl_done["reason"] == "residual Li"] if len(pl_done) else pl_done
    out["scrap.residual_li.m2"] = float(res["area_m2"].sum()) if len(res) else 0.0
    if scrap_usd is not None:
        for cause, usd in _scrap_cost_by_cause(lots, scrap_usd).items():
            out[f"cost.scrap_by_cause.{cause}_usd"] = usd
    return out


def _scrap_cost_by_cause(lots: pd.DataFrame, scrap_usd: pd.Series) -> dict[str, float]:
    """Scrap cost per cause; a partly good roll's scrapped share is 'web break / changeover / trim'."""
    reason = lots["reason"].fillna("")
    cause = pd.Series("", index=lots.index)
    cause[(lots["line"] == LotKind.CVD) & (reason == "breakdown")] = "breakdown"
    cause[(lots["line"] == LotKind.POWDER) & (lots["status"] == LotStatus.REJECTED)] = "off_spec_powder"
    cause[(lots["line"] == LotKind.ROLL) & reason.str.startswith("crack")] = "crack"
    cause[(lots["line"] == LotKind.ROLL) & reason.str.startswith("off-spec")] = "off_spec_electrode"
    cause[(lots["line"] == LotKind.ROLL) & (lots["status"] != LotStatus.SCRAPPED)] = "web_changeover_trim"
    cause[(lots["line"] == LotKind.PRELITH_ROLL) & (reason == "residual Li")] = "residual_li"
    cause[(lots["line"] == LotKind.PRELITH_ROLL) & reason.str.startswith("off-spec")] = "off_spec_prelith"
    got = scrap_usd.groupby(cause).sum()
    names = ("breakdown", "off_spec_powder", "web_changeover_trim", "crack", "off_spec_electrode", "residual_li",
             "off_spec_prelith")
    return {n: float(got.get(n, 0.0)) for n in names}


def _from_parents(rep: Replication, children: pd.DataFrame, parents: pd.DataFrame, column: str,
                  weighted_mean: bool = False) -> pd.Series:
    """For each child lot: the sum (or mass-weighted mean) of ``column`` over its parents, by drawn mass."""
    g = rep.genealogy
    e = g[rep.link_mask(children, parents)]
    if e.empty:
        return pd.Series(np.nan if weighted_mean else 0.0, index=children.index)
    par = parents[["lot_id", column, "mass_kg"]].set_index("lot_id")  # only what is read: no wide copy
    value = par[column].reindex(e["parent_id"]).to_numpy()
    share = e["mass_kg"].to_numpy() / par["mass_kg"].reindex(e["parent_id"]).to_numpy()
    if weighted_mean:
        w = e["mass_kg"].to_numpy()
        num = pd.Series(value * w).groupby(e["lot_id"].to_numpy()).sum()
        den = pd.Series(np.where(np.isnan(value), 0.0, w)).groupby(e["lot_id"].to_numpy()).sum()
        return children["lot_id"].map(num / den).set_axis(children.index)
    return (children["lot_id"].map(pd.Series(value * share).groupby(e["lot_id"].to_numpy()).sum())
            .fillna(0.0).set_axis(children.index))


def _attribute_tables(rep: Replication) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Per product: its lots finished after the warm-up, with their own and inherited drivers, and the
    driver columns (built once per replication: quality and its drivers both read them)."""
    if "attribute_tables" not in rep.memo:
        rep.memo["attribute_tables"] = _build_attribute_tables(rep)
    tables: dict[str, tuple[pd.DataFrame, list[str]]] = rep.memo["attribute_tables"]
    return tables


def _build_attribute_tables(rep: Replication) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    lots = rep.lots
    sc = rep.of(LotKind.SCAFFOLD)
    cvd = rep.of(LotKind.CVD).copy()
    steady = lots["end_h"] >= rep.warmup_h if rep.warmup_h > 0 else pd.Series(True, index=lots.index)
    powder = lots[(lots["line"] == LotKind.POWDER) & lots["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,)) & steady].copy()
    for col in ("pore_volume_cm3_g", "particle_size_um", "surface_area_m2_g"):
        if col in sc:
            cvd[f"scaffold_{col}"] = _from_parents(rep, cvd, sc, col, weighted_mean=True)
    for col in ("scaffold_pore_volume_cm3_g", "scaffold_particle_size_um", "scaffold_surface_area_m2_g", "temperature_c"):
        if col in cvd:
            name = "cvd_temperature_c" if col == "temperature_c" else col
            powder[name] = _from_parents(rep, powder, cvd, col, weighted_mean=True)
    if "temperature_c" in powder:
        powder["coating_temperature_c"] = powder["temperature_c"]
    powder_drivers = [c for c in ("scaffold_pore_volume_cm3_g", "scaffold_particle_size_um", "scaffold_surface_area_m2_g",
                                  "cvd_temperature_c", "coating_temperature_c") if c in powder]
    rolls = lots[(lots["line"] == LotKind.ROLL) & lots["end_h"].notna() & steady].copy()
    roll_drivers = [c for c in ("coat_weight_mg_cm2", "blend_capacity_mah_g") if c in rolls]
    pl = lots[(lots["line"] == LotKind.PRELITH_ROLL) & lots["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED])
              & steady].copy()
    if len(pl) and "blend_ice" in rolls:
        pl["blend_ice"] = _from_parents(rep, pl, rep.of(LotKind.ROLL), "blend_ice", weighted_mean=True)
    pl_drivers = [c for c in ("blend_ice", "areal_capacity_mah_cm2", "dose_mah_cm2", "excursion_h") if c in pl]
    return {"powder": (powder, powder_drivers), "electrode": (rolls, roll_drivers), "prelith": (pl, pl_drivers)}


def quality(rep: Replication, loaded: LoadedScenario) -> dict[str, float]:
    """``quality.<product>.<attribute>.{mean,std,cv,cpk,in_spec}`` for every attribute with limits."""
    specs = loaded.scenario.specs
    tables = _attribute_tables(rep)
    out: dict[str, float] = {}
    for product in PRODUCTS:
        group = getattr(specs, product)
        frame, _ = tables[product]
        for attr, lim in group.items():
            values = frame[attr] if attr in frame else pd.Series(dtype=float)
            cap = capability(values.to_numpy(), lim.min, lim.max)
            for stat in ("mean", "std", "cv", "cpk", "in_spec"):
                out[f"quality.{product}.{attr}.{stat}"] = cap[stat]
    return out


def quality_drivers(rep: Replication, loaded: LoadedScenario) -> pd.DataFrame:
    """Long frame (product, attribute, driver, share): which inputs drive each attribute's spread."""
    specs = loaded.scenario.specs
    tables = _attribute_tables(rep)
    rows = []
    for product in PRODUCTS:
        group = getattr(specs, product)
        frame, drivers = tables[product]
        for attr, _ in group.items():
            if attr not in frame or not drivers:
                continue
            shares = variance_contributions(frame[attr], frame[drivers])
            rows += [(product, attr, d, float(v)) for d, v in shares.items()]
    return pd.DataFrame(rows, columns=["product", "attribute", "driver", "share"])
