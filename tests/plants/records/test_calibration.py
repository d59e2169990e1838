"""Calibration from records the twin exported with known, non-default parameters: the 95 % intervals
cover the truth in about 95 % of repeated trials, exclude a value that is badly wrong, and shrink as
the record gets longer; the calibrated set flags what it estimated C; the commands end to end."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from plants.app.api import load
from plants.calibration import calibrate_records
from plants.plant import simulate
from plants.records import export_replication, read_records

ROOT = Path(__file__).resolve().parents[3]
EQUIPMENT = {"fbcvd": ("fbcvd", "equipment"), "coating": ("coating", "equipment"), "mixing": ("casting", "mixer"),
             "casting": ("casting", "equipment"), "prelith": ("prelith", "equipment")}
RELIABILITY = {"mtbf_h": 40.0, "repair_median_h": 2.0, "repair_sigma": 0.5}  # far from the reference set's values
WRONG = {"mtbf_h": 4.0, "repair_median_h": 2.0, "repair_sigma": 2.5}  # factors off the truth a useful interval excludes
PHYSICS = {"crystallite_growth_activation_j_mol": 80000.0, "sic_activation_j_mol": 45000.0}


def _smoke_tree(horizon_h: float) -> dict:
    tree = yaml.safe_load((ROOT / "scenarios" / "smoke.yaml").read_text(encoding="utf-8"))
    tree["horizon_h"] = horizon_h
    return tree


def _plant(horizon_h: float, seed: int, physics: bool = False) -> dict:
    """The smoke plant with unreliable machines on every line (and, with ``physics``, non-default
    kinetics and a wide temperature scatter): the 'real plant' the records come from."""
    tree = _smoke_tree(horizon_h)
    tree["seed"] = seed
    for section, group in EQUIPMENT.values():
        tree["overrides"].setdefault(section, {}).setdefault(group, {}).update(RELIABILITY)
    if physics:
        tree["overrides"]["fbcvd"]["equipment"].update({"reactor_temperature_bias_sd_c": 10.0,
                                                        "batch_temperature_sd_c": 8.0})
        tree["overrides"]["fbcvd"]["kinetics"] = dict(PHYSICS)
    return tree


def _records(tree: dict, folder: Path):
    loaded = load(copy.deepcopy(tree))
    export_replication(simulate(loaded, 0), loaded, folder)
    return read_records(folder)


@pytest.fixture(scope="module")
def prior():
    """What the calibration starts from: the smoke scenario with the reference set's values."""
    return load(_smoke_tree(240.0))


@pytest.mark.integration
def test_reliability_intervals_cover_the_true_values_in_about_95_percent_of_trials(prior, tmp_path):
    hits = {k: [] for k in RELIABILITY}
    wrong = {k: [] for k in RELIABILITY}  # a value WRONG times the truth must mostly fall outside
    for seed in range(1, 17):
        rec = _records(_plant(240.0, seed), tmp_path / f"r{seed}")
        cal = calibrate_records(rec, prior, ("reliability",))
        for c in cal.values:
            key = c.path.rsplit(".", 1)[-1]
            if c.group == "reliability" and key in RELIABILITY and c.written:
                hits[key].append(c.estimate.contains(RELIABILITY[key]))
                if c.estimate.n >= 5:  # with fewer, any honest interval is wide
                    wrong[key].append(c.estimate.contains(RELIABILITY[key] * WRONG[key]))
    for key in RELIABILITY:
        n = len(hits[key])
        assert n >= 50, f"{key}: only {n} estimates over 16 trials x 5 lines"
        assert np.mean(hits[key]) >= 0.8, f"{key}: the 95 % intervals covered the truth in {np.mean(hits[key]):.0%} of {n}"
        assert len(wrong[key]) >= 20 and np.mean(wrong[key]) <= 0.5, (
            f"{key}: intervals too wide, a wrong value inside {np.mean(wrong[key]):.0%}")


