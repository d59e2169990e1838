"""What a replication emitted (kg CO2e) and the electricity it used (kWh), followed through the lots
like cost (:mod:`plants.costing`): each lot carries what it emitted itself and what its parents
passed on by the mass drawn; what ended in scrapped or rejected material is moved to ``scrap`` of the
line that scrapped it, and the powder lines' scrap is carried by the good powder.

Scopes: ``direct`` (the flare of unreacted ethylene and acetylene; silane burns to SiO2 and
hydrogen to water), ``electricity`` (kWh x the grid factor, from the same energy balances as the
utility cost) and ``materials`` (purchased materials x their cradle-to-gate factors). Capital goods,
transport and the end of life are outside the boundary (README, "Carbon footprint").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from plants.common import CostContext
from plants.costing import COST_LINES, Quantity, attribution, context, cost_modules, follow_all, output_masks, owned_sums, per_lot
from plants.lines import OWNER, LotKind
from plants.plant import Replication
from plants.scenario import LoadedScenario

__all__ = ["SCOPES", "EmissionResult", "emissions_of"]

SPENT_SCOPES = ("direct", "electricity", "materials")
SCOPES = (*SPENT_SCOPES, "scrap")
ELECTRODE_KINDS = (LotKind.MIX, LotKind.ROLL, LotKind.PRELITH_ROLL)


@dataclass(frozen=True)
class EmissionResult:
    ledger: pd.DataFrame  # line, step, category (scope), item, kg, kwh, formula
    lots: pd.DataFrame  # lot_id, line, status, co2_kg, scrap_kg, energy_kwh and the (line, scope) parts
    attribution: pd.DataFrame  # index line, columns SCOPES, sums to the total
    summary: dict[str, float]


def _direct(rep: Replication, ctx: CostContext) -> pd.DataFrame:
    """Per lot: what it emitted itself, by scope (kg), and the electricity behind it (kWh)."""
    return per_lot(rep, ctx, "EMITS", [f"{s}_kg" for s in SPENT_SCOPES] + ["electricity_kwh"])


def _ledger(rep: Replication, ctx: CostContext, direct: pd.DataFrame) -> pd.DataFrame:
    f = ctx.params.emissions
    what = {"direct": ("flare", f"unreacted C2H4 x {f.flare_ethylene_kg_per_kg:g}, C2H2 x {f.flare_acetylene_kg_per_kg:g} "
                                "kg CO2/kg (stoichiometry)"),
            "electricity": ("electricity", f"sum over lots of kWh x {f.grid_kg_per_kwh:g} kg CO2e/kWh ({f.grid})"),
            "materials": ("purchased materials", "sum over lots of consumption x cradle-to-gate factor")}
    rows: list[tuple[str, str, str, str, float, float, str]] = []
    for line, d in owned_sums(rep, direct, [*(f"{s}_kg" for s in SPENT_SCOPES), "electricity_kwh"]).items():
        for scope in SPENT_SCOPES:
            kg = d[f"{scope}_kg"]
            kwh = d["electricity_kwh"] if scope == "electricity" else 0.0
            if kg or kwh:  # a zero-carbon grid still uses the electricity
                rows.append((line, "process", scope, what[scope][0], kg, kwh, what[scope][1]))
    for mod in cost_modules():
        rows.extend(tuple(r) for r in mod.period_emissions(ctx))
    return pd.DataFrame(rows, columns=["line", "step", "category", "item", "kg", "kwh", "formula"])


def emissions_of(rep: Replication, loaded: LoadedScenario, kwh_per_m2: float) -> EmissionResult:
    """Emissions and electricity of a replication, per lot, per line and per unit of product
    (``kwh_per_m2``: kWh of reference cells per m2 of our electrode, NaN without a cell)."""
    ctx = context(loaded, rep.horizon_h, rep.genealogy)
    direct = _direct(rep, ctx)
    led = _ledger(rep, ctx, direct)
    kwh_led = led[led["kwh"] > 0].assign(category="electricity")  # the electricity behind the emissions
    # emissions and energy take the same paths through the lots: one pass follows both
    (co2, scrap), (energy, _) = follow_all(rep, [Quantity(led, direct, SPENT_SCOPES, "kg", "co2_kg"),
                                                 Quantity(kwh_led, direct, ("electricity",), "kwh", "energy_kwh")])
    table = attribution(led, co2, scrap, SCOPES, "kg")
    lots = rep.lots
    co2["energy_kwh"] = energy["energy_kwh"].to_numpy()
    total = float(led["kg"].sum())
    good_powder, released = output_masks(rep)
    powder_kg = float(lots.loc[good_powder, "mass_kg"].sum())
    m2 = float(lots.loc[released, "area_m2"].sum()) if "area_m2" in lots else 0.0
    electrode_lines = [OWNER[k] for k in ELECTRODE_KINDS]
    electrode_scrap = float(table.loc[electrode_lines, "scrap"].sum()) + float(co2["absorbed_scrap_lost_kg"].sum())
    energy_scrap_lost = float(energy["absorbed_scrap_lost_kwh"].sum()) + float(
        energy.loc[rep.kind_mask(*ELECTRODE_KINDS), "scrap_kwh"].sum())

    def per(x: float, unit: float) -> float:
        return x / unit if unit and math.isfinite(unit) else math.nan

    out: dict[str, float] = {"co2.total_kg": total}
    out["co2.powder_kg_per_kg"] = per(float(co2.loc[good_powder, "co2_kg"].sum()), powder_kg)
    out["co2.electrode_kg_per_m2"] = per(float(co2.loc[released, "co2_kg"].sum()) + electrode_scrap, m2)
    out["co2.anode_kg_per_kwh"] = per(out["co2.electrode_kg_per_m2"], kwh_per_m2)
    for line in COST_LINES:
        for scope in SCOPES:
            out[f"co2.by_line.{line}.{scope}_kg"] = float(table.loc[line, scope])
    out["co2.scrap_kg"] = float(table["scrap"].sum())
    for scope in SPENT_SCOPES:
        cols = [f"{line}.{scope}_kg" for line in COST_LINES]
        out[f"co2.waterfall.powder.{scope}_kg_per_kg"] = per(float(co2.loc[good_powder, cols].to_numpy().sum()), powder_kg)
    out["co2.waterfall.powder.scrap_kg_per_kg"] = per(float(co2.loc[good_powder, "absorbed_scrap_kg"].sum()), powder_kg)
    # electricity per line (lots' own and the line's period use) and per unit of product
    for line in COST_LINES:
        out[f"energy.{line}_kwh"] = float(led.loc[led["line"] == line, "kwh"].sum())
    out["energy.total_kwh"] = float(led["kwh"].sum())
    out["energy.powder_kwh_per_kg"] = per(float(energy.loc[good_powder, "energy_kwh"].sum()), powder_kg)
    out["energy.electrode_kwh_per_m2"] = per(float(energy.loc[released, "energy_kwh"].sum()) + energy_scrap_lost, m2)
    out["energy.anode_kwh_per_kwh"] = per(out["energy.electrode_kwh_per_m2"], kwh_per_m2)
    return EmissionResult(led, co2, table, out)
