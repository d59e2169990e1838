"""Run store errors say what is wrong with which file (not a DuckDB file, corrupt, locked, read-only,
a folder), never reach the network, and a resume of a complete experiment computes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from twin.store import RunStore, StoreError

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"


def _filled_store(path: Path) -> Path:
    with RunStore(path) as s:
        s.begin_run("r", "run", "n", "text", "f" * 64, "v", 7, 1, pd.DataFrame(index=pd.RangeIndex(1)))
        s.add_result("r", 0, 0, 7, {"x": 1.0}, pd.DataFrame({"a": np.arange(2000.0)}))
    return path


def _open_fails(path: Path, match: str) -> list[str]:
    """Opening ``path`` for writing and read-only: a StoreError naming the path and matching ``match``."""
    messages = []
    for read_only in (False, True):
        with pytest.raises(StoreError, match=match) as err:
            RunStore(path, read_only=read_only)
        assert str(path) in str(err.value)
        messages.append(str(err.value))
    return messages


def test_a_text_file_is_not_a_duckdb_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a run store\n" * 20)
    _open_fails(path, "not a DuckDB database")
    assert path.read_text().startswith("these are my notes")  # left as it was


def test_an_empty_or_random_file_is_not_a_duckdb_database(tmp_path: Path) -> None:
    empty, noise = tmp_path / "empty.duckdb", tmp_path / "noise.duckdb"
    empty.write_bytes(b"")
    noise.write_bytes(np.random.default_rng(3).bytes(20000))
    _open_fails(empty, "not a DuckDB database")
    _open_fails(noise, "not a DuckDB database")


def test_an_sqlite_file_is_named_as_such_without_fetching_an_extension(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a INTEGER)")
    con.commit()
    con.close()
    # with extension autoloading on, DuckDB would try to install its sqlite extension from the network
    for message in _open_fails(path, "not a DuckDB database"):
        assert "SQLite" in message


def test_a_truncated_store_is_corrupt(tmp_path: Path) -> None:
    data = _filled_store(tmp_path / "good.duckdb").read_bytes()
    for n in (100, 4096, 20000, len(data) // 2):
        cut = tmp_path / f"cut{n}.duckdb"
        cut.write_bytes(data[:n])
        _open_fails(cut, "corrupt or truncated")


def test_a_damaged_block_is_reported_as_corruption(tmp_path: Path) -> None:
    path = _filled_store(tmp_path / "s.duckdb")
    data = bytearray(path.read_bytes())
    data[3 * 4096 + 100:3 * 4096 + 200] = b"\xff" * 100  # the first data block: its checksum no longer matches
    path.write_bytes(bytes(data))
    _open_fails(path, "corrupt")


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    _open_fails(tmp_path, "is a folder")


def test_extension_autoloading_and_autoinstall_are_off(tmp_path: Path) -> None:
    path = _filled_store(tmp_path / "s.duckdb")
    names = ("autoload_known_extensions", "autoinstall_known_extensions")
    for read_only in (False, True):
        with RunStore(path, read_only=read_only) as s:
            got = s.sql("SELECT name, value FROM duckdb_settings() WHERE name IN (?, ?)", list(names))
            assert dict(zip(got["name"], got["value"], strict=True)) == {n: "false" for n in names}
            # a query needing a non-built-in extension fails at once instead of downloading it
            with pytest.raises(StoreError, match="extension"):
                s.sql("SELECT * FROM read_csv('https://example.invalid/x.csv')")


def _read_only_location() -> Path | None:
    """A folder this process cannot create files in, or None."""
    for candidate in (Path("/sys"), Path("/proc/sys")):
        if candidate.is_dir():
            try:
                (candidate / "twin-write-probe").open("w").close()
            except OSError:
                return candidate
            (candidate / "twin-write-probe").unlink()
    return None


def test_a_read_only_location_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root writes anywhere: use a folder the kernel itself keeps read-only
            location = _read_only_location()
        else:
            location = ro
        if location is not None:
            path = location / "runs.duckdb"
            with pytest.raises(StoreError, match="read-only") as err:
                RunStore(path)
            assert str(path) in str(err.value)
            with pytest.raises(StoreError, match="read-only") as err:
                RunStore(location / "deeper" / "runs.duckdb")  # its folder cannot be made either
    finally:
        ro.chmod(0o755)
    # what DuckDB says on a read-only file system (a mount made read-only), wherever the test runs
    path = tmp_path / "mnt" / "runs.duckdb"

    def refuse(database: str, *args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        raise duckdb.IOException(f'IO Error: Cannot open file "{database}": Read-only file system')

    monkeypatch.setattr(duckdb, "connect", refuse)
    with pytest.raises(StoreError, match="read-only") as err:
        RunStore(path)
    assert str(path) in str(err.value) and "Read-only file system" in str(err.value)


def test_cli_reports_a_bad_store_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from plants.app.cli import main

    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n")
    assert main(["runs", "list", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err and "not a DuckDB database" in err
    assert len(err.strip().splitlines()) == 1


def test_resume_of_a_complete_experiment_computes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from plants.app.plant import PLANT
    from twin.campaign import run_experiment
    from twin.designs import grid
    from twin.experiments import Backend, BackendKind
    from twin.store import RunKind

    loaded = PLANT.load(SMOKE, ["horizon_h=30"])
    design = grid({"settings.fbcvd.bed_temperature_c": [450.0, 470.0]})
    store = tmp_path / "runs.duckdb"
    serial = Backend(BackendKind.SERIAL)
    first = run_experiment(PLANT, RunKind.SWEEP, loaded, design, 2, serial, store, progress=False)
    assert first.complete and first.computed == 4
    capsys.readouterr()
    again = run_experiment(PLANT, RunKind.SWEEP, loaded, design, 2, serial, store, resume=True)
    err = capsys.readouterr().err
    assert f"nothing to resume: run {first.run_id} is complete" in err
    assert again.run_id == first.run_id and again.complete and again.computed == 0
    pd.testing.assert_frame_equal(again.kpis, first.kpis)
    with RunStore(store, read_only=True) as s:
        runs = s.runs()
    assert list(runs["run_id"]) == [first.run_id] and list(runs["status"]) == ["complete"]
    # another experiment (other replications) is not that one: its resume starts it
    other = run_experiment(PLANT, RunKind.SWEEP, loaded, design, 1, serial, store, resume=True, progress=False)
    assert other.run_id != first.run_id and other.computed == 2
