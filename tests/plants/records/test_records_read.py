"""The plant record format: reading CSV, Parquet and Excel, and a clear error (file, row, column)
for every kind of bad input; lenient mode skips and reports bad rows; inputs are never changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from plants.records import TABLES, json_schema, read_records
from plants.records.schema import SCHEMA_DIR
from twin.errors import InputError

STATES = """start,end,equipment,line,state,reason
2025-01-01T00:00:00+00:00,2025-01-01T05:00:00+00:00,R01,fbcvd,working,deposition
2025-01-01T05:00:00+00:00,2025-01-01T08:00:00+00:00,R01,fbcvd,down,failure in deposition
2025-01-01T08:00:00+00:00,2025-01-01T10:00:00+00:00,R01,fbcvd,idle,waiting for operator
2025-01-01T01:00:00+01:00,2025-01-01T09:00:00Z,R02,fbcvd,working,deposition
"""
LOTS = """lot_id,kind,equipment,start,end,status,reason,mass_kg,pore_volume_cm3_g,temperature_c,ice_1
S000001,scaffold,supplier,2025-01-01T00:00:00+00:00,,charged,,1000,0.75,,
C000001,fbcvd,R01,2025-01-01T00:00:00+00:00,2025-01-01T05:00:00+00:00,scrapped,breakdown,380.5,,461.2,
C000002,fbcvd,R02,2025-01-01T00:00:00+00:00,2025-01-01T09:00:00+00:00,consumed,,384,,458.9,0.91
"""
GENEALOGY = """child_lot,parent_lot,mass_kg
C000001,S000001,200
C000002,S000001,200
"""
MANIFEST = {"format": "sic-twin-plant-records", "version": 1, "period_start": "2025-01-01T00:00:00+00:00",
            "period_end": "2025-01-01T10:00:00+00:00"}


def _folder(tmp_path: Path, **replace: str) -> Path:
    d = tmp_path / "rec"
    d.mkdir(exist_ok=True)
    files = {"equipment_states": STATES, "lots": LOTS, "genealogy": GENEALOGY, **replace}
    for name, text in files.items():
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    (d / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    return d


def _error(tmp_path: Path, **replace: str) -> str:
    with pytest.raises(InputError) as exc:
        read_records(_folder(tmp_path, **replace))
    return str(exc.value)


@pytest.mark.unit
def test_a_good_folder_reads_with_hours_since_the_period_start(tmp_path):
    r = read_records(_folder(tmp_path))
    assert r.end_h == 10.0
    st = r["equipment_states"]
    assert list(st["start_h"]) == [0.0, 5.0, 8.0, 0.0]  # 01:00+01:00 is midnight UTC
    assert list(st["end_h"]) == [5.0, 8.0, 10.0, 9.0]
    lots = r["lots"]
    assert lots.loc[lots["lot_id"] == "C000002", "ice_1"].item() == 0.91
    assert pd.isna(lots.loc[lots["lot_id"] == "S000001", "end_h"].item())
    assert len(r.sha256) == 64 and r.skipped == []


@pytest.mark.unit
def test_parquet_and_excel_read_the_same_as_csv(tmp_path):
    ref = read_records(_folder(tmp_path))
    pq, xl = tmp_path / "pq", tmp_path / "xl"
    pq.mkdir()
    xl.mkdir()
    for name in ("equipment_states", "lots", "genealogy"):
        df = pd.read_csv(tmp_path / "rec" / f"{name}.csv", dtype=str, keep_default_na=False)
        typed = df.copy()
        for c in ("start", "end"):
            if c in typed:  # Parquet holds real zoned times
                typed[c] = pd.to_datetime(typed[c].replace("", None), utc=True, format="ISO8601")
        typed.to_parquet(pq / f"{name}.parquet", index=False)
        df.to_excel(xl / f"{name}.xlsx", index=False)  # Excel holds times as text with their zone
    for d in (pq, xl):
        (d / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
        got = read_records(d)
        for name in ("equipment_states", "genealogy"):
            pd.testing.assert_frame_equal(got[name], ref[name], check_dtype=False)
        assert got["lots"]["temperature_c"].tolist()[1:] == ref["lots"]["temperature_c"].tolist()[1:]


@pytest.mark.unit
def test_one_workbook_with_a_sheet_per_table_reads_too(tmp_path):
    ref = read_records(_folder(tmp_path))
    d = tmp_path / "wb"
    d.mkdir()
    with pd.ExcelWriter(d / "records.xlsx") as w:
        for name in ("equipment_states", "lots", "genealogy"):
            pd.read_csv(tmp_path / "rec" / f"{name}.csv", dtype=str, keep_default_na=False).to_excel(
                w, sheet_name=name, index=False)
    got = read_records(d)
    pd.testing.assert_frame_equal(got["equipment_states"], ref["equipment_states"], check_dtype=False)
    assert "records.xlsx (sheet lots)" in got.files["lots"]


@pytest.mark.unit
def test_an_unknown_column_is_named_with_a_suggestion(tmp_path):
    msg = _error(tmp_path, equipment_states=STATES.replace(",reason\n", ",reasn\n", 1))
    assert "equipment_states.csv: column reasn: unknown column" in msg and "did you mean 'reason'" in msg


@pytest.mark.unit
def test_a_lot_property_without_a_unit_suffix_is_an_unknown_column(tmp_path):
    msg = _error(tmp_path, lots=LOTS.replace("ice_1", "ice", 1))
    assert "lots.csv: column ice: unknown column" in msg and "unit suffix" in msg


@pytest.mark.unit
def test_a_missing_required_column_is_named(tmp_path):
    text = "\n".join(",".join(x for i, x in enumerate(line.split(",")) if i != 4) for line in STATES.splitlines())
    msg = _error(tmp_path, equipment_states=text + "\n")
    assert "equipment_states.csv: column state: required column is missing" in msg


@pytest.mark.unit
def test_a_mistyped_number_names_file_row_and_column(tmp_path):
    msg = _error(tmp_path, lots=LOTS.replace("380.5", "38O.5"))
    assert "lots.csv: row 3, column mass_kg: is not a number (got '38O.5')" in msg


@pytest.mark.unit
def test_a_value_outside_the_vocabulary_is_an_error(tmp_path):
    msg = _error(tmp_path, equipment_states=STATES.replace("fbcvd,down", "fbcvd,broken"))
    assert "row 3, column state: must be one of working, idle, starved, blocked, down (got 'broken')" in msg


@pytest.mark.unit
def test_an_unparseable_time_is_an_error(tmp_path):
    row4 = "2025-01-01T08:00:00+00:00,2025-01-01T10"
    msg = _error(tmp_path, equipment_states=STATES.replace(row4, "01/01/2025 08:00,2025-01-01T10"))
    assert "equipment_states.csv: row 4, column start: is not an ISO-8601 time" in msg


@pytest.mark.unit
def test_a_time_without_a_zone_is_an_error(tmp_path):
    msg = _error(tmp_path, lots=LOTS.replace("2025-01-01T09:00:00+00:00", "2025-01-01T09:00:00"))
    assert "lots.csv: row 4, column end: has no time zone" in msg


@pytest.mark.unit
def test_excel_date_cells_have_no_zone_and_are_an_error(tmp_path):
    d = _folder(tmp_path)
    df = pd.read_csv(d / "equipment_states.csv", dtype=str)
    df["start"] = pd.to_datetime(df["start"], utc=True, format="ISO8601").dt.tz_localize(None)  # what Excel stores
    (d / "equipment_states.csv").unlink()
    df.to_excel(d / "equipment_states.xlsx", index=False)
    with pytest.raises(InputError) as exc:
        read_records(d)
    assert "equipment_states.xlsx: row 2, column start: has no time zone" in str(exc.value)


@pytest.mark.unit
def test_a_negative_duration_is_an_error(tmp_path):
    msg = _error(tmp_path, equipment_states=STATES.replace(
        "2025-01-01T08:00:00+00:00,2025-01-01T10:00:00+00:00", "2025-01-01T08:00:00+00:00,2025-01-01T07:00:00+00:00"))
    assert "equipment_states.csv: row 4, column end: is before start" in msg and "negative duration" in msg
    msg = _error(tmp_path, lots=LOTS.replace("2025-01-01T05:00:00+00:00,scrapped", "2024-12-31T05:00:00+00:00,scrapped"))
    assert "lots.csv: row 3, column end: is before start" in msg


@pytest.mark.unit
def test_an_orphan_genealogy_link_is_an_error(tmp_path):
    msg = _error(tmp_path, genealogy=GENEALOGY + "C000003,S000001,10\nC000002,S000009,5\n")
    assert "genealogy.csv: row 4, column child_lot: is an orphan link" in msg
    assert "genealogy.csv: row 5, column parent_lot: is an orphan link" in msg and "S000009" in msg


@pytest.mark.unit
def test_overlapping_states_of_one_machine_are_an_error(tmp_path):
    row4 = "2025-01-01T08:00:00+00:00,2025-01-01T10"
    msg = _error(tmp_path, equipment_states=STATES.replace(row4, "2025-01-01T07:00:00+00:00,2025-01-01T10"))
    assert "equipment_states.csv: row 4, column start: overlaps the state of R01 in row 3" in msg


@pytest.mark.unit
def test_a_duplicate_lot_id_and_a_misnamed_table_file_are_errors(tmp_path):
    msg = _error(tmp_path, lots=LOTS + LOTS.splitlines()[2] + "\n")
    assert "lots.csv: row 5, column lot_id: repeats the lot id of row 3" in msg
    d = _folder(tmp_path)
    (d / "equipment_state.csv").write_text(STATES, encoding="utf-8")
    with pytest.raises(InputError, match=r"equipment_state\.csv: unknown table.*did you mean 'equipment_states'"):
        read_records(d)


@pytest.mark.unit
def test_every_problem_is_reported_at_once(tmp_path):
    msg = _error(tmp_path, lots=LOTS.replace("380.5", "x").replace("458.9", "y"))
    assert "row 3, column mass_kg" in msg and "row 4, column temperature_c" in msg


@pytest.mark.unit
def test_lenient_mode_skips_bad_rows_and_reports_each_one(tmp_path):
    d = _folder(tmp_path, lots=LOTS.replace("380.5", "38O.5"),
                equipment_states=STATES.replace("fbcvd,idle", "fbcvd,sleeping"))
    r = read_records(d, lenient=True)
    assert list(r["lots"]["lot_id"]) == ["S000001", "C000002"]
    assert len(r["equipment_states"]) == 3
    assert list(r["genealogy"]["child_lot"]) == ["C000002"]  # the link to the skipped lot goes too
    text = "\n".join(p.render() for p in r.skipped)
    assert "lots.csv: row 3, column mass_kg: is not a number" in text
    assert "equipment_states.csv: row 4, column state" in text
    assert "genealogy.csv: 1 row(s) skipped" in text


@pytest.mark.unit
def test_reading_never_changes_the_files(tmp_path):
    d = _folder(tmp_path, lots=LOTS.replace("380.5", "38O.5"))
    before = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in d.iterdir()}
    read_records(d, lenient=True)
    with pytest.raises(InputError):
        read_records(d)
    assert {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in d.iterdir()} == before


@pytest.mark.unit
def test_the_shipped_json_schemas_are_the_declared_tables():
    for name, table in TABLES.items():
        shipped = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert shipped == json_schema(table), f"regenerate with python -m plants.records.schema ({name})"


@pytest.mark.unit
def test_the_json_schema_accepts_good_rows_and_rejects_bad_ones():
    import jsonschema

    schema = json_schema(TABLES["lots"])
    good = {"lot_id": "C1", "kind": "fbcvd", "start": "2025-01-01T00:00:00+00:00", "status": "consumed", "mass_kg": 3.0,
            "temperature_c": 460.0}
    jsonschema.validate(good, schema)
    for bad in ({**good, "start": "2025-01-01T00:00:00"}, {**good, "temperature": 1.0}, {**good, "kind": "oven"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


@pytest.mark.unit
def test_optional_columns_may_be_left_out(tmp_path):
    lots = "\n".join(",".join(x for i, x in enumerate(line.split(",")) if i not in (2, 4, 6)) for line in LOTS.splitlines())
    r = read_records(_folder(tmp_path, lots=lots + "\n"))
    assert r["lots"]["end_h"].isna().all() and (r["lots"]["equipment"] == "").all()
    assert list(r["lots"]["mass_kg"]) == [1000.0, 380.5, 384.0]
