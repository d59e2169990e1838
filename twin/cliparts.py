"""Command-line pieces any plant's CLI uses: backend options, the common scenario options, the KPI
table, the sweep table and the mapping of errors to exit codes."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.experiments import Backend, BackendKind
from twin.kpis import KpiRegistry, format_value

__all__ = ["add_backend_args", "add_common_args", "backend_from_args", "guarded", "kpi_table", "points_frame", "positive_int",
           "print_points", "sets_from_args"]


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be at least 1")
    return n


def add_backend_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where it runs (default: a local process pool over all cores)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--workers", type=positive_int, metavar="N", help="local process pool of N workers")
    x.add_argument("--serial", action="store_true", help="run in this process, one task after the other")
    x.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="send the work to a running Dask scheduler")
    x.add_argument("--dask-local", type=positive_int, metavar="N", help="start a Dask LocalCluster of N worker processes")


def backend_from_args(args: argparse.Namespace) -> Backend:
    if args.serial:
        return Backend(BackendKind.SERIAL)
    if args.scheduler:
        return Backend(BackendKind.DASK, 0, args.scheduler)
    if args.dask_local is not None:
        return Backend(BackendKind.DASK, args.dask_local)
    return Backend(BackendKind.POOL, args.workers or 0)


def add_common_args(p: argparse.ArgumentParser, store_help: str) -> None:
    p.add_argument("scenario", type=Path)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.path=VALUE",
                   help="override a scenario value, e.g. settings.<line>.<setting>=VALUE (repeatable)")
    p.add_argument("--seed", type=int, help="override the scenario seed")
    p.add_argument("--replications", type=int, help="override the number of replications")
    p.add_argument("--store", type=Path, help=store_help)


def sets_from_args(args: argparse.Namespace) -> list[str]:
    """The ``--set`` lines, with ``--seed`` and ``--replications`` as two more."""
    sets = list(args.sets)
    if getattr(args, "seed", None) is not None:
        sets.append(f"seed={args.seed}")
    if getattr(args, "replications", None) is not None:
        sets.append(f"replications={args.replications}")
    return sets


def kpi_table(summary: Mapping[str, Any], registry: KpiRegistry, header: str) -> str:
    """The registry's groups of KPIs as a plain-text table, each value with its 95 % half-width."""
    lines = [header]
    for title, kpis in registry.groups():
        lines += ["", title]
        for k in kpis:
            text = format_value(summary.get(k.key), k.digits)
            ci = summary.get(f"{k.key}.ci95_half")
            if isinstance(ci, float) and math.isfinite(ci):
                text += f" +/- {format_value(ci, k.digits if k.digits is not None and k.digits >= 0 else 2)}"
            share = summary.get(f"provenance.placeholder_share.{k.key}")
            note = f"  [{share:.0%} placeholders]" if isinstance(share, float) and math.isfinite(share) else ""
            lines.append(f"  {k.label:<46} {text:>18} {k.unit}{note}")
    share = summary.get("provenance.placeholder_share")
    if isinstance(share, float) and math.isfinite(share):
        lines += ["", f"{share:.0%} of the parameter set's values are placeholders (flag U); [x % placeholders] "
                      "beside a figure: the share among the parameters it depends on."]
    return "\n".join(lines)


def _short_names(paths: list[str]) -> dict[str, str]:
    """Setting paths by their last part where that is unambiguous (``settings.fbcvd.bed_temperature_c``
    -> ``bed_temperature_c``), else whole."""
    last = [p.rsplit(".", 1)[-1] for p in paths]
    return {p: (s if last.count(s) == 1 else p) for p, s in zip(paths, last, strict=True)}


def _setting(v: Any) -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.6g}"


def points_frame(design: Any, table: Any, registry: KpiRegistry | None = None, keys: list[str] | None = None) -> Any:
    """A sweep's table as text cells: the point, its settings, and each KPI (in the order of ``keys``,
    default the table's) as ``mean ± half-width`` (headers: the registry's label and unit, or the key)."""
    import pandas as pd

    names = _short_names([str(c) for c in design.columns])
    out = pd.DataFrame({"point": [str(i) for i in design.index]}, index=design.index)
    for c in design.columns:
        out[names[str(c)]] = [_setting(v) for v in design[c].tolist()]
    present = list(dict.fromkeys(a for a, _ in table.columns))
    for key in [k for k in keys if k in present] + [k for k in present if k not in keys] if keys else present:
        kpi = registry.find(key) if registry is not None else None
        digits = kpi.digits if kpi is not None else 4
        mean = table[(key, "mean")].reindex(design.index) if (key, "mean") in table.columns else None
        half = table[(key, "ci95_half")].reindex(design.index) if (key, "ci95_half") in table.columns else None
        cells = []
        for i in design.index:
            text = format_value(mean[i] if mean is not None else None, digits)
            h = half[i] if half is not None else math.nan
            if isinstance(h, float) and math.isfinite(h) and text != "n/a":
                text += f" ± {format_value(h, digits if digits is not None and digits >= 0 else 2)}"
            cells.append(text)
        header = kpi.axis_label() if kpi is not None else key
        out[header if header not in out.columns else key] = cells
    return out.reset_index(drop=True)


def print_points(design: Any, table: Any, registry: KpiRegistry | None = None, width: int | None = None,
                 keys: list[str] | None = None) -> None:
    """The sweep table, fitted to the terminal (see :mod:`twin.tables`): the point and its settings
    always, then as many KPIs (in the order of ``keys``: most important first) as fit; the rest are
    named under it."""
    from twin.tables import render

    frame = points_frame(design, table, registry, keys)
    settings = [str(c) for c in frame.columns[1:1 + len(design.columns)]]
    print(render(frame, keep=["point", *settings], no_wrap=["point"], right=list(frame.columns[1:]), width=width))
    full = {short: path for path, short in _short_names([str(c) for c in design.columns]).items() if short != path}
    if full:
        from twin.tables import wrap_lines

        print("\n".join(wrap_lines("settings: " + ", ".join(f"{s} = {p}" for s, p in full.items()), width)))


def guarded(main: Callable[[], int], expected: tuple[type[BaseException], ...] = ()) -> int:
    """Run a command: bad input (and the ``expected`` errors) print one line and exit 2, Ctrl-C exits 130."""
    caught: tuple[type[BaseException], ...] = (InputError, ConnectionError, *expected)
    try:
        return main()
    except caught as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: what finished is kept in the run store; nothing else was written", file=sys.stderr)
        return 130
