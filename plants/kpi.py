"""KPIs of one replication, as pure functions of its frames, and the plant's KPI registry.

Keys are flat, units in the names. Each line's own KPIs live in its package (``plants/<line>/kpi.py``:
``KPIS`` and ``summarize``); this module adds the plant-level ones (run, state shares, bottleneck,
buffers, the Si balance) and the registry entries of the cost, yield and quality KPIs computed in
:mod:`plants.costing` and :mod:`plants.consistency`.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from types import ModuleType

import numpy as np
import pandas as pd

from plants.carbon_coating.kpi import RELEASED_POWDER
from plants.common import M_C2H2_G_MOL, M_C2H4_G_MOL, M_C_G_MOL, M_H2_G_MOL, M_SI_G_MOL, M_SIH4_G_MOL
from plants.genealogy import left_share_in
from plants.lines import LINES, LotKind, LotStatus, stage_keys
from plants.plant import Replication
from plants.prelithiation.kpi import li_balance
from plants.slurry_casting.kpi import GOOD_ROLL, water_balance
from twin.kpis import Kpi, KpiRegistry, placeholder_share
from twin.states import state_shares

__all__ = [
    "GOOD_ROLL",
    "REGISTRY",
    "RELEASED_POWDER",
    "buffer_stats",
    "kpi_modules",
    "li_balance",
    "powder_plant_balance",
    "si_balance",
    "summarize",
    "water_balance",
]


def kpi_modules() -> list[ModuleType]:
    """Each line's ``kpi`` module, in the registry's order."""
    return [import_module(f"plants.{line.package}.kpi") for line in LINES]


def si_balance(rep: Replication) -> dict[str, float]:
    """Si fed against where it went (:func:`_si_balance`), computed once per replication."""
    if "si_balance" not in rep.memo:
        rep.memo["si_balance"] = _si_balance(rep)
    return dict(rep.memo["si_balance"])


def _si_balance(rep: Replication) -> dict[str, float]:
    """Si fed (from the silane tank's own accounting) against where the Si went (from the lots).

    fed = fines + exhaust + rejected + scrapped CVD lots + powder-plant in process + released powder
    still in the warehouse + Si in mixers and slurry tanks + Si in casting scrap (scrapped rolls, web
    breaks, changeovers, edge trim) + Si in electrode rolls (buffered, prelithiating, prelithiated).
    The two sides are computed independently: the left from tank draws and returns, the right from
    lot records, the physics and the genealogy's drawn masses.
    """
    si_per_silane = M_SI_G_MOL / M_SIH4_G_MOL
    fed = (rep.silane["drawn_kg"] - rep.silane["returned_kg"]) * si_per_silane
    cvd_all = rep.of(LotKind.CVD)
    cvd = cvd_all[cvd_all["row"] >= 0] if "row" in cvd_all else cvd_all.iloc[0:0]
    powder = rep.of(LotKind.POWDER)
    dep = cvd["si_deposited_kg"] if len(cvd) else pd.Series(dtype=float)
    # Batches still depositing at the horizon: silane drawn, outcome not known yet -> in process whole.
    depositing = cvd["status"] == LotStatus.IN_PROCESS
    done = ~depositing
    fines = float(cvd.loc[done, "si_fines_kg"].sum()) if len(cvd) else 0.0
    exhaust = float(cvd.loc[done, "si_exhaust_kg"].sum()) if len(cvd) else 0.0
    scrapped = float(dep[cvd["status"] == LotStatus.SCRAPPED].sum()) if len(cvd) else 0.0
    released = powder[powder["status"] == LotStatus.RELEASED]
    rejected = float(powder.loc[powder["status"] == LotStatus.REJECTED, "si_kg"].sum()) if len(powder) else 0.0
    open_powder = (float(powder.loc[~powder["status"].isin([LotStatus.RELEASED, LotStatus.REJECTED, LotStatus.CONSUMED]),
                                    "si_kg"].sum())
                   if len(powder) else 0.0)
    # Released powder not yet drawn by the mixers (the warehouse stock).
    stock = float((released["si_kg"] * left_share_in(rep, released)).sum()) if len(released) else 0.0
    # CVD lots being coated are inside their powder lot (created at coating start): count them there.
    in_cvd_or_buffer = float(dep[cvd["status"] == LotStatus.BUFFERED].sum()) if len(cvd) else 0.0
    depositing_fed = float(cvd.loc[depositing, "si_fed_kg"].sum()) if len(cvd) else 0.0
    # Mix batches: Si not yet coated (in the mixer or the slurry tank).
    mixes = rep.of(LotKind.MIX)
    in_slurry = float((mixes["si_kg"] * left_share_in(rep, mixes)).sum()) if len(mixes) else 0.0
    rolls = rep.of(LotKind.ROLL)
    if len(rolls):
        good = rolls["status"].isin(GOOD_ROLL)
        on_coater = rolls["end_h"].isna()
        # good_share is recorded when a roll is finished: a run in which none finished has no column
        in_electrode = (float((rolls.loc[good, "si_kg"] * rolls.loc[good, "good_share"]).sum())
                        if "good_share" in rolls else 0.0)
        on_line = float(rolls.loc[on_coater, "si_kg"].sum())
        roll_scrap = float(rolls["si_kg"].sum()) - in_electrode - on_line
    else:
        in_electrode = roll_scrap = on_line = 0.0
    in_process = open_powder + in_cvd_or_buffer + depositing_fed + in_slurry + on_line
    accounted = fines + exhaust + rejected + scrapped + in_process + stock + roll_scrap + in_electrode
    err = abs(fed - accounted) / fed if fed > 0 else 0.0
    product = stock + float(mixes["si_kg"].sum()) if len(mixes) else stock
    return {
        "si_fed_kg": fed, "si_product_kg": product, "si_fines_kg": fines, "si_exhaust_kg": exhaust,
        "si_rejected_kg": rejected, "si_scrapped_kg": scrapped, "si_in_process_kg": in_process,
        "si_powder_stock_kg": stock, "si_casting_scrap_kg": roll_scrap, "si_in_electrode_kg": in_electrode,
        "si_rel_error": err,
    }


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].fillna(0.0) if name in df else pd.Series(0.0, index=df.index)


def powder_plant_balance(rep: Replication) -> dict[str, float]:
    """Carbon and total mass of the powder plant (FBCVD + coating): what went in against what came out.

    In: scaffold charged (the genealogy's drawn kg), silane (the tank's own draws and returns),
    ethylene and acetylene fed (each batch's gas program). Out: every powder lot whatever became of it
    (its mass as the coater recorded it: the CVD lots' masses plus the shell carbon), CVD lots not in
    a powder lot (their recorded masses; batches still depositing at the horizon count whole, with
    the silane drawn for them), and the gases: Si as fines, unreacted silane, hydrogen, unreacted
    ethylene and acetylene. Carbon: scaffold + ethylene C + acetylene C in; powder lots' carbon (from
    their composition: free carbon plus SiC carbon), CVD lots' carbon (scaffold + the ethylene carbon
    their SiC took) and the unreacted hydrocarbons' carbon out. Each lot's recorded mass is also
    checked against its composition (Si + C): ``powder_lot_rel_error`` is the worst lot.
    """
    gen = rep.genealogy
    c_per_c2h4, c_per_c2h2 = 2 * M_C_G_MOL / M_C2H4_G_MOL, 2 * M_C_G_MOL / M_C2H2_G_MOL
    cvd = rep.of(LotKind.CVD)
    powder = rep.of(LotKind.POWDER)
    if cvd.empty:
        return {"c_in_kg": 0.0, "c_rel_error": 0.0, "mass_in_kg": 0.0, "total_rel_error": 0.0, "powder_lot_rel_error": 0.0}
    drawn_kg = gen["mass_kg"].to_numpy()

    def drawn_by(children: pd.DataFrame) -> float:
        """kg the lots ``children`` drew from their parents (genealogy rows picked by row links, not lot ids)."""
        return np.nansum(drawn_kg[rep.link_mask(children=children)])

    scaffold_kg = float(drawn_by(cvd))
    has_row = cvd["row"] >= 0
    depositing = cvd["status"] == LotStatus.IN_PROCESS
    done = has_row & ~depositing
    c2h4_fed = float(_col(cvd, "c2h4_fed_kg")[has_row].sum())
    c2h4_left = float((_col(cvd, "c2h4_fed_kg") - _col(cvd, "c2h4_consumed_kg"))[done].sum())
    c2h2_fed = float(_col(powder, "acetylene_fed_kg").sum())
    shell_c = float(_col(powder, "shell_carbon_kg").sum())
    c2h2_left = c2h2_fed - shell_c / c_per_c2h2
    silane = (rep.silane["drawn_kg"] - rep.silane["returned_kg"])
    # CVD lots outside any powder lot (a powder lot takes its CVD lots whole)
    in_powder = np.zeros(len(rep.lots) + 1, dtype=bool)  # by row of rep.lots; the extra slot: no lot
    in_powder[rep.links()[1][rep.link_mask(children=powder)]] = True
    loose = cvd[~in_powder[rep.lots.index.get_indexer(cvd.index)]]
    loose_depositing = loose["status"] == LotStatus.IN_PROCESS
    # a batch still depositing holds its scaffold and all the gas fed for it (not yet split into product and exhaust)
    loose_mass = float(loose.loc[~loose_depositing, "mass_kg"].sum())
    held_mass = float(drawn_by(loose[loose_depositing])
                      + _col(loose, "silane_fed_kg")[loose_depositing].sum() + _col(loose, "c2h4_fed_kg")[loose_depositing].sum())
    si_fines = float(_col(cvd, "si_fines_kg")[done].sum())
    silane_left = float(_col(cvd, "si_exhaust_kg")[done].sum()) * M_SIH4_G_MOL / M_SI_G_MOL
    h2 = float(_col(cvd, "h2_made_kg")[done].sum()) + shell_c / c_per_c2h2 / M_C2H2_G_MOL * M_H2_G_MOL
    mass_in = scaffold_kg + silane + c2h4_fed + c2h2_fed
    mass_out = (float(powder["mass_kg"].sum()) + loose_mass + held_mass + si_fines + silane_left + h2 + c2h4_left
                + c2h2_left)
    c_in = scaffold_kg + c2h4_fed * c_per_c2h4 + c2h2_fed * c_per_c2h2
    loose_c = float((_col(loose, "mass_kg") - _col(loose, "si_deposited_kg"))[~loose_depositing].sum())
    held_c = float(drawn_by(loose[loose_depositing])
                   + _col(loose, "c2h4_fed_kg")[loose_depositing].sum() * c_per_c2h4)
    c_out = float(_col(powder, "carbon_kg").sum()) + loose_c + held_c + c2h4_left * c_per_c2h4 + c2h2_left * c_per_c2h2
    per_lot = ((powder["mass_kg"] - _col(powder, "si_kg") - _col(powder, "carbon_kg")).abs() / powder["mass_kg"]
               if len(powder) else pd.Series(dtype=float))
    return {"c_in_kg": c_in, "c_out_kg": c_out, "c_rel_error": abs(c_in - c_out) / c_in if c_in > 0 else 0.0,
            "mass_in_kg": mass_in, "mass_out_kg": mass_out,
            "total_rel_error": abs(mass_in - mass_out) / mass_in if mass_in > 0 else 0.0,
            "powder_lot_rel_error": float(per_lot.max()) if len(per_lot) else 0.0}


def buffer_stats(rep: Replication, start_h: float = 0.0) -> pd.DataFrame:
    """Per buffer over [start_h, horizon]: time-weighted mean level, throughput, mean residence.

    Little's law says mean level = throughput x mean residence; the three are measured separately
    (levels from the level log, throughput and residence from what left the buffer).
    """
    from twin.monitor import time_weighted_mean

    rows = []
    # the stays split by buffer in one grouping (a comparison of the whole string column per buffer costs more)
    stays = dict(iter(rep.stays.groupby("buffer", sort=False)))
    for name, lv in rep.levels.groupby("buffer", sort=False):
        st = stays.get(name, rep.stays.iloc[0:0])
        st = st[st["time_out_h"] >= start_h]
        span = rep.horizon_h - start_h
        rows.append({
            "buffer": name, "unit": lv["unit"].iloc[0],
            "mean_level": time_weighted_mean(lv["time_h"].to_numpy(), lv["level"].to_numpy(), start_h, rep.horizon_h),
            "max_level": float(lv["level"].max()),
            "throughput_per_h": float(st["amount"].sum()) / span,
            # time spent inside the window, weighted by amount
            "mean_residence_h": float(((st["time_out_h"] - st["time_in_h"].clip(lower=start_h)) * st["amount"]).sum()
                                      / st["amount"].sum()) if len(st) else float("nan"),
        })
    return pd.DataFrame(rows).set_index("buffer")


def _line_shares(rep: Replication) -> pd.DataFrame:
    """Mean state shares of the units of each stage (rows: stage)."""
    shares = state_shares(rep.states, rep.horizon_h, rep.warmup_h)
    return shares.groupby(_line_of(rep.states).reindex(shares.index)).mean()


def _line_of(states: pd.DataFrame) -> pd.Series:
    """Each unit's line: ``states.groupby("unit")["line"].first()``, from the unit's first row without
    grouping 10^5 rows of strings (a unit whose first row names no line takes the grouped path)."""
    codes, units = pd.factorize(states["unit"])  # codes in order of first appearance; a missing unit: -1
    # a unit's first row is where its code exceeds every code before it
    first = np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]]) if len(codes) else codes
    first = first[codes[first] >= 0]
    line = states["line"].to_numpy()[first]
    if pd.isna(line).any():
        return states.groupby("unit")["line"].first()
    return pd.Series(line, index=pd.Index(units, name="unit"), name="line")


def summarize(rep: Replication) -> dict[str, float | str]:
    h, w = rep.horizon_h, rep.warmup_h
    shares = _line_shares(rep)
    bal = si_balance(rep)
    out: dict[str, float | str] = {
        "horizon_h": h,
        "warmup_h": w,
        "seed": float(rep.seed),
        "replication": float(rep.replication),
        "sim.events": float(rep.events),
        "sim.wall_s": rep.wall_s,
    }
    for mod in kpi_modules():
        out.update(mod.summarize(rep, shares))
    out.update({
        "mass_balance.si_fed_kg": bal["si_fed_kg"],
        "mass_balance.si_product_kg": bal["si_product_kg"],
        "mass_balance.si_in_process_kg": bal["si_in_process_kg"],
        "mass_balance.si_in_electrode_kg": bal["si_in_electrode_kg"],
        "mass_balance.si_rel_error": bal["si_rel_error"],
    })
    pb = powder_plant_balance(rep)
    out["mass_balance.c_in_kg"] = pb["c_in_kg"]
    out["mass_balance.c_rel_error"] = pb["c_rel_error"]
    out["mass_balance.powder_plant_in_kg"] = pb["mass_in_kg"]
    out["mass_balance.total_rel_error"] = pb["total_rel_error"]
    out["mass_balance.powder_lot_rel_error"] = pb["powder_lot_rel_error"]
    wb = water_balance(rep)
    out["mass_balance.water_added_kg"] = wb["water_added_kg"]
    out["mass_balance.water_rel_error"] = wb["water_rel_error"]
    stages = stage_keys()
    for line in stages:
        for state in shares.columns:
            out[f"{line}.state_share.{state}"] = float(shares.loc[line, state]) if line in shares.index else float("nan")
    # The bottleneck: the line whose units are busiest (working or down, i.e. neither blocked,
    # starved nor idle) -- the active-period view of Roser, Nakano & Tanaka (2001).
    active = (shares["working"] + shares["down"]).reindex([ln for ln in stages if ln in shares.index])
    out["plant.bottleneck"] = str(active.idxmax()) if len(active) else ""
    out["plant.bottleneck_active_share"] = float(active.max()) if len(active) else float("nan")
    for name, row in buffer_stats(rep, w).iterrows():
        key = str(name).replace(" ", "_").replace("->", "_to_").lower()
        out[f"buffer.{key}.mean_level"] = row["mean_level"]
        out[f"buffer.{key}.max_level"] = row["max_level"]
    return {k: (v if isinstance(v, str) else float(v) if v is not None else float("nan")) for k, v in out.items()}


# ----------------------------------------------------------------------------- the registry
_STAGES = ",".join(stage_keys())
_CATS = "capital,labour,materials,utilities,overheads,scrap"
_PLANT = [
    Kpi("scenario", "Scenario", digits=None, description="the scenario's name"),
    Kpi("scenario_sha256", "Scenario hash", digits=None, description="sha256 of the scenario text with its --set lines"),
    Kpi("parameter_set", "Parameter set", digits=None, description="name@version of the parameter set"),
    Kpi("parameter_set_file", "Parameter set file", digits=None, description="the file that was read"),
    Kpi("parameter_set_sha256", "Parameter set hash", digits=None, description="sha256 of its content as read"),
    Kpi("seed", "Seed", digits=0, description="the scenario seed"),
    Kpi("replication", "Replication", digits=0, description="the replication number (per-replication rows only)"),
    Kpi("replications", "Replications", digits=0),
    Kpi("horizon_h", "Horizon", "h", "simulated hours", 0),
    Kpi("warmup_h", "Warm-up", "h", "warm-up excluded from means and state shares", 0),
    Kpi("sim.events", "SimPy events processed", "", "all replications", 0, group="Checks"),
    Kpi("sim.wall_s", "Wall time", "s", "wall time of the run", 2, group="Checks"),
    Kpi("<line>.state_share.{working,blocked,starved,down,idle}", "State share", "",
        f"mean share of time per state, for {_STAGES.replace(',', ', ')}", 3),
    Kpi("plant.bottleneck", "Bottleneck line", "", "the line whose units are most active (working or down)", None,
        headline=12, group="Plant"),
    Kpi("plant.bottleneck_active_share", "Bottleneck's active share (working or down)", "", "", 3, group="Plant"),
    Kpi("plant.bottleneck_near_tie", "Bottleneck near-tie (1: the top two lines' intervals overlap)", "",
        "over replications; n/a with one", 0, group="Plant"),  # plants.app.bottleneck
    Kpi("buffer.<name>.mean_level", "Buffer mean level", "", "time-weighted mean content", 3),
    Kpi("buffer.<name>.max_level", "Buffer max level", "", "maximum content", 3),
    Kpi("mass_balance.si_fed_kg", "Si fed", "kg", "from the tank's own accounting", 0),
    Kpi("mass_balance.si_product_kg", "Si in released powder", "kg", "", 0),
    Kpi("mass_balance.si_in_process_kg", "Si in process at the horizon", "kg", "", 0),
    Kpi("mass_balance.si_in_electrode_kg", "Si in good electrode rolls", "kg", "", 0),
    Kpi("mass_balance.si_rel_error", "Si mass balance, relative error", "", "closes to < 1e-9", -1, headline=13,
        group="Checks"),
    Kpi("mass_balance.c_in_kg", "Carbon into the powder plant", "kg", "scaffold + ethylene + acetylene carbon", 0),
    Kpi("mass_balance.c_rel_error", "C mass balance, relative error", "", "powder plant; closes to < 1e-9", -1,
        group="Checks"),
    Kpi("mass_balance.powder_plant_in_kg", "Mass into the powder plant", "kg", "scaffold + silane + C2H4 + C2H2", 0),
    Kpi("mass_balance.total_rel_error", "Total mass balance of the powder plant, relative error", "",
        "in = powder lots + CVD lots + fines + exhaust gases", -1, group="Checks"),
    Kpi("mass_balance.powder_lot_rel_error", "Worst powder lot: mass vs its Si + C", "", "per lot", -1, group="Checks"),
    Kpi("mass_balance.li_rel_error", "Li mass balance, relative error", "", "", -1, group="Checks"),
    Kpi("mass_balance.water_added_kg", "Water added at mixing", "kg", "", 0),
    Kpi("mass_balance.water_rel_error", "Water mass balance, relative error", "", "", -1, group="Checks"),
]
_COST = [
    Kpi("cost.total_usd", "Total cost over the horizon", "USD", "every cost of the horizon", 0, group="Cost"),
    Kpi("cost.capex_usd", "Installed capital", "USD", "all lines at their design rates, equipment plus building", 0),
    Kpi("cost.powder_usd_per_kg", "Cost of good Si/C powder", "USD/kg", "cost of a good kg of powder", 2, headline=2,
        group="Cost"),
    Kpi("cost.target_gap_usd_per_kg", "Powder cost gap to the target", "USD/kg", "unit cost minus target", 2,
        headline=3, group="Cost"),
    Kpi("cost.electrode_usd_per_m2", "Cost of good prelithiated electrode", "USD/m2", "cost of a good m2", 3, headline=4,
        group="Cost"),
    Kpi("cost.anode_usd_per_kwh", "Anode (our electrode) per kWh of cells", "USD/kWh", "", 2, group="Cost"),
    Kpi("cost.cell_usd_per_kwh", "Reference NCM811 cell cost", "USD/kWh", "the whole reference cell", 2, headline=5,
        group="Cost"),
    Kpi("cost.target_gap_usd_per_kwh", "Cell cost gap to the target", "USD/kWh", "unit cost minus target", 2,
        group="Cost"),
    Kpi("cost.scrap_usd", "Cost that ended in scrap", "USD", "", 0, group="Cost"),
    Kpi("cost.target_usd_per_kg", "Powder cost target", "USD/kg", "the scenario's target", 2),
    Kpi("cost.target_usd_per_kwh", "Cell cost target", "USD/kWh", "the scenario's target", 2),
    Kpi("cell.energy_wh_kg", "Reference cell energy", "Wh/kg", "the reference cell made with the released electrode", 0,
        headline=6, group="Cost"),
    Kpi("cell.energy_wh_l", "Reference cell energy density", "Wh/L", "", 0, group="Cost"),
    Kpi("cell.wh_per_m2_anode", "Cell energy per m2 of anode", "Wh/m2", "", 1),
    Kpi("cell.cycle_life_cycles", "Cycle life of the reference cell", "cycles",
        "to 80 % capacity, 0.5C/1C, 2.8-4.2 V, 25 degC; mean over released rolls", 0, headline=7, group="Product"),
    Kpi("cell.cycle_life_p10_cycles", "Cycle life, 10th percentile of rolls", "cycles", "the weak rolls", 0,
        group="Product"),
    Kpi("cell.electrode_swelling_pct", "Electrode swelling at full charge", "%",
        "thickness change; reviews: < 70 %, preferably < 30 %", 1, headline=8, group="Product"),
    Kpi("cell.electrode_swelling_p90_pct", "Electrode swelling, 90th percentile of rolls", "%", "", 1, group="Product"),
    Kpi("cell.rate_retention", "Rate capability (3C of C/10 capacity)", "", "share of the low-rate capacity at 3C", 3,
        headline=9, group="Product"),
    Kpi("cell.li_reservoir_share", "Li reservoir after formation", "", "share of the first discharge capacity", 3,
        group="Product"),
    Kpi("cost.cell_usd_per_kwh_delivered", "Cell cost per kWh delivered over its life", "USD/kWh",
        "cell cost / (cycle life x 0.9 mean retention)", 4, headline=10, group="Cost"),
    Kpi("consumption.silane_kg_per_kg", "Silane per kg of powder", "kg/kg", "silane fed per kg of released powder", 4),
    Kpi("consumption.scaffold_kg_per_kg", "Scaffold per kg of powder", "kg/kg", "scaffold charged per kg of released powder", 4),
    Kpi("consumption.lithium_kg_per_kwh", "Li per kWh of cells", "kg/kWh", "Li applied per kWh of reference cells", 5),
    Kpi("cost.by_line.<line>.<category>_usd", "Cost by line and category", "USD",
        f"<category> in {_CATS.replace(',', ', ')}; adds up to cost.total_usd", 0),
    Kpi("cost.scrap_by_cause.<cause>_usd", "Scrap cost by cause", "USD", "", 0),
    Kpi("cost.waterfall.powder.<category>_usd_per_kg", "Powder cost by category", "USD/kg", "adds up to the unit cost", 2),
    Kpi("cost.waterfall.cell.<category>_usd_per_kwh", "Cell cost by category", "USD/kWh",
        "adds up to the unit cost (categories and rest_of_cell)", 2),
]
_CO2 = [
    Kpi("co2.total_kg", "Emissions over the horizon", "kg CO2e", "cradle-to-gate, every scope", 0, group="Carbon footprint"),
    Kpi("co2.powder_kg_per_kg", "Good Si/C powder", "kg CO2e/kg", "carried by released powder, its share of scrap included",
        2, headline=14, group="Carbon footprint"),
    Kpi("co2.electrode_kg_per_m2", "Good prelithiated electrode", "kg CO2e/m2", "", 3, group="Carbon footprint"),
    Kpi("co2.anode_kg_per_kwh", "Anode (our electrode) per kWh of cells", "kg CO2e/kWh", "", 2, group="Carbon footprint"),
    Kpi("co2.scrap_kg", "Emissions that ended in scrap", "kg CO2e", "", 0, group="Carbon footprint"),
    Kpi("co2.by_line.<line>.{direct,electricity,materials,scrap}_kg", "Emissions by line and scope", "kg CO2e",
        "adds up to co2.total_kg", 0),
    Kpi("co2.waterfall.powder.{direct,electricity,materials,scrap}_kg_per_kg", "Powder emissions by scope", "kg CO2e/kg",
        "adds up to co2.powder_kg_per_kg", 3),
    Kpi("energy.total_kwh", "Electricity over the horizon", "kWh", "every line, period uses included", 0,
        group="Carbon footprint"),
    Kpi("energy.<line>_kwh", "Electricity of a line", "kWh", "its lots' and its period uses", 0),
    Kpi("energy.powder_kwh_per_kg", "Electricity per kg of good powder", "kWh/kg", "", 2, group="Carbon footprint"),
    Kpi("energy.electrode_kwh_per_m2", "Electricity per m2 of good electrode", "kWh/m2", "", 3, group="Carbon footprint"),
    Kpi("energy.anode_kwh_per_kwh", "Electricity per kWh of reference cells", "kWh/kWh", "", 3, group="Carbon footprint"),
]
_INVEST = [
    Kpi("economics.npv_usd", "Net present value of the powder plant", "USD",
        "cash flow over the plant's life at the discount rate (README, Investment case)", 0, headline=15,
        group="Investment case (powder plant)"),
    Kpi("economics.irr", "Internal rate of return", "1/yr", "the discount rate at which the NPV is 0", 4,
        group="Investment case (powder plant)"),
    Kpi("economics.payback_years", "Payback from start-up", "yr", "until the cumulative cash flow turns positive", 2,
        group="Investment case (powder plant)"),
    Kpi("economics.minimum_selling_price_usd_per_kg", "Minimum selling price of the powder", "USD/kg",
        "the price at which the NPV is 0", 2, headline=16, group="Investment case (powder plant)"),
    Kpi("economics.capex_usd", "Capital of the powder lines", "USD", "FBCVD, coating and QC lab, equipment and building",
        0, group="Investment case (powder plant)"),
    Kpi("economics.variable_cost_usd_per_kg", "Variable cost of the powder", "USD/kg",
        "the powder lines' materials and utilities over released powder", 2, group="Investment case (powder plant)"),
    Kpi("economics.fixed_cost_usd_per_yr", "Fixed cost of the powder lines", "USD/yr", "their labour and overheads", 0,
        group="Investment case (powder plant)"),
]
_YIELD = [
    Kpi("yield.overall_first_pass", "First pass, whole plant", "", "product of the lines' first-pass yields", 4,
        headline=10, group="Yield"),
    Kpi("yield.fbcvd.first_pass", "  FBCVD batches", "", "batches not scrapped", 4, group="Yield"),
    Kpi("yield.coating.first_pass", "  powder lots released", "", "lots released", 4, group="Yield"),
    Kpi("yield.casting.first_pass", "  coated area to good electrode", "", "", 4, group="Yield"),
    Kpi("yield.prelith.first_pass", "  prelithiated rolls released", "", "", 4, group="Yield"),
    Kpi("yield.overall_si", "Si from silane into good electrode", "", "over Si whose fate is decided", 4, headline=11,
        group="Yield"),
    Kpi("yield.carbon_scaffold", "Scaffold carbon into released powder", "", "", 4, group="Yield"),
    Kpi("yield.coating.acetylene_carbon", "Acetylene carbon into shells", "", "", 4, group="Yield"),
    Kpi("yield.li", "Li paying the first-cycle loss", "", "Li paying the first-cycle loss / Li used", 4, group="Yield"),
    Kpi("yield.<line>.first_pass", "First-pass yield", "", "per line", 4),
    Kpi("provenance.placeholder_share", "Share of placeholder parameters", "", "flag U in the parameter set", 3,
        group="Checks"),
    Kpi("provenance.placeholder_share.<kpi>", "Placeholder share behind a KPI", "",
        "share of the parameters in the sections the KPI depends on that are placeholders", 3),
    Kpi("yield.coating.rejected_lots", "Powder lots rejected", "", "", 0),
    Kpi("yield.si_loss.{fines,exhaust,scrapped,rejected,casting_scrap}", "Si lost", "", "share of decided Si", 4),
    Kpi("scrap.breakdown.batches", "Batches lost to breakdowns", "", "", 0),
    Kpi("scrap.off_spec_powder.kg", "Off-spec powder", "kg", "", 0),
    Kpi("scrap.{web_break,changeover,crack,off_spec_electrode,residual_li}.m2", "Electrode scrap", "m2", "", 0),
    Kpi("quality.<product>.<attribute>.{mean,std,cv,cpk,in_spec}", "Quality consistency", "",
        "for every attribute with spec limits", 4),
]


# The parameter-set sections each headline figure depends on (for "x % of its parameters are
# placeholders" beside it). Plant throughput and yields depend on every line's equipment and physics;
# costs add the economics; product figures the physics, the electrode, the cell and the performance model.
_POWDER = ("fbcvd", "coating", "lab", "buffers")
_ELECTRODE = (*_POWDER, "casting", "prelith")
_PRODUCT = ("fbcvd.kinetics", "fbcvd.scaffold", "coating.kinetics", "coating.powder", "casting", "prelith.routes",
            "prelith.lithium", "prelith.dry_room", "cell", "performance")
DEPENDS: dict[str, tuple[str, ...]] = {
    "powder.output_t_per_yr": _POWDER,
    "cost.powder_usd_per_kg": (*_POWDER, "economics"),
    "cost.target_gap_usd_per_kg": (*_POWDER, "economics"),
    "cost.electrode_usd_per_m2": (*_ELECTRODE, "economics"),
    "cost.cell_usd_per_kwh": (*_ELECTRODE, "economics", "cell"),
    "cost.cell_usd_per_kwh_delivered": (*_ELECTRODE, "economics", "cell", "performance"),
    "cell.energy_wh_kg": (*_PRODUCT[:-1],),
    "cell.cycle_life_cycles": _PRODUCT,
    "cell.electrode_swelling_pct": ("fbcvd.kinetics", "fbcvd.scaffold", "coating.powder", "casting", "cell", "performance"),
    "cell.rate_retention": ("fbcvd.kinetics", "fbcvd.scaffold", "coating.kinetics", "coating.powder", "casting",
                            "performance"),
    "powder.ice_mean": ("fbcvd.kinetics", "fbcvd.scaffold", "coating.kinetics", "coating.powder"),
    "yield.overall_si": _ELECTRODE,
    "co2.powder_kg_per_kg": (*_POWDER, "emissions", "economics.energy"),
    "economics.npv_usd": (*_POWDER, "economics"),
    "economics.minimum_selling_price_usd_per_kg": (*_POWDER, "economics"),
}


# A run started from a plant state (twin run --from-state; computed by plants.state.forecast_kpis).
_FORECAST = [
    Kpi("forecast.{silane,lithium}.dry_h", "Hours until the supply runs dry", "h",
        "first draw that had to wait, over the replications in which it did", 1),
    Kpi("forecast.{silane,lithium}.dry_share", "Share of replications in which the supply runs dry", "",
        "within the horizon", 2),
    Kpi("forecast.{silane,lithium}.level_start_kg", "Supply level at the start", "kg", "from the plant state", 0),
    Kpi(f"forecast.{{{_STAGES}}}.output_lots", "Lots finished over the horizon", "",
        "not scrapped or rejected; lots finished before the state excluded", 1),
    Kpi(f"forecast.{{{_STAGES}}}.output_kg", "Mass finished over the horizon", "kg", "the same lots", 0),
    Kpi(f"forecast.{{{_STAGES}}}.first_output_h", "Hours until the first lot is finished", "h", "", 1),
    Kpi("forecast.quarantine.{lots,released}", "Lots of the state in quarantine; of them released", "", "", 1),
    Kpi("forecast.quarantine.decided_h", "Hours until the last of them had its lab decision", "h", "", 1),
    Kpi("forecast.buffer.lots", "Lots of the state waiting in buffers", "", "", 0),
    Kpi("forecast.buffer.taken_h", "Hours until the last of them was used up", "h",
        "the start of the last lot made from it", 1),
]


def _registry() -> KpiRegistry:
    lines = [k for mod in kpi_modules() for k in mod.KPIS]
    run, sim, plant = _PLANT[:10], _PLANT[10:12], _PLANT[12:]
    kpis = [*run, *lines, *_COST, *_CO2, *_INVEST, *_YIELD, *plant, *_FORECAST, *sim]
    return KpiRegistry([replace(k, depends=DEPENDS[k.key]) if k.key in DEPENDS else k for k in kpis])


def placeholder_shares(flags: dict[str, bool]) -> dict[str, float]:
    """``provenance.placeholder_share.<kpi>`` for each KPI that declares its parameter sections, plus
    ``provenance.placeholder_share`` over the whole parameter set (``flags``: path -> is placeholder)."""
    out = {"provenance.placeholder_share": sum(flags.values()) / len(flags) if flags else float("nan")}
    for key in DEPENDS:
        kpi = REGISTRY.find(key)
        if kpi is not None:
            out[f"provenance.placeholder_share.{key}"] = placeholder_share(kpi, flags)[0]
    return out


REGISTRY = _registry()
