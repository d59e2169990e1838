"""Experiments: replications, sweeps and sensitivity studies, run on a backend and kept in the run store.

Composition root (like :mod:`twin.study`): it meets the plant here. Every (point, replication) is
one task; each point's scenario is the base scenario plus that point's ``--set`` lines, and every
point uses the scenario's seed, so replication *r* of every point draws the same random streams
(common random numbers: differences between points are the settings, not noise). Results go to
the store as they arrive, one transaction each; ``resume=True`` continues the latest unfinished
experiment of the same content, recomputing only what is not stored.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from plants.evaluate import evaluate
from plants.plant import simulate
from plants.scenario import LoadedScenario, load_scenario
from twin.designs import point_sets
from twin.errors import InputError, Problem
from twin.experiments import Backend, Progress, chunked, execute
from twin.store import RunStore

__all__ = ["Experiment", "Outcome", "code_version", "default_store_path", "known_kpis", "run_experiment",
           "summarize_points"]

def default_store_path() -> Path:
    return Path(os.environ.get("TWIN_STORE", Path("output") / "runs.duckdb"))


def code_version() -> str:
    """Package version plus the git commit (and "+dirty" when the tree has changes), if in a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("sic-twin")
    except PackageNotFoundError:
        v = "0+unknown"
    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                               text=True, timeout=5, check=True).stdout.strip()
        return f"{v}+g{sha}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return v


@dataclass(frozen=True)
class Job:
    loaded: LoadedScenario
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
        rep = simulate(job.loaded, job.replication)
        ev = evaluate(rep, job.loaded)
        lots = None
        if job.keep_lots:
            lots = rep.lots.assign(cost_usd=ev.cost.lots["cost_usd"].to_numpy(), scrap_usd=ev.cost.lots["scrap_usd"].to_numpy())
        out.append(Outcome(job.point_id, job.replication, job.loaded.scenario.seed, ev.summary, lots,
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


def _content_id(kind: str, base: LoadedScenario, design: pd.DataFrame, replications: int, version: str) -> str:
    """What makes two experiments the same: the kind, the scenario (with its --set lines), the
    resolved parameter set (an edited parameter file changes it), the design, the replications and
    the code version (changed code gives other numbers: a resume never mixes them)."""
    h = hashlib.sha256()
    for part in (kind, base.text, base.params.model_dump_json(), design.to_csv(), str(replications), version):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return f"{kind}-{h.hexdigest()[:12]}"


def run_experiment(kind: str, base_path: str | os.PathLike[str], base_sets: list[str], design: pd.DataFrame,
                   replications: int, backend: Backend, store_path: str | os.PathLike[str] | None = None,
                   resume: bool = False, keep_lots: bool = True, progress: bool = True) -> Experiment:
    """Run every (point, replication) of ``design`` x ``range(replications)`` and store it.

    Every point is validated before anything runs (a bad value is an :class:`InputError` naming the
    point and the field). Returns when all tasks are stored, or after Ctrl-C with ``complete=False``.
    """
    base = load_scenario(Path(base_path), base_sets)
    points: dict[int, LoadedScenario] = {}
    for pid in design.index:
        sets = point_sets(design, pid)
        try:
            points[int(pid)] = load_scenario(Path(base_path), base_sets + sets)
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
            mine = runs[runs["run_id"].str.startswith(prefix) & (runs["status"] != "complete")].sort_values("created")
            if len(mine):
                run_id = str(mine["run_id"].iloc[-1])
            elif progress:
                print(f"nothing to resume: no unfinished {kind} with this scenario, parameter set, design and code "
                      f"version ({version}) in {store_path}; starting a new one", file=sys.stderr)
        if run_id is None:
            run_id = f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        store.begin_run(run_id, kind, base.scenario.name, base.text, hashlib.sha256(base.text.encode()).hexdigest(),
                        version, base.scenario.seed, replications, design)
        done = store.done(run_id)
        jobs = [Job(points[pid], pid, r, keep_lots) for pid in sorted(points) for r in range(replications)
                if (pid, r) not in done]
        bar = Progress(len(jobs), label=f"{kind} {run_id}", enabled=progress)

        def keep(outcomes: list[Outcome]) -> None:  # a chunk: stored in one transaction, all or none
            store.add_results(run_id, [(o.point_id, o.replication, o.seed, o.summary, o.lots, o.wall_s) for o in outcomes])

        try:
            finished = execute(work, chunked(jobs, backend.n_workers if backend.kind != "serial" else 1), backend, keep, bar)
        except BaseException:
            store.finish_run(run_id, "failed")  # what finished is stored; the run says it did not end well
            raise
        complete = finished and len(store.done(run_id)) == len(points) * replications
        store.finish_run(run_id, "complete" if complete else "interrupted")
        kpis = store.kpis(run_id)
    return Experiment(run_id, complete, design, kpis, store_path, bar.done)


def known_kpis(path: str | os.PathLike[str], sets: list[str]) -> dict[str, Any]:
    """KPI names (with a sample value, for the type) from a one-hour dry run of the scenario: cheap,
    and catches a misspelt KPI before hours of simulation."""
    loaded = load_scenario(Path(path), sets + ["horizon_h=1", "warmup_h=0"])
    return evaluate(simulate(loaded), loaded).summary


def summarize_points(kpis: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Per point: mean and Student-t 95 % half-width of each numeric KPI over replications."""
    from scipy import stats

    num = kpis.select_dtypes("number")
    if keys:
        missing = [k for k in keys if k not in num.columns]
        if missing:
            from twin.errors import suggest

            raise InputError.single("--kpi", missing[0], "is not a numeric KPI of this run",
                                    suggestion=suggest(missing[0], num.columns))
        num = num[keys]
    g = num.groupby(level="point_id")
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    half = sd * stats.t.ppf(0.975, (n - 1).clip(lower=1)) / n.pow(0.5)
    half = half.where(n > 1)
    out = pd.concat({"mean": mean, "ci95_half": half}, axis=1)
    return out.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
