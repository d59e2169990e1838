"""What a replication cost: a BatPaC-shaped ledger that follows what happened in the simulation.

1. **Period costs** of every step of every line (:func:`ledger`): capital (straight-line
   depreciation of equipment and building for the period), direct labour (crew x staffed hours of
   the shift calendar), materials and utilities (from each lot's own record through the lines'
   ``cost.py``), overheads (BatPaC shares on labour, depreciation and variable cost, plus
   maintenance). Idle, blocked and broken-down time carries capital and labour because those are
   paid for the whole period, whatever the machines did.
2. **Lot costs** (:func:`lot_costs`): each lot carries its own direct costs plus a share of its
   line's period costs (by the hours it spent on the line inside the period), plus what it
   inherited from its parents through the genealogy (by the mass it drew from each). So a lot
   that is scrapped or rejected carries everything spent on it up to that point.
3. **Attribution** (:func:`attribution`): by line x category; the cost that ended in scrapped or
   rejected material is moved from the line and category it was spent in to ``scrap`` of the line
   that scrapped it. Moving never creates or loses cost: the table adds up to the ledger total.
4. **Unit costs**: per kg of good powder = (cost carried by released powder + scrap cost of the
   powder lines) / released kg; per m2 of good prelithiated electrode = (cost carried by released
   rolls + scrap cost of the electrode lines) / released m2 (material still in process at the
   horizon carries its own cost and is in neither); per kWh through the reference cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from importlib import import_module
from types import ModuleType

import numpy as np
import pandas as pd

from plants.cell import CellResult, reference_cell
from plants.common import CostContext
from plants.fbcvd.cost import charged_kg as fbcvd_charged_kg
from plants.lines import LINES, LOT_ORDER, OWNER, LotKind, LotStatus, stage_keys
from plants.plant import Replication
from plants.scenario import LoadedScenario
from twin.costing import CATEGORIES, CapitalRow, CostRow, depreciation_usd, ledger_frame, overheads_usd
from twin.units import HOURS_PER_YEAR

__all__ = [
    "COST_LINES", "CostResult", "attribution", "capital", "charged_kg", "context", "cost_modules", "cost_of", "direct_costs",
    "follow", "ledger", "lot_costs", "per_lot",
]

COST_LINES = stage_keys()
SPENT = CATEGORIES[:-1]  # everything but scrap: the categories money is spent in
SCRAPPED = (LotStatus.SCRAPPED, LotStatus.REJECTED)


@dataclass(frozen=True)
class CostResult:
    ledger: pd.DataFrame  # line, step, category, item, usd, formula
    lots: pd.DataFrame  # lot_id, line, status, cost_usd, scrap_usd and the (line, category) parts
    attribution: pd.DataFrame  # index line, columns CATEGORIES, sums to the total
    cell: CellResult | None
    summary: dict[str, float]


# ----------------------------------------------------------------------------- 1. period costs
def cost_modules() -> list[ModuleType]:
    """Each line's ``cost`` module, in the registry's order."""
    return [import_module(f"plants.{line.package}.cost") for line in LINES]


def context(loaded: LoadedScenario, horizon_h: float, genealogy: pd.DataFrame | None = None) -> CostContext:
    """What the lines' cost functions see, with the design rates every line publishes."""
    base = CostContext(loaded.params, loaded.scenario.settings, horizon_h, horizon_h * loaded.scenario.calendar.staffed_share,
                       genealogy if genealogy is not None else pd.DataFrame())
    design: dict[str, float] = {}
    for mod in cost_modules():
        design.update(mod.design_rates(base))
    return replace(base, design=design)


def per_lot(rep: Replication, ctx: CostContext, table: str, columns: list[str]) -> pd.DataFrame:
    """Per lot (index = rep.lots index): what the cost module of the line that owns its kind says in
    its ``table`` (``DIRECT``: USD, ``EMITS``: kg CO2e and kWh) of ``columns``; 0 where it says nothing."""
    lots = rep.lots
    out = pd.DataFrame(0.0, index=lots.index, columns=columns)
    for mod in cost_modules():
        for kind, fn in getattr(mod, table).items():
            mine = rep.of(kind)
            if len(mine):
                part = fn(mine, ctx)
                out.loc[mine.index, list(part.columns)] = part
    return out


