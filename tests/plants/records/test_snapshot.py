"""The plant state at a moment, from records: machines, lots, tanks (twin snapshot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plants.calibration.snapshot import parse_at, snapshot, state_schema
from plants.records import read_records
from twin.errors import InputError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def small(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("rr", Path(__file__).with_name("test_records_read.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return read_records(mod._folder(tmp_path))


@pytest.mark.unit
def test_a_snapshot_says_what_each_machine_and_lot_is_doing(small):
    import jsonschema

    s = snapshot(small, 6.0)
    jsonschema.validate(s, state_schema())
    machines = {m["equipment"]: m for m in s["machines"]}
    assert machines["R01"]["state"] == "down" and machines["R01"]["reason"] == "failure in deposition"
    assert machines["R01"]["for_h"] == pytest.approx(1.0)  # down since 05:00: the repair so far
    assert machines["R02"]["state"] == "working" and machines["R02"]["for_h"] == pytest.approx(6.0)
    lots = {lot["lot_id"]: lot for lot in s["lots"]}
    assert "C000001" not in lots  # scrapped at 05:00
    assert lots["C000002"]["where"] == "in process" and lots["C000002"]["progress_h"] == pytest.approx(6.0)
    assert lots["C000002"]["properties"]["temperature_c"] == pytest.approx(458.9)
    assert lots["S000001"]["where"] == "stock" and lots["S000001"]["remaining_kg"] == pytest.approx(600.0)
    assert snapshot(small)["at_h"] == 10.0  # the end of the records by default


@pytest.mark.unit
def test_the_time_of_a_snapshot_is_checked(small):
    assert parse_at("2025-01-01T07:00:00+01:00", small) == pytest.approx(6.0)
    assert parse_at("2.5", small) == 2.5
    for bad, why in (("2025-01-01T07:00:00", "no time zone"), ("yesterday", "neither"), ("11", "outside")):
        with pytest.raises(InputError, match=why):
            parse_at(bad, small)


@pytest.mark.integration
def test_machines_down_in_the_records_are_down_in_the_snapshot(tmp_path, capsys):
    from plants.app.cli import main

    rec = read_records(ROOT / "examples" / "plant-records")
    st = rec["equipment_states"]
    fail = st[(st["state"] == "down") & st["reason"].str.startswith("failure")].iloc[0]
    at = (fail["start_h"] + fail["end_h"]) / 2
    s = snapshot(rec, at)
    m = next(m for m in s["machines"] if m["equipment"] == fail["equipment"])
    assert m["state"] == "down" and m["for_h"] == pytest.approx(at - fail["start_h"], abs=1e-6)
    assert {lot["where"] for lot in s["lots"]} >= {"in process", "stock"}
    assert sum(lot["where"] == "quarantine" for lot in snapshot(rec)["lots"]) >= 1  # powder awaiting its lab result
    out = tmp_path / "state.json"
    assert main(["snapshot", "--data", str(ROOT / "examples" / "plant-records"), "--at", f"{at}", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert fail["equipment"] in said.split(" down: ")[1].split(")")[0]
    assert json.loads(out.read_text())["format"] == "sic-twin-plant-state"
