"""Reports people can read and trust: the run report's contents, process order, units and summarised
tables; why a sweep point produced nothing; the bottleneck's near-ties; the comparison report with
paired intervals; the sensitivity indices sorted, with units, drawn and readable by others."""

from __future__ import annotations

import math
import re
import stat
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from plants.app.bottleneck import bottleneck_ranking, bottleneck_summary
from plants.app.report import explain_nothing, sweep_notes
from plants.lines import LotKind, LotStatus, label, stage_keys

ROOT = Path(__file__).resolve().parents[3]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                 if Path(p).exists()), None)


def _lots(statuses_reasons, kind=LotKind.POWDER):
    return pd.DataFrame({"lot_id": [f"P{i}" for i in range(len(statuses_reasons))], "line": kind,
                         "status": [s for s, _ in statuses_reasons], "reason": [r for _, r in statuses_reasons]})


# ------------------------------------------------------------------ why nothing came out (unit)
@pytest.mark.unit
def test_why_a_point_made_nothing_comes_from_its_lots_reject_reasons():
    specs = {"powder": {"capacity_mah_g": (1500.0, None), "ice": (0.88, None)}}
    lots = _lots([(LotStatus.REJECTED, "off-spec: capacity_mah_g")] * 3 + [(LotStatus.REJECTED, "off-spec: capacity_mah_g, ice")])
    assert explain_nothing(lots, specs) == ("no powder lot passed: every powder lot failed capacity_mah_g >= 1500 (4 of 4); "
                                            "1 of 4 failed ice >= 0.88")
    mixed = _lots([(LotStatus.REJECTED, "off-spec: ice"), (LotStatus.SCRAPPED, "breakdown")])
    assert explain_nothing(mixed, specs) == "no powder lot passed: 1 of 2 failed ice >= 0.88; 1 of 2 breakdown"
    assert explain_nothing(_lots([(LotStatus.TESTING, "")]), specs).startswith("no powder lot finished")
    assert explain_nothing(_lots([(LotStatus.RELEASED, "")]), specs) == "no electrode roll was made in the horizon"
    released = pd.concat([_lots([(LotStatus.RELEASED, "")]), _lots([(LotStatus.RELEASED, "")], LotKind.ROLL)])
    assert explain_nothing(released, specs) == ""


@pytest.mark.unit
def test_sweep_notes_say_why_only_for_points_that_made_nothing():
    design = pd.DataFrame({"specs.powder.capacity_mah_g.min": [1000.0, 5000.0]}, index=pd.RangeIndex(2, name="point_id"))
    kpis = pd.DataFrame({"powder.output_t_per_yr": [300.0, 310.0, 0.0, 0.0],
                         "quality.powder.capacity_mah_g.in_spec": [1.0, 1.0, 0.0, 0.0],
                         "quality.powder.ice.in_spec": [1.0, 1.0, 1.0, 1.0], "powder.lots_rejected": [0, 0, 7, 7]},
                        index=pd.MultiIndex.from_product([range(2), range(2)], names=["point_id", "replication"]))
    notes = sweep_notes(design, kpis, specs={"powder": {"capacity_mah_g": (1500.0, None)}})
    assert notes[0] == ""
    # the point's own limit (it was swept), not the scenario's
    assert notes[1] == "no powder lot passed: every tested lot failed capacity_mah_g >= 5000 (7 lots rejected)"


# ------------------------------------------------------------------ the bottleneck (unit)
def _reps(shares):
    out = []
    for row in shares:
        rep = {}
        for s, v in zip(stage_keys(), row, strict=False):
            rep.update({f"{s}.state_share.working": v, f"{s}.state_share.down": 0.0})
        out.append(rep)
    return out


