"""The run report renders the result in memory, with the sources that were actually used."""

from __future__ import annotations

from pathlib import Path

import pytest

from plants.app.api import RunResult, load, run, write_outputs
from plants.app.report import write_report

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def _source_row(md: str, key: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(f"| {key} |"))


def test_an_overridden_price_appears_with_its_value_flagged_as_a_scenario_value(tmp_path):
    sc = load(ROOT / "scenarios" / "smoke.yaml",
              ["horizon_h=100", "warmup_h=0", "overrides.economics.prices.silane_cny_per_t=150000"])
    res = run(sc)
    write_report(tmp_path, res)
    md = (tmp_path / "report.md").read_text()
    row = _source_row(md, "economics.prices.silane_cny_per_t")
    assert "| 150000 |" in row and "scenario value" in row and "75000" not in row
    assert "overridden by the scenario" in md
    assert "reference-2025.yaml" in md and res.summary["parameter_set_sha256"][:12] in md  # which file, which content
    # emission factors are sourced like prices; the investment case and the emission ledger are there
    assert "| emissions.grid_kg_per_kwh |" in md and "| economics.investment.discount_rate |" in md
    assert "## Emission ledger" in md and "## Investment case (powder plant)" in md
    # a price the scenario did not touch keeps its parameter-set value and flag
    untouched = _source_row(md, "economics.prices.ethylene_usd_per_kg")
    assert "scenario value" not in untouched
    # read back from the folder, the report shows the same sources (nothing re-derived from the parameter set)
    write_outputs(res, tmp_path / "run")
    write_report(tmp_path / "run")
    again = _source_row((tmp_path / "run" / "report.md").read_text(), "economics.prices.silane_cny_per_t")
    assert again == row
    assert RunResult.from_folder(tmp_path / "run").summary["cost.total_usd"] == res.summary["cost.total_usd"]


def test_the_report_is_rendered_from_memory_without_reading_the_run_folder(tmp_path):
    res = run(load(ROOT / "scenarios" / "smoke.yaml", ["horizon_h=100", "warmup_h=0"]))
    out = tmp_path / "only-report"
    write_report(out, res)  # no summary.json or parquet there: rendered from the object
    names = sorted(p.name for p in out.iterdir())  # the report and the Markdown's images, nothing else
    assert [n for n in names if not (n.startswith("report-") and n.endswith(".png"))] == ["report.html", "report.md"]
    html = (out / "report.html").read_text()
    assert "Headline KPIs" in html and "**" not in html  # Markdown emphasis is rendered, not shown raw


def test_a_stored_run_report_shows_the_override_it_was_run_with(tmp_path, capsys):
    from plants.app.cli import main

    store = str(tmp_path / "runs.duckdb")
    assert main(["run", str(ROOT / "scenarios" / "smoke.yaml"), "--store", store, "--out", str(tmp_path / "run"),
                 "--set", "horizon_h=100", "--set", "overrides.economics.prices.silane_cny_per_t=150000"]) == 0
    run_id = capsys.readouterr().out.split("Stored as run ")[1].split()[0]
    assert main(["report", run_id, "--store", store, "--out", str(tmp_path / "rep")]) == 0
    row = _source_row((tmp_path / "rep" / "report.md").read_text(), "economics.prices.silane_cny_per_t")
    assert "| 150000 |" in row and "scenario value" in row