def _direct(rep: Replication, ctx: CostContext) -> pd.DataFrame:
    """Per lot: materials_usd, utilities_usd and labour_usd it consumed itself."""
    return per_lot(rep, ctx, "DIRECT", ["materials_usd", "utilities_usd", "labour_usd"])


def direct_costs(rep: Replication, loaded: LoadedScenario) -> pd.DataFrame:
    """Per lot: the materials, utilities and labour it consumed itself (USD)."""
    return _direct(rep, context(loaded, rep.horizon_h, rep.genealogy))


def charged_kg(rep: Replication, cvd: pd.DataFrame) -> pd.Series:
    """Scaffold mass charged into each CVD batch (from the genealogy)."""
    return fbcvd_charged_kg(rep.genealogy, cvd)


def capital(loaded: LoadedScenario) -> list[CapitalRow]:
    """Every line's capital items (equipment capex, floor area, how it was sized), in line order."""
    ctx = context(loaded, HOURS_PER_YEAR)
    return [row for mod in cost_modules() for row in mod.capital_rows(ctx)]


def ledger(rep: Replication, loaded: LoadedScenario, direct: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every period cost of the replication as rows (line, step, category, item, usd, formula)."""
    p, e = loaded.params, loaded.params.economics
    ov, pr, h = e.overheads, e.prices, rep.horizon_h
    ctx = context(loaded, h, rep.genealogy)
    direct = _direct(rep, ctx) if direct is None else direct
    owner = rep.lots["line"].map(OWNER)
    rows: list[CostRow] = []
    for line in COST_LINES:
        d = direct[owner == line]
        if d["materials_usd"].sum():
            rows.append(CostRow(line, "process", "materials", "materials", float(d["materials_usd"].sum()),
                                "sum over lots of consumption x price"))
        if d["utilities_usd"].sum():
            rows.append(CostRow(line, "process", "utilities", "electricity", float(d["utilities_usd"].sum()),
                                "sum over lots of kWh x electricity price"))
        if d["labour_usd"].sum():
            rows.append(CostRow(line, "QC lab", "labour", "analysts", float(d["labour_usd"].sum()),
                                f"lots tested x {p.lab.hands_on_h:g} h x {pr.labour_usd_per_h:g} USD/h"))
    staffed_h = ctx.staffed_h
    mods = cost_modules()
    crews = {stage: crew for mod in mods for stage, crew in mod.crews(ctx).items()}
    for line, crew in crews.items():
        rows.append(CostRow(line, "operation", "labour", "operators", crew * staffed_h * pr.labour_usd_per_h,
                            f"{crew} per shift x {staffed_h:.6g} staffed h x {pr.labour_usd_per_h:g} USD/h"))
    for mod in mods:
        rows.extend(mod.period_rows(ctx))
    for line, step, capex, area, formula in (row for mod in mods for row in mod.capital_rows(ctx)):
        rows.append(CostRow(line, step, "capital", "equipment depreciation", depreciation_usd(capex, ov.equipment_life_yr, h),
                            f"capex {capex:.4g} USD ({formula}) / {ov.equipment_life_yr:g} yr"))
        rows.append(CostRow(line, step, "capital", "building depreciation",
                            depreciation_usd(area * ov.building_usd_per_m2, ov.building_life_yr, h),
                            f"{area:.4g} m2 x {ov.building_usd_per_m2:g} USD/m2 / {ov.building_life_yr:g} yr"))
        rows.append(CostRow(line, step, "overheads", "maintenance", capex * ov.maintenance_share_per_yr * h / HOURS_PER_YEAR,
                            f"{ov.maintenance_share_per_yr:g} x capex per year"))
    frame = ledger_frame(rows)
    for line in COST_LINES:
        f = frame[frame["line"] == line]
        labour = float(f.loc[f["category"] == "labour", "usd"].sum())
        dep = float(f.loc[f["category"] == "capital", "usd"].sum())
        variable = float(f.loc[f["category"].isin(["materials", "utilities"]), "usd"].sum())
        for item, usd in overheads_usd(labour, dep, variable, h, ov).items():
            rows.append(CostRow(line, "overheads", "overheads", item, usd,
                                "BatPaC shares on labour, depreciation and variable cost"))
    return ledger_frame(rows)


# ----------------------------------------------------------------------------- 2. lot costs
def lot_costs(rep: Replication, ledger_df: pd.DataFrame, direct: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Accumulated cost of every lot (see :func:`follow`), in USD by (line spent in, category)."""
    return follow(rep, ledger_df, direct, SPENT, "usd", "cost_usd")


def follow(rep: Replication, ledger_df: pd.DataFrame, direct: pd.DataFrame, spent: tuple[str, ...], unit: str,
           total: str) -> tuple[pd.DataFrame, np.ndarray]:
    """What every lot carries of an additive quantity (cost in USD, emissions in kg CO2e, energy in
    kWh), by (line spent in, category), and each lot's scrapped part.

    ``ledger_df`` holds the period totals (columns line, category, ``unit``); ``direct`` each lot's
    own part per category (columns ``<category>_<unit>``). The rest of a line's period total is
    spread over its lots by the hours they spent on the line; lots pass what they carry to their
    children through the genealogy, by the mass drawn.

    Returns the frame and ``scrap`` (n_lots x lines x categories): the part of each lot's cost that
    ended in scrap at that lot (all of it for a scrapped or rejected lot, the scrapped share of a
    partly good electrode roll).

    The powder lines' scrap (breakdown batches, rejected lots) is a cost of the good powder: after
    the powder level it is spread over the released powder lots by mass (``absorbed_scrap_usd``)
    and travels with them into mix batches, rolls and prelithiated rolls, so electrode and cell
    unit costs carry it. It is kept apart from ``acc`` so the attribution moves it to scrap once.
    """
    lots, h = rep.lots, rep.horizon_h
    n, nl, nc = len(lots), len(COST_LINES), len(spent)
    li = {ln: i for i, ln in enumerate(COST_LINES)}
    ci = {c: i for i, c in enumerate(spent)}
    own = np.zeros((n, nl, nc))
    owner = lots["line"].map(OWNER).to_numpy()
    # direct parts: per lot
    for cat in spent:
        name = f"{cat}_{unit}"
        if name not in direct:
            continue
        for line in COST_LINES:
            m = owner == line
            own[m, li[line], ci[cat]] += direct[name].to_numpy()[m]
    # period costs: what the ledger holds beyond the lots' direct costs, spread by hours on the line
    end = lots["end_h"].fillna(h).clip(upper=h)
    hours = (end - lots["start_h"]).clip(lower=0.0).to_numpy()
    for line in COST_LINES:
        mine = owner == line
        m = mine & (lots["line"].to_numpy() != LotKind.SCAFFOLD)  # scaffold lots carry their purchase price only
        f = ledger_df[ledger_df["line"] == line]
        w = hours[m]
        if not m.any() or w.sum() <= 0:
            continue  # nothing ran: the period cost stays unabsorbed on the line (still in the total)
        for cat in spent:
            period = float(f.loc[f["category"] == cat, unit].sum()) - own[mine, li[line], ci[cat]].sum()
            if period:
                own[m, li[line], ci[cat]] += period * w / w.sum()
    acc = own.copy()
    scrap = np.zeros_like(acc)
    absorbed = np.zeros(n)  # powder-line scrap carried by good powder and its descendants (USD)
    scrap_absorbed = np.zeros(n)  # the part of ``absorbed`` that then ended in electrode scrap
    mass = lots["mass_kg"].to_numpy()
    g = rep.genealogy
    child_rows, parent_rows = rep.links()
    kinds = lots["line"].to_numpy()
    kind_of_child = np.where(child_rows >= 0, kinds[np.maximum(child_rows, 0)], None)
    g_kg = g["mass_kg"].to_numpy()
    status = lots["status"].to_numpy()
    good_share = lots["good_share"].fillna(1.0).to_numpy() if "good_share" in lots else np.ones(n)
    is_roll = lots["line"].to_numpy() == LotKind.ROLL
    for kind in LOT_ORDER:
        at = np.flatnonzero(lots["line"].to_numpy() == kind)
        if kind != LotKind.SCAFFOLD and len(g):
            sel = kind_of_child == kind
            if sel.any():
                c_i, p_i = child_rows[sel], parent_rows[sel]
                frac = g_kg[sel] / mass[p_i]
                # an electrode roll passes on only its good share; the rest was scrapped at casting
                frac = np.where(is_roll[p_i], frac * good_share[p_i], frac)
                np.add.at(acc, c_i, frac[:, None, None] * acc[p_i])
                np.add.at(absorbed, c_i, frac * absorbed[p_i])
        # what this level scrapped
        dead = np.isin(status[at], SCRAPPED)
        scrap[at[dead]] = acc[at[dead]]
        scrap_absorbed[at[dead]] = absorbed[at[dead]]
        if kind == LotKind.ROLL:
            part = at[~dead & ~np.isnan(lots["end_h"].to_numpy()[at])]
            scrap[part] = acc[part] * (1.0 - good_share[part])[:, None, None]
            scrap_absorbed[part] = absorbed[part] * (1.0 - good_share[part])
        if kind == LotKind.POWDER:  # the powder lines are done: their scrap becomes a cost of good powder
            powder_scrap = scrap[np.isin(lots["line"].to_numpy(), (LotKind.SCAFFOLD, LotKind.CVD, LotKind.POWDER))].sum()
            good = at[np.isin(status[at], (LotStatus.RELEASED, LotStatus.CONSUMED))]
            if len(good) and powder_scrap:
                absorbed[good] = powder_scrap * mass[good] / mass[good].sum()
    out = lots[["lot_id", "line", "status"]].copy()
    out[total] = acc.sum(axis=(1, 2)) + absorbed
    out[f"scrap_{unit}"] = scrap.sum(axis=(1, 2))
    out[f"absorbed_scrap_{unit}"] = absorbed
    out[f"absorbed_scrap_lost_{unit}"] = scrap_absorbed
    for line in COST_LINES:
        for cat in spent:
            out[f"{line}.{cat}_{unit}"] = acc[:, li[line], ci[cat]]
    return out, scrap


# ----------------------------------------------------------------------------- 3. attribution
def attribution(ledger_df: pd.DataFrame, lots: pd.DataFrame, scrap: np.ndarray,
                categories: tuple[str, ...] = CATEGORIES, unit: str = "usd") -> pd.DataFrame:
    """Line x category table, scrap moved to the line that scrapped it; sums to the ledger total.
    ``categories`` ends with ``scrap``; the others are the ones the quantity is spent in."""
    spent = [c for c in categories if c != "scrap"]
    table = ledger_df.pivot_table(index="line", columns="category", values=unit, aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=list(COST_LINES), columns=list(categories), fill_value=0.0)
    moved = scrap.sum(axis=0)  # (line spent in, category)
    table.loc[list(COST_LINES), spent] -= moved
    where = lots["line"].map(OWNER).to_numpy()
    per_lot = scrap.sum(axis=(1, 2))
    for line in COST_LINES:
        table.loc[line, "scrap"] += float(per_lot[where == line].sum())
    return table


# ----------------------------------------------------------------------------- 4. unit costs
def cost_of(rep: Replication, loaded: LoadedScenario) -> CostResult:
    direct = direct_costs(rep, loaded)
    led = ledger(rep, loaded, direct)
    lots_cost, scrap = lot_costs(rep, led, direct)
    table = attribution(led, lots_cost, scrap)
    lots = rep.lots
    total = float(led["usd"].sum())
    powder = lots["line"] == LotKind.POWDER
    good_powder = powder & lots["status"].isin([LotStatus.RELEASED, LotStatus.CONSUMED])
    powder_kg = float(lots.loc[good_powder, "mass_kg"].sum())
    # good powder carries the powder lines' scrap (absorbed); when nothing was released it is lost
    powder_usd = float(lots_cost.loc[good_powder, "cost_usd"].sum())
    released = (lots["line"] == LotKind.PRELITH_ROLL) & (lots["status"] == LotStatus.RELEASED)
    m2 = float(lots.loc[released, "area_m2"].sum()) if "area_m2" in lots else 0.0
    # electrode scrap, with the powder-scrap share its powder carried
    electrode_scrap = (float(table.loc[[OWNER[k] for k in (LotKind.MIX, LotKind.ROLL, LotKind.PRELITH_ROLL)], "scrap"].sum())
                       + float(lots_cost["absorbed_scrap_lost_usd"].sum()))
    electrode_usd = float(lots_cost.loc[released, "cost_usd"].sum()) + electrode_scrap
    per_kg = powder_usd / powder_kg if powder_kg else math.nan
    cvd = rep.of(LotKind.CVD)
    scaffold_kg = float(lots.loc[lots["line"] == LotKind.SCAFFOLD, "mass_kg"].sum())
    li_kg = float(lots.loc[lots["line"] == LotKind.PRELITH_ROLL, "li_applied_kg"].sum()) if "li_applied_kg" in lots else 0.0
    per_m2 = electrode_usd / m2 if m2 else math.nan
    cell = _cell(rep, loaded)
    ov = loaded.params.economics.overheads
    capex = sum(c + a * ov.building_usd_per_m2 for _, _, c, a, _ in capital(loaded))
    out: dict[str, float] = {
        "cost.total_usd": total,
        "cost.capex_usd": capex,
        "cost.powder_usd_per_kg": per_kg,
        "cost.electrode_usd_per_m2": per_m2,
    }
    # the reference cell's anode is coated on both sides; a one-sided electrode holds half per m2
    kwh_per_m2 = cell.wh_per_m2_anode / 1000.0 * loaded.scenario.settings.casting.sides / 2.0 if cell is not None else math.nan
    # what a unit of output consumes (period totals over good output): the optimizer's price levers
    out["consumption.silane_kg_per_kg"] = (float(cvd.get("silane_fed_kg", pd.Series(dtype=float)).sum()) / powder_kg
                                           if powder_kg else math.nan)
    out["consumption.scaffold_kg_per_kg"] = scaffold_kg / powder_kg if powder_kg else math.nan
    if cell is not None and m2:
        out["consumption.lithium_kg_per_kwh"] = li_kg / (m2 * kwh_per_m2)
    else:
        out["consumption.lithium_kg_per_kwh"] = math.nan
    if cell is not None and m2:
        anode = per_m2 / kwh_per_m2
        rest = (cell.other_materials_usd + cell.conversion_usd) / (cell.energy_wh / 1000.0)
        out.update(performance(rep))
        life = out["cell.cycle_life_cycles"]
        out.update({"cost.anode_usd_per_kwh": anode, "cost.cell_usd_per_kwh": anode + rest,
                    "cost.cell_usd_per_kwh_delivered": ((anode + rest) / (life * MEAN_RETENTION_OVER_LIFE)
                                                        if life > 0 else math.nan),
                    "cell.energy_wh_kg": cell.energy_wh_kg, "cell.energy_wh_l": cell.energy_wh_l,
                    "cell.wh_per_m2_anode": kwh_per_m2 * 1000.0})
    else:
        out.update({k: math.nan for k in ("cost.anode_usd_per_kwh", "cost.cell_usd_per_kwh", "cell.energy_wh_kg",
                                          "cell.energy_wh_l", "cell.wh_per_m2_anode", "cost.cell_usd_per_kwh_delivered")})
        out.update(performance(rep))
    # waterfalls: what a good kg of powder and a kWh of cells are made of, by category
    for cat in SPENT:
        cols = [f"{line}.{cat}_usd" for line in COST_LINES]
        kg_part = float(lots_cost.loc[good_powder, cols].to_numpy().sum())
        out[f"cost.waterfall.powder.{cat}_usd_per_kg"] = kg_part / powder_kg if powder_kg else math.nan
        m2_part = float(lots_cost.loc[released, cols].to_numpy().sum())
        out[f"cost.waterfall.cell.{cat}_usd_per_kwh"] = (m2_part / m2 / kwh_per_m2
                                                         if cell is not None and m2 else math.nan)
    out["cost.waterfall.powder.scrap_usd_per_kg"] = (float(lots_cost.loc[good_powder, "absorbed_scrap_usd"].sum())
                                                     / powder_kg if powder_kg else math.nan)
    if cell is not None and m2:
        carried = float(lots_cost.loc[released, "absorbed_scrap_usd"].sum())
        out["cost.waterfall.cell.scrap_usd_per_kwh"] = (electrode_scrap + carried) / m2 / kwh_per_m2
        out["cost.waterfall.cell.rest_of_cell_usd_per_kwh"] = out["cost.cell_usd_per_kwh"] - out["cost.anode_usd_per_kwh"]
    else:
        out["cost.waterfall.cell.scrap_usd_per_kwh"] = out["cost.waterfall.cell.rest_of_cell_usd_per_kwh"] = math.nan
    for line in COST_LINES:
        for cat in CATEGORIES:
            out[f"cost.by_line.{line}.{cat}_usd"] = float(table.loc[line, cat])
    out["cost.scrap_usd"] = float(table["scrap"].sum())
    t = loaded.scenario.targets
    out["cost.target_usd_per_kg"] = t.powder_usd_per_kg if t.powder_usd_per_kg is not None else math.nan
    out["cost.target_gap_usd_per_kg"] = per_kg - t.powder_usd_per_kg if t.powder_usd_per_kg is not None else math.nan
    out["cost.target_usd_per_kwh"] = t.cell_usd_per_kwh if t.cell_usd_per_kwh is not None else math.nan
    out["cost.target_gap_usd_per_kwh"] = (out["cost.cell_usd_per_kwh"] - t.cell_usd_per_kwh
                                          if t.cell_usd_per_kwh is not None else math.nan)
    return CostResult(led, lots_cost, table, cell, out)


#: The lifetime-cost convention: a cell delivers on average the mean of its first (1) and end-of-life
#: (0.8) capacity over its cycle life (a linear fade between the two).
MEAN_RETENTION_OVER_LIFE = 0.9


def _released_cells(rep: Replication) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Released prelithiated rolls and, row for row, the electrode rolls they were made from."""
    pl = rep.of(LotKind.PRELITH_ROLL)
    done = pl[pl["status"] == LotStatus.RELEASED]
    rolls = rep.of(LotKind.ROLL)
    keep = [c for c in _CELL_ROLL_COLUMNS if c in rolls]
    links = rep.genealogy[rep.link_mask(children=done)]
    parent = pd.Series(links["parent_id"].to_numpy(), index=links["lot_id"].to_numpy())
    return done, rolls[keep].set_index("lot_id").reindex(parent.reindex(done["lot_id"]).to_numpy())


#: what the cell and the performance figures read of a released roll's electrode roll
_CELL_ROLL_COLUMNS = ("lot_id", "blend_capacity_mah_g", "conductive_utilization", "press_density_g_cm3",
                      "electrode_swelling_pct", "rate_retention")


def performance(rep: Replication) -> dict[str, float]:
    """The product performance of the released cells (means over the released prelithiated rolls,
    with the 10th percentile of cycle life and the 90th of swelling: the spread the customer sees)."""
    done, src = _released_cells(rep)
    keys = ("cell.cycle_life_cycles", "cell.cycle_life_p10_cycles", "cell.electrode_swelling_pct",
            "cell.electrode_swelling_p90_pct", "cell.rate_retention", "cell.li_reservoir_share")
    if done.empty or "cycle_life_cycles" not in done:
        return dict.fromkeys(keys, math.nan)
    life, swell = done["cycle_life_cycles"].to_numpy(float), src["electrode_swelling_pct"].to_numpy(float)
    return dict(zip(keys, (float(life.mean()), float(np.percentile(life, 10)), float(swell.mean()),
                           float(np.percentile(swell, 90)), float(src["rate_retention"].mean()),
                           float(done["li_reservoir_share"].mean())), strict=True))


def _cell(rep: Replication, loaded: LoadedScenario) -> CellResult | None:
    done, src = _released_cells(rep)
    if done.empty:
        return None
    capacity = float((src["blend_capacity_mah_g"] * src.get("conductive_utilization", 1.0)).mean())
    ice = float(done["ice"].mean())
    if not (capacity > 0 and 0 < ice <= 1.5):  # no cell can be built from such an anode: no cell figures
        return None
    areal = done["areal_capacity_mah_cm2"]
    residual = float((done["residual_li_of_capacity"] * areal).mean()) if "residual_li_of_capacity" in done else 0.0
    return reference_cell(
        anode_capacity_mah_g=capacity,
        anode_ice=ice,
        anode_press_density_g_cm3=float(src["press_density_g_cm3"].mean()),
        anode_areal_capacity_mah_cm2=float(areal.mean()),
        anode_active_wt=loaded.scenario.settings.casting.active_wt, params=loaded.params.cell,
        residual_li_mah_cm2=residual)
