"""Experiments: replications, sweeps and sensitivity studies of a plant's scenario, run on a
backend and kept in the run store.

Every (point, replication) is one task; each point's scenario is the base scenario plus that
point's ``--set`` lines, and every point uses the scenario's seed, so replication *r* of every point
draws the same random streams (common random numbers: differences between points are the settings,
not noise). Results go to the store as they arrive, one transaction each; ``resume=True`` continues
the latest unfinished experiment of the same content, recomputing only what is not stored (when
only complete ones exist, it returns the latest of them and computes nothing).

The plant is reached through :class:`twin.protocol.Plant` only.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from twin.designs import point_sets
from twin.errors import InputError, Problem, suggest
from twin.experiments import Backend, BackendKind, Progress, chunked, execute
from twin.protocol import Plant, Scenario
from twin.provenance import code_version, default_store_path, sha256_text
from twin.provenance import run_id as new_run_id
from twin.stats import grouped
from twin.store import RunKind, RunStatus, RunStore

__all__ = ["Experiment", "Outcome", "RunKind", "RunStatus", "known_kpis", "run_experiment", "summarize_points", "work"]


@dataclass(frozen=True)
class Job:
    plant: Plant
    loaded: Scenario
    point_id: int
    replication: int
    keep_lots: bool = True


@dataclass(frozen=True)
class Outcome:
    point_id: int
    replication: int
    seed: int
    summary: dict[str, Any]
    lots: pd.DataFrame | None
    wall_s: float


def work(chunk: list[Job]) -> list[Outcome]:
    """Simulate and evaluate each job of a chunk (runs in a worker process)."""
    out = []
    for job in chunk:
        t0 = time.perf_counter()
        done = job.plant.replicate(job.loaded, job.replication)
        lots = done.lot_table() if job.keep_lots else None
        out.append(Outcome(job.point_id, job.replication, job.loaded.seed, dict(done.summary), lots,
                           time.perf_counter() - t0))
    return out


@dataclass(frozen=True)
class Experiment:
    run_id: str
    complete: bool
    design: pd.DataFrame
    kpis: pd.DataFrame  # index (point_id, replication), one column per KPI
    store_path: Path
    computed: int  # tasks computed in this call (the rest were already stored)


def _content_id(kind: str, base: Scenario, design: pd.DataFrame, replications: int, version: str) -> str:
    """What makes two experiments the same: the kind, the scenario (with its --set lines), the
    resolved parameter set (an edited parameter file changes it), the design, the replications and
    the code version (changed code gives other numbers: a resume never mixes them)."""
    h = hashlib.sha256()
    for part in (kind, base.text, base.fingerprint(), design.to_csv(), str(replications), version):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return f"{kind}-{h.hexdigest()[:12]}"


def run_experiment(plant: Plant, kind: RunKind, base: Scenario, design: pd.DataFrame, replications: int, backend: Backend,
                   store_path: str | os.PathLike[str] | None = None, resume: bool = False, keep_lots: bool = True,
                   progress: bool = True) -> Experiment:
    """Run every (point, replication) of ``design`` x ``range(replications)`` and store it.

    Every point is validated before anything runs (a bad value is an :class:`InputError` naming the
    point and the field). Returns when all tasks are stored, or after Ctrl-C with ``complete=False``.
    """
    points: dict[int, Scenario] = {}
    for pid in design.index:
        sets = point_sets(design, pid)
        try:
            points[int(pid)] = base.with_set(*sets)
        except InputError as exc:
            raise InputError([Problem(p.file, f"point {pid} ({', '.join(sets)}): {p.path}", p.value, p.message, p.suggestion)
                              for p in exc.problems]) from None
    store_path = Path(store_path) if store_path is not None else default_store_path()
    version = code_version()
    prefix = _content_id(kind, base, design, replications, version)
    with RunStore(store_path) as store:
        run_id = None
        if resume:  # the latest unfinished experiment of exactly this content
            runs = store.runs()
            same = runs[runs["run_id"].str.startswith(prefix)].sort_values("created", kind="stable")
            mine = same[same["status"] != RunStatus.COMPLETE]
            finished = same[same["status"] == RunStatus.COMPLETE]
            if len(mine):
                run_id = str(mine["run_id"].iloc[-1])
            elif len(finished):  # all of it is stored already: nothing to compute, nothing to start
                run_id = str(finished["run_id"].iloc[-1])
                if progress:
                    print(f"nothing to resume: run {run_id} is complete (in {store_path}); "
                          "run without --resume to compute it again", file=sys.stderr)
                return Experiment(run_id, True, design, store.kpis(run_id), store_path, 0)
            elif progress:
                print(f"nothing to resume: no unfinished {kind} with this scenario, parameter set, design and code "
                      f"version ({version}) in {store_path}; starting a new one", file=sys.stderr)
        if run_id is None:
            run_id = new_run_id(prefix)
        ident = getattr(plant, "parameter_set_of", None)  # optional: which parameter set (name, sha256) it used
        pset, pset_sha = ident(base) if callable(ident) else (None, None)
        store.begin_run(run_id, kind, base.name, base.text, sha256_text(base.text), version, base.seed, replications, design,
                        parameter_set=pset, parameter_set_sha256=pset_sha)
        done = store.done(run_id)
        jobs = [Job(plant, points[pid], pid, r, keep_lots) for pid in sorted(points) for r in range(replications)
                if (pid, r) not in done]
        bar = Progress(len(jobs), label=f"{kind} {run_id}", enabled=progress)

        def keep(outcomes: list[Outcome]) -> None:  # a chunk: stored in one transaction, all or none
            store.add_results(run_id, [(o.point_id, o.replication, o.seed, o.summary, o.lots, o.wall_s) for o in outcomes])

        try:
            finished = execute(work, chunked(jobs, backend.n_workers if backend.kind is not BackendKind.SERIAL else 1),
                               backend, keep, bar)
        except BaseException:
            store.finish_run(run_id, RunStatus.FAILED)  # what finished is stored; the run says it did not end well
            raise
        complete = finished and len(store.done(run_id)) == len(points) * replications
        store.finish_run(run_id, RunStatus.COMPLETE if complete else RunStatus.INTERRUPTED)
        kpis = store.kpis(run_id)
    return Experiment(run_id, complete, design, kpis, store_path, bar.done)


def known_kpis(plant: Plant, scenario: Scenario) -> dict[str, Any]:
    """KPI names (with a sample value, for the type) from a one-hour dry run of the scenario: cheap,
    and catches a misspelt KPI before hours of simulation."""
    return dict(plant.replicate(scenario.with_set("horizon_h=1", "warmup_h=0"), 0).summary)


def summarize_points(kpis: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Per point: mean and Student-t 95 % half-width of each numeric KPI over replications."""
    num = kpis.select_dtypes("number")
    if keys:
        missing = [k for k in keys if k not in num.columns]
        if missing:
            raise InputError.single("--kpi", missing[0], "is not a numeric KPI of this run",
                                    suggestion=suggest(missing[0], num.columns))
        num = num[keys]
    mean, half, _ = grouped(num, num.index.get_level_values("point_id"))
    mean.index.name = half.index.name = "point_id"
    out = pd.concat({"mean": mean, "ci95_half": half}, axis=1)
    return out.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
