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
from itertools import pairwise
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
    "COST_LINES", "CostResult", "Quantity", "attribution", "capital", "charged_kg", "context", "cost_modules", "cost_of",
    "direct_costs", "follow", "follow_all", "ledger", "lot_costs", "output_masks", "owned_sums", "per_lot",
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
    where = {c: j for j, c in enumerate(columns)}
    values = np.zeros((len(lots), len(columns)))
    for mod in cost_modules():
        for kind, fn in getattr(mod, table).items():
            mine = rep.of(kind)
            if len(mine):
                # written by row position into one array (a .loc assignment per kind aligns labels twice)
                part = fn(mine, ctx).reindex(mine.index)  # aligned on the kind's lots, as .loc would
                rows = lots.index.get_indexer(mine.index)
                for c in part.columns:
                    if c not in where:  # a column the caller did not ask for: kept, missing elsewhere
                        where[c] = len(where)
                        values = np.column_stack([values, np.full(len(lots), np.nan)])
                    values[rows, where[c]] = part[c].to_numpy(dtype=float)
    return pd.DataFrame(values, index=lots.index, columns=list(where))


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


def owned_sums(rep: Replication, per_lot: pd.DataFrame, columns: list[str]) -> dict[str, dict[str, float]]:
    """Per cost line: the sums of ``columns`` of ``per_lot`` (rows as ``rep.lots``) over the lots it owns.
    Each is a numpy sum of the same values in the same order as the pandas sum of a filtered frame
    (missing values count 0), without comparing the lot kinds' strings again for every line."""
    owner = _flow(rep).owner
    values = {c: per_lot[c].to_numpy() for c in columns}
    return {line: {c: float(np.nansum(v[owner[line]])) for c, v in values.items()} for line in COST_LINES}


def ledger(rep: Replication, loaded: LoadedScenario, direct: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every period cost of the replication as rows (line, step, category, item, usd, formula)."""
    p, e = loaded.params, loaded.params.economics
    ov, pr, h = e.overheads, e.prices, rep.horizon_h
    ctx = context(loaded, h, rep.genealogy)
    direct = _direct(rep, ctx) if direct is None else direct
    rows: list[CostRow] = []
    for line, d in owned_sums(rep, direct, ["materials_usd", "utilities_usd", "labour_usd"]).items():
        if d["materials_usd"]:
            rows.append(CostRow(line, "process", "materials", "materials", d["materials_usd"],
                                "sum over lots of consumption x price"))
        if d["utilities_usd"]:
            rows.append(CostRow(line, "process", "utilities", "electricity", d["utilities_usd"],
                                "sum over lots of kWh x electricity price"))
        if d["labour_usd"]:
            rows.append(CostRow(line, "QC lab", "labour", "analysts", d["labour_usd"],
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


@dataclass(frozen=True)
class Quantity:
    """An additive quantity to follow through the lots (:func:`follow_all`)."""

    ledger: pd.DataFrame  # its period totals: columns line, category, ``unit``
    direct: pd.DataFrame  # each lot's own part: columns ``<category>_<unit>``
    spent: tuple[str, ...]  # the categories it is spent in
    unit: str
    total: str  # the name of a lot's whole in the returned frame


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
    return follow_all(rep, [Quantity(ledger_df, direct, spent, unit, total)])[0]


def follow_all(rep: Replication, quantities: list[Quantity]) -> list[tuple[pd.DataFrame, np.ndarray]]:
    """:func:`follow` for several quantities in one pass through the genealogy (emissions and energy
    take the same paths as cost). Each quantity has its own categories along the last axis of one
    array, so every element sees the same arithmetic, in the same order, as when followed alone."""
    flow = _flow(rep)
    n, nl = len(rep.lots), len(COST_LINES)
    starts = np.cumsum([0] + [len(q.spent) for q in quantities])
    parts = [slice(int(a), int(b)) for a, b in pairwise(starts)]
    own = np.zeros((n, nl, int(starts[-1])))
    for q, part in zip(quantities, parts, strict=True):
        _own_parts(own[:, :, part], q, flow)  # writes through the view into ``own``
    acc, scrap, absorbed, scrap_absorbed = _pass_down(own, parts, flow)
    out = []
    for k, (q, part) in enumerate(zip(quantities, parts, strict=True)):
        # each quantity's slices copied contiguous: sums over them then add in the order they would alone
        q_acc, q_scrap = np.ascontiguousarray(acc[:, :, part]), np.ascontiguousarray(scrap[:, :, part])
        out.append((_lot_frame(rep, q, q_acc, q_scrap, absorbed[:, k], scrap_absorbed[:, k]), q_scrap))
    return out


@dataclass(frozen=True)
class _Flow:
    """What following any quantity reads of a replication's lots and genealogy, as arrays, built once."""

    owner: dict[str, np.ndarray]  # per cost line: its lots (rows)
    on_line: dict[str, np.ndarray]  # per cost line: its lots that take a share of its period total (rows)
    hours: np.ndarray  # per lot: hours on its line inside the period
    at: dict[str, np.ndarray]  # per lot kind: its rows
    dead: dict[str, np.ndarray]  # per lot kind: its scrapped or rejected rows
    #: per child kind: child rows, parent rows, the share of the parent passed on, and the links in rounds
    links: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]]
    partly_good: np.ndarray  # finished electrode rolls not scrapped (their bad share is scrap)
    bad_share: np.ndarray  # per lot: 1 - good share
    powder_lines: np.ndarray  # mask: lots of the powder lines (scaffold, CVD, powder)
    good_powder: np.ndarray  # rows of released or consumed powder lots
    mass: np.ndarray


