"""Maximum-likelihood estimates with confidence intervals for what plant records tell about a
plant: failure rates with right-censoring, lognormal durations, Poisson rates, means, scatter
(including a one-way random-effects split) and least-squares fits of model constants with an
identifiability check. Plant-free: the plant's calibration (``plants.calibration``) decides what
data go in.

Every function returns :class:`Estimate` (value, interval, n, method text). Intervals are 95 %
unless ``level`` says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

__all__ = ["Estimate", "LeastSquares", "exponential_mtbf", "fit_constants", "lognormal_durations", "mean_interval",
           "min_threshold", "poisson_rate", "random_effects_sd", "sd_interval"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int
    method: str
    supported: bool = True  # False: the data do not determine it (value is nan or only a bound)
    note: str = ""

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    def interval_text(self, digits: int = 4) -> str:
        return f"[{self.low:.{digits}g}, {self.high:.{digits}g}]"


def _alpha(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return 1.0 - level


def exponential_mtbf(exposure_h: float, failures: int, level: float = 0.95) -> Estimate:
    """MTBF of exponential times to failure from ``failures`` over ``exposure_h`` operating hours
    (time-truncated: the failure-free time after the last failure is right-censored and counts as
    exposure). MLE T/r; exact chi-square interval [2T/chi2(1-a/2, 2r+2), 2T/chi2(a/2, 2r)]. With no
    failure only the lower bound is known."""
    a = _alpha(level)
    if exposure_h <= 0:
        return Estimate(math.nan, math.nan, math.nan, failures, "no operating hours", supported=False)
    low = 2.0 * exposure_h / float(stats.chi2.ppf(1.0 - a / 2.0, 2 * failures + 2))
    method = (f"exponential MLE, {failures} failures in {exposure_h:,.0f} operating h (time-censored), "
              "chi-square interval")
    if failures == 0:
        return Estimate(math.inf, low, math.inf, 0, method, supported=False, note="no failure recorded: only a lower bound")
    high = 2.0 * exposure_h / float(stats.chi2.ppf(a / 2.0, 2 * failures))
    return Estimate(exposure_h / failures, low, high, failures, method)


def poisson_rate(count: int, exposure: float, level: float = 0.95) -> Estimate:
    """Events per unit exposure; exact (Garwood) interval."""
    a = _alpha(level)
    if exposure <= 0:
        return Estimate(math.nan, math.nan, math.nan, count, "no exposure", supported=False)
    low = 0.0 if count == 0 else float(stats.chi2.ppf(a / 2.0, 2 * count)) / 2.0 / exposure
    high = float(stats.chi2.ppf(1.0 - a / 2.0, 2 * count + 2)) / 2.0 / exposure
    return Estimate(count / exposure, low, high, count, f"Poisson MLE, {count} events over {exposure:,.4g}, exact interval")


def mean_interval(x: ArrayLike, level: float = 0.95) -> Estimate:
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n < 2:
        return Estimate(float(v.mean()) if n else math.nan, math.nan, math.nan, n, "mean (too few values)", supported=False)
    m, s = float(v.mean()), float(v.std(ddof=1))
    h = float(stats.t.ppf(1.0 - _alpha(level) / 2.0, n - 1)) * s / math.sqrt(n)
    return Estimate(m, m - h, m + h, n, f"mean of {n}, t interval")


def sd_interval(x: ArrayLike, level: float = 0.95, center: float | None = None) -> Estimate:
    """Standard deviation (about the sample mean, or about a known ``center``) with the chi-square interval."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    df = n - 1 if center is None else n
    if df < 1:
        return Estimate(math.nan, math.nan, math.nan, n, "standard deviation (too few values)", supported=False)
    ss = float(np.sum((v - (v.mean() if center is None else center)) ** 2))
    a = _alpha(level)
    s = math.sqrt(ss / df)
    low = math.sqrt(ss / float(stats.chi2.ppf(1.0 - a / 2.0, df)))
    high = math.sqrt(ss / float(stats.chi2.ppf(a / 2.0, df)))
    return Estimate(s, low, high, n, f"standard deviation of {n}, chi-square interval")


