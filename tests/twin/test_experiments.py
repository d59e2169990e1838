"""Experiments at scale: designs, sensitivity indices, backends giving identical results, the store surviving a kill."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plants.app.plant import PLANT
from twin.designs import grid, latin_hypercube, parse_params, point_sets
from twin.errors import InputError
from twin.experiments import Backend, chunked

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
SHORT = ["horizon_h=120", "warmup_h=0"]
TWIN = [sys.executable, "-m", "plants.app.cli"]


# ------------------------------------------------------------------ designs (unit)
@pytest.mark.unit
def test_grid_is_the_full_product_in_order():
    d = grid({"a": [1.0, 2.0], "b": ["x", "y", "z"]})
    assert len(d) == 6 and list(d.index) == list(range(6))
    assert d.iloc[0].tolist() == [1.0, "x"] and d.iloc[-1].tolist() == [2.0, "z"]
    assert point_sets(d, 4) == ["a=2", "b=y"]


@pytest.mark.unit
def test_latin_hypercube_has_one_point_in_every_stratum_and_is_reproducible():
    d = latin_hypercube({"t": (400.0, 500.0), "f": (0.05, 0.2)}, 25, seed=3)
    for col, (lo, hi) in (("t", (400.0, 500.0)), ("f", (0.05, 0.2))):
        strata = np.floor((d[col] - lo) / (hi - lo) * 25).astype(int)
        assert sorted(strata) == list(range(25))
    pd.testing.assert_frame_equal(d, latin_hypercube({"t": (400.0, 500.0), "f": (0.05, 0.2)}, 25, seed=3))
    assert not d.equals(latin_hypercube({"t": (400.0, 500.0), "f": (0.05, 0.2)}, 25, seed=4))


@pytest.mark.unit
def test_parse_params_values_ranges_and_errors():
    values, ranges = parse_params(["settings.x=1,2,3", "settings.y=0.5:1.5", "settings.r=li_foil,thin_layer"])
    assert values == {"settings.x": [1.0, 2.0, 3.0], "settings.r": ["li_foil", "thin_layer"]}
    assert ranges == {"settings.y": (0.5, 1.5)}
    for bad in (["nope"], ["a=2:1"], ["a=x:y"], ["a=1", "a=2"]):
        with pytest.raises(InputError):
            parse_params(bad)


@pytest.mark.unit
def test_chunks_keep_order_and_cover_everything():
    items = list(range(203))
    chunks = chunked(items, workers=2, per_worker=4)
    assert [x for c in chunks for x in c] == items
    assert len(chunks) == 8 and max(len(c) for c in chunks) == 26
    assert chunked([], 2) == []


# ------------------------------------------------------------------ sensitivity (unit)
@pytest.mark.unit
def test_sensitivity_indices_of_a_known_function():
    from twin.sensitivity import analyze, sample

    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}
    f = lambda d: pd.DataFrame({"y": 4.0 * d["a"] + 1.0 * d["b"]})  # noqa: E731  (c does nothing)
    m = sample("morris", bounds, 20, seed=1)
    mi = analyze("morris", bounds, m, f(m), seed=1).set_index("parameter")
    assert mi.loc["a", "mu_star"] == pytest.approx(4.0) and mi.loc["b", "mu_star"] == pytest.approx(1.0)
    assert mi.loc["c", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    s = sample("sobol", bounds, 1024, seed=1)
    si = analyze("sobol", bounds, s, f(s), seed=1).set_index("parameter")
    # var(4a) / var(4a + b) = 16/17
    assert si.loc["a", "S1"] == pytest.approx(16 / 17, abs=0.05) and si.loc["b", "S1"] == pytest.approx(1 / 17, abs=0.03)
    assert si.loc["c", "ST"] == pytest.approx(0.0, abs=0.01)


# ------------------------------------------------------------------ backends (integration)
def _results(exp) -> pd.DataFrame:
    k = exp.kpis.drop(columns=[c for c in exp.kpis.columns if c in ("sim.wall_s",)])
    return k.sort_index()


@pytest.mark.integration
def test_serial_pool_and_dask_give_the_same_results_bit_for_bit(tmp_path):
    from twin.campaign import run_experiment

    design = grid({"settings.fbcvd.bed_temperature_c": [450.0, 470.0]})
    got = {}
    for name, backend in (("serial", Backend("serial")), ("pool", Backend("pool", 2)), ("dask", Backend("dask", 2))):
        exp = run_experiment(PLANT, "sweep", PLANT.load(SMOKE, SHORT), design, 2, backend, tmp_path / f"{name}.duckdb",
                             progress=False)
        assert exp.complete and exp.computed == 4
        got[name] = _results(exp)
    pd.testing.assert_frame_equal(got["serial"], got["pool"])
    pd.testing.assert_frame_equal(got["serial"], got["dask"])
    # common random numbers: replication r of both points drew the same seeds, and the hotter bed differs
    k = got["serial"]
    assert k.loc[(0, 1), "fbcvd.silane_utilization"] != k.loc[(1, 1), "fbcvd.silane_utilization"]


@pytest.mark.integration
def test_a_sweep_point_equal_to_the_base_reproduces_twin_run(tmp_path):
    from plants.app.api import load, run
    from twin.campaign import run_experiment

    base = run(load(SMOKE, SHORT), 2)
    exp = run_experiment(PLANT, "sweep", PLANT.load(SMOKE, SHORT), grid({"settings.fbcvd.bed_temperature_c": [460.0]}), 2,
                         Backend("serial"), tmp_path / "s.duckdb", progress=False)
    for r in range(2):
        for key in ("powder.output_kg", "cost.total_usd", "prelith.ice_mean"):
            assert exp.kpis.loc[(0, r), key] == base.replications[r][key]


def _start(cmd: list[str], **kw) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@pytest.mark.integration
def test_sweep_on_a_real_dask_scheduler_and_workers(tmp_path):
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    sched = _start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                    "--no-dashboard", "--scheduler-file", str(sched_file)], env=env)
    workers = []
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        import json

        address = json.loads(sched_file.read_text())["address"]
        workers = [_start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                           "--no-dashboard", "--nworkers", "1"], env=env) for _ in range(2)]
        store = tmp_path / "runs.duckdb"
        cmd = TWIN + ["sweep", str(SMOKE), "--store", str(store), "--param", "settings.fbcvd.bed_temperature_c=450,470"]
        for s in SHORT:
            cmd += ["--set", s]
        out = subprocess.run(cmd + ["--scheduler", address, "--replications", "2"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        ref = subprocess.run(cmd + ["--serial", "--replications", "2", "--store", str(tmp_path / "ref.duckdb")],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert ref.returncode == 0, ref.stderr
        from twin.store import RunStore

        with RunStore(store, read_only=True) as a, RunStore(tmp_path / "ref.duckdb", read_only=True) as b:
            ka, kb = (s.kpis(s.runs()["run_id"].iloc[0]).drop(columns=["sim.wall_s"]) for s in (a, b))
        pd.testing.assert_frame_equal(ka.sort_index(), kb.sort_index())
    finally:
        for p in [*workers, sched]:
            p.terminate()
        for p in [*workers, sched]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.integration
def test_a_killed_sweep_resumes_without_losing_or_repeating_anything(tmp_path):
    store = tmp_path / "runs.duckdb"
    sweep = ["--replications", "3", "--param", "settings.casting.line_speed_m_min=20,25,30,35", "--set", "horizon_h=200"]
    cmd = TWIN + ["sweep", str(SMOKE), "--store", str(store), "--workers", "2", *sweep]
    proc = _start(cmd, start_new_session=True, env={**os.environ, "TWIN_PROGRESS": "plain"})  # progress lines on a pipe
    seen = ""
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until some, not all, results are stored
        line = proc.stderr.readline()
        seen += line
        if "/12 " in line and not line.split("]")[1].strip().startswith(("0/", "12/")):
            break
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: parent and pool workers, mid-write or not
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, seen
    from twin.store import RunStore

    with RunStore(store, read_only=True) as s:
        run_id = s.runs()["run_id"].iloc[0]
        before = s.done(run_id)
    assert 0 < len(before) < 12
    out = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"({12 - len(before)} tasks computed now)" in out.stdout
    with RunStore(store, read_only=True) as s:
        assert list(s.runs()["run_id"]) == [run_id]
        assert s.runs()["status"].iloc[0] == "complete"
        k = s.kpis(run_id)
        counts = s.sql("select point_id, replication, count(*) n from results group by all having n > 1")
    assert len(k) == 12 and k.index.is_unique and counts.empty
    # what was computed before the kill equals what an uninterrupted run computes
    ref = subprocess.run(TWIN + ["sweep", str(SMOKE), "--store", str(tmp_path / "ref.duckdb"), "--serial", *sweep],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    with RunStore(tmp_path / "ref.duckdb", read_only=True) as s:
        kr = s.kpis(s.runs()["run_id"].iloc[0])
    pd.testing.assert_frame_equal(k.drop(columns=["sim.wall_s"]).sort_index(), kr.drop(columns=["sim.wall_s"]).sort_index())


@pytest.mark.integration
def test_sensitivity_command_on_the_declared_ranges(tmp_path):
    scen = tmp_path / "sens.yaml"
    scen.write_text(SMOKE.read_text() + """