def _flow(rep: Replication) -> _Flow:
    if "flow" not in rep.memo:
        rep.memo["flow"] = _build_flow(rep)
    flow: _Flow = rep.memo["flow"]
    return flow


def _build_flow(rep: Replication) -> _Flow:
    lots, h = rep.lots, rep.horizon_h
    n = len(lots)
    owner = lots["line"].map(OWNER).to_numpy()
    end = lots["end_h"].fillna(h).clip(upper=h)
    hours = (end - lots["start_h"]).clip(lower=0.0).to_numpy()
    mass = lots["mass_kg"].to_numpy()
    status = lots["status"].to_numpy()
    good_share = lots["good_share"].fillna(1.0).to_numpy() if "good_share" in lots else np.ones(n)
    is_roll = rep.kind_mask(LotKind.ROLL)
    at: dict[str, np.ndarray] = {kind: np.flatnonzero(rep.kind_mask(kind)) for kind in LOT_ORDER}
    scrapped = _one_of(status, SCRAPPED)
    dead = {kind: rows[scrapped[rows]] for kind, rows in at.items()}
    child_rows, parent_rows = rep.links()
    links: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]] = {}
    if len(rep.genealogy):
        kind_code = np.full(n + 1, -1)  # each lot's kind as its place in LOT_ORDER; the extra -1: no lot
        for code, rows in enumerate(at.values()):
            kind_code[rows] = code
        kind_of_child = kind_code[child_rows]
        g_kg = rep.genealogy["mass_kg"].to_numpy()
        for code, kind in enumerate(LOT_ORDER):
            if kind == LotKind.SCAFFOLD:  # scaffold lots have no parents
                continue
            sel = kind_of_child == code
            if sel.any():
                c_i, p_i = child_rows[sel], parent_rows[sel]
                frac = g_kg[sel] / mass[p_i]
                # an electrode roll passes on only its good share; the rest was scrapped at casting
                links[kind] = (c_i, p_i, np.where(is_roll[p_i], frac * good_share[p_i], frac), _rounds(c_i))
    rolls = at[LotKind.ROLL]
    done = rolls[~scrapped[rolls] & ~np.isnan(lots["end_h"].to_numpy()[rolls])]
    powder = at[LotKind.POWDER]
    return _Flow(
        # rows, not masks: numpy turns a mask into rows on every use
        owner={line: np.flatnonzero(owner == line) for line in COST_LINES},
        # scaffold lots carry their purchase price only
        on_line={line: np.flatnonzero((owner == line) & ~rep.kind_mask(LotKind.SCAFFOLD)) for line in COST_LINES},
        hours=hours,
        at=at, dead=dead, links=links, partly_good=done, bad_share=1.0 - good_share,
        powder_lines=rep.kind_mask(LotKind.SCAFFOLD, LotKind.CVD, LotKind.POWDER),
        good_powder=powder[_one_of(status[powder], (LotStatus.RELEASED, LotStatus.CONSUMED))], mass=mass)