def min_threshold(x: ArrayLike) -> Estimate:
    """A threshold every value reaches and may overshoot (e.g. maintenance due after so many hours,
    done at the end of the running batch): the smallest value, with the interval [min - spread, min]."""
    v = np.sort(np.asarray(x, dtype=float)[np.isfinite(np.asarray(x, dtype=float))])
    if len(v) == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "threshold (no values)", supported=False)
    lo = float(v[0] - (v[-1] - v[0])) if len(v) > 1 else math.nan
    return Estimate(float(v[0]), lo, float(v[0]), len(v), f"smallest of {len(v)} (values overshoot the threshold)",
                    supported=len(v) > 1)


@dataclass(frozen=True)
class LognormalFit:
    median: Estimate
    sigma: Estimate
    mu: float
    censored: int


def lognormal_durations(durations: ArrayLike, censored: ArrayLike | None = None, level: float = 0.95) -> LognormalFit:
    """Lognormal durations (e.g. repair times) by maximum likelihood. ``censored`` marks durations
    still running at the end of the record (only a lower bound). Without censoring: exact t and
    chi-square intervals on the log scale; with it: numerical MLE and Wald intervals (log sigma)."""
    d = np.asarray(durations, dtype=float)
    c = np.zeros(len(d), dtype=bool) if censored is None else np.asarray(censored, dtype=bool)
    keep = np.isfinite(d) & (d > 0)
    d, c = d[keep], c[keep]
    y, n_obs = np.log(d), int((~c).sum())
    a = _alpha(level)
    if n_obs < 2:
        bad = Estimate(math.nan, math.nan, math.nan, n_obs, "lognormal (fewer than 2 completed durations)", supported=False)
        return LognormalFit(bad, bad, math.nan, int(c.sum()))
    if not c.any():
        mu, s = float(y.mean()), float(y.std(ddof=1))
        h = float(stats.t.ppf(1.0 - a / 2.0, n_obs - 1)) * s / math.sqrt(n_obs)
        method = f"lognormal MLE, {n_obs} durations"
        med = Estimate(math.exp(mu), math.exp(mu - h), math.exp(mu + h), n_obs, method + ", t interval on the log mean")
        sig = sd_interval(y, level)
        return LognormalFit(med, Estimate(s, sig.low, sig.high, n_obs, method + ", chi-square interval"), mu, 0)

    def nll(theta: Array) -> float:
        m, ls = float(theta[0]), float(theta[1])
        s = math.exp(ls)
        z = (y - m) / s
        return float(-(np.sum(stats.norm.logpdf(z[~c]) - ls) + np.sum(stats.norm.logsf(z[c]))))

    y0 = y[~c]
    with np.errstate(all="ignore"):  # the simplex may try a sigma far too small or large: a poor value, no more
        res = optimize.minimize(nll, np.array([y0.mean(), math.log(max(y0.std(), 1e-6))]), method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000})
        theta = res.x
        hess = _hessian(nll, theta)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    z = float(stats.norm.ppf(1.0 - a / 2.0))
    se_mu, se_ls = (math.sqrt(cov[0, 0]) if cov[0, 0] > 0 else math.nan), (math.sqrt(cov[1, 1]) if cov[1, 1] > 0 else math.nan)
    mu, s = float(theta[0]), math.exp(float(theta[1]))
    k = int(c.sum())
    method = f"lognormal MLE, {n_obs} durations + {k} censored at the end of the record, Wald interval"
    med = Estimate(math.exp(mu), math.exp(mu - z * se_mu), math.exp(mu + z * se_mu), n_obs + k, method)
    sig = Estimate(s, s * math.exp(-z * se_ls), s * math.exp(z * se_ls), n_obs + k, method + " on log sigma")
    return LognormalFit(med, sig, mu, k)


def _hessian(f: Callable[[Array], float], x: Array, rel: float = 1e-4) -> Array:
    n = len(x)
    h = np.maximum(np.abs(x), 1.0) * rel
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            out[i, j] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h[i] * h[j])
    return out


