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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plants.carbon_coating import cost as coc
from plants.cell import CellResult, reference_cell
from plants.fbcvd import cost as fbc
from plants.plant import Replication
from plants.prelithiation import cost as plc
from plants.scenario import Binder, CoatingMode, Conductive, LoadedScenario, PrelithRoute
from plants.slurry_casting import cost as cac
from twin.costing import CATEGORIES, CostRow, depreciation_usd, ledger_frame, overheads_usd, scaled

__all__ = ["COST_LINES", "CostResult", "attribution", "charged_kg", "cost_of", "ledger", "lot_costs"]

COST_LINES = ("fbcvd", "coating", "mixing", "casting", "prelith")
SIH4_KG_PER_NM3 = 32.117 / 22.414  # silane gas density at normal conditions
SPENT = CATEGORIES[:-1]  # everything but scrap: the categories money is spent in
OWNER = {"scaffold": "fbcvd", "fbcvd": "fbcvd", "coating": "coating", "mixing": "mixing", "casting": "casting",
         "prelith": "prelith"}
ORDER = ("scaffold", "fbcvd", "coating", "mixing", "casting", "prelith")  # parents before children
SCRAPPED = ("scrapped", "rejected")


@dataclass(frozen=True)
class CostResult:
    ledger: pd.DataFrame  # line, step, category, item, usd, formula
    lots: pd.DataFrame  # lot_id, line, status, cost_usd, scrap_usd and the (line, category) parts
    attribution: pd.DataFrame  # index line, columns CATEGORIES, sums to the total
    cell: CellResult | None
    summary: dict[str, float]


# ----------------------------------------------------------------------------- 1. period costs
def _hours(lots: pd.DataFrame, horizon_h: float) -> pd.Series:
    end = lots["end_h"].fillna(horizon_h).clip(upper=horizon_h)
    return (end - lots["start_h"]).clip(lower=0.0)