sensitivity:
  parameters:
    settings.fbcvd.bed_temperature_c: {min: 440, max: 490}
    settings.casting.coat_weight_mg_cm2: {min: 5.0, max: 7.0}
  kpis: [fbcvd.silane_utilization, casting.areal_capacity_mah_cm2_mean]
  morris_trajectories: 4
""")
    out = subprocess.run(TWIN + ["sensitivity", str(scen), "--store", str(tmp_path / "s.duckdb"), "--out", str(tmp_path),
                                 "--set", "horizon_h=120", "--workers", "2"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    idx = pd.read_csv(tmp_path / "sensitivity_morris.csv").set_index(["kpi", "parameter"])
    # coat weight drives areal capacity far more than the bed temperature does (through the powder's
    # capacity); bed temperature drives silane utilisation and coat weight cannot reach it
    assert idx.loc[("casting.areal_capacity_mah_cm2_mean", "settings.casting.coat_weight_mg_cm2"), "mu_star"] > \
        3 * idx.loc[("casting.areal_capacity_mah_cm2_mean", "settings.fbcvd.bed_temperature_c"), "mu_star"]
    assert idx.loc[("fbcvd.silane_utilization", "settings.fbcvd.bed_temperature_c"), "mu_star"] > 0
    assert math.isclose(idx.loc[("fbcvd.silane_utilization", "settings.casting.coat_weight_mg_cm2"), "mu_star"], 0.0,
                        abs_tol=1e-12)


@pytest.mark.integration
def test_bad_sweep_input_is_a_clear_error_and_stores_nothing(tmp_path):
    store = tmp_path / "runs.duckdb"
    out = subprocess.run(TWIN + ["sweep", str(SMOKE), "--store", str(store),
                                 "--param", "settings.fbcvd.bed_temprature_c=450,470"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "bed_temprature_c" in out.stderr and "bed_temperature_c" in out.stderr and "Traceback" not in out.stderr
    assert not store.exists()


@pytest.mark.integration
def test_runs_are_stored_listed_shown_and_compared(tmp_path, capsys):
    from plants.app.cli import main

    store = str(tmp_path / "runs.duckdb")
    ids = []
    for temp in (450, 470):
        assert main(["run", str(SMOKE), "--out", str(tmp_path / f"o{temp}"), "--store", store, "--replications", "3",
                     "--set", "horizon_h=120", "--set", f"settings.fbcvd.bed_temperature_c={temp}", "--serial"]) == 0
        out = capsys.readouterr().out
        ids.append(out.split("Stored as run ")[1].split()[0])
    assert (tmp_path / "o450" / "costs.parquet").exists()
    assert main(["runs", "list", "--store", store]) == 0
    listing = capsys.readouterr().out
    assert ids[0] in listing and ids[1] in listing
    assert main(["runs", "show", ids[0], "--store", store]) == 0
    assert "scenario_sha256" in capsys.readouterr().out
    assert main(["runs", "compare", ids[0], ids[1], "--store", store, "--kpi", "fbcvd.silane_utilization"]) == 0
    cmp_out = capsys.readouterr().out
    assert "fbcvd.silane_utilization" in cmp_out
    from twin.store import RunStore

    with RunStore(store, read_only=True) as s:
        c = s.compare(ids[0], ids[1], ["fbcvd.silane_utilization"])
        a, b = s.kpis(ids[0]), s.kpis(ids[1])
        lots = s.lots(ids[0], 0, 2)
    assert c.loc["fbcvd.silane_utilization", "delta"] == pytest.approx(
        b["fbcvd.silane_utilization"].mean() - a["fbcvd.silane_utilization"].mean())
    assert len(lots) > 0 and {"lot_id", "cost_usd"} <= set(lots.columns)
    assert main(["runs", "show", "run-nope", "--store", store]) == 2
    assert "run-nope" in capsys.readouterr().err


@pytest.mark.integration
def test_ctrl_c_stops_cleanly_keeping_what_finished(tmp_path):
    store = tmp_path / "runs.duckdb"
    cmd = TWIN + ["sweep", str(SMOKE), "--store", str(store), "--workers", "2", "--replications", "4",
                  "--param", "settings.casting.line_speed_m_min=20,25,30,35", "--set", "horizon_h=1500"]
    proc = _start(cmd, start_new_session=True, env={**os.environ, "TWIN_PROGRESS": "plain"})  # progress lines on a pipe
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        if "/16 " in line and not line.split("]")[1].strip().startswith("0/"):
            break
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground process group
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    from twin.store import RunStore

    with RunStore(store, read_only=True) as s:
        runs = s.runs()
        kept = s.done(runs["run_id"].iloc[0])
    assert runs["status"].iloc[0] == "interrupted" and 0 < len(kept) < 16
    done = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and f"({16 - len(kept)} tasks computed now)" in done.stdout


@pytest.mark.component
def test_resume_identity_covers_parameter_set_and_code_version():
    from plants.app.api import load
    from twin.campaign import _content_id

    base = load(SMOKE)
    design = grid({"settings.fbcvd.bed_temperature_c": [450.0]})
    e = base.params.economics
    dearer = base.model_copy(update={"params": base.params.model_copy(update={"economics": e.model_copy(
        update={"prices": e.prices.model_copy(update={"silane_cny_per_t": 4 * e.prices.silane_cny_per_t})})})})
    assert dearer.text == base.text  # same scenario file, edited parameter set
    ids = {_content_id("sweep", base, design, 2, "1.0+gabc"), _content_id("sweep", dearer, design, 2, "1.0+gabc"),
           _content_id("sweep", base, design, 2, "1.0+gdef"), _content_id("sweep", base, design, 3, "1.0+gabc")}
    assert len(ids) == 4
    assert _content_id("sweep", base, design, 2, "1.0+gabc") == _content_id("sweep", load(SMOKE), design, 2, "1.0+gabc")


@pytest.mark.integration
def test_cli_errors_are_clear_and_store_nothing(tmp_path):
    store = tmp_path / "runs.duckdb"
    base = TWIN + ["sweep", str(SMOKE), "--param", "settings.fbcvd.bed_temperature_c=450", "--set", "horizon_h=50"]
    typo = subprocess.run(base + ["--store", str(store), "--kpi", "cost.powder_usd_per_kgg"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert typo.returncode == 2 and "did you mean 'cost.powder_usd_per_kg'" in typo.stderr and not store.exists()
    label = subprocess.run(base + ["--store", str(store), "--kpi", "plant.bottleneck"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert label.returncode == 2 and "not a number" in label.stderr
    bad_store = subprocess.run(base + ["--store", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad_store.returncode == 2 and str(tmp_path) in bad_store.stderr and "Traceback" not in bad_store.stderr
    workers = subprocess.run(base + ["--workers", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert workers.returncode == 2 and "at least 1" in workers.stderr
