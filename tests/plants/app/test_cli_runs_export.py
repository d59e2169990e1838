"""The run store from the command line and Python: paired comparisons on common random numbers,
refusals of unlike runs, run-id prefixes, tags, notes, deletion, tables that fit the terminal,
--version, --no-report and Excel export."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import plants
from plants.app.api import RunResult
from plants.app.cli import main
from twin.stats import t_quantile
from twin.store import RunStore

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SMOKE = str(ROOT / "scenarios" / "smoke.yaml")
KEYS = ["cost.powder_usd_per_kg", "powder.output_kg"]


@pytest.fixture(scope="module")
def crn(tmp_path_factory):
    """Two stored runs of smoke (3 replications, same seed) that differ in one setting, one with
    another horizon, and a small sweep."""
    tmp = tmp_path_factory.mktemp("crn")
    store = tmp / "runs.duckdb"
    common = ["--store", str(store), "--replications", "3", "--serial", "-q", "--set", "warmup_h=0"]
    assert main(["run", SMOKE, "--out", str(tmp / "base"), "--no-report", *common, "--set", "horizon_h=120"]) == 0
    assert main(["run", SMOKE, "--out", str(tmp / "hot"), *common, "--set", "horizon_h=120",
                 "--set", "settings.fbcvd.bed_temperature_c=480"]) == 0
    assert main(["run", SMOKE, "--out", str(tmp / "short"), "--no-report", *common, "--set", "horizon_h=100"]) == 0
    assert main(["sweep", SMOKE, "--store", str(store), "--serial", "-q", "--set", "horizon_h=100", "--set", "warmup_h=0",
                 "--param", "settings.fbcvd.bed_temperature_c=450,470", "--replications", "1"]) == 0
    with RunStore(store, read_only=True) as s:
        ids = s.runs()["run_id"].tolist()
    return {"tmp": tmp, "store": store, "base": ids[0], "hot": ids[1], "short": ids[2], "sweep": ids[3]}


def test_a_crn_pair_gets_a_paired_interval_narrower_than_welch_equal_to_the_hand_computation(crn, capsys):
    capsys.readouterr()
    with RunStore(crn["store"], read_only=True) as s:
        paired = s.compare(crn["base"], crn["hot"], KEYS)
        welch = s.compare(crn["base"], crn["hot"], KEYS, method="welch")
        a, b = s.kpis(crn["base"]), s.kpis(crn["hot"])
    assert paired.attrs["method"] == "paired" and set(paired["method"]) == {"paired"}
    for k in KEYS:
        d = (b[k].to_numpy() - a[k].to_numpy())
        assert paired.loc[k, "ci95_half"] == pytest.approx(t_quantile(2) * np.std(d, ddof=1) / math.sqrt(3), rel=1e-9)
        assert paired.loc[k, "ci95_half"] < welch.loc[k, "ci95_half"]
        assert paired.loc[k, "delta"] == pytest.approx(welch.loc[k, "delta"], rel=1e-9)
    # the Python API pairs the same way, on runs read back from the store
    ra, rb = RunResult.from_store(crn["store"], crn["base"]), RunResult.from_store(crn["store"], crn["hot"])
    py = plants.compare(ra, rb, KEYS)
    assert py.attrs["method"] == "paired" and (py["method"] == "paired").all()
    assert py.loc[KEYS[0], "ci95_half"] == pytest.approx(paired.loc[KEYS[0], "ci95_half"], rel=1e-9)
    assert plants.compare(ra, rb, KEYS, method="welch").loc[KEYS[0], "ci95_half"] == pytest.approx(
        welch.loc[KEYS[0], "ci95_half"], rel=1e-9)
    # the command line says which method it used
    assert main(["runs", "compare", crn["base"][:30], crn["hot"], "--store", str(crn["store"]),
                 *[a for k in KEYS for a in ("--kpi", k)]]) == 0
    out = capsys.readouterr().out
    assert "method: paired" in out and "common random numbers" in out and KEYS[0] in out
    # and sweep points share streams by design
    with RunStore(crn["store"], read_only=True) as s:
        assert s.compare(crn["sweep"], crn["sweep"], point_a=0, point_b=1).attrs["method"] == "paired"


def test_unlike_runs_are_refused_unless_forced_and_warned_about(crn, capsys):
    capsys.readouterr()
    args = ["runs", "compare", crn["base"], crn["short"], "--store", str(crn["store"]), "--kpi", KEYS[0]]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "horizon differs: 120 h vs 100 h" in err and "--force" in err
    assert main([*args, "--force"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: comparing runs that differ: horizon differs" in captured.err and KEYS[0] in captured.out
    ra, rs = RunResult.from_store(crn["store"], crn["base"]), RunResult.from_store(crn["store"], crn["short"])
    with pytest.warns(UserWarning, match="horizon differs"):
        table = plants.compare(ra, rs, KEYS)
    assert table.attrs["warnings"] == ["horizon differs: 120 h vs 100 h"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plants.compare(ra, RunResult.from_store(crn["store"], crn["hot"]), KEYS)  # like runs: no warning


def test_version_prefixes_listing_tags_notes_and_deletion(crn, capsys, monkeypatch):
    store = ["--store", str(crn["store"])]
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and re.match(r"twin \(sic-twin\) \d+\.\d+", capsys.readouterr().out)
    assert main(["runs", "tag", crn["hot"][:22], "hot", "trial", *store]) == 0
    assert main(["runs", "note", crn["hot"][:22], "480", "degC", "trial", *store]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["runs", "list", *store]) == 0
    listing = capsys.readouterr().out
    row = next(line for line in listing.split("\n") if line.startswith(crn["hot"]))
    assert re.search(r"\b120\s+3\b", row)  # horizon and replications
    assert "settings.fbcvd.bed_temperature_c=480" in row and "hot, trial" in row and "480 degC trial" in row
    assert main(["runs", "list", "--tag", "hot", *store]) == 0
    tagged = capsys.readouterr().out
    assert crn["hot"] in tagged and crn["base"] not in tagged
    monkeypatch.setenv("COLUMNS", "80")
    for argv in (["runs", "list", *store], ["runs", "show", crn["sweep"], *store],
                 ["runs", "compare", crn["base"], crn["hot"], *store]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert max(len(line) for line in out.split("\n")) <= 80, argv
    assert main(["runs", "show", crn["hot"][:22], *store]) == 0
    shown = capsys.readouterr().out
    assert "hot, trial" in shown and "480 degC trial" in shown
    assert main(["runs", "show", "run-", *store]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and crn["base"] in err and crn["hot"] in err


def test_deleting_runs_removes_them_and_their_rows(crn, tmp_path, capsys):
    store = tmp_path / "runs.duckdb"
    assert main(["run", SMOKE, "--out", str(tmp_path / "o"), "--no-report", "--store", str(store), "--serial", "-q",
                 "--set", "horizon_h=60", "--set", "warmup_h=0"]) == 0
    with RunStore(store, read_only=True) as s:
        (rid,) = s.runs()["run_id"]
    capsys.readouterr()
    assert main(["runs", "delete", rid[:20], "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert f"deleted 1 run(s): {rid}" in out and "lot rows" in out
    with RunStore(store, read_only=True) as s:
        assert s.runs().empty
        assert s.sql("SELECT (SELECT count(*) FROM kpis) + (SELECT count(*) FROM lots) AS n").iloc[0, 0] == 0


def test_no_report_and_excel_export_of_a_folder_a_stored_run_a_sweep_and_a_comparison(crn, capsys):
    tmp, store = crn["tmp"], str(crn["store"])
    assert (tmp / "base" / "summary.json").is_file() and not (tmp / "base" / "report.html").exists()  # --no-report
    assert (tmp / "hot" / "report.html").is_file()
    assert main(["export", str(tmp / "base"), "--xlsx", str(tmp / "folder.xlsx")]) == 0
    book = pd.read_excel(tmp / "folder.xlsx", sheet_name=None)
    assert {"info", "summary", "lots", "cost ledger"} <= set(book)
    summary = book["summary"].set_index("KPI")
    folder = RunResult.from_folder(tmp / "base")
    assert float(summary.loc["cost.powder_usd_per_kg", "value"]) == pytest.approx(folder.summary["cost.powder_usd_per_kg"])
    assert summary.loc["cost.powder_usd_per_kg", "unit"] == "USD/kg"
    assert float(summary.loc["cost.powder_usd_per_kg", "ci95_half"]) == pytest.approx(
        folder.summary["cost.powder_usd_per_kg.ci95_half"])
    assert summary.loc["plant.bottleneck", "value"] == folder.summary["plant.bottleneck"]
    assert len(book["lots"]) == len(folder.lots) and len(book["cost ledger"]) == len(folder.costs)
    assert book["cost ledger"]["usd"].sum() == pytest.approx(folder.costs["usd"].sum())

    assert main(["export", crn["sweep"][:30], "--xlsx", str(tmp / "sweep.xlsx"), "--store", store]) == 0
    sweep = pd.read_excel(tmp / "sweep.xlsx", sheet_name="sweep")
    assert sweep["settings.fbcvd.bed_temperature_c"].tolist() == [450, 470]
    with RunStore(crn["store"], read_only=True) as s:
        k = s.kpis(crn["sweep"])
    assert sweep["cost.powder_usd_per_kg"].tolist() == pytest.approx(k["cost.powder_usd_per_kg"].tolist())

    assert main(["runs", "compare", crn["base"], crn["hot"], "--store", store, "--xlsx", str(tmp / "cmp.xlsx")]) == 0
    cmp = pd.read_excel(tmp / "cmp.xlsx", sheet_name=None)
    table = cmp["comparison"].set_index("key")
    assert (table["method"] == "paired").all() and table.loc["cost.powder_usd_per_kg", "unit"] == "USD/kg"
    info = cmp["info"].set_index("item")["value"]
    assert info["method"] == "paired" and info["run A"] == crn["base"]
    assert main(["export", "run-nope", "--xlsx", str(tmp / "x.xlsx"), "--store", store]) == 2
    assert not (tmp / "x.xlsx").exists()


def test_kpis_are_numbers_and_labels_come_separately(crn):
    res = RunResult.from_folder(crn["tmp"] / "hot")
    k = res.kpis()
    assert k.dtype == np.float64 and "plant.bottleneck" not in k.index and k["horizon_h"] == 120.0
    assert res.labels()["plant.bottleneck"] == res.summary["plant.bottleneck"]
    table = res.kpi_summary(["cost.powder_usd_per_kg", "powder.output_kg"])
    assert list(table.columns) == ["label", "unit", "value", "ci95_half"]
    assert table.loc["cost.powder_usd_per_kg", "unit"] == "USD/kg"
    assert table.loc["cost.powder_usd_per_kg", "value"] == pytest.approx(res.summary["cost.powder_usd_per_kg"])
    assert table.loc["powder.output_kg", "ci95_half"] == pytest.approx(res.summary["powder.output_kg.ci95_half"])


def test_every_command_prints_its_help(capsys):
    from plants.app.cli import _parser

    sub = next(a for a in _parser()._actions if a.dest == "command")
    for command in [None, *sub.choices]:
        with pytest.raises(SystemExit) as done:
            main(["--help"] if command is None else [command, "--help"])
        assert done.value.code == 0, command
        assert "usage: twin" in capsys.readouterr().out


def test_runs_show_progress_in_simulated_hours_or_replications_on_a_terminal(monkeypatch):
    import io

    from twin.experiments import Backend

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    sc = plants.load(SMOKE, ["horizon_h=48", "warmup_h=0"])
    monkeypatch.delenv("TWIN_NO_PROGRESS", raising=False)
    monkeypatch.delenv("TWIN_PROGRESS", raising=False)
    for n, expect in ((1, "run smoke (simulated h)"), (2, "run smoke (replications)")):
        err = Tty()
        monkeypatch.setattr("sys.stderr", err)
        plants.run(sc, n, backend=Backend("serial"))
        text = err.getvalue()
        assert expect in text and ("48/48" if n == 1 else "2/2") in text, text
    monkeypatch.setenv("TWIN_NO_PROGRESS", "1")
    err = Tty()
    monkeypatch.setattr("sys.stderr", err)
    plants.run(sc)
    assert err.getvalue() == ""