def _direct(rep: Replication, loaded: LoadedScenario) -> pd.DataFrame:
    """Per lot: materials_usd and utilities_usd it consumed itself (index = rep.lots index)."""
    p, s, e = loaded.params, loaded.scenario.settings, loaded.params.economics
    pr, en = e.prices, e.energy
    lots = rep.lots
    out = pd.DataFrame(0.0, index=lots.index, columns=["materials_usd", "utilities_usd", "labour_usd"])
    col = lambda df, name: df[name].fillna(0.0) if name in df else pd.Series(0.0, index=df.index)  # noqa: E731
    elec = pr.electricity_usd_per_kwh

    sc = lots["line"] == "scaffold"
    out.loc[sc, "materials_usd"] = lots.loc[sc, "mass_kg"] * e.cny(pr.scaffold_carbon_cny_per_t) / 1000.0

    cvd = lots[lots["line"] == "fbcvd"]
    if len(cvd):
        fs, eq = s.fbcvd, p.fbcvd.equipment
        y_si = fs.silane_fraction if fs.gas_program is None else 0.5 * (fs.silane_fraction + fs.gas_program.silane_fraction_end)
        ratio = fs.c2h4_ratio if fs.gas_program is None else 0.5 * (fs.c2h4_ratio + fs.gas_program.c2h4_ratio_end)
        inert_h = eq.heat_up_h + eq.purge_h + eq.cool_h
        charged = charged_kg(rep, cvd)
        n2 = fbc.nitrogen_kg(fs.total_gas_flow_nm3_h, y_si, ratio, fs.deposition_time_h, inert_h)
        out.loc[cvd.index, "materials_usd"] = (
            col(cvd, "silane_fed_kg") * e.cny(pr.silane_cny_per_t) / 1000.0 + col(cvd, "c2h4_fed_kg") * pr.ethylene_usd_per_kg
            + n2 * pr.nitrogen_usd_per_kg - col(cvd, "h2_made_kg") * pr.hydrogen_credit_usd_per_kg)
        hot_h = eq.heat_up_h + fs.deposition_time_h + eq.purge_h
        temp = cvd["temperature_c"].fillna(fs.bed_temperature_c) if "temperature_c" in cvd else fs.bed_temperature_c
        kwh = fbc.batch_heat_kwh(charged.to_numpy(), np.asarray(temp, dtype=float), hot_h, fs.total_gas_flow_nm3_h * hot_h,
                                 col(cvd, "si_deposited_kg").to_numpy(), en)
        out.loc[cvd.index, "utilities_usd"] = kwh * elec

    pw = lots[lots["line"] == "coating"]
    if len(pw):
        cs, eq = s.coating, p.coating.equipment
        batch = cs.mode is CoatingMode.BATCH  # a continuous coater stays hot: no heat-up, purge or cool
        inert_h = eq.heat_up_h + eq.purge_h + eq.cool_h if batch else 0.0
        n2 = coc.coating_nitrogen_kg(cs.total_gas_flow_nm3_h, cs.acetylene_fraction, cs.time_h, inert_h)
        out.loc[pw.index, "materials_usd"] = col(pw, "acetylene_fed_kg") * pr.acetylene_usd_per_kg + n2 * pr.nitrogen_usd_per_kg
        hot_h = eq.heat_up_h + cs.time_h + eq.purge_h if batch else cs.time_h
        temp = pw["temperature_c"].fillna(cs.temperature_c) if "temperature_c" in pw else cs.temperature_c
        kwh = coc.coating_heat_kwh(pw["mass_kg"].to_numpy(), np.asarray(temp, dtype=float), hot_h, cs.total_gas_flow_nm3_h * hot_h,
                                   en, reheat_vessel=batch)
        out.loc[pw.index, "utilities_usd"] = kwh * elec
        tested = pw["status"].isin(["released", "consumed", "rejected", "testing"])
        out.loc[pw.index[tested.to_numpy()], "labour_usd"] = p.lab.hands_on_h * pr.labour_usd_per_h

    mx = lots[lots["line"] == "mixing"]
    if len(mx):
        c = s.casting
        binder = pr.paa_usd_per_kg if c.binder is Binder.PAA else pr.cmc_sbr_usd_per_kg
        cond = pr.swcnt_usd_per_kg if c.conductive is Conductive.SWCNT else pr.carbon_black_usd_per_kg
        out.loc[mx.index, "materials_usd"] = cac.mix_materials_usd(
            col(mx, "graphite_kg"), col(mx, "binder_kg"), col(mx, "conductive_kg"), col(mx, "water_kg"),
            e.cny(pr.graphite_cny_per_t) / 1000.0, binder, cond, pr.water_usd_per_t)
        m = p.casting.mixer
        out.loc[mx.index, "utilities_usd"] = en.mixer_kw * (m.charge_h + m.mix_h + m.discharge_h) * elec

    ro = lots[lots["line"] == "casting"]
    if len(ro):
        out.loc[ro.index, "materials_usd"] = col(ro, "coated_area_m2") * pr.cu_foil_usd_per_m2
        out.loc[ro.index, "utilities_usd"] = (col(ro, "dryer_energy_kwh") + en.casting_line_kw * _hours(ro, rep.horizon_h)) * elec

    pl = lots[lots["line"] == "prelith"]
    if len(pl):
        premium = {PrelithRoute.LI_FOIL: pr.li_foil_premium, PrelithRoute.THIN_LAYER: pr.li_thin_layer_premium,
                   PrelithRoute.CHEMICAL: pr.li_chemical_premium}[s.prelith.route]
        out.loc[pl.index, "materials_usd"] = plc.lithium_usd(col(pl, "li_applied_kg"), e.cny(pr.lithium_cny_per_t) / 1000.0, premium)
        out.loc[pl.index, "utilities_usd"] = en.prelith_line_kw * _hours(pl, rep.horizon_h) * elec
    return out


def charged_kg(rep: Replication, cvd: pd.DataFrame) -> pd.Series:
    """Scaffold mass charged into each CVD batch (from the genealogy)."""
    g = rep.genealogy
    kg = g[g["lot_id"].isin(cvd["lot_id"])].groupby("lot_id")["mass_kg"].sum() if len(g) else pd.Series(dtype=float)
    return cvd["lot_id"].map(kg).fillna(0.0).set_axis(cvd.index)