@pytest.mark.integration
def test_physics_constants_are_recovered_within_their_intervals_from_noisy_lab_values(prior, tmp_path):
    """Records from a plant with non-default kinetics; the lab measures crystallite size and SiC
    fraction with 2 % error (added here); 30 repeated measurements."""
    rec = _records(_plant(240.0, 3, physics=True), tmp_path / "r")
    rng = np.random.default_rng(11)
    hits = {k: [] for k in PHYSICS}
    for _ in range(30):
        lots = rec["lots"].copy()
        cvd = lots["kind"] == "fbcvd"
        for col in ("crystallite_nm", "sic_fraction_1"):
            lots.loc[cvd, col] = lots.loc[cvd, col] * (1 + 0.02 * rng.standard_normal(int(cvd.sum())))
        cal = calibrate_records(dataclasses.replace(rec, tables={**rec.tables, "lots": lots}), prior, ("physics",))
        got = {c.path.rsplit(".", 1)[-1]: c for c in cal.values if c.group == "physics"}
        for k, true in PHYSICS.items():
            if k in got:
                assert got[k].prior != true  # the prior is the reference set's, not the truth
                hits[k].append(got[k].estimate.contains(true))
        assert any("sic_c2h4_max" in w and "one C2H4 ratio" in w for w in cal.warnings)  # said, not guessed
    for k, h in hits.items():
        assert len(h) >= 20, f"{k} was identified in only {len(h)} of 30 trials"
        assert np.mean(h) >= 0.8, f"{k}: covered in {np.mean(h):.0%} of {len(h)}"


@pytest.mark.integration
def test_intervals_shrink_as_the_record_gets_longer(prior, tmp_path):
    short = calibrate_records(_records(_plant(240.0, 5), tmp_path / "short"), prior, ("reliability",))
    long = calibrate_records(_records(_plant(960.0, 5), tmp_path / "long"), prior, ("reliability",))

    def widths(cal):
        return {c.path: (c.estimate.high - c.estimate.low) / c.estimate.value for c in cal.values
                if c.written and c.path.rsplit(".", 1)[-1] in RELIABILITY}

    ws, wl = widths(short), widths(long)
    common = [p for p in ws if p in wl]
    assert len(common) >= 10
    assert sum(wl[p] < ws[p] for p in common) >= 0.8 * len(common)
    assert np.median([wl[p] / ws[p] for p in common]) < 0.75


@pytest.mark.integration
def test_the_calibrated_set_flags_estimates_c_keeps_the_rest_and_validates(prior, tmp_path):
    from plants.calibration import calibrate
    from plants.parameters import load_parameter_set
    from twin.params import collect_sources

    rec_dir = tmp_path / "rec"
    _records(_plant(240.0, 2), rec_dir)
    out = tmp_path / "cal.yaml"
    res = calibrate(prior, rec_dir, out, tmp_path / "report")
    _, sources = load_parameter_set(str(out))
    before = collect_sources(prior.parameter_tree)  # the set as calibrate read it (not re-read: it may be edited)
    assert "fbcvd.equipment.mtbf_h" in res.written
    for path, src in sources.items():
        if path in res.written:
            assert src.flag.value == "C"
            assert res.calibration.records.sha256[:16] in src.source and "n=" in src.source and "95 % interval" in src.source
        else:
            assert (src.value, src.flag) == (before[path].value, before[path].flag), path
    mtbf = sources["fbcvd.equipment.mtbf_h"].value
    assert 15 < mtbf < 100  # the plant's 40 h, not the prior's 600 h
    assert (tmp_path / "report" / "report.html").is_file()
    assert "Estimates written" in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.integration
