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
        hit = made[(made["status"] == LotStatus.SCRAPPED) & _startswith(made["reason"], prefix)] if len(made) else made
        out[f"scrap.{cause}.m2"] = float(hit["coated_area_m2"].sum()) if len(hit) else 0.0
    res = pl_done[pl_done["reason"] == "residual Li"] if len(pl_done) else pl_done
    out["scrap.residual_li.m2"] = float(res["area_m2"].sum()) if len(res) else 0.0
    if scrap_usd is not None:
        for cause, usd in _scrap_cost_by_cause(rep, scrap_usd).items():
            out[f"cost.scrap_by_cause.{cause}_usd"] = usd
    return out


#: scrap causes, in the order they are assigned (a later one overrides an earlier one for the same lot)
_CAUSES = ("breakdown", "off_spec_powder", "crack", "off_spec_electrode", "web_changeover_trim", "residual_li",
           "off_spec_prelith")


def _scrap_cost_by_cause(rep: Replication, scrap_usd: pd.Series) -> dict[str, float]:
    """Scrap cost per cause; a partly good roll's scrapped share is 'web break / changeover / trim'."""
    lots = rep.lots
    reason = lots["reason"].fillna("")
    status = lots["status"].to_numpy()
    cvd, powder, roll, pl = (rep.kind_mask(k) for k in (LotKind.CVD, LotKind.POWDER, LotKind.ROLL, LotKind.PRELITH_ROLL))
    is_reason = {r: (reason == r).to_numpy() for r in ("breakdown", "residual Li")}
    masks = (cvd & is_reason["breakdown"], powder & (status == LotStatus.REJECTED), roll & _startswith(reason, "crack"),
             roll & _startswith(reason, "off-spec"), roll & (status != LotStatus.SCRAPPED), pl & is_reason["residual Li"],
             pl & _startswith(reason, "off-spec"))
    # each lot's cause as a code (-1: none), grouped as integers; each cause's sum adds the same lots in
    # the same order as grouping on the cause names did
    cause = np.full(len(lots), -1)
    for code, mask in enumerate(masks):
        cause[mask] = code
    got = scrap_usd.groupby(pd.Series(cause, index=lots.index)).sum()
    names = ("breakdown", "off_spec_powder", "web_changeover_trim", "crack", "off_spec_electrode", "residual_li",
             "off_spec_prelith")
    return {n: float(got.get(_CAUSES.index(n), 0.0)) for n in names}


def _startswith(values: pd.Series, prefix: str) -> np.ndarray:
    """``values.str.startswith(prefix)`` with a missing value False, tested once per distinct value (a
    reason column holds a handful of them over 10^4 lots)."""
    codes, uniques = pd.factorize(values)  # a missing value: code -1, which picks the trailing False
    hit = np.array([isinstance(u, str) and u.startswith(prefix) for u in uniques] + [False], dtype=bool)
    return hit[codes]


def _from_parents(rep: Replication, children: pd.DataFrame, parents: pd.DataFrame, column: str,
                  weighted_mean: bool = False) -> pd.Series:
    """For each child lot: the sum (or mass-weighted mean) of ``column`` over its parents, by drawn mass."""
    keep = rep.link_mask(children, parents)
    if not keep.any():
        return pd.Series(np.nan if weighted_mean else 0.0, index=children.index)
    # the genealogy as row positions (rep.links): look-ups and grouping on integers, not lot ids
    child_rows, parent_rows = rep.links()
    child, parent = child_rows[keep], parent_rows[keep]
    kg = rep.genealogy["mass_kg"].to_numpy()[keep]
    at = _positions(rep, parents)[parent]  # each link's parent as a row of ``parents``
    value = parents[column].to_numpy()[at]
    # sums per child over its links in genealogy order, as grouping on the lot ids added them
    if weighted_mean:
        num = pd.Series(value * kg).groupby(child).sum()
        den = pd.Series(np.where(np.isnan(value), 0.0, kg)).groupby(child).sum()
        per_child = num / den
    else:
        per_child = pd.Series(value * (kg / parents["mass_kg"].to_numpy()[at])).groupby(child).sum()
    out = per_child.reindex(_positions(rep, children, inverse=True)).to_numpy()
    return pd.Series(out if weighted_mean else np.where(np.isnan(out), 0.0, out), index=children.index)


