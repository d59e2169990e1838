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

__all__ = ["add_backend_args", "add_common_args", "backend_from_args", "guarded", "kpi_table", "positive_int",
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
            lines.append(f"  {k.label:<46} {text:>18} {k.unit}")
    return "\n".join(lines)


def print_points(design: Any, table: Any) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.float_format", "{:,.4g}".format):
        print(pd.concat([design, table.set_axis([f"{a} {b}" for a, b in table.columns], axis=1)], axis=1).to_string())


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
