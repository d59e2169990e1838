"""Sample the twin, fit surrogates, solve the MILP, verify with the twin, repeat in a trust region.

The twin is reached only through the ``evaluate`` callable the caller passes in (the composition
root runs the simulations); this package never imports the simulation. Each round:

1. fit the additive piecewise-linear surrogates (:mod:`optimization.surrogate`) to every KPI the
   objective and the limits need, on all points evaluated so far;
2. predict them at every candidate recipe (the full factorial of the decision levels, or a
   seeded sample of it when larger than the budget allows) and solve the recipe-choice MILP
   (:mod:`optimization.model`, :mod:`optimization.solve`);
3. verify the chosen candidate with fresh twin replications (another seed than sampling);
   agreement means the objective within the tolerance (or within the verification's 95 % interval,
   when the twin's noise is wider) and every limit met by the verified means.
   Either way the verified point joins the samples, new samples are drawn in a box around the
   candidate that halves every round (the trust region), and the next round starts.

It stops when a candidate the twin agreed with is chosen again by the surrogate refitted with the
samples around it (confirmation: agreement alone can land on a worse recipe whose prediction
happens to be right), or when the evaluation budget is spent; it reports the verified figures of
the best verified candidate.
If the MILP is infeasible it reports the smallest relaxations (an elastic re-solve) and, for a
problem with a cost limit, the lowest reachable cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import SupportsFloat

import numpy as np
import pandas as pd

from optimization.model import ConstraintRow, OptData, build_model
from optimization.solve import Solver, SolveResult, Status
from optimization.surrogate import Space, fit

__all__ = ["Limit", "OptimizationResult", "Problem", "optimize"]

# Evaluate(design, replications, first_replication) -> KPIs, index (point_id, replication)
Evaluate = Callable[[pd.DataFrame, int, int], pd.DataFrame]
# Summarize(KPIs of one point's replications) -> index KPI, columns mean, ci95_half, n (the caller's
# statistics: the optimizer computes no intervals of its own)
Summarize = Callable[[pd.DataFrame], pd.DataFrame]

VERIFY_BASE = 1000  # replication numbers of verification runs start here: never used for sampling


@dataclass(frozen=True)
class Limit:
    """``sum(weight * KPI) >= rhs`` (or ``<=``): e.g. mean - z std >= LSL."""

    name: str
    terms: tuple[tuple[str, float], ...]
    sense: str  # ">=" or "<="
    rhs: float
    unit: str = ""

    def value(self, kpis: pd.Series | pd.DataFrame) -> float | pd.Series:
        return sum(w * kpis[k] for k, w in self.terms)

    def met(self, v: float, tol: float = 0.0) -> bool:
        slack = v - self.rhs if self.sense == ">=" else self.rhs - v
        return bool(slack >= -tol * max(abs(self.rhs), 1e-12))


@dataclass(frozen=True)
class Problem:
    space: Space
    levels: dict[str, tuple[float | str, ...]]
    objective: str  # KPI
    sense: str  # "min" or "max"
    objective_unit: str
    limits: tuple[Limit, ...]
    evaluations: int
    replications: int = 1
    verify_replications: int = 3
    tolerance: float = 0.02
    initial_points: int | None = None
    max_candidates: int = 20000
    seed: int = 0
    prices: dict[str, float] = field(default_factory=dict)  # material -> base price
    quantities: dict[str, str] = field(default_factory=dict)  # material -> KPI: its use per unit of objective output
    tradeoff: tuple[Limit, tuple[float, ...]] | None = None  # a limit whose rhs is swept
    start: dict[str, float | str] | None = None  # today's settings (on the levels): always sampled

    @property
    def kpis(self) -> list[str]:
        out = [self.objective, *(k for lim in self.limits for k, _ in lim.terms), *self.quantities.values()]
        if self.tradeoff is not None:
            out += [k for k, _ in self.tradeoff[0].terms]
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class OptimizationResult:
    status: str  # "optimal (verified)", "budget exhausted", "infeasible", or a solver status
    objective: float  # verified (NaN when there is no verified solution)
    settings: dict[str, float | str]
    predicted: pd.Series  # surrogate KPIs at the chosen settings
    verified: pd.DataFrame  # per KPI: mean, ci95_half, n
    limits: pd.DataFrame  # name, sense, rhs, predicted, verified, met, binding, marginal
    evaluations: int
    history: pd.DataFrame  # round, evaluations, predicted objective, verified objective, agreed
    samples: pd.DataFrame  # every evaluated point (settings + KPI means)
    relaxations: pd.DataFrame  # when infeasible: constraint, rhs, relax_by, relaxed_rhs
    tradeoff: pd.DataFrame  # limit rhs, status, predicted objective, settings
    message: str = ""


def _candidates(p: Problem) -> pd.DataFrame:
    names = list(p.levels)
    total = math.prod(len(v) for v in p.levels.values())
    if total <= p.max_candidates:
        rows = list(itertools.product(*(p.levels[n] for n in names)))
    else:  # a seeded sample of the factorial
        rng = np.random.default_rng(np.random.SeedSequence([p.seed, 0xCA4D]))
        idx = {tuple(int(rng.integers(len(p.levels[n]))) for n in names) for _ in range(p.max_candidates * 2)}
        rows = [tuple(p.levels[n][i] for n, i in zip(names, ix, strict=True)) for ix in sorted(idx)[: p.max_candidates]]
    return pd.DataFrame(rows, columns=names)


def _lhs_on_levels(p: Problem, n: int, rng: np.random.Generator, centre: pd.Series | None = None,
                   radius: float = 1.0) -> pd.DataFrame:
    """``n`` points, stratified per decision, snapped to its levels; within ``radius`` (share of the
    level range) of ``centre`` when given."""
    cols = {}
    for name, lv in p.levels.items():
        k = len(lv)
        if centre is None:
            lo_i, hi_i = 0, k - 1
        else:
            c = lv.index(centre[name]) if centre[name] in lv else k // 2
            span = max(1, round(radius * (k - 1)))
            lo_i, hi_i = max(0, c - span), min(k - 1, c + span)
        u = (rng.permutation(n) + rng.random(n)) / n
        cols[name] = [lv[lo_i + min(hi_i - lo_i, int(x * (hi_i - lo_i + 1)))] for x in u]
    return pd.DataFrame(cols)


def _rows(p: Problem, pred: pd.DataFrame, extra: tuple[Limit, ...] = ()) -> tuple[ConstraintRow, ...]:
    out = []
    for lim in (*p.limits, *extra):
        v = np.asarray(lim.value(pred), dtype=float)
        sign = 1.0 if lim.sense == ">=" else -1.0
        out.append(ConstraintRow(f"{lim.name}", sign * v, sign * lim.rhs, max(abs(lim.rhs), 1e-9), lim.unit))
    return tuple(out)


def _data(p: Problem, pred: pd.DataFrame, extra: tuple[Limit, ...] = ()) -> OptData:
    quantities = {m: pred[k].to_numpy(dtype=float) for m, k in p.quantities.items()}
    return OptData(pred[p.objective].to_numpy(dtype=float), p.sense, p.objective_unit, _rows(p, pred, extra),
                   dict(p.prices), quantities)


def _distance(p: Problem, cands: pd.DataFrame, point: pd.Series) -> np.ndarray:
    """L1 distance in level steps (a discrete option counts 1 when it differs)."""
    d = np.zeros(len(cands))
    for name, lv in p.levels.items():
        if name in p.space.options:
            d += (cands[name].to_numpy() != point[name]).astype(float)
        else:
            step = (float(lv[-1]) - float(lv[0])) / max(len(lv) - 1, 1) or 1.0
            d += np.abs(cands[name].to_numpy(dtype=float) - float(point[name])) / step
    return d


def _bounded(pred: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """Predictions held within the range the twin has shown for each KPI: an additive surrogate can
    combine effects into values no sample came near (a negative cost, say); the MILP must not chase them."""
    return pred.clip(lower=y.min(), upper=y.max(), axis=1)


def optimize(p: Problem, evaluate: Evaluate, summarize: Summarize,
             progress: Callable[[str], None] | None = None) -> OptimizationResult:
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(np.random.SeedSequence([p.seed, 0x0971]))
    n0 = p.initial_points or max(p.space.n_terms + 2, 2 * len(p.levels) + 2)
    samples = _lhs_on_levels(p, n0, rng)
    if p.start is not None:  # today's operating point is always among the samples
        samples = pd.concat([pd.DataFrame([p.start])[list(p.levels)], samples.iloc[1:]], ignore_index=True)
    samples = samples.drop_duplicates().reset_index(drop=True)
    used = 0

    def run(design: pd.DataFrame, reps: int, first: int) -> pd.DataFrame:
        nonlocal used
        design = design.reset_index(drop=True)
        design.index.name = "point_id"
        k = evaluate(design, reps, first)
        used += len(design) * reps
        return k

    k0 = run(samples, p.replications, 0)
    means = k0[p.kpis].groupby(level="point_id").mean()
    x, y = samples.copy(), means.reset_index(drop=True)
    cands = _candidates(p)
    history = []
    best: tuple[float, int, pd.DataFrame] | None = None  # (verified objective, candidate, verified stats)
    radius = 0.25
    solver = Solver()
    model, result, surrogate = None, None, None
    status, message = "budget exhausted", ""
    rnd = 0
    last_agreed: int | None = None
    while True:
        rnd += 1
        surrogate = fit(p.space, x, y)
        pred = _bounded(surrogate.predict(cands), y)
        # Candidates the bound makes equal are told apart by their distance to the best point the
        # twin has shown so far (a tie-break of 1e-6 of the objective's range: it never overrides
        # a real difference), so the search stays near what is known to be good.
        incumbent = x.iloc[int(np.nanargmin(y[p.objective]) if p.sense == "min" else np.nanargmax(y[p.objective]))]
        spread = float(np.nanmax(y[p.objective]) - np.nanmin(y[p.objective])) or 1.0
        tie = 1e-6 * spread * _distance(p, cands, incumbent)
        pred[p.objective] = pred[p.objective] + (tie if p.sense == "min" else -tie)
        data = _data(p, pred)
        model = build_model(data)
        result = solver.solve(model)
        if result.status is not Status.OPTIMAL:
            status = result.status.value
            break
        r = result.chosen
        assert r is not None  # an optimal result always names its candidate
        cand = cands.iloc[r]
        if r == last_agreed:  # chosen again after the confirmation samples: verified before, done
            status = "optimal (verified)"
            break
        say(f"round {rnd}: candidate {({k: _plain(v) for k, v in cand.items()})} predicted {p.objective} = "
            f"{pred[p.objective].iloc[r]:.6g}")
        if used + p.verify_replications > p.evaluations:
            message = "the budget does not allow verifying the next candidate"
            break
        kv = run(cand.to_frame().T, p.verify_replications, VERIFY_BASE + 100 * rnd)
        st = summarize(kv)  # every numeric KPI of the verification runs (the report shows more than the limits)
        v_obj = float(st.loc[p.objective, "mean"])
        p_obj = float(pred[p.objective].iloc[r])
        feasible = all(lim.met(float(lim.value(st["mean"]))) for lim in p.limits)
        # agreement: within the tolerance, or within the twin's own 95 % interval when that is wider
        # (a noisy KPI cannot be verified more tightly than the replications resolve it)
        ci = float(st.loc[p.objective, "ci95_half"])
        agreed = abs(v_obj - p_obj) <= max(p.tolerance * max(abs(v_obj), 1e-12), ci if math.isfinite(ci) else 0.0) and feasible
        history.append({"round": rnd, "evaluations": used, "candidate": r, "predicted": p_obj, "verified": v_obj,
                        "verified_ci95_half": float(st.loc[p.objective, "ci95_half"]), "feasible": feasible,
                        "agreed": agreed})
        if feasible and (best is None or (v_obj < best[0] if p.sense == "min" else v_obj > best[0])):
            best = (v_obj, r, st)
        if agreed:
            # Twin and surrogate agree here. Confirm it: sample around it, refit, and stop if the
            # refitted surrogate chooses it again (agreement alone can land on a worse recipe whose
            # prediction happens to be right).
            last_agreed = r
        # learn: the verified point and samples around it
        x = pd.concat([x, cand.to_frame().T], ignore_index=True)
        y = pd.concat([y, st.loc[p.kpis, "mean"].to_frame().T], ignore_index=True)
        n_new = max(2, len(p.space.ranges) + 1)
        if used + n_new * p.replications + p.verify_replications > p.evaluations:
            message = ("evaluation budget spent before the agreed choice was confirmed" if agreed
                       else "evaluation budget spent before the surrogate and the twin agreed")
            break
        new = _lhs_on_levels(p, n_new, rng, cand, radius)
        kn = run(new, p.replications, 0)
        x = pd.concat([x, new], ignore_index=True)
        y = pd.concat([y, kn[p.kpis].groupby(level="point_id").mean().reset_index(drop=True)], ignore_index=True)
        radius = max(radius / 2, 1e-9)
    samples_frame = pd.concat([x.reset_index(drop=True), y.reset_index(drop=True)], axis=1)
    hist = pd.DataFrame(history)
    empty_limits = pd.DataFrame(columns=["name", "sense", "rhs", "predicted", "verified", "met", "binding", "marginal"])
    # the final surrogate's (bounded) predictions at every candidate: for the report's tables
    pred_all = _bounded(surrogate.predict(cands), y) if surrogate is not None else pd.DataFrame()
    tradeoff = pd.DataFrame()
    if surrogate is not None:
        # Along the trade-off, candidates the bound makes equal are told apart (by 1e-6 of the
        # objective's range) by their distance to the best verified recipe, or else to the best
        # sample: a loose limit gives the verified answer, a tight one the nearest recipe that meets it.
        if best is not None:
            anchor = cands.iloc[best[1]]
        else:
            anchor = x.iloc[int(np.nanargmin(y[p.objective]) if p.sense == "min" else np.nanargmax(y[p.objective]))]
        spread = float(np.nanmax(y[p.objective]) - np.nanmin(y[p.objective])) or 1.0
        tie = 1e-6 * spread * _distance(p, cands, anchor)
        ranked = pred_all.copy()
        ranked[p.objective] = ranked[p.objective] + (tie if p.sense == "min" else -tie)
        tradeoff = _tradeoff(p, ranked, cands, solver)
    if status in (Status.INFEASIBLE.value,):
        relax = _relaxations(p, pred_all, solver)
        return OptimizationResult("infeasible", math.nan, {}, pd.Series(dtype=float), pd.DataFrame(), empty_limits, used,
                                  hist, samples_frame, relax, tradeoff,
                                  "no candidate meets every limit (surrogate): the smallest relaxations are listed")
    if best is None:
        return OptimizationResult(status, math.nan, {}, pd.Series(dtype=float), pd.DataFrame(), empty_limits, used, hist,
                                  samples_frame, pd.DataFrame(), tradeoff,
                                  message or "no verified candidate met every limit")
    v_obj, r, st = best
    # the best verified candidate, with what the final surrogate predicts there
    predicted = pred_all.iloc[r]
    if status != "optimal (verified)":
        message = (message + "; " if message else "") + "reporting the best verified candidate found"
    limits = _limit_table(p, predicted, st, pred_all, solver)
    return OptimizationResult(status, v_obj, {k: _plain(v) for k, v in cands.iloc[r].items()}, predicted, st, limits,
                              used, hist, samples_frame, pd.DataFrame(), tradeoff, message)


def _plain(v: str | SupportsFloat) -> float | str:
    return v if isinstance(v, str) else float(v)


def _limit_table(p: Problem, predicted: pd.Series, st: pd.DataFrame, pred: pd.DataFrame, solver: Solver) -> pd.DataFrame:
    """Each limit at the answer, and its marginal value: the change of the (surrogate) optimum per unit
    the limit is loosened, by re-solving with the limit moved by 1 % of its scale (persistent solver)."""
    data = _data(p, pred)
    model = build_model(data)
    base = solver.solve(model)
    rows = []
    for i, lim in enumerate(p.limits):
        step = 0.01 * max(abs(lim.rhs), 1e-9)
        old = float(model.rhs[i].value)
        model.rhs[i] = old - step  # >= form: a lower rhs loosens
        moved: SolveResult = solver.solve(model)
        model.rhs[i] = old
        both_optimal = moved.status is Status.OPTIMAL and base.status is Status.OPTIMAL
        marginal = (moved.objective - base.objective) / step if both_optimal else math.nan
        v_pred = float(lim.value(predicted))
        v_ver = float(lim.value(st["mean"]))
        rows.append({"name": lim.name, "sense": lim.sense, "rhs": lim.rhs, "unit": lim.unit, "predicted": v_pred,
                     "verified": v_ver, "met": lim.met(v_ver),
                     "binding": bool(abs(marginal) > 1e-12) if math.isfinite(marginal) else False,
                     "marginal": marginal})
    return pd.DataFrame(rows)


def _relaxations(p: Problem, pred: pd.DataFrame, solver: Solver) -> pd.DataFrame:
    """Smallest relaxation of the limits (sum of relaxations over their scales) that makes a candidate feasible."""
    data = _data(p, pred)
    model = build_model(data, elastic=True)
    res = solver.solve(model)
    rows = []
    for i, lim in enumerate(p.limits):
        s = float(res.slacks[i]) if res.status is Status.OPTIMAL else math.nan
        if s > 1e-9:
            relaxed = lim.rhs - s if lim.sense == ">=" else lim.rhs + s
            rows.append({"constraint": lim.name, "rhs": lim.rhs, "relax_by": s, "relaxed_rhs": relaxed, "unit": lim.unit})
    # the best objective reachable without the limits at all (e.g. the lowest reachable cost)
    free = OptData(data.objective, data.sense, data.objective_unit, (), data.prices0, data.quantities)
    best = solver.solve(build_model(free))
    rows.append({"constraint": f"(no limits) best {p.objective}", "rhs": math.nan, "relax_by": math.nan,
                 "relaxed_rhs": best.objective, "unit": p.objective_unit})
    return pd.DataFrame(rows)


def _tradeoff(p: Problem, pred: pd.DataFrame, cands: pd.DataFrame, solver: Solver) -> pd.DataFrame:
    """The objective against one limit's level: a sequence of solves on one persistent model."""
    if p.tradeoff is None:
        return pd.DataFrame()
    lim, values = p.tradeoff
    data = _data(p, pred, extra=(lim,))
    model = build_model(data)
    i = len(data.constraints) - 1
    sign = 1.0 if lim.sense == ">=" else -1.0
    rows = []
    for v in values:
        model.rhs[i] = sign * v
        res = solver.solve(model)
        row = {"limit": lim.name, "value": v, "status": res.status.value, "predicted_objective": res.objective}
        if res.chosen is not None:
            row.update({k: _plain(x) for k, x in cands.iloc[res.chosen].items()})
        rows.append(row)
    return pd.DataFrame(rows)
