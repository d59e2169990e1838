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
    tradeoff_refine: int = 2  # per trade-off point: re-solves after a verification changed the surrogate

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
    tradeoff: pd.DataFrame  # limit rhs, status, predicted and verified objective, settings, ties, bounds
    message: str = ""
    at_bound: tuple[str, ...] = ()  # decisions of the answer on the edge of their range
    tradeoff_evaluations: int = 0  # twin simulations spent verifying the trade-off (on top of ``evaluations``)


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
    last_verified: dict[int, tuple[pd.DataFrame, pd.Series]] = {}  # the latest verification (its seed is the curve's)
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
        last_verified = {r: (st, kv[p.objective].reset_index(drop=True).astype(float))}
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
    used_main = used
    if surrogate is not None and p.tradeoff is not None:
        # Along the trade-off, candidates the bound makes equal are told apart (by 1e-6 of the
        # objective's range) by their distance to the best verified recipe, or else to the best
        # sample: a loose limit gives the verified answer, a tight one the nearest recipe that meets it.
        if best is not None:
            anchor = cands.iloc[best[1]]
        else:
            anchor = x.iloc[int(np.nanargmin(y[p.objective]) if p.sense == "min" else np.nanargmax(y[p.objective]))]
        first = VERIFY_BASE + 100 * max(len(history), 1)  # the seed of the last verification (and the baseline)
        tradeoff = _tradeoff(p, x, y, cands, solver, anchor, run, summarize, first,
                             best[1] if best is not None else None, last_verified)
    if status in (Status.INFEASIBLE.value,):
        relax = _relaxations(p, pred_all, solver)
        return OptimizationResult("infeasible", math.nan, {}, pd.Series(dtype=float), pd.DataFrame(), empty_limits,
                                  used_main, hist, samples_frame, relax, tradeoff,
                                  "no candidate meets every limit (surrogate): the smallest relaxations are listed",
                                  tradeoff_evaluations=used - used_main)
    if best is None:
        return OptimizationResult(status, math.nan, {}, pd.Series(dtype=float), pd.DataFrame(), empty_limits, used_main,
                                  hist, samples_frame, pd.DataFrame(), tradeoff,
                                  message or "no verified candidate met every limit", tradeoff_evaluations=used - used_main)
    v_obj, r, st = best
    # the best verified candidate, with what the final surrogate predicts there
    predicted = pred_all.iloc[r]
    if status != "optimal (verified)":
        message = (message + "; " if message else "") + "reporting the best verified candidate found"
    limits = _limit_table(p, predicted, st, pred_all, solver)
    settings = {k: _plain(v) for k, v in cands.iloc[r].items()}
    return OptimizationResult(status, v_obj, settings, predicted, st, limits, used_main, hist, samples_frame,
                              pd.DataFrame(), tradeoff, message, at_bounds(p, settings), used - used_main)


def at_bounds(p: Problem, settings: dict[str, float | str] | pd.Series) -> tuple[str, ...]:
    """The continuous decisions of a recipe that sit on the edge of their range, as
    ``"<decision> at max 490"``: the optimum may lie beyond it (consider widening the range)."""
    out = []
    for name, (lo, hi) in p.space.ranges.items():
        v = settings.get(name) if isinstance(settings, dict) else settings.get(name, None)
        if v is None or isinstance(v, str) or not math.isfinite(float(v)):
            continue
        tol = 1e-9 * max(abs(hi - lo), 1.0)
        if abs(float(v) - lo) <= tol:
            out.append(f"{name} at min {lo:g}")
        elif abs(float(v) - hi) <= tol:
            out.append(f"{name} at max {hi:g}")
    return tuple(out)


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