def _one_of(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """``np.isin`` for an object array of a few distinct strings, by equality (np.isin sorts objects)."""
    return np.logical_or.reduce([values == a for a in allowed]) if allowed else np.zeros(len(values), dtype=bool)


def _rounds(child: np.ndarray) -> list[np.ndarray]:
    """The links (positions in ``child``) in rounds: a child's first link in the first round, its second
    in the second, and so on. Within a round no child repeats, so adding a round is one vectorised
    ``+=``; round after round, each child adds its links in their order, as ``np.add.at`` would (a lot
    has one or two parents: two rounds instead of a slow ``np.add.at`` over 10^4 links)."""
    if not len(child):
        return []
    order = np.argsort(child, kind="stable")
    first = np.r_[True, child[order][1:] != child[order][:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(len(child)) - np.repeat(starts, np.diff(np.r_[starts, len(child)]))
    return [order[rank == r] for r in range(int(rank.max()) + 1)]


def _own_parts(own: np.ndarray, q: Quantity, flow: _Flow) -> None:
    """Each lot's own part of ``q`` (lots x lines x q's categories): its direct part, plus its share,
    by hours on the line, of what the line's period total holds beyond its lots' direct parts."""
    li = {ln: i for i, ln in enumerate(COST_LINES)}
    ci = {c: i for i, c in enumerate(q.spent)}
    for cat in q.spent:
        name = f"{cat}_{q.unit}"
        if name not in q.direct:
            continue
        values = q.direct[name].to_numpy()
        for line in COST_LINES:
            m = flow.owner[line]
            own[m, li[line], ci[cat]] += values[m]
    # the ledger as arrays: a (line, category) total is then a numpy sum of the same rows in the same
    # order as the pandas sum it replaces (NaN counted as 0, like pandas)
    led_line, led_cat = q.ledger["line"].to_numpy(), q.ledger["category"].to_numpy()
    led_value = q.ledger[q.unit].to_numpy()
    for line in COST_LINES:
        mine, m = flow.owner[line], flow.on_line[line]
        in_ledger = led_line == line
        w = flow.hours[m]
        if not len(m) or w.sum() <= 0:
            continue  # nothing ran: the period cost stays unabsorbed on the line (still in the total)
        for cat in q.spent:
            period = float(np.nansum(led_value[in_ledger & (led_cat == cat)])) - own[mine, li[line], ci[cat]].sum()
            if period:
                own[m, li[line], ci[cat]] += period * w / w.sum()


def _pass_down(own: np.ndarray, parts: list[slice], flow: _Flow) -> tuple[np.ndarray, ...]:
    """Level by level (parents before children): what each lot inherits by the mass it drew, what it
    scrapped, and the powder lines' scrap carried by good powder (one column of ``absorbed`` per
    quantity). Returns acc (``own``, accumulated in place), scrap, absorbed and the part of absorbed
    that then ended in scrap."""
    n = own.shape[0]
    acc = own  # accumulated in place: the caller has no further use for the lots' own parts
    scrap = np.zeros_like(acc)
    absorbed = np.zeros((n, len(parts)))  # powder-line scrap carried by good powder and its descendants
    scrap_absorbed = np.zeros((n, len(parts)))  # the part of ``absorbed`` that then ended in electrode scrap
    for kind in LOT_ORDER:
        if kind in flow.links:
            c_i, p_i, frac, rounds = flow.links[kind]
            passed, passed_absorbed = frac[:, None, None] * acc[p_i], frac[:, None] * absorbed[p_i]
            for r in rounds:
                acc[c_i[r]] += passed[r]
                absorbed[c_i[r]] += passed_absorbed[r]
        # what this level scrapped
        dead = flow.dead[kind]
        scrap[dead] = acc[dead]
        scrap_absorbed[dead] = absorbed[dead]
        if kind == LotKind.ROLL:
            part = flow.partly_good
            scrap[part] = acc[part] * flow.bad_share[part][:, None, None]
            scrap_absorbed[part] = absorbed[part] * flow.bad_share[part][:, None]
        if kind == LotKind.POWDER:  # the powder lines are done: their scrap becomes a cost of good powder
            good, mass = flow.good_powder, flow.mass
            powder_scrap = scrap[flow.powder_lines]
            for k, cats in enumerate(parts):
                lost = np.ascontiguousarray(powder_scrap[:, :, cats]).sum()
                if len(good) and lost:
                    absorbed[good, k] = lost * mass[good] / mass[good].sum()
    return acc, scrap, absorbed, scrap_absorbed


def _lot_frame(rep: Replication, q: Quantity, acc: np.ndarray, scrap: np.ndarray, absorbed: np.ndarray,
               scrap_absorbed: np.ndarray) -> pd.DataFrame:
    """The per-lot table of one followed quantity (its columns built at once, not inserted one by one)."""
    u = q.unit
    columns = {q.total: acc.sum(axis=(1, 2)) + absorbed, f"scrap_{u}": scrap.sum(axis=(1, 2)),
               f"absorbed_scrap_{u}": absorbed, f"absorbed_scrap_lost_{u}": scrap_absorbed}
    for i, line in enumerate(COST_LINES):
        for j, cat in enumerate(q.spent):
            columns[f"{line}.{cat}_{u}"] = acc[:, i, j]
    lots = rep.lots
    ids = {c: lots[c] for c in ("lot_id", "line", "status")}  # Series: their dtype kept, no type inference
    return pd.DataFrame({**ids, **columns}, index=lots.index)


# ----------------------------------------------------------------------------- 3. attribution
def attribution(ledger_df: pd.DataFrame, lots: pd.DataFrame, scrap: np.ndarray,
                categories: tuple[str, ...] = CATEGORIES, unit: str = "usd") -> pd.DataFrame:
    """Line x category table, scrap moved to the line that scrapped it; sums to the ledger total.
    ``categories`` ends with ``scrap``; the others are the ones the quantity is spent in."""
    spent = [c for c in categories if c != "scrap"]
    table = ledger_df.pivot_table(index="line", columns="category", values=unit, aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=list(COST_LINES), columns=list(categories), fill_value=0.0)
    # the moves on the table's values (the same subtractions and additions as through .loc, which
    # costs a pandas call per cell)
    values = table.to_numpy(copy=True)
    spent_at = [table.columns.get_loc(c) for c in spent]
    scrap_at = table.columns.get_loc("scrap")
    values[:, spent_at] -= scrap.sum(axis=0)  # (line spent in, category)
    where = lots["line"].map(OWNER).to_numpy()
    per_lot = scrap.sum(axis=(1, 2))
    for i, line in enumerate(COST_LINES):
        values[i, scrap_at] += float(per_lot[where == line].sum())
    return pd.DataFrame(values, index=table.index, columns=table.columns)


# ----------------------------------------------------------------------------- 4. unit costs
def output_masks(rep: Replication) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``rep.lots``: good powder (released or consumed powder lots) and released
    prelithiated rolls, the outputs unit costs and footprints are per; built once per replication."""
    if "output_masks" not in rep.memo:
        status = rep.lots["status"].to_numpy()
        good_powder = rep.kind_mask(LotKind.POWDER) & _one_of(status, (LotStatus.RELEASED, LotStatus.CONSUMED))
        rep.memo["output_masks"] = (good_powder, rep.kind_mask(LotKind.PRELITH_ROLL) & (status == LotStatus.RELEASED))
    masks: tuple[np.ndarray, np.ndarray] = rep.memo["output_masks"]
    return masks


def cost_of(rep: Replication, loaded: LoadedScenario) -> CostResult:
    direct = direct_costs(rep, loaded)
    led = ledger(rep, loaded, direct)
    lots_cost, scrap = lot_costs(rep, led, direct)
    table = attribution(led, lots_cost, scrap)
    lots = rep.lots
    total = float(led["usd"].sum())
    good_powder, released = output_masks(rep)
    powder_kg = float(lots.loc[good_powder, "mass_kg"].sum())
    # good powder carries the powder lines' scrap (absorbed); when nothing was released it is lost
    powder_usd = float(lots_cost.loc[good_powder, "cost_usd"].sum())
    m2 = float(lots.loc[released, "area_m2"].sum()) if "area_m2" in lots else 0.0
    # electrode scrap, with the powder-scrap share its powder carried
    electrode_scrap = (float(table.loc[[OWNER[k] for k in (LotKind.MIX, LotKind.ROLL, LotKind.PRELITH_ROLL)], "scrap"].sum())
                       + float(lots_cost["absorbed_scrap_lost_usd"].sum()))
    electrode_usd = float(lots_cost.loc[released, "cost_usd"].sum()) + electrode_scrap
    per_kg = powder_usd / powder_kg if powder_kg else math.nan
    cvd = rep.of(LotKind.CVD)
    scaffold_kg = float(lots.loc[rep.kind_mask(LotKind.SCAFFOLD), "mass_kg"].sum())
    li_kg = (float(lots.loc[rep.kind_mask(LotKind.PRELITH_ROLL), "li_applied_kg"].sum()) if "li_applied_kg" in lots
             else 0.0)
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
    """Released prelithiated rolls and, row for row, the electrode rolls they were made from (built
    once per replication: the cell and the performance figures both read them; read-only)."""
    if "released_cells" not in rep.memo:
        rep.memo["released_cells"] = _build_released_cells(rep)
    cells: tuple[pd.DataFrame, pd.DataFrame] = rep.memo["released_cells"]
    return cells


def _build_released_cells(rep: Replication) -> tuple[pd.DataFrame, pd.DataFrame]:
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
