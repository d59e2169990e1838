"""``twin`` command line: run and validate scenarios."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.errors import InputError

__all__ = ["main"]

TABLE = [
    ("Powder", [("powder.output_kg", "Released Si/C powder", "kg", 0), ("powder.output_t_per_yr", "  annualised", "t/yr", 0),
               ("powder.lots_released", "Lots released", "", 0), ("powder.lots_rejected", "Lots rejected (off-spec)", "", 0),
               ("powder.lots_in_quarantine", "Lots in quarantine at end", "", 0)]),
    ("FBCVD (Si infiltration)", [("fbcvd.batches_completed", "Batches completed", "", 0),
               ("fbcvd.batches_scrapped", "Batches scrapped (breakdown)", "", 0),
               ("fbcvd.silane_fed_kg", "Silane fed", "kg", 0), ("fbcvd.silane_utilization", "Silane utilisation (Si deposited / Si fed)", "", 3),
               ("fbcvd.fines_fraction", "Fines (of Si fed)", "", 4), ("fbcvd.si_loading_wt_mean", "Si loading", "wt frac", 3),
               ("fbcvd.pore_fill_mean", "Pore fill", "", 3), ("fbcvd.crystallite_nm_mean", "Si crystallite", "nm", 2),
               ("fbcvd.sic_fraction_mean", "SiC share of Si", "", 3), ("fbcvd.reactor_utilization", "Reactor utilisation (working)", "", 3)]),
    ("Carbon coating", [("coating.shell_nm_mean", "Shell thickness", "nm", 2),
               ("coating.exposed_si_fraction_mean", "Exposed Si (alkali H2 test)", "", 4),
               ("coating.reactor_utilization", "Reactor utilisation (working)", "", 3)]),
    ("Powder quality (tested lots)", [("powder.si_content_wt_mean", "Si content", "wt frac", 3),
               ("powder.capacity_mah_g_mean", "Reversible capacity", "mAh/g", 0), ("powder.ice_mean", "ICE", "", 4),
               ("powder.surface_area_m2_g_mean", "BET surface area", "m2/g", 2)]),
    ("Slurry casting (electrode rolls)", [("casting.output_m2", "Good electrode", "m2", 0),
               ("casting.rolls_made", "Mother rolls coated", "", 0), ("casting.rolls_scrapped", "Rolls scrapped", "", 0),
               ("casting.areal_capacity_mah_cm2_mean", "Areal capacity (per side)", "mAh/cm2", 2),
               ("casting.press_density_g_cm3_mean", "Press density", "g/cm3", 3),
               ("casting.crack_scrap_fraction", "Area scrapped for cracks", "", 4),
               ("casting.scrap_fraction", "Area not ending as good electrode", "", 4),
               ("casting.dryer_energy_kwh", "Dryer energy", "kWh", 0)]),
    ("Prelithiation", [("prelith.output_m2", "Released prelithiated electrode", "m2", 0),
               ("prelith.ice_mean", "ICE after prelithiation", "", 4),
               ("prelith.residual_li_fraction", "Residual Li (of Li applied)", "", 4),
               ("prelith.rolls_scrapped", "Rolls scrapped", "", 0), ("prelith.li_used_kg", "Li used", "kg", 0)]),
    ("Cost", [("cost.total_usd", "Total cost over the horizon", "USD", 0),
               ("cost.powder_usd_per_kg", "Good Si/C powder", "USD/kg", 2),
               ("cost.target_gap_usd_per_kg", "  gap to the target", "USD/kg", 2),
               ("cost.electrode_usd_per_m2", "Good prelithiated electrode", "USD/m2", 3),
               ("cost.anode_usd_per_kwh", "Anode (our electrode) per kWh of cells", "USD/kWh", 2),
               ("cost.cell_usd_per_kwh", "Reference NCM811 cell", "USD/kWh", 2),
               ("cost.target_gap_usd_per_kwh", "  gap to the target", "USD/kWh", 2),
               ("cost.scrap_usd", "Cost that ended in scrap", "USD", 0),
               ("cell.energy_wh_kg", "Reference cell energy", "Wh/kg", 0), ("cell.energy_wh_l", "", "Wh/L", 0)]),
    ("Yield", [("yield.overall_first_pass", "First pass, whole plant", "", 4),
               ("yield.fbcvd.first_pass", "  FBCVD batches", "", 4), ("yield.coating.first_pass", "  powder lots released", "", 4),
               ("yield.casting.first_pass", "  coated area to good electrode", "", 4),
               ("yield.prelith.first_pass", "  prelithiated rolls released", "", 4),
               ("yield.overall_si", "Si from silane into good electrode", "", 4),
               ("yield.carbon_scaffold", "Scaffold carbon into released powder", "", 4),
               ("yield.coating.acetylene_carbon", "Acetylene carbon into shells", "", 4),
               ("yield.li", "Li paying the first-cycle loss", "", 4)]),
    ("Plant", [("plant.bottleneck", "Bottleneck line", "", None),
               ("plant.bottleneck_active_share", "  its active share (working or down)", "", 3)]),
    ("Checks", [("mass_balance.si_rel_error", "Si mass balance, relative error", "", -1),
                ("mass_balance.li_rel_error", "Li mass balance, relative error", "", -1),
                ("mass_balance.water_rel_error", "Water mass balance, relative error", "", -1),
                ("sim.events", "SimPy events processed", "", 0), ("sim.wall_s", "Wall time", "s", 2)]),
]


def _fmt(value: Any, digits: int | None) -> str:
    if digits is None or isinstance(value, str):
        return str(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if digits < 0:
        return f"{value:.1e}"
    return f"{value:,.{digits}f}"


def kpi_table(summary: dict[str, Any]) -> str:
    lines = [f"Scenario {summary['scenario']}  (parameter set {summary['parameter_set']}, seed {summary['seed']}, "
             f"{summary['replications']} replication(s), horizon {summary['horizon_h']:g} h)"]
    for title, rows in TABLE:
        lines.append("")
        lines.append(title)
        for key, label, unit, digits in rows:
            text = _fmt(summary.get(key), digits)
            ci = summary.get(f"{key}.ci95_half")
            if ci is not None and math.isfinite(ci):
                text += f" +/- {_fmt(ci, digits if digits is not None and digits >= 0 else 2)}"
            lines.append(f"  {label:<46} {text:>18} {unit}")
    quality = sorted(k[: -len(".cpk")] for k in summary if k.startswith("quality.") and k.endswith(".cpk"))
    if quality:
        lines += ["", f"Quality consistency (lots){'':<22} {'mean':>12} {'CV':>8} {'Cpk':>7} {'in spec':>8}"]
        for q in quality:
            lines.append(f"  {q[len('quality.'):]:<46} {_fmt(summary.get(q + '.mean'), 4):>12} {_fmt(summary.get(q + '.cv'), 4):>8} "
                         f"{_fmt(summary.get(q + '.cpk'), 2):>7} {_fmt(summary.get(q + '.in_spec'), 3):>8}")
    parts = [(k.split(".")[3].removesuffix("_usd_per_kg"), summary[k]) for k in summary
             if k.startswith("cost.waterfall.powder.") and not k.endswith("ci95_half")]
    total = summary.get("cost.powder_usd_per_kg")
    if parts and total is not None and math.isfinite(total) and total > 0:
        lines += ["", "Cost of a good kg of powder (USD/kg)"]
        scale = 40.0 / max(total, summary.get("cost.target_usd_per_kg") or 0.0)
        for name, value in [*parts, ("total", total), ("target", summary.get("cost.target_usd_per_kg"))]:
            if value is None or not math.isfinite(value):
                continue
            lines.append(f"  {name:<12} {value:>9.2f}  {'#' * round(max(value, 0.0) * scale)}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="twin", description="Si/C manufacturing digital twin")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a scenario and write its results")
    run.add_argument("scenario", type=Path)
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE",
                     help="override a scenario value, e.g. settings.fbcvd.bed_temperature_c=480 (repeatable)")
    run.add_argument("--seed", type=int, help="override the scenario seed")
    run.add_argument("--replications", type=int, help="override the number of replications")
    run.add_argument("--out", type=Path, help="output folder (default output/<scenario name>)")
    val = sub.add_parser("validate", help="check a scenario and its parameter set")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from twin import study  # the composition root imports the plant; keep --help fast

    try:
        sets = list(args.sets)
        if getattr(args, "seed", None) is not None:
            sets.append(f"seed={args.seed}")
        if getattr(args, "replications", None) is not None:
            sets.append(f"replications={args.replications}")
        loaded = study.load(args.scenario, sets)
        if args.command == "validate":
            n_placeholder = sum(1 for s in loaded.sources.values() if s.is_placeholder)
            print(f"{args.scenario}: valid (parameter set {loaded.params.name}@{loaded.params.version}, "
                  f"{len(loaded.sources)} sourced parameters, {n_placeholder} of them placeholders)")
            return 0
        result = study.run(loaded)
        out = args.out or Path("output") / loaded.scenario.name
        study.write_outputs(result, out)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(kpi_table(result.summary))
    print(f"\nResults written to {out}/ (summary.json, lots, events, genealogy, levels, costs and quality_drivers .parquet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
