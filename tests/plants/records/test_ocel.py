"""Plant records as an OCEL 2.0 JSON log: every relationship names a declared object, every event
and attribute is declared in its type, times carry a zone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from plants.records import read_records
from plants.records.ocel import write_ocel

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.component
def test_the_example_records_as_an_ocel2_log(tmp_path):
    rec = read_records(ROOT / "examples" / "plant-records")
    log = json.loads(write_ocel(rec, tmp_path / "log.json").read_text())
    assert set(log) == {"objectTypes", "eventTypes", "objects", "events"}
    ids = {o["id"] for o in log["objects"]}
    assert len(ids) == len(log["objects"]) == len(rec["lots"]) + rec["equipment_states"]["equipment"].nunique()
    otypes = {t["name"]: {a["name"] for a in t["attributes"]} for t in log["objectTypes"]}
    etypes = {t["name"]: {a["name"] for a in t["attributes"]} for t in log["eventTypes"]}
    for o in log["objects"]:
        assert {a["name"] for a in o["attributes"]} <= otypes[o["type"]]
        assert all(r["objectId"] in ids for r in o["relationships"])
    times = []
    for e in log["events"]:
        assert {a["name"] for a in e["attributes"]} <= etypes[e["type"]]
        assert all(r["objectId"] in ids for r in e["relationships"])
        times.append(datetime.fromisoformat(e["time"]))
        assert times[-1].tzinfo is not None
    assert times == sorted(times)
    made_from = sum(len(o["relationships"]) for o in log["objects"])
    assert made_from == len(rec["genealogy"])  # the genealogy as object-to-object links
    assert sum(e["type"] == "down" for e in log["events"]) == (rec["equipment_states"]["state"] == "down").sum()


@pytest.mark.integration
def test_twin_ocel_writes_the_log_and_refuses_bad_records(tmp_path, capsys):
    from plants.app.cli import main

    assert main(["ocel", "--data", str(ROOT / "examples" / "plant-records"), "--out", str(tmp_path / "o.json")]) == 0
    assert json.loads((tmp_path / "o.json").read_text())["events"]
    assert main(["ocel", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "p.json")]) == 2
    assert "is not a folder of plant records" in capsys.readouterr().err and not (tmp_path / "p.json").exists()
