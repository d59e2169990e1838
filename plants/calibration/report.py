"""The calibration report (Markdown + HTML through :class:`twin.report.Page`): each estimate and
its interval against the prior, observed against fitted distributions (QQ plots of repair times
and operating hours between failures, physics residuals against temperature), and the warnings."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from plants.calibration.estimate import Calibration
from twin.report import Page

__all__ = ["calibration_page", "write_calibration_report"]


def _fig(w: float = 7.0, h: float = 3.2):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, 2, figsize=(w, h), constrained_layout=True)


def calibration_page(cal: Calibration, out_file: str = "") -> Page:
    rec = cal.records
    page = Page("Calibration from plant records")
    page.paragraph(f"Records: {rec.folder} (sha256 {rec.sha256[:16]}...), {rec.start.isoformat()} for {rec.end_h:,.1f} h. "
                   + ", ".join(f"{n}: {len(df):,} rows" for n, df in rec.tables.items() if len(df))
                   + (f". Parameter set written to {out_file}." if out_file else "."))
    if rec.skipped:
        page.table("Rows skipped (lenient mode)", pd.DataFrame({"problem": [p.render() for p in rec.skipped]}))
    t = cal.table()
    if not t.empty:
        written = t[t["written"]].drop(columns=["written"])
        page.table("Estimates written (flag C), 95 % intervals, against the prior", written, digits=5,
                   note="'prior inside': whether the prior value lies inside the interval.")
        held = t[~t["written"]][["parameter", "what", "prior", "estimate", "low95", "high95", "n", "method"]]
        page.table("Parameters the records do not support (prior kept)", held, digits=5)
    if not cal.per_machine.empty:
        page.table("Failures per machine (MTBF with chi-square interval)", cal.per_machine, digits=4)
    if not cal.biases.empty:
        page.table("Temperature offset of each reactor from the set point (mean over its batches, t interval)",
                   cal.biases, digits=4)
    for stage, fit in cal.repair_fits.items():
        d, c = cal.repairs[stage]
        done = np.sort(d[~c])
        if len(done) < 3 or not math.isfinite(fit.sigma.value) or fit.sigma.value <= 0:
            continue
        fig, (a, b) = _fig()
        q = stats.norm.ppf((np.arange(1, len(done) + 1) - 0.5) / len(done))
        a.plot(q, np.log(done), "o", ms=3)
        a.plot(q, fit.mu + fit.sigma.value * q, "-")
        a.set_xlabel("normal quantile")
        a.set_ylabel("ln repair time (h)")
        a.set_title("QQ plot (lognormal)")
        b.hist(done, bins=min(20, max(5, len(done) // 3)), density=True, alpha=0.6, label="observed")
        x = np.linspace(max(done.min() * 0.5, 1e-6), done.max() * 1.2, 200)
        b.plot(x, stats.lognorm.pdf(x, fit.sigma.value, scale=math.exp(fit.mu)), label="fitted")
        b.set_xlabel("repair time (h)")
        b.legend()
        page.figure(f"{stage}: repair times, observed against the fitted lognormal", fig)
    for stage, gaps in cal.ttf.items():
        if len(gaps) < 3:
            continue
        mtbf = next((c.estimate.value for c in cal.values if c.path.endswith("mtbf_h") and c.label.startswith(stage)), math.nan)
        if not math.isfinite(mtbf):
            continue
        fig, (a, b) = _fig()
        g = np.sort(gaps)
        q = stats.expon.ppf((np.arange(1, len(g) + 1) - 0.5) / len(g)) * mtbf
        a.plot(q, g, "o", ms=3)
        a.plot([0, g.max()], [0, g.max()], "-")
        a.set_xlabel("exponential quantile (h)")
        a.set_ylabel("operating h between failures")
        a.set_title("QQ plot (exponential)")
        b.hist(g, bins=min(20, max(5, len(g) // 3)), density=True, alpha=0.6, label="observed")
        x = np.linspace(0, g.max() * 1.1, 200)
        b.plot(x, stats.expon.pdf(x, scale=mtbf), label="fitted")
        b.set_xlabel("operating h between failures (the first counted from the record start)")
        b.legend()
        page.figure(f"{stage}: operating hours between failures against the fitted exponential", fig)
    for pf in cal.physics:
        f = pf.fit
        rows = [{"constant": k, "prior": pf.priors[k], "estimate": e.value, "low95": e.low, "high95": e.high}
                for k, e in f.estimates.items()]
        rows += [{"constant": k, "prior": pf.priors[k], "estimate": math.nan, "low95": math.nan, "high95": math.nan,
                  "not identified": why} for k, why in f.not_identified.items()]
        page.table(f"{pf.name}: {pf.function} fitted to lots' {pf.column} (residual sd {f.residual_sd:.3g}, n={f.n})",
                   pd.DataFrame(rows), digits=6)
        if f.correlation:
            page.table(f"{pf.name}: correlation of the fitted constants",
                       pd.DataFrame([{"a": a, "b": b, "correlation": r} for (a, b), r in f.correlation.items()]), digits=3)
        if len(f.fitted) == len(pf.temperature_c) and len(f.fitted):
            fig, (a, b) = _fig()
            a.plot(f.fitted, f.observed, "o", ms=3)
            lim = [float(min(f.fitted.min(), f.observed.min())), float(max(f.fitted.max(), f.observed.max()))]
            a.plot(lim, lim, "-")
            a.set_xlabel("fitted")
            a.set_ylabel("observed")
            b.plot(pf.temperature_c, f.observed - f.fitted, "o", ms=3)
            b.axhline(0.0, color="k", lw=0.5)
            b.set_xlabel("recorded temperature (degC)")
            b.set_ylabel("residual")
            page.figure(f"{pf.name}: observed against fitted, residuals against the recorded temperature", fig)
    if cal.warnings:
        page.table("Warnings", pd.DataFrame({"warning": cal.warnings}))
    return page


def write_calibration_report(cal: Calibration, folder: str | os.PathLike[str], out_file: str = "") -> Path:
    return calibration_page(cal, out_file).write(folder)
