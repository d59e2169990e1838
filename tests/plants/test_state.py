"""Starting a run from a plant state (twin run --from-state) and its forecast figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from plants.app import api
from plants.calibration.snapshot import snapshot, write_snapshot
from plants.records import export_records, read_records
from plants.state import load_state
from twin.errors import InputError
from twin.experiments import Backend, BackendKind
from twin.lazy import LazyTable
from twin.stats import ci_half

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
T, H = 150.0, 72.0  # the snapshot's moment in the recorded run; the forecast's horizon
SERIAL = Backend(BackendKind.SERIAL)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A smoke run past T with its replications' records, and replication 0's state at T."""
    tmp = tmp_path_factory.mktemp("state")
    run = api.run(api.load(SMOKE, [f"horizon_h={T + H}"]), replications=8, backend=SERIAL, progress=False)
    for r in range(8):
        export_records(run, tmp / f"rec{r}", replication=r)
    state = snapshot(read_records(tmp / "rec0"), T)
    return run, tmp, state


def _write(state: dict, path: Path) -> Path:
    write_snapshot(state, path)
    return path


def _forecast(state_file: Path, horizon: float = H, sets: tuple[str, ...] = (), n: int = 1):
    return api.run(api.load(SMOKE, [f"horizon_h={horizon}", *sets]), replications=n, backend=SERIAL, progress=False,
                   from_state=state_file)


@pytest.mark.unit
def test_preset_rows_keep_their_outputs_and_are_never_evaluated():
    seen = []

    def evaluate(c):
        seen.append(len(c["x"]))
        return {"y": 2 * c["x"]}

    t = LazyTable(["x"], evaluate)
    assert t.preset([5.0], {"y": 99.0}) == 0
    assert t.append(3.0) == 1
    assert t.get(0, "y") == 99.0 and t.get(1, "y") == 6.0
    assert seen == [1]  # only the appended row went to the evaluator
    assert list(t.outputs()["y"]) == [99.0, 6.0]
    with pytest.raises(RuntimeError):
        t2 = LazyTable(["x"], evaluate)
        t2.append(1.0)
        t2.preset([1.0], {"y": 1.0})


@pytest.mark.unit
def test_bad_state_files_name_the_file_and_the_field(tmp_path):
    good = {"format": "sic-twin-plant-state", "version": 1, "at": "2025-01-07T06:00:00+00:00", "at_h": 150,
            "machines": [{"equipment": "R01", "line": "fbcvd", "state": "down", "reason": "failure in heat-up",
                          "since": "2025-01-07T05:00:00+00:00", "for_h": 1.0}],
            "lots": [{"lot_id": "C000001", "kind": "fbcvd", "where": "buffer", "start": "2025-01-07T00:00:00+00:00",
                      "progress_h": 6.0, "mass_kg": 250.0, "remaining_kg": 250.0, "properties": {"ice_1": 0.9}}],
            "tanks": [{"tank": "silane", "level": 100.0, "unit": "kg", "time": "2025-01-07T06:00:00+00:00"}],
            "open_orders": [{"supply": "silane", "ordered": "2025-01-07T01:00:00+00:00", "mass_kg": 5000.0}]}
    f = tmp_path / "state.json"
    f.write_text(json.dumps(good))
    s = load_state(f)
    assert s.tanks == {"silane": 100.0} and s.orders[0].age_h == pytest.approx(5.0)
    assert s.lots[0].properties == {"ice": 0.9}  # record column names back to the twin's property names
    cases = [
        (lambda d: d.pop("machines"), "machines: is missing"),
        (lambda d: d.update(format="other"), "format: must be 'sic-twin-plant-state'"),
        (lambda d: d["lots"][0].update(where="warehouse"), "lots[0].where: must be one of"),
        (lambda d: d["lots"][0].update(remaining_kg=-1), "lots[0].remaining_kg: must be >= 0"),
        (lambda d: d["lots"][0].pop("mass_kg"), "lots[0].mass_kg: is missing"),
        (lambda d: d["machines"][0].update(for_h="an hour"), "machines[0].for_h: must be a finite number"),
        (lambda d: d["machines"][0].update(state="broken"), "machines[0].state: must be one of"),
        (lambda d: d["machines"].append(dict(d["machines"][0])), "machines[1].equipment: names a machine listed twice"),
        (lambda d: d["open_orders"][0].update(ordered="2025-01-08T01:00:00+00:00"), "open_orders[0].ordered: lies after"),
        (lambda d: d["tanks"][0].update(unit="item"), "tanks[0].unit: must be kg"),
        (lambda d: d.update(at="2025-01-07T06:00:00"), "at: has no time zone"),
    ]
    for change, message in cases:
        d = json.loads(json.dumps(good))
        change(d)
        f.write_text(json.dumps(d))
        with pytest.raises(InputError) as e:
            load_state(f)
        assert str(f) in str(e.value) and message in str(e.value), (message, str(e.value))
    f.write_text("{not json")
    with pytest.raises(InputError, match="is not valid JSON"):
        load_state(f)