def _capital(loaded: LoadedScenario) -> list[tuple[str, str, float, float, str]]:
    """(line, step, equipment capex USD, floor m2, formula) for every step."""
    p, s, cap = loaded.params, loaded.scenario.settings, loaded.params.economics.capital
    rows: list[tuple[str, str, float, float, str]] = []
    n_r, n_k = p.fbcvd.equipment.reactor_count, p.coating.equipment.reactor_count
    rows.append(("fbcvd", "reactors", n_r * cap.fbcvd_reactor.capex_usd, n_r * cap.fbcvd_reactor.area_m2,
                 f"{n_r} reactors x capex"))
    # Plant equipment is sized on design rates (what the reactors can do at these settings), not
    # on what a replication happened to produce: capital is the same whatever the machines did.
    fs, eq = s.fbcvd, p.fbcvd.equipment
    cycle_h = eq.charge_h + eq.heat_up_h + fs.deposition_time_h + eq.purge_h + eq.cool_h + eq.discharge_h
    batches_yr = n_r * 8760.0 / cycle_h
    y_si = fs.silane_fraction if fs.gas_program is None else 0.5 * (fs.silane_fraction + fs.gas_program.silane_fraction_end)
    silane_kg_yr = batches_yr * fs.total_gas_flow_nm3_h * y_si * fs.deposition_time_h * SIH4_KG_PER_NM3
    rows.append(_scaled_row("fbcvd", "silane handling", cap.silane_handling, silane_kg_yr, "design silane kg/yr"))
    rows.append(("coating", "coaters", n_k * cap.coating_reactor.capex_usd, n_k * cap.coating_reactor.area_m2,
                 f"{n_k} coaters x capex"))
    rows.append(_scaled_row("coating", "powder handling", cap.powder_handling, batches_yr * fs.batch_mass_kg,
                            "design scaffold kg/yr"))
    n_q = p.lab.parallel_tests
    rows.append(("coating", "QC lab", n_q * cap.qc_station.capex_usd, n_q * cap.qc_station.area_m2, f"{n_q} stations x capex"))
    c, n_c = s.casting, p.casting.equipment.line_count
    area_yr = cac.design_area_m2_per_yr(n_c, min(c.line_speed_m_min, p.casting.equipment.max_speed_m_min), c.coated_width_m)
    active_kg_yr = area_yr * c.sides * c.coat_weight_mg_cm2 * 10.0 / 1000.0 * c.active_wt  # mg/cm2 x 10 = g/m2
    rows.append(_scaled_row("mixing", "mixing", cap.mixing, active_kg_yr, "design anode active material kg/yr"))
    water_kg_m2 = c.sides * c.coat_weight_mg_cm2 * 10.0 / 1000.0 * (1.0 / c.solids_wt - 1.0)
    cd = cap.coating_drying
    rows.append(("casting", "coating + drying",
                 cac.coating_drying_capex_usd(cd.capex_usd, area_yr, cd.base_rate, cd.capex_exponent, water_kg_m2,
                                              cap.base_water_kg_per_m2, cap.coating_solvent_exponent),
                 scaled(cd.area_m2, area_yr, cd.base_rate, cd.area_exponent),
                 f"BatPaC X0 (R/R0)^p x (water/m2 / base)^{cap.coating_solvent_exponent:g}, R = {area_yr:.4g} m2/yr"))
    for step, sp in (("calendering", cap.calendering), ("slitting", cap.slitting), ("vacuum drying", cap.vacuum_drying),
                     ("material handling", cap.material_handling)):
        rows.append(_scaled_row("casting", step, sp, area_yr, "design electrode m2/yr"))
    n_p = p.prelith.equipment.line_count
    floor = n_p * cap.prelith_line.area_m2
    rows.append(("prelith", "lines", n_p * cap.prelith_line.capex_usd, floor, f"{n_p} lines x capex"))
    rows.append(_scaled_row("prelith", "dry room", cap.dry_room, floor, "dry-room floor m2"))
    return rows


def _scaled_row(line: str, step: str, sp, rate: float, driver: str) -> tuple[str, str, float, float, str]:  # noqa: ANN001
    if rate <= 0:
        return (line, step, 0.0, 0.0, f"no {driver}")
    return (line, step, scaled(sp.capex_usd, rate, sp.base_rate, sp.capex_exponent),
            scaled(sp.area_m2, rate, sp.base_rate, sp.area_exponent),
            f"BatPaC X0 (R/R0)^p, R = {rate:.4g} {driver}, R0 = {sp.base_rate:.4g}")