@dataclass(frozen=True)
class RandomEffects:
    within: Estimate  # scatter from batch to batch on one unit
    between: Estimate  # scatter of the units' own offsets
    mean: float


def random_effects_sd(values: ArrayLike, groups: Sequence[str], level: float = 0.95) -> RandomEffects:
    """One-way random effects (unit offsets + batch scatter) by the ANOVA estimators; chi-square
    intervals (the between-unit one treats the within mean square as known)."""
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=object)
    ok = np.isfinite(v)
    v, g = v[ok], g[ok]
    labels = sorted(set(g.tolist()))
    k, n = len(labels), len(v)
    a = _alpha(level)
    if k < 1 or n - k < 1:
        bad = Estimate(math.nan, math.nan, math.nan, n, "random effects (too few values)", supported=False)
        return RandomEffects(bad, bad, math.nan)
    sizes = np.array([np.sum(g == lab) for lab in labels], dtype=float)
    means = np.array([v[g == lab].mean() for lab in labels])
    ssw = float(sum(np.sum((v[g == lab] - m) ** 2) for lab, m in zip(labels, means, strict=True)))
    msw = ssw / (n - k)
    within = Estimate(math.sqrt(msw), math.sqrt(ssw / float(stats.chi2.ppf(1 - a / 2, n - k))),
                      math.sqrt(ssw / float(stats.chi2.ppf(a / 2, n - k))), n,
                      f"one-way random effects: within-unit scatter, {n} values on {k} units, chi-square interval")
    if k < 2:
        return RandomEffects(within, Estimate(math.nan, math.nan, math.nan, k, "between units (one unit only)",
                                              supported=False), float(v.mean()))
    grand = float(v.mean())
    ssb = float(np.sum(sizes * (means - grand) ** 2))
    msb = ssb / (k - 1)
    n0 = (n - float(np.sum(sizes**2)) / n) / (k - 1)
    var_b = max((msb - msw) / n0, 0.0)
    lo = max((ssb / float(stats.chi2.ppf(1 - a / 2, k - 1)) - msw) / n0, 0.0)
    hi = max((ssb / float(stats.chi2.ppf(a / 2, k - 1)) - msw) / n0, 0.0)
    between = Estimate(math.sqrt(var_b), math.sqrt(lo), math.sqrt(hi), k,
                       f"one-way random effects: between-unit scatter of {k} units (ANOVA), chi-square interval",
                       supported=k >= 5, note="" if k >= 5 else f"only {k} units: the between-unit scatter is hardly determined")
    return RandomEffects(within, between, grand)


@dataclass(frozen=True)
class LeastSquares:
    estimates: dict[str, Estimate]  # the identified constants
    not_identified: dict[str, str]  # constant -> why the data cannot determine it
    correlation: dict[tuple[str, str], float] = field(default_factory=dict)
    residual_sd: float = math.nan
    n: int = 0
    fitted: Array = field(default_factory=lambda: np.empty(0))
    observed: Array = field(default_factory=lambda: np.empty(0))