@pytest.mark.unit
def test_the_bottleneck_ranking_calls_a_near_tie_a_near_tie():
    # fbcvd 0.90 and coating 0.89, +/- 0.02: the intervals overlap
    t, near = bottleneck_ranking(_reps([(0.90, 0.87, 0.5), (0.92, 0.91, 0.5), (0.88, 0.89, 0.5)]))
    assert near and list(t["key"][:2]) == ["fbcvd", "coating"] and t["ci95_half"].notna().all()
    assert list(t["line"]) == [label(k) for k in t["key"]]
    assert bottleneck_summary(_reps([(0.90, 0.87), (0.92, 0.91), (0.88, 0.89)])) == {"plant.bottleneck_near_tie": 1.0}
    t, near = bottleneck_ranking(_reps([(0.95, 0.5), (0.96, 0.52), (0.94, 0.51)]))
    assert not near and t["key"].iloc[0] == "fbcvd"
    assert bottleneck_summary(_reps([(0.95, 0.5), (0.96, 0.52), (0.94, 0.51)])) == {"plant.bottleneck_near_tie": 0.0}
    assert math.isnan(bottleneck_summary(_reps([(0.9, 0.89)]))["plant.bottleneck_near_tie"])  # one replication


# ------------------------------------------------------------------ the run report (integration)
@pytest.fixture(scope="module")
def res():
    from plants.app.api import load, run

    return run(load(SMOKE, ["horizon_h=150"]), 2)


@pytest.mark.integration
def test_the_run_report_reads_well(res, tmp_path):
    from plants.app import plots
    from plants.app.report import write_report

    write_report(tmp_path, res)
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert "<nav><b>Contents</b>" in html and "- [Quality](#quality)" in md  # a table of contents
    assert "_none_" not in md and "<em>none</em>" not in html  # no empty sections
    assert "**" not in html
    # the bottleneck: ranked lines with intervals, and the summary key
    assert "Lines ranked by active share" in md and "plant.bottleneck_near_tie" in res.summary
    # quality with intervals; the variance shares summarised: one row per attribute and driver, "shared" explained
    quality = md.split("### Quality consistency")[1].split("\n\n", 2)[1]
    assert "±" in quality
    drivers = md.split("### Which inputs drive the spread")[1]
    assert "'shared' is the part of the variance" in drivers
    table = [line for line in drivers.split("\n\n")[2].splitlines()[2:] if line.startswith("|")]
    qd = res.quality_drivers
    assert len(table) == len(qd.groupby(["product", "attribute", "driver"])) and "replication |" not in drivers
    # lines in process order, readable labels and units on the axes
    fig = plots.state_shares(res)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [label(k) for k in stage_keys()]
    fig = plots.distribution(res, LotKind.POWDER, "capacity_mah_g", 1500)
    assert fig.axes[0].get_xlabel() == "capacity (mAh/g)"
    assert "(" in plots.cost_attribution(res).axes[0].get_ylabel()
    # legends outside the data: every legend of the state shares is anchored beside the axes
    ax = plots.state_shares(res).axes[0]
    assert ax.get_legend().get_bbox_to_anchor().x0 >= ax.get_window_extent().x1  # beside the bars, not on them
    # plain numbers: no float cell with more than 6 significant digits in the headline and quality tables
    cells = re.findall(r"<td>(.*?)</td>", html.split('id="headline-kpis"')[1].split("</table>")[0])
    assert not [c for c in cells if re.search(r"\d\.\d{7,}", c)]