def ledger(rep: Replication, loaded: LoadedScenario, direct: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every period cost of the replication as rows (line, step, category, item, usd, formula)."""
    p, sc, e = loaded.params, loaded.scenario, loaded.params.economics
    ov, pr, h = e.overheads, e.prices, rep.horizon_h
    direct = _direct(rep, loaded) if direct is None else direct
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
    staffed_h = h * sc.calendar.staffed_share
    crews = {"fbcvd": p.fbcvd.equipment.operators_per_shift, "coating": p.coating.equipment.operators_per_shift,
             "mixing": p.casting.mixer.operators_per_shift * p.casting.equipment.line_count,
             "casting": p.casting.equipment.operators_per_shift * p.casting.equipment.line_count,
             "prelith": p.prelith.equipment.operators_per_shift * p.prelith.equipment.line_count}
    for line, crew in crews.items():
        rows.append(CostRow(line, "operation", "labour", "operators", crew * staffed_h * pr.labour_usd_per_h,
                            f"{crew} per shift x {staffed_h:.6g} staffed h x {pr.labour_usd_per_h:g} USD/h"))
    floor = p.prelith.equipment.line_count * e.capital.prelith_line.area_m2
    kw = plc.dry_room_kw(floor, sc.settings.prelith.dew_point_c, e.energy)
    rows.append(CostRow("prelith", "dry room", "utilities", "air handling", kw * h * pr.electricity_usd_per_kwh,
                        f"{kw:.4g} kW x {h:g} h x electricity price"))
    for line, step, capex, area, formula in _capital(loaded):
        rows.append(CostRow(line, step, "capital", "equipment depreciation", depreciation_usd(capex, ov.equipment_life_yr, h),
                            f"capex {capex:.4g} USD ({formula}) / {ov.equipment_life_yr:g} yr"))
        rows.append(CostRow(line, step, "capital", "building depreciation",
                            depreciation_usd(area * ov.building_usd_per_m2, ov.building_life_yr, h),
                            f"{area:.4g} m2 x {ov.building_usd_per_m2:g} USD/m2 / {ov.building_life_yr:g} yr"))
        rows.append(CostRow(line, step, "overheads", "maintenance", capex * ov.maintenance_share_per_yr * h / 8760.0,
                            f"{ov.maintenance_share_per_yr:g} x capex per year"))
    frame = ledger_frame(rows)
    for line in COST_LINES:
        f = frame[frame["line"] == line]
        labour = float(f.loc[f["category"] == "labour", "usd"].sum())
        dep = float(f.loc[f["category"] == "capital", "usd"].sum())
        variable = float(f.loc[f["category"].isin(["materials", "utilities"]), "usd"].sum())
        for item, usd in overheads_usd(labour, dep, variable, h, ov).items():
            rows.append(CostRow(line, "overheads", "overheads", item, usd, "BatPaC shares on labour, depreciation and variable cost"))
    return ledger_frame(rows)


# ----------------------------------------------------------------------------- 2. lot costs
def lot_costs(rep: Replication, ledger_df: pd.DataFrame, direct: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Accumulated cost of every lot, by (line spent in, category), and each lot's scrapped part.

    Returns the frame and ``scrap`` (n_lots x lines x categories): the part of each lot's cost that
    ended in scrap at that lot (all of it for a scrapped or rejected lot, the scrapped share of a
    partly good electrode roll).

    The powder lines' scrap (breakdown batches, rejected lots) is a cost of the good powder: after
    the powder level it is spread over the released powder lots by mass (``absorbed_scrap_usd``)
    and travels with them into mix batches, rolls and prelithiated rolls, so electrode and cell
    unit costs carry it. It is kept apart from ``acc`` so the attribution moves it to scrap once.
    """
    lots, h = rep.lots, rep.horizon_h
    n, nl, nc = len(lots), len(COST_LINES), len(SPENT)
    li = {ln: i for i, ln in enumerate(COST_LINES)}
    ci = {c: i for i, c in enumerate(SPENT)}
    own = np.zeros((n, nl, nc))
    owner = lots["line"].map(OWNER).to_numpy()
    # direct costs: per lot
    for name, cat in (("materials_usd", "materials"), ("utilities_usd", "utilities"), ("labour_usd", "labour")):
        for line in COST_LINES:
            m = owner == line
            own[m, li[line], ci[cat]] += direct[name].to_numpy()[m]
    # period costs: what the ledger holds beyond the lots' direct costs, spread by hours on the line
    hours = _hours(lots, h).to_numpy()
    for line in COST_LINES:
        mine = owner == line
        m = mine & (lots["line"].to_numpy() != "scaffold")  # scaffold lots carry their purchase price only
        f = ledger_df[ledger_df["line"] == line]
        w = hours[m]
        if not m.any() or w.sum() <= 0:
            continue  # nothing ran: the period cost stays unabsorbed on the line (still in the total)
        for cat in SPENT:
            period = float(f.loc[f["category"] == cat, "usd"].sum()) - own[mine, li[line], ci[cat]].sum()
            if period:
                own[m, li[line], ci[cat]] += period * w / w.sum()
    acc = own.copy()
    scrap = np.zeros_like(acc)
    absorbed = np.zeros(n)  # powder-line scrap carried by good powder and its descendants (USD)
    scrap_absorbed = np.zeros(n)  # the part of ``absorbed`` that then ended in electrode scrap
    idx = pd.Series(np.arange(n), index=lots["lot_id"].to_numpy())
    mass = lots["mass_kg"].to_numpy()
    g = rep.genealogy
    status = lots["status"].to_numpy()
    good_share = lots["good_share"].fillna(1.0).to_numpy() if "good_share" in lots else np.ones(n)
    is_roll = lots["line"].to_numpy() == "casting"
    for kind in ORDER:
        at = np.flatnonzero(lots["line"].to_numpy() == kind)
        if kind != "scaffold" and len(g):
            e = g[g["lot_id"].isin(lots["lot_id"].iloc[at])]
            if len(e):
                c_i = idx.reindex(e["lot_id"]).to_numpy()
                p_i = idx.reindex(e["parent_id"]).to_numpy()
                frac = e["mass_kg"].to_numpy() / mass[p_i]
                # an electrode roll passes on only its good share; the rest was scrapped at casting
                frac = np.where(is_roll[p_i], frac * good_share[p_i], frac)
                np.add.at(acc, c_i, frac[:, None, None] * acc[p_i])
                np.add.at(absorbed, c_i, frac * absorbed[p_i])
        # what this level scrapped
        dead = np.isin(status[at], SCRAPPED)
        scrap[at[dead]] = acc[at[dead]]
        scrap_absorbed[at[dead]] = absorbed[at[dead]]
        if kind == "casting":
            part = at[~dead & ~np.isnan(lots["end_h"].to_numpy()[at])]
            scrap[part] = acc[part] * (1.0 - good_share[part])[:, None, None]
            scrap_absorbed[part] = absorbed[part] * (1.0 - good_share[part])
        if kind == "coating":  # the powder lines are done: their scrap becomes a cost of good powder
            powder_scrap = scrap[np.isin(lots["line"].to_numpy(), ("scaffold", "fbcvd", "coating"))].sum()
            good = at[np.isin(status[at], ("released", "consumed"))]
            if len(good) and powder_scrap:
                absorbed[good] = powder_scrap * mass[good] / mass[good].sum()
    out = lots[["lot_id", "line", "status"]].copy()
    out["cost_usd"] = acc.sum(axis=(1, 2)) + absorbed
    out["scrap_usd"] = scrap.sum(axis=(1, 2))
    out["absorbed_scrap_usd"] = absorbed
    out["absorbed_scrap_lost_usd"] = scrap_absorbed
    for line in COST_LINES:
        for cat in SPENT:
            out[f"{line}.{cat}_usd"] = acc[:, li[line], ci[cat]]
    return out, scrap


# ----------------------------------------------------------------------------- 3. attribution
def attribution(ledger_df: pd.DataFrame, lots: pd.DataFrame, scrap: np.ndarray) -> pd.DataFrame:
    """Line x category table, scrap moved to the line that scrapped it; sums to the ledger total."""
    table = ledger_df.pivot_table(index="line", columns="category", values="usd", aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=list(COST_LINES), columns=list(CATEGORIES), fill_value=0.0)
    moved = scrap.sum(axis=0)  # (line spent in, category)
    table.loc[list(COST_LINES), list(SPENT)] -= moved
    where = lots["line"].map(OWNER).to_numpy()
    per_lot = scrap.sum(axis=(1, 2))
    for line in COST_LINES:
        table.loc[line, "scrap"] += float(per_lot[where == line].sum())
    return table


# ----------------------------------------------------------------------------- 4. unit costs
def cost_of(rep: Replication, loaded: LoadedScenario) -> CostResult:
    direct = _direct(rep, loaded)
    led = ledger(rep, loaded, direct)
    lots_cost, scrap = lot_costs(rep, led, direct)
    table = attribution(led, lots_cost, scrap)
    lots = rep.lots
    total = float(led["usd"].sum())
    powder = lots["line"] == "coating"
    good_powder = powder & lots["status"].isin(["released", "consumed"])
    powder_kg = float(lots.loc[good_powder, "mass_kg"].sum())
    # good powder carries the powder lines' scrap (absorbed); when nothing was released it is lost
    powder_usd = float(lots_cost.loc[good_powder, "cost_usd"].sum())
    released = (lots["line"] == "prelith") & (lots["status"] == "released")
    m2 = float(lots.loc[released, "area_m2"].sum()) if "area_m2" in lots else 0.0
    # electrode scrap, with the powder-scrap share its powder carried
    electrode_scrap = float(table.loc[["mixing", "casting", "prelith"], "scrap"].sum()) + float(
        lots_cost["absorbed_scrap_lost_usd"].sum())
    electrode_usd = float(lots_cost.loc[released, "cost_usd"].sum()) + electrode_scrap
    per_kg = powder_usd / powder_kg if powder_kg else math.nan
    cvd = lots[lots["line"] == "fbcvd"]
    scaffold_kg = float(lots.loc[lots["line"] == "scaffold", "mass_kg"].sum())
    li_kg = float(lots.loc[lots["line"] == "prelith", "li_applied_kg"].sum()) if "li_applied_kg" in lots else 0.0
    per_m2 = electrode_usd / m2 if m2 else math.nan
    cell = _cell(rep, loaded)
    ov = loaded.params.economics.overheads
    capex = sum(c + a * ov.building_usd_per_m2 for _, _, c, a, _ in _capital(loaded))
    out: dict[str, float] = {
        "cost.total_usd": total,
        "cost.capex_usd": capex,
        "cost.powder_usd_per_kg": per_kg,
        "cost.electrode_usd_per_m2": per_m2,
    }
    # the reference cell's anode is coated on both sides; a one-sided electrode holds half per m2
    kwh_per_m2 = cell.wh_per_m2_anode / 1000.0 * loaded.scenario.settings.casting.sides / 2.0 if cell is not None else math.nan
    # what a unit of output consumes (period totals over good output): the optimizer's price levers
    out["consumption.silane_kg_per_kg"] = float(cvd.get("silane_fed_kg", pd.Series(dtype=float)).sum()) / powder_kg if powder_kg else math.nan
    out["consumption.scaffold_kg_per_kg"] = scaffold_kg / powder_kg if powder_kg else math.nan
    if cell is not None and m2:
        out["consumption.lithium_kg_per_kwh"] = li_kg / (m2 * kwh_per_m2)
    else:
        out["consumption.lithium_kg_per_kwh"] = math.nan
    if cell is not None and m2:
        anode = per_m2 / kwh_per_m2
        rest = (cell.other_materials_usd + cell.conversion_usd) / (cell.energy_wh / 1000.0)
        out.update({"cost.anode_usd_per_kwh": anode, "cost.cell_usd_per_kwh": anode + rest,
                    "cell.energy_wh_kg": cell.energy_wh_kg, "cell.energy_wh_l": cell.energy_wh_l,
                    "cell.wh_per_m2_anode": kwh_per_m2 * 1000.0})
    else:
        out.update({k: math.nan for k in ("cost.anode_usd_per_kwh", "cost.cell_usd_per_kwh", "cell.energy_wh_kg",
                                          "cell.energy_wh_l", "cell.wh_per_m2_anode")})
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


def _cell(rep: Replication, loaded: LoadedScenario) -> CellResult | None:
    lots = rep.lots
    done = lots[(lots["line"] == "prelith") & (lots["status"] == "released")]
    if done.empty:
        return None
    rolls = lots[lots["line"] == "casting"].set_index("lot_id")
    parent = rep.genealogy[rep.genealogy["lot_id"].isin(done["lot_id"])].set_index("lot_id")["parent_id"]
    src = rolls.reindex(parent.reindex(done["lot_id"]).to_numpy())
    return reference_cell(
        anode_capacity_mah_g=float((src["blend_capacity_mah_g"] * src.get("conductive_utilization", 1.0)).mean()),
        anode_ice=float(done["ice"].mean()),
        anode_press_density_g_cm3=float(src["press_density_g_cm3"].mean()),
        anode_areal_capacity_mah_cm2=float(done["areal_capacity_mah_cm2"].mean()),
        anode_active_wt=loaded.scenario.settings.casting.active_wt, params=loaded.params.cell)