def test_twin_run_exports_records_that_read_back_without_errors(tmp_path, capsys):
    from plants.app.cli import main

    rec = tmp_path / "rec"
    code = main(["run", str(ROOT / "scenarios" / "smoke.yaml"), "--set", "horizon_h=120", "--out", str(tmp_path / "run"),
                 "--no-store", "--export-records", str(rec)])
    assert code == 0
    got = read_records(rec)
    assert got.skipped == [] and got.end_h == pytest.approx(120.0)
    lots = pd.read_parquet(tmp_path / "run" / "lots.parquet")
    assert set(got["lots"]["lot_id"]) == set(lots.loc[lots["replication"] == 0, "lot_id"])
    # the state intervals of each machine tile the record without gaps or overlaps
    st = got["equipment_states"].sort_values(["equipment", "start_h"])
    for _, g in st.groupby("equipment"):
        assert np.allclose(g["start_h"].to_numpy()[1:], g["end_h"].to_numpy()[:-1], atol=1e-3)
        assert g["end_h"].max() == pytest.approx(120.0)


@pytest.mark.integration
def test_an_export_that_fails_leaves_no_partial_folder(tmp_path, monkeypatch):
    from twin.errors import InputError

    loaded = load(_smoke_tree(48.0))
    rep = simulate(loaded, 0)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not records written by the twin"):
        export_replication(rep, loaded, tmp_path / "busy")
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]

    def broken(frames, *a, **k):
        raise OSError(28, "No space left on device")

    real = pd.DataFrame.to_csv
    calls = {"n": 0}

    def flaky(self, path, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(InputError, match="cannot be written"):
        export_replication(rep, loaded, tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new")]


@pytest.mark.integration
def test_twin_calibrate_and_validate_from_the_command_line(tmp_path, capsys):
    from plants.app.cli import main

    rec = tmp_path / "rec"
    _records(_plant(240.0, 4), rec)
    out = tmp_path / "my-plant.yaml"
    assert main(["calibrate", str(ROOT / "scenarios" / "smoke.yaml"), "--data", str(rec), "--out", str(out),
                 "--report", str(tmp_path / "rep")]) == 0
    text = capsys.readouterr()
    assert "fbcvd.equipment.mtbf_h" in text.out and "calibrated (flag C)" in text.out
    scen = tmp_path / "s.yaml"
    scen.write_text((ROOT / "scenarios" / "smoke.yaml").read_text().replace("parameter_set: reference-2025",
                                                                             f"parameter_set: {out}"), encoding="utf-8")
    assert main(["validate", str(scen)]) == 0
    said = capsys.readouterr().out
    n_cal = int(said.split(" calibrated from plant records")[0].rsplit(", ", 1)[-1])
    assert n_cal >= 10
    # bad records: exit code 2 and the file, row and column named
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in rec.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    lines = (bad / "genealogy.csv").read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "S999999")
    (bad / "genealogy.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["calibrate", str(ROOT / "scenarios" / "smoke.yaml"), "--data", str(bad), "--out", str(tmp_path / "x.yaml"),
                 "--report", str(tmp_path / "rep2")]) == 2
    err = capsys.readouterr().err
    assert "genealogy.csv: row 4, column parent_lot: is an orphan link" in err
    assert not (tmp_path / "x.yaml").exists()
    assert main(["calibrate", str(ROOT / "scenarios" / "smoke.yaml"), "--data", str(bad), "--out", str(tmp_path / "x.yaml"),
                 "--report", str(tmp_path / "rep2"), "--lenient"]) == 0
    assert "skipped: " in capsys.readouterr().err