@pytest.mark.integration
def test_a_stored_sweep_says_why_a_point_made_nothing(tmp_path, capsys):
    from plants.app.cli import main

    store = str(tmp_path / "runs.duckdb")
    assert main(["sweep", str(SMOKE), "--store", store, "--serial", "--param", "specs.powder.capacity_mah_g.min=1000,5000",
                 "--set", "horizon_h=150"]) == 0
    run_id = capsys.readouterr().out.split("complete: run ")[1].split()[0]
    assert main(["report", run_id, "--store", store, "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "every tested lot failed capacity_mah_g >= 5000" in md and "why nothing" in md


# ------------------------------------------------------------------ the comparison report (integration)
@pytest.fixture(scope="module")
def hot(res):
    from plants.app.api import run

    return run(res.scenario.with_set("settings.fbcvd.bed_temperature_c=480"), 2)


@pytest.mark.integration
def test_the_comparison_report_uses_paired_intervals_and_shows_both_runs_side_by_side(res, hot, tmp_path):
    from plants.app.api import compare
    from plants.app.compare_report import write_comparison_report

    page = write_comparison_report(res, hot, tmp_path)
    html = page.read_text()
    md = (tmp_path / "report.md").read_text()
    assert "<b>paired</b> 95 % intervals" in html and "common random numbers" in html
    paired = compare(res, hot, ["cost.powder_usd_per_kg"], "paired").loc["cost.powder_usd_per_kg"]
    row = next(line for line in md.splitlines() if line.endswith("| cost.powder_usd_per_kg |"))
    assert f"{paired['delta']:.2f} ± {paired['ci95_half']:.2f}" in row  # the paired interval, not Welch's
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", html)
    assert any("Cost of a good kg" in c and "side by side" in c for c in captions)
    assert any("Time per state" in c for c in captions)
    assert "**" not in html and all((tmp_path / f).is_file() for f in re.findall(r"\]\(([^)]+\.png)\)", md))


@pytest.mark.integration
def test_runs_compare_writes_the_report(tmp_path, capsys):
    from plants.app.cli import main

    store = str(tmp_path / "runs.duckdb")
    ids = []
    for temp in (460, 480):
        assert main(["run", str(SMOKE), "--store", store, "--out", str(tmp_path / f"run{temp}"), "--replications", "2",
                     "--set", "horizon_h=120", "--set", f"settings.fbcvd.bed_temperature_c={temp}"]) == 0
        ids.append(capsys.readouterr().out.split("Stored as run ")[1].split()[0])
    assert main(["runs", "compare", *ids, "--store", store, "--report", str(tmp_path / "cmp")]) == 0
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert "paired" in html and ids[0] in html and ids[1] in html and html.count("<img ") == 2


@pytest.mark.integration
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
def test_the_comparison_report_renders_in_headless_chromium(res, hot, tmp_path):
    from plants.app.compare_report import write_comparison_report

    page = write_comparison_report(res, hot, tmp_path)
    n_images, n_tables = page.read_text().count("<img "), page.read_text().count("<table")
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body([^>]*)>", out.stdout)
    assert body, out.stderr[-2000:]
    assert f'data-images-loaded="{n_images}/{n_images}"' in body.group(1) and n_images == 2
    assert f'data-tables="{n_tables}"' in body.group(1) and n_tables >= 1


# ------------------------------------------------------------------ sensitivity files (component)
@pytest.mark.component
def test_sensitivity_indices_are_sorted_with_units_drawn_and_readable_by_others(tmp_path):
    import os

    from plants.app.sensitivity_report import write_sensitivity

    idx = pd.DataFrame({"kpi": ["cost.powder_usd_per_kg"] * 3 + ["fbcvd.silane_utilization"] * 3,
                        "parameter": ["settings.a_c", "settings.b_h", "settings.c_min"] * 2,
                        "mu": [0.1, -2.0, 0.5, 0.01, 0.03, 0.02], "mu_star": [0.1, 2.0, 0.5, 0.01, 0.03, 0.02],
                        "sigma": [0.0] * 6, "mu_star_conf": [0.01] * 6})
    old = os.umask(0o022)
    try:
        table, files = write_sensitivity(tmp_path / "sens", idx, "morris")
    finally:
        os.umask(old)
    assert list(table["parameter"][:3]) == ["settings.b_h", "settings.c_min", "settings.a_c"]  # most important first
    assert list(table["kpi"]) == ["cost.powder_usd_per_kg"] * 3 + ["fbcvd.silane_utilization"] * 3
    assert list(table["rank"][:3]) == [1, 2, 3] and table["index_unit"].iloc[0] == "USD/kg per range step"
    csv, png = files
    assert pd.read_csv(csv)["parameter"].tolist() == table["parameter"].tolist()
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in files)