def _positions(rep: Replication, rows: pd.DataFrame, inverse: bool = False) -> np.ndarray:
    """``rows`` (a subset of ``rep.lots``) as positions in ``rep.lots`` (``inverse``), or the other
    way: for every row of ``rep.lots``, its position in ``rows`` (-1: not there)."""
    in_lots = rep.lots.index.get_indexer(rows.index)
    if inverse:
        return in_lots
    where = np.full(len(rep.lots), -1)
    where[in_lots] = np.arange(len(rows))
    return where


def _attribute_tables(rep: Replication) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Per product: its lots finished after the warm-up, with their own and inherited drivers, and the
    driver columns (built once per replication: quality and its drivers both read them).

    A table holds the columns its kind of lot recorded (:meth:`Replication.of`); read it through
    :func:`_has` and :func:`_column`, which answer for any column of the lot table (one the kind never
    recorded is there and missing, as in a filter of the wide lot table)."""
    if "attribute_tables" not in rep.memo:
        rep.memo["attribute_tables"] = _build_attribute_tables(rep)
    tables: dict[str, tuple[pd.DataFrame, list[str]]] = rep.memo["attribute_tables"]
    return tables


def _has(rep: Replication, frame: pd.DataFrame, name: str) -> bool:
    return name in frame or name in rep.lots


def _column(rep: Replication, frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else rep.lots.loc[frame.index, name]


def _steady(rep: Replication, kind: str) -> tuple[pd.DataFrame, pd.Series]:
    """The lots of a kind and which of them ended after the warm-up (all, without a warm-up)."""
    lots = rep.of(kind)
    return lots, (lots["end_h"] >= rep.warmup_h if rep.warmup_h > 0 else pd.Series(True, index=lots.index))


def _build_attribute_tables(rep: Replication) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    sc = rep.of(LotKind.SCAFFOLD)
    cvd = rep.of(LotKind.CVD).copy()
    lots, steady = _steady(rep, LotKind.POWDER)
    powder = lots[lots["status"].isin(RELEASED_POWDER + (LotStatus.REJECTED,)) & steady].copy()
    for col in ("pore_volume_cm3_g", "particle_size_um", "surface_area_m2_g"):
        if col in sc:
            cvd[f"scaffold_{col}"] = _from_parents(rep, cvd, sc, col, weighted_mean=True)
    for col in ("scaffold_pore_volume_cm3_g", "scaffold_particle_size_um", "scaffold_surface_area_m2_g", "temperature_c"):
        if col in cvd:
            name = "cvd_temperature_c" if col == "temperature_c" else col
            powder[name] = _from_parents(rep, powder, cvd, col, weighted_mean=True)
    if _has(rep, powder, "temperature_c"):
        powder["coating_temperature_c"] = _column(rep, powder, "temperature_c")
    powder_drivers = [c for c in ("scaffold_pore_volume_cm3_g", "scaffold_particle_size_um", "scaffold_surface_area_m2_g",
                                  "cvd_temperature_c", "coating_temperature_c") if _has(rep, powder, c)]
    lots, steady = _steady(rep, LotKind.ROLL)
    rolls = lots[lots["end_h"].notna() & steady].copy()
    roll_drivers = [c for c in ("coat_weight_mg_cm2", "blend_capacity_mah_g") if _has(rep, rolls, c)]
    lots, steady = _steady(rep, LotKind.PRELITH_ROLL)
    pl = lots[lots["status"].isin([LotStatus.RELEASED, LotStatus.SCRAPPED]) & steady].copy()
    if len(pl) and _has(rep, rolls, "blend_ice"):
        pl["blend_ice"] = _from_parents(rep, pl, rep.of(LotKind.ROLL), "blend_ice", weighted_mean=True)
    pl_drivers = [c for c in ("blend_ice", "areal_capacity_mah_cm2", "dose_mah_cm2", "excursion_h") if _has(rep, pl, c)]
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
            values = _column(rep, frame, attr) if _has(rep, frame, attr) else pd.Series(dtype=float)
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
            if not _has(rep, frame, attr) or not drivers:
                continue
            inputs = pd.DataFrame({d: _column(rep, frame, d) for d in drivers}, index=frame.index)
            shares = variance_contributions(_column(rep, frame, attr), inputs)
            rows += [(product, attr, d, float(v)) for d, v in shares.items()]
    return pd.DataFrame(rows, columns=["product", "attribute", "driver", "share"])