@pytest.mark.integration
def test_backtest_puts_the_records_inside_the_calibrated_twin_and_outside_the_prior(prior, tmp_path, capsys):
    from plants.app.cli import main
    from plants.calibration import calibrate
    from plants.calibration.backtest import backtest

    rec = tmp_path / "rec"
    plant = _plant(240.0, 6)
    plant["overrides"]["fbcvd"]["equipment"].update({"mtbf_h": 30.0, "repair_median_h": 6.0})  # down ~1/6 of the time
    _records(plant, rec)
    cal = calibrate(prior, rec, tmp_path / "cal.yaml")
    down = ("state share", "fbcvd", "down")

    def verdict(bt):
        return bt.table.set_index(["group", "line", "metric"]).loc[down, "verdict"]

    with_prior = backtest(prior, rec, None, 6)
    assert verdict(with_prior) == "outside"  # MTBF 600 h predicts far less downtime than the plant had
    calibrated = backtest(prior, rec, cal.parameter_file, 6, tmp_path / "bt")
    assert verdict(calibrated) == "inside"
    judged = calibrated.table[calibrated.table["verdict"] != "n/a"]
    assert len(judged) >= 40 and (judged["verdict"] == "inside").mean() >= 0.75
    # the Cpk of every property with spec limits is compared too (the smoke specs: the powder's four)
    cpk = calibrated.table[calibrated.table["group"] == "property Cpk"]
    assert {("coating", "ice_1"), ("coating", "si_content_wt"), ("coating", "capacity_mah_g")} <= set(
        zip(cpk["line"], cpk["metric"], strict=True))
    assert cpk["observed"].notna().all() and cpk["verdict"].isin(["inside", "outside"]).all()
    assert (tmp_path / "bt" / "report.md").is_file()
    assert main(["backtest", str(ROOT / "scenarios" / "smoke.yaml"), "--data", str(rec), "--params", str(cal.parameter_file),
                 "--replications", "3", "--out", str(tmp_path / "bt2")]) == 0
    assert "comparisons inside the twin's 95 % prediction interval" in capsys.readouterr().out


@pytest.mark.integration
def test_supply_lead_times_are_estimated_from_the_deliveries(prior, tmp_path):
    tree = _smoke_tree(2000.0)
    tree["overrides"]["fbcvd"]["silane"] = {"lead_time_median_h": 20.0, "lead_time_sigma": 0.2}
    rec = _records(tree, tmp_path / "rec")
    sd = rec["supply_deliveries"]
    assert (sd["supply"] == "silane").sum() >= 3 and (sd["time_h"] > sd["ordered_h"]).all()
    cal = calibrate_records(rec, prior, ("supply",))
    got = {c.path: c for c in cal.values}
    median = got["fbcvd.silane.lead_time_median_h"]
    assert median.prior == 48.0 and median.written and median.estimate.contains(20.0) and not median.estimate.contains(48.0)


@pytest.mark.integration
def test_the_backtest_runs_the_recorded_recipes(prior, tmp_path):
    from plants.calibration.backtest import scenario_for_records

    tree = _smoke_tree(48.0)
    tree["settings"]["fbcvd"]["bed_temperature_c"] = 470
    tree["settings"]["fbcvd"]["gas_program"] = {"silane_fraction_end": 0.05, "c2h4_ratio_end": 0.4}
    rec = _records(tree, tmp_path / "rec")
    sc, notes = scenario_for_records(prior, rec, None)
    assert sc.scenario.settings.fbcvd.bed_temperature_c == 470
    assert sc.scenario.settings.fbcvd.gas_program.c2h4_ratio_end == 0.4
    assert sc.scenario.horizon_h == pytest.approx(48.0) and sc.scenario.warmup_h == 0
    assert any("recorded recipes applied" in n for n in notes)
    cal = calibrate_records(rec, prior, ("physics",))
    assert any("gas program" in w for w in cal.warnings)  # a ramp the point model cannot fit: said, not fitted


@pytest.mark.integration
def test_changeover_cadence_and_duration_are_estimated_from_the_casting_log(prior, tmp_path):
    tree = _smoke_tree(600.0)
    tree["overrides"]["casting"]["equipment"].update({"changeover_every_km": 8.0, "changeover_h": 0.4})
    rec = _records(tree, tmp_path / "rec")
    cal = calibrate_records(rec, prior, ("reliability",))
    got = {c.path: c for c in cal.values}
    every, hours = got["casting.equipment.changeover_every_km"], got["casting.equipment.changeover_h"]
    assert every.estimate.n >= 5 and every.estimate.contains(8.0) and not every.estimate.contains(60.0)  # prior: 60 km
    assert hours.estimate.value == pytest.approx(0.4) and every.written and hours.written