def fit_constants(model: Callable[[dict[str, float]], Array], observed: ArrayLike, prior: dict[str, float],
                  level: float = 0.95, max_rel_se: float = 0.2, rank_tol: float = 1e-3,
                  bounds: dict[str, tuple[float, float]] | None = None, resolution: float = 1e-4) -> LeastSquares:
    """Least squares of ``model(constants) ~ observed`` over the constants named in ``prior``
    (starting there), with t intervals from the Jacobian and their correlations. A constant the
    data cannot determine, because it does not move the model, moves it only together with others
    (its scaled Jacobian's condition number exceeds ``1/rank_tol``; of the constants that move
    together, the one named last in ``prior`` is held, so name them in order of priority) or would
    come out with a relative standard error above ``max_rel_se``, is held at its prior and named
    in :attr:`LeastSquares.not_identified`.

    The residual scatter is taken as at least ``resolution`` times the r.m.s. of ``observed`` (a
    measured property is known to a few significant digits): a perfect fit to noise-free numbers
    would otherwise claim any constant that moves the model at all."""
    y = np.asarray(observed, dtype=float)
    names = list(prior)
    dropped: dict[str, str] = {}
    bounds = bounds or {}
    while True:
        free = [p for p in names if p not in dropped]
        if not free:
            return LeastSquares({}, dropped, n=len(y), observed=y)
        scale = np.array([abs(prior[p]) or 1.0 for p in free])
        fixed = {p: prior[p] for p in names if p in dropped}

        def resid(u: Array, free: list[str] = free, scale: Array = scale, fixed: dict[str, float] = fixed) -> Array:
            c = {**fixed, **{p: float(x) for p, x in zip(free, u * scale, strict=True)}}
            r = np.asarray(model(c), dtype=float) - y
            return np.where(np.isfinite(r), r, 1e6 * (np.abs(y) + 1.0))  # outside the model's domain: far off

        lo = np.array([bounds.get(p, (-np.inf, np.inf))[0] for p in free]) / scale
        hi = np.array([bounds.get(p, (-np.inf, np.inf))[1] for p in free]) / scale
        res = optimize.least_squares(resid, np.ones(len(free)), bounds=(lo, hi), method="trf", x_scale="jac",
                                     xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=400)
        jac = res.jac
        norms = np.linalg.norm(jac, axis=0)
        if norms.max() <= 0:
            dropped.update({p: "does not change the fitted property over the recorded conditions" for p in free})
            continue
        dead = [p for p, nrm in zip(free, norms, strict=True) if nrm < 1e-9 * norms.max()]
        if dead:
            dropped.update({p: "does not change the fitted property over the recorded conditions" for p in dead})
            continue
        _, sv, vt = np.linalg.svd(jac / norms, full_matrices=False)
        if sv[-1] < rank_tol * sv[0]:
            # near-collinear: of the constants that move together, the one named last in ``prior`` goes
            load = np.abs(vt[-1])
            worst = [p for p, x in zip(free, load, strict=True) if x > 0.5 * load.max()][-1]
            others = [free[i] for i in np.argsort(-np.abs(vt[-1])) if free[i] != worst and abs(vt[-1][i]) > 0.1]
            dropped[worst] = ("moves the fitted property only together with " + ", ".join(others)
                              if others else "is confounded with the other constants") + "; held at its prior"
            continue
        n, k = len(y), len(free)
        dof = max(n - k, 1)
        r = res.fun
        s2 = float(r @ r) / dof
        floor = (resolution * float(np.sqrt(np.mean(y**2)))) ** 2  # a perfect fit: the measurement resolution
        s2 = max(s2, floor)
        try:
            cov_u = np.linalg.inv(jac.T @ jac) * s2
        except np.linalg.LinAlgError:
            dropped[free[-1]] = "is confounded with the other constants; held at its prior"
            continue
        se = np.sqrt(np.maximum(np.diag(cov_u), 0.0)) * scale
        val = res.x * scale
        rel = se / np.maximum(np.abs(val), 1e-300)
        if rel.max() > max_rel_se and k > 0:
            i = int(np.argmax(rel))
            dropped[free[i]] = (f"the records determine it only to +/-{100 * rel[i]:.0f} % (1 s.e.); held at its prior")
            continue
        t = float(stats.t.ppf(1.0 - _alpha(level) / 2.0, dof))
        method = f"least squares on the physics model, {n} lots, {k} constant(s) fitted, t interval"
        est = {p: Estimate(float(v), float(v - t * e), float(v + t * e), n, method)
               for p, v, e in zip(free, val, se, strict=True)}
        d = np.sqrt(np.diag(cov_u))
        corr = cov_u / np.outer(d, d) if np.all(d > 0) else np.full_like(cov_u, np.nan)
        pairs = {(free[i], free[j]): float(corr[i, j]) for i in range(k) for j in range(i + 1, k)}
        fitted = np.asarray(model({**fixed, **{p: float(x) for p, x in zip(free, val, strict=True)}}), dtype=float)
        return LeastSquares(est, dropped, pairs, math.sqrt(float(r @ r) / dof), n, fitted, y)