def _tradeoff(p: Problem, x: pd.DataFrame, y: pd.DataFrame, cands: pd.DataFrame, solver: Solver, anchor: pd.Series,
              run: Evaluate, summarize: Summarize, first: int, optimum: int | None,
              known: dict[int, tuple[pd.DataFrame, pd.Series]]) -> pd.DataFrame:
    """The objective against one limit's level, every point verified by the twin.

    Per level: solve the MILP with the limit at that level, run the chosen recipe with fresh
    replications (``first``: the seed of the final verification and the baseline, so every point
    of the curve is on common random numbers with the others and with the baseline), add it to the
    samples and re-solve with the refitted surrogate, up to ``tradeoff_refine`` times or until the
    choice repeats. The point reported is the best recipe the twin verified that meets every limit
    and the level (by its verified means), with its 95 % interval. Two points are a ``tie`` when
    their recipes differ and the twin cannot tell their objectives apart (the paired 95 % interval
    of the difference, replication by replication, includes zero); ``at_bound`` names decisions on
    the edge of their range.
    """
    assert p.tradeoff is not None
    lim, values = p.tradeoff
    names = list(p.levels)
    x, y = x.copy(), y.copy()
    verified = dict(known)  # candidate -> (summary, objective per replication), all on the seed ``first``
    kpi = lim.terms[0][0]

    def verify(r: int) -> None:
        nonlocal x, y
        if r in verified:
            return
        kv = run(cands.iloc[[r]], p.verify_replications, first)
        st = summarize(kv)
        verified[r] = (st, kv[p.objective].reset_index(drop=True).astype(float))
        x = pd.concat([x, cands.iloc[[r]]], ignore_index=True)
        y = pd.concat([y, st.reindex(p.kpis)["mean"].to_frame().T], ignore_index=True)

    def meets(st: pd.DataFrame, v: float) -> bool:
        means = st["mean"]
        if any(k not in means.index or not math.isfinite(float(means[k])) for k in [p.objective, kpi]):
            return False
        probe = Limit(lim.name, lim.terms, lim.sense, float(v))
        return all(li.met(float(li.value(means))) for li in (*p.limits, probe))

    def better(a: float, b: float) -> bool:
        return a < b if p.sense == "min" else a > b

    if optimum is not None:
        verify(optimum)  # the answer itself, on the curve's seed (a loose level usually returns it)
    spread = float(np.nanmax(y[p.objective]) - np.nanmin(y[p.objective])) or 1.0
    tie_break = 1e-6 * spread * _distance(p, cands, anchor)
    solved = []
    for v in values:
        status, predicted, last = "", math.nan, None
        for _ in range(p.tradeoff_refine + 1):
            pred = _bounded(fit(p.space, x, y).predict(cands), y)
            pred[p.objective] = pred[p.objective] + (tie_break if p.sense == "min" else -tie_break)
            data = _data(p, pred, extra=(lim,))
            model = build_model(data)
            sign = 1.0 if lim.sense == ">=" else -1.0
            model.rhs[len(data.constraints) - 1] = sign * v
            res = solver.solve(model)
            status = res.status.value
            if res.chosen is None:
                break
            predicted = float(pred[p.objective].iloc[res.chosen])
            if res.chosen == last or res.chosen in verified:
                verify(res.chosen)
                break
            last = res.chosen
            verify(res.chosen)
        solved.append((v, status, predicted))
    rows = []
    for v, status, predicted in solved:  # every level chooses among every recipe verified along the curve
        ok = [r for r, (st, _) in verified.items() if meets(st, v)]
        row: dict[str, object] = {"limit": lim.name, "value": float(v), "status": status, "predicted_objective": predicted}
        if ok:
            r = ok[0]
            for c in ok[1:]:
                if better(float(verified[c][0].loc[p.objective, "mean"]), float(verified[r][0].loc[p.objective, "mean"])):
                    r = c
            st = verified[r][0]
            row.update({"candidate": r, "verified_objective": float(st.loc[p.objective, "mean"]),
                        "verified_objective_ci95_half": float(st.loc[p.objective, "ci95_half"]),
                        "verified_kpi": float(st.loc[kpi, "mean"]), "verified_kpi_ci95_half": float(st.loc[kpi, "ci95_half"]),
                        "limit_met_verified": True})
            row.update({k: _plain(val) for k, val in cands.iloc[r].items()})
            row["at_bound"] = "; ".join(at_bounds(p, cands.iloc[r]))
        else:
            row.update({"candidate": math.nan, "verified_objective": math.nan, "verified_objective_ci95_half": math.nan,
                        "verified_kpi": math.nan, "verified_kpi_ci95_half": math.nan,
                        "limit_met_verified": False if status == "optimal" else None, "at_bound": ""})
            row.update({n: math.nan for n in names})
            if status == "optimal":
                row["status"] = "no verified recipe meets it"
        rows.append(row)
    out = pd.DataFrame(rows)
    out["tie"], out["note"] = _ties(p, out, verified, summarize)
    return out


def _ties(p: Problem, t: pd.DataFrame, verified: dict[int, tuple[pd.DataFrame, pd.Series]],
          summarize: Summarize) -> tuple[list[bool], list[str]]:
    """Per trade-off point: does it tie with another point (different recipe, difference of the
    verified objectives not resolved by the twin), and a note saying so (or that it is the same
    recipe as another point)."""
    ties, notes = [], []
    cand = [int(c) if isinstance(c, (int, float, np.number)) and math.isfinite(float(c)) else None for c in t["candidate"]]
    for i, ci in enumerate(cand):
        if ci is None or ci not in verified:
            ties.append(False)
            notes.append("")
            continue
        same = [j for j, cj in enumerate(cand) if j != i and cj == ci]
        tied = []
        for j, cj in enumerate(cand):
            if j == i or cj is None or cj == ci or cj not in verified:
                continue
            a, b = verified[ci][1], verified[cj][1]
            if len(a) >= 2 and len(a) == len(b):
                d = summarize(pd.DataFrame({"d": (b - a).to_numpy()}))
                delta, half = float(d.loc["d", "mean"]), float(d.loc["d", "ci95_half"])
            else:  # no replications to pair: do the two intervals overlap?
                sa, sb = verified[ci][0], verified[cj][0]
                delta = float(sb.loc[p.objective, "mean"] - sa.loc[p.objective, "mean"])
                half = float(sa.loc[p.objective, "ci95_half"] + sb.loc[p.objective, "ci95_half"])
            if math.isfinite(half) and abs(delta) <= half:
                tied.append((j, delta, half))
        parts = []
        if tied:
            parts.append("tie with point(s) " + ", ".join(str(j) for j, _, _ in tied)
                         + ": recipes differ but the twin cannot tell their objectives apart (paired difference "
                         + "; ".join(f"{d:+.3g} +/- {h:.2g}" for _, d, h in tied) + ")")
        if same:
            parts.append("same recipe as point(s) " + ", ".join(str(j) for j in same))
        if isinstance(t["at_bound"].iloc[i], str) and t["at_bound"].iloc[i]:
            parts.append(f"at bound: {t['at_bound'].iloc[i]} (consider widening the range)")
        ties.append(bool(tied))
        notes.append("; ".join(parts))
    return ties, notes