@pytest.mark.integration
def test_a_bad_state_file_exits_2_before_anything_runs(tmp_path, capsys):
    from plants.app.cli import main

    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"format": "sic-twin-plant-state", "version": 1, "at": "2025-01-07T06:00:00+00:00",
                             "at_h": 1, "machines": [], "lots": [{"lot_id": "C1"}], "tanks": [], "open_orders": []}))
    out = tmp_path / "out"
    assert main(["run", str(SMOKE), "--from-state", str(f), "--no-store", "--no-report", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and "lots[0].kind: is missing" in err
    assert not out.exists()
    assert main(["run", str(SMOKE), "--from-state", str(tmp_path / "none.json"), "--no-store", "-q"]) == 2
    assert "none.json: cannot be read" in capsys.readouterr().err


@pytest.mark.integration
def test_a_run_continued_from_its_snapshot_agrees_with_the_run_itself(recorded):
    """Replication r of a run, snapshot at T and continued for H hours (with other random numbers),
    against the same replications' own hours T..T+H: the mean output of each line over 8
    replications agrees within the two 95 % intervals combined."""
    run, tmp, _ = recorded
    kinds = ("fbcvd", "coating", "casting", "prelith")
    orig: dict[str, list[int]] = {k: [] for k in kinds}
    cont: dict[str, list[int]] = {k: [] for k in kinds}
    for r in range(8):
        lots = run.lots[run.lots["replication"] == r]
        good = ~lots["status"].astype(str).isin(["scrapped", "rejected"])
        state_file = _write(snapshot(read_records(tmp / f"rec{r}"), T), tmp / f"state{r}.json")
        res = api.run(api.load(SMOKE, [f"horizon_h={H}", f"seed={100 + r}"]), replications=1, backend=SERIAL,
                      progress=False, from_state=state_file)
        assert res.summary["warmup_h"] == 0  # no warm-up from a state
        for k in kinds:
            orig[k].append(int(((lots["line"] == k) & good & (lots["end_h"] > T) & (lots["end_h"] <= T + H)).sum()))
            cont[k].append(int(res.summary[f"forecast.{k}.output_lots"]))
    for k in kinds:
        a, b = np.array(orig[k], float), np.array(cont[k], float)
        assert a.mean() > 0 and b.mean() > 0, k
        assert abs(a.mean() - b.mean()) <= ci_half(a) + ci_half(b) + 1e-9, (k, orig[k], cont[k])


@pytest.mark.integration
def test_lots_waiting_and_in_quarantine_are_taken_up(recorded, tmp_path):
    _, _, state = recorded
    res = _forecast(_write(state, tmp_path / "s.json"), horizon=48)
    s = res.summary
    quarantine = [lot["lot_id"] for lot in state["lots"] if lot["where"] == "quarantine"]
    assert s["forecast.quarantine.lots"] == len(quarantine) > 0
    assert s["forecast.quarantine.released"] == len(quarantine)  # the smoke plant's powder meets its specs
    assert 0 < s["forecast.quarantine.decided_h"] <= 48
    assert list(res.forecast_lots["lot_id"]) == quarantine
    # the reactors in deposition at T finish their batches: CVD output within the first batch's time
    assert s["forecast.fbcvd.first_output_h"] < 13.0
    # every lot in process (CVD batches, a mix batch, a roll on the casting coater, prelithiated
    # rolls) is the same lot in the forecast and finishes there
    assert res.state_notes == []
    lots = res.lots.set_index("lot_id")
    running = [lot["lot_id"] for lot in state["lots"] if lot["where"] == "in process"]
    assert {lot["kind"] for lot in state["lots"] if lot["where"] == "in process"} >= {"fbcvd", "prelith"}
    assert (lots.loc[running, "end_h"] > 0).all()
    assert not res.lots["lot_id"].duplicated().any()


@pytest.mark.integration
def test_every_reactor_down_for_a_day_makes_no_cvd_lot_in_the_first_hours(recorded, tmp_path):
    _, _, state = recorded
    st = json.loads(json.dumps(state))
    for m in st["machines"]:
        if m["line"] == "fbcvd":
            m.update(state="down", reason="failure in heat-up", for_h=1.0, remaining_h=24.0)
    res = _forecast(_write(st, tmp_path / "down.json"), n=2)
    cvd = res.lots[(res.lots["line"] == "fbcvd") & (res.lots["end_h"] >= 0)]
    assert (cvd["end_h"] >= 24.0).all()  # nothing finished while the reactors were down
    assert res.summary["forecast.fbcvd.first_output_h"] >= 24.0
    ev = res.events[(res.events["kind"] == "state") & (res.events["line"] == "fbcvd") & (res.events["time_h"] == 0)]
    assert set(ev.loc[ev["state"] == "down", "unit"]) == {m["equipment"] for m in st["machines"] if m["line"] == "fbcvd"}
    baseline = _forecast(_write(state, tmp_path / "up.json"), n=2)
    assert baseline.summary["forecast.fbcvd.first_output_h"] < 24.0


@pytest.mark.integration
def test_an_empty_silane_tank_starves_the_reactors_at_the_start(recorded, tmp_path):
    _, _, state = recorded
    st = json.loads(json.dumps(state))
    st["tanks"] = [t for t in st["tanks"] if t["tank"] != "silane"] + [
        {"tank": "silane", "level": 0.0, "unit": "kg", "time": st["at"]}]
    st["open_orders"] = []
    for m in st["machines"]:  # the reactors between batches: each charges, heats up and needs silane
        if m["line"] == "fbcvd":
            m.update(state="idle", reason="batch done", for_h=0.0)
    st["lots"] = [lot for lot in st["lots"] if not (lot["kind"] == "fbcvd" and lot["where"] == "in process")]
    res = _forecast(_write(st, tmp_path / "empty.json"), n=2)
    s = res.summary
    assert s["forecast.silane.level_start_kg"] == 0.0 and s["forecast.silane.dry_share"] == 1.0
    eq = api.load(SMOKE).params.fbcvd.equipment
    assert s["forecast.silane.dry_h"] == pytest.approx(eq.charge_h + eq.heat_up_h)  # starved from the first draw on
    ev = res.events[(res.events["kind"] == "state") & (res.events["line"] == "fbcvd")]
    starved = ev[(ev["state"] == "starved") & (ev["reason"] == "silane tank empty")]
    assert set(starved["unit"]) == {m["equipment"] for m in st["machines"] if m["line"] == "fbcvd"}
    assert s["fbcvd.state_share.starved"] > 0.0
    full = _forecast(_write(state, tmp_path / "full.json"), n=2).summary
    assert full["forecast.silane.dry_share"] == 0.0 and full["forecast.silane.level_start_kg"] > 0


@pytest.mark.integration
def test_records_of_a_run_carry_the_supplies_and_the_cli_prints_the_forecast(recorded, tmp_path, capsys):
    from plants.app.cli import main
    from plants.kpi import REGISTRY

    _, tmp, state = recorded
    rec = read_records(tmp / "rec0")
    assert {"silane", "lithium"} <= set(rec["tank_levels"]["tank"])
    silane = {t["tank"]: t["level"] for t in state["tanks"]}["silane"]
    assert 0 < silane <= 40000
    # a silane tank that starts near its reorder point: a delivery is ordered and received; the records
    # keep it, and a snapshot taken while it is on its way has it as an open order that arrives in the forecast
    full = api.run(api.load(SMOKE, ["horizon_h=200", "overrides.fbcvd.silane.initial_level_kg=16000"]), backend=SERIAL,
                   progress=False)
    delivered = full.deliveries[full.deliveries["supply"] == "silane"]
    assert len(delivered) > 0
    export_records(full, tmp_path / "rec")
    rec = read_records(tmp_path / "rec")
    assert len(rec["supply_deliveries"]) == len(full.deliveries)  # the run result keeps its deliveries
    first = delivered.iloc[0]
    at = (first["ordered_h"] + first["time_h"]) / 2
    on_way = snapshot(rec, at)
    assert [o["supply"] for o in on_way["open_orders"]] == ["silane"]
    res = _forecast(_write(on_way, tmp_path / "on_way.json"), horizon=float(first["time_h"] - at) + 200.0, n=2)
    came = res.deliveries[res.deliveries["ordered_h"] < 0]
    assert len(came) == 2 and (came["mass_kg"] == first["mass_kg"]).all()  # the open order, in each replication
    f = _write(state, tmp_path / "s.json")
    out = tmp_path / "out"
    assert main(["run", str(SMOKE), "--from-state", str(f), "--set", "horizon_h=24", "--no-store", "--no-report",
                 "--out", str(out), "-q"]) == 0
    said = capsys.readouterr().out
    assert "Forecast from the plant state" in said and "Silane tank starts at" in said
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warmup_h"] == 0 and "forecast.fbcvd.output_lots" in summary
    assert REGISTRY.unknown(summary) == []
