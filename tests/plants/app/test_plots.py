"""Plot helpers and the notebook-facing API: every helper draws what its frame holds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

import plants
from plants.app import plots

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def res():
    return plants.run(plants.load(ROOT / "scenarios" / "smoke.yaml", ["horizon_h=200", "targets.powder_usd_per_kg=30"]), 2)


def test_public_api_loads_changes_runs_and_compares(res):
    sc = plants.load(ROOT / "scenarios" / "smoke.yaml", ["horizon_h=200", "targets.powder_usd_per_kg=30"])
    hot = sc.with_settings({"fbcvd.bed_temperature_c": 480})
    assert hot.scenario.settings.fbcvd.bed_temperature_c == 480 and sc.scenario.settings.fbcvd.bed_temperature_c == 460
    assert sc.with_settings(fbcvd__bed_temperature_c=480).scenario == hot.scenario
    other = plants.run(hot, 2)
    d = plants.compare(res, other, ["fbcvd.silane_utilization"])
    assert d.loc["fbcvd.silane_utilization", "delta"] == pytest.approx(
        other.summary["fbcvd.silane_utilization"] - res.summary["fbcvd.silane_utilization"])
    html = res._repr_html_()
    assert "Powder cost" in html and "&plusmn;" in html and ".lots" in html
    assert "smoke" in sc._repr_html_()


def test_every_plot_draws_its_data(res):
    roll = res.lots.query("line == 'prelith' and replication == 0").lot_id.iloc[0]
    n_units = res.events.query("kind == 'state'")["unit"].nunique()
    fig = plots.gantt(res)
    rows = {round(float(p.vertices[:, 1].mean())) for c in fig.axes[0].collections for p in c.get_paths()}
    assert len(fig.axes[0].get_yticklabels()) == n_units and rows == set(range(n_units))  # every unit has its bars
    fig = plots.state_shares(res)
    assert len(fig.axes[0].patches) == 5 * 5  # five lines x five states
    fig = plots.buffer_levels(res)
    assert len(fig.axes) == res.levels["buffer"].nunique()
    fig = plots.distribution(res, "coating", "ice", lsl=0.88)
    assert "Cpk" in fig.axes[0].get_title() and fig.axes[0].patches[0].get_data().values.sum() == \
        res.lots.query("line == 'coating'")["ice"].notna().sum()  # the histogram as one step patch
    fig = plots.cost_waterfall(res)
    bars = [p.get_height() for p in fig.axes[0].patches]
    assert bars[-1] == pytest.approx(res.summary["cost.powder_usd_per_kg"], rel=1e-9)
    assert fig.axes[0].get_legend() is not None  # the target line
    fig = plots.cost_attribution(res)
    assert sum(p.get_height() for p in fig.axes[0].patches) * 1e6 == pytest.approx(res.cost_attribution.to_numpy().sum())
    fig = plots.genealogy(res, roll)
    assert str(len(res.ancestry(roll)["lot_id"].unique())) in fig.axes[0].get_title()


def test_run_writes_a_self_contained_report_and_twin_report_rebuilds_it(tmp_path, capsys):
    import re

    from plants.app.cli import main

    assert main(["run", str(ROOT / "scenarios" / "smoke.yaml"), "--out", str(tmp_path), "--set", "horizon_h=150",
                 "--no-store"]) == 0
    page = (tmp_path / "report.html").read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert {"Time per state, by line", "Buffer levels", "Cost of a good kg of powder"} <= set(images)
    assert "Cost by line and category" not in images and "Cost by line and category (USD" in page  # a table now
    # the lot attributes against their spec limits: small multiples in one figure, every attribute named in its caption
    assert any(a.startswith("Lot attributes against their spec limits") and "powder ice" in a for a in images)
    assert any(a.startswith("Genealogy of roll") for a in images)
    assert not re.search(r'(src|href)="https?:', page)  # nothing to fetch: it renders offline
    for title in ("Headline KPIs", "Quality consistency", "Cost ledger", "Sources of the prices"):
        assert title in page
    assert "CMU BatteryCost" in page  # the cost lines trace back to their sources
    md = (tmp_path / "report.md").read_text()  # Markdown viewers do not show data URIs: the images are files beside it
    files = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert "data:image" not in md and len(files) == len(images) and all((tmp_path / f).is_file() for f in files)
    assert "## Cost ledger" in md
    (tmp_path / "report.html").unlink()
    assert main(["report", str(tmp_path)]) == 0 and (tmp_path / "report.html").exists()
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "not a run folder" in capsys.readouterr().err


CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                 if Path(p).exists()), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    import re
    import subprocess

    from plants.app.cli import main

    assert main(["run", str(ROOT / "scenarios" / "smoke.yaml"), "--out", str(tmp_path), "--set", "horizon_h=150",
                 "--no-store"]) == 0
    page = tmp_path / "report.html"
    n_images = page.read_text().count("<img ")
    n_tables = page.read_text().count("<table")
    out = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body([^>]*)>", out.stdout)
    assert body, out.stderr[-2000:]
    # the page's own check, run by the browser on load: every image decoded, every table there
    assert f'data-images-loaded="{n_images}/{n_images}"' in body.group(1)
    assert f'data-tables="{n_tables}"' in body.group(1) and n_images >= 8 and n_tables >= 5


def test_sweep_response_and_tradeoff_plots():
    import pandas as pd

    design = pd.DataFrame({"t": [1.0, 2.0, 3.0]}, index=pd.RangeIndex(3, name="point_id"))
    kpis = pd.DataFrame({"k": [10.0, 12.0, 20.0, 22.0, 30.0, 32.0]},
                        index=pd.MultiIndex.from_product([range(3), range(2)], names=["point_id", "replication"]))
    fig = plots.response(design, kpis, "t", "k")
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == [1.0, 2.0, 3.0] and list(line.get_ydata()) == [11.0, 21.0, 31.0]

    class R:  # the optimizer's result needs only its trade-off frame here
        tradeoff = pd.DataFrame({"limit": ["cap >= v"] * 3, "value": [1.0, 2.0, 3.0],
                                 "status": ["optimal", "optimal", "infeasible"], "predicted_objective": [5.0, 6.0, float("nan")]})

    fig = plots.tradeoff(R())
    assert list(fig.axes[0].lines[0].get_ydata()) == [5.0, 6.0]


def test_report_from_a_stored_sweep(tmp_path, capsys):
    from plants.app.cli import main

    store = str(tmp_path / "runs.duckdb")
    assert main(["sweep", str(ROOT / "scenarios" / "smoke.yaml"), "--store", store, "--serial", "--replications", "2",
                 "--param", "settings.fbcvd.bed_temperature_c=440,480", "--set", "horizon_h=150"]) == 0
    run_id = capsys.readouterr().out.split("complete: run ")[1].split()[0]
    assert main(["report", run_id, "--store", store, "--out", str(tmp_path / "rep")]) == 0
    page = (tmp_path / "rep" / "report.html").read_text()
    from plants.kpi import REGISTRY

    assert f"{REGISTRY.label('cost.powder_usd_per_kg')} against settings.fbcvd.bed_temperature_c" in page
    assert "Design points" in page
    assert run_id in page and "&plusmn;" not in page.split("Headline KPIs")[0]
    assert main(["report", "sweep-nope", "--store", store]) == 2
    assert "sweep-nope" in capsys.readouterr().err
