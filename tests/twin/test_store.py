"""Run store: round trips, resume rules, one result = one transaction, durability and locking."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.store import RunStore, StoreError

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[2]
RUN_COLUMNS = ["run_id", "kind", "name", "created", "finished", "status", "code_version", "seed", "scenario_sha256",
               "points", "replications", "results_stored", "parameter_set", "parameter_set_sha256", "tags", "note"]


def _design() -> pd.DataFrame:
    design = pd.DataFrame({"settings.fbcvd.bed_temperature_c": [460.0, 480.0],
                           "settings.coating.mode": ["rotary", "fluidized"]})
    design.index.name = "point_id"
    return design


def _lots_a() -> pd.DataFrame:
    return pd.DataFrame({
        "lot_id": ["S1", "S2", "S3"],
        "line": ["scaffold", "scaffold", "fbcvd"],
        "mass_kg": [1000.0, np.nan, 998.5],
        "row": np.array([-1, 0, 7], dtype=np.int64),
        "passed": [True, False, True],
        "reason": ["", None, "low ice"],
    })


def _lots_b() -> pd.DataFrame:
    """A later frame: a column fewer, two new ones (a number and a text)."""
    return pd.DataFrame({
        "lot_id": ["C1", "C2"],
        "line": ["coating", "coating"],
        "mass_kg": [500.0, 501.0],
        "row": np.array([1, 2], dtype=np.int64),
        "shell_nm": [12.5, np.nan],
        "grade": ["A", "B"],
    })


def _begin(s: RunStore, run_id: str = "sweep-1", sha: str = "a" * 64, replications: int = 2,
           design: pd.DataFrame | None = None, kind: str = "sweep") -> bool:
    return s.begin_run(run_id, kind, "smoke", "name: smoke\nseed: 7\n", sha, "0.1.0+gabc", 7, replications,
                       _design() if design is None else design)


def _counts(s: RunStore) -> tuple[int, int, int]:
    row = s.sql("SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM kpis), (SELECT count(*) FROM lots)")
    return tuple(int(v) for v in row.iloc[0])  # type: ignore[return-value]


def _lot_columns(s: RunStore) -> list[str]:
    return list(s.sql("SELECT column_name FROM duckdb_columns() WHERE table_name = 'lots'")["column_name"])


def test_round_trip_of_runs_design_kpis_and_lots(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "runs.duckdb"  # parent folders are created
    with RunStore(path) as s:
        assert _begin(s) is True
        s.add_result("sweep-1", 0, 0, 7, {"powder.t_per_yr": 12.5, "plant.bottleneck": "fbcvd", "seed": 7},
                     _lots_a(), wall_s=1.25)
        s.add_result("sweep-1", 0, 1, 7, {"powder.t_per_yr": np.float64(13.5), "plant.bottleneck": "coating",
                                          "seed": 7, "cost.usd_per_kg": math.nan})
        s.add_result("sweep-1", 1, 0, 7, {"powder.t_per_yr": 11.0, "plant.bottleneck": "fbcvd", "seed": 7},
                     _lots_b())

        runs = s.runs()
        assert list(runs.columns) == RUN_COLUMNS
        row = runs.iloc[0]
        assert (row["run_id"], row["kind"], row["name"], row["status"], row["code_version"]) == (
            "sweep-1", "sweep", "smoke", "running", "0.1.0+gabc")
        assert (row["seed"], row["points"], row["replications"], row["results_stored"]) == (7, 2, 2, 3)
        assert pd.isna(row["finished"])
        s.finish_run("sweep-1", "complete")

        pd.testing.assert_frame_equal(s.design("sweep-1"), _design(), check_index_type=False)

        wide = s.kpis("sweep-1")
        assert list(wide.index) == [(0, 0), (0, 1), (1, 0)]
        assert wide.index.names == ["point_id", "replication"]
        assert list(wide.columns) == ["powder.t_per_yr", "plant.bottleneck", "seed", "cost.usd_per_kg"]
        assert wide["powder.t_per_yr"].tolist() == [12.5, 13.5, 11.0]
        assert wide["plant.bottleneck"].tolist() == ["fbcvd", "coating", "fbcvd"]
        assert wide["plant.bottleneck"].dtype == object and wide["seed"].dtype == np.float64
        assert wide["cost.usd_per_kg"].isna().all()  # NaN where given, NaN where absent
        long = s.kpis("sweep-1", wide=False)
        assert list(long.columns) == ["point_id", "replication", "key", "value", "text"]
        assert len(long) == 3 + 4 + 3
        text = long[long["key"] == "plant.bottleneck"]
        assert text["value"].isna().all() and text["text"].tolist() == ["fbcvd", "coating", "fbcvd"]

        a = s.lots("sweep-1", 0, 0)
        assert list(a.columns[:2]) == ["point_id", "replication"]
        pd.testing.assert_frame_equal(a.drop(columns=["point_id", "replication"]), _lots_a())  # ints, bools too
        b = s.lots("sweep-1", 1, 0)
        pd.testing.assert_frame_equal(b.drop(columns=["point_id", "replication"]), _lots_b())
        everything = s.lots("sweep-1")
        assert len(everything) == 5 and everything["lot_id"].tolist() == ["S1", "S2", "S3", "C1", "C2"]
        assert {"shell_nm", "grade", "passed"} <= set(everything.columns)
        assert everything["grade"].tolist()[:3] == [None] * 3
        assert "shell_nm" not in s.lots("sweep-1", point_id=0).columns  # point 0's lots never had it
        assert s.lots("sweep-1", 0, 1).empty  # a result stored without lots

        by_sql = s.sql("SELECT lot_id, shell_nm FROM lots WHERE run_id = ? AND grade = ?", ["sweep-1", "A"])
        assert by_sql.to_dict("records") == [{"lot_id": "C1", "shell_nm": 12.5}]

    with RunStore(path, read_only=True) as s:  # everything is still there after closing
        info = s.run_info("sweep-1")
        assert set(info) == set(RUN_COLUMNS) | {"scenario_text"}
        assert info["scenario_text"] == "name: smoke\nseed: 7\n" and info["status"] == "complete"
        assert info["finished"] is not None and info["finished"] >= info["created"]
        assert s.done("sweep-1") == {(0, 0), (0, 1), (1, 0)}
        assert s.sql("SELECT wall_s FROM results WHERE replication = 0 AND point_id = 0")["wall_s"].item() == 1.25
        pd.testing.assert_frame_equal(s.kpis("sweep-1"), wide)


def test_single_run_design_has_one_point_and_no_columns(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        single = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))
        assert _begin(s, "run-1", design=single, kind="run", replications=1)
        got = s.design("run-1")
        assert got.shape == (1, 0) and list(got.index) == [0]
        # a lot frame that still carries its own replication column (as study.run's does) is accepted
        s.add_result("run-1", 0, 0, 7, {"x": 1.0}, _lots_a().assign(replication=0))
        assert "replication" in s.lots("run-1").columns and s.lots("run-1")["replication"].eq(0).all()
        _begin(s, "run-2", design=single, kind="run", replications=2)
        with pytest.raises(StoreError, match="reserved"):  # ... but not one that contradicts the result's
            s.add_result("run-2", 0, 1, 7, {"x": 1.0}, _lots_a().assign(replication=0))
        with pytest.raises(StoreError, match="reserved"):
            s.add_result("run-2", 0, 1, 7, {"x": 1.0}, _lots_a().assign(lot_index=0))
        assert s.done("run-2") == set()


def test_begin_run_is_idempotent_on_resume_and_refuses_another_experiment(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        assert _begin(s) is True
        s.add_result("sweep-1", 0, 0, 7, {"x": 1.0})
        before = s.runs()
        assert _begin(s) is False  # a resume: nothing changes
        pd.testing.assert_frame_equal(s.runs(), before)
        assert s.done("sweep-1") == {(0, 0)}

        other = _design()
        other.loc[1, "settings.fbcvd.bed_temperature_c"] = 500.0
        with pytest.raises(StoreError, match=r"different experiment.*design"):
            _begin(s, design=other)
        with pytest.raises(StoreError, match="design"):
            _begin(s, design=_design().iloc[:1])
        with pytest.raises(StoreError, match="scenario sha256"):
            _begin(s, sha="b" * 64)
        with pytest.raises(StoreError, match="replications 2 vs 3"):
            _begin(s, replications=3)
        pd.testing.assert_frame_equal(s.runs(), before)
        pd.testing.assert_frame_equal(s.design("sweep-1"), _design(), check_index_type=False)

        with pytest.raises(StoreError, match="index must be the point ids"):
            _begin(s, "sweep-2", design=_design().set_axis([1, 2]))
        with pytest.raises(StoreError, match="kind"):
            _begin(s, "sweep-2", kind="study")
        assert s.runs()["run_id"].tolist() == ["sweep-1"]  # refused runs left nothing


def test_done_lists_stored_pairs_and_unknown_runs_are_named(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        _begin(s)
        assert s.done("sweep-1") == set()
        s.add_result("sweep-1", 1, 1, 7, {"x": 1.0}, _lots_b())  # results arrive in any order ...
        s.add_result("sweep-1", 0, 0, 7, {"x": 2.0}, _lots_a())
        assert s.done("sweep-1") == {(1, 1), (0, 0)}
        lots = s.lots("sweep-1")  # ... and read back by (point, replication), each in its own row order
        assert lots["lot_id"].tolist() == ["S1", "S2", "S3", "C1", "C2"]
        assert s.kpis("sweep-1")["x"].tolist() == [2.0, 1.0]
        with pytest.raises(StoreError, match=r"no run 'nope'.*sweep-1") as err:
            s.done("nope")
        assert str(tmp_path / "runs.duckdb") in str(err.value)
        with pytest.raises(StoreError, match=r"replications 0..1"):
            s.add_result("sweep-1", 0, 2, 7, {"x": 1.0})
        with pytest.raises(StoreError, match=r"points 0..1"):
            s.add_result("sweep-1", 2, 0, 7, {"x": 1.0})


def test_duplicate_result_raises_and_changes_nothing(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        _begin(s)
        s.add_result("sweep-1", 0, 0, 7, {"x": 1.0, "b": "fbcvd"}, _lots_a())
        counts, kpis, lots = _counts(s), s.kpis("sweep-1"), s.lots("sweep-1")
        with pytest.raises(StoreError, match="already stored"):
            s.add_result("sweep-1", 0, 0, 8, {"x": 2.0, "y": 3.0}, _lots_b())
        assert _counts(s) == counts == (1, 2, 3)
        pd.testing.assert_frame_equal(s.kpis("sweep-1"), kpis)
        pd.testing.assert_frame_equal(s.lots("sweep-1"), lots)
        assert "shell_nm" not in _lot_columns(s)


@pytest.mark.parametrize("bad", ["list column", "complex column", "kpi of a wrong type", "type conflict"])
def test_rejected_result_leaves_nothing(tmp_path: Path, bad: str) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        _begin(s)
        s.add_result("sweep-1", 0, 0, 7, {"x": 1.0}, _lots_a())
        before = _counts(s)
        lots, kpis = _lots_b(), {"x": 2.0}
        if bad == "list column":
            lots["parents"] = [["S1"], ["S2"]]
        elif bad == "complex column":
            lots["z"] = [1 + 2j, 3j]
        elif bad == "kpi of a wrong type":
            kpis = {"x": 2.0, "y": [1.0]}  # type: ignore[dict-item]
        else:
            lots["mass_kg"] = ["500", "501"]  # stored as DOUBLE by the first result; DuckDB alone would cast
        with pytest.raises(StoreError, match=r"parents|'z'|'y'|mass_kg"):
            s.add_result("sweep-1", 1, 0, 7, kpis, lots)
        assert _counts(s) == before
        assert s.done("sweep-1") == {(0, 0)}
        assert "shell_nm" not in _lot_columns(s)


def test_failure_mid_transaction_rolls_back_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        _begin(s)
        s.add_result("sweep-1", 0, 0, 7, {"x": 1.0}, _lots_a())
        before, columns = _counts(s), _lot_columns(s)
        insert_lots = RunStore._insert_lots

        def insert_then_fail(self: RunStore, *args: object) -> None:
            insert_lots(self, *args)  # the result row, KPIs, new lot columns and lots are all written ...
            assert self._con is not None  # inside the open transaction, before the commit:
            assert self._con.execute("SELECT count(*) FROM lots").fetchone() == (before[2] + 2,)
            raise RuntimeError("disk on fire")  # ... and then the write fails before the commit

        monkeypatch.setattr(RunStore, "_insert_lots", insert_then_fail)
        with pytest.raises(RuntimeError, match="disk on fire"):
            s.add_result("sweep-1", 1, 0, 7, {"x": 2.0, "b": "coating"}, _lots_b())
        assert _counts(s) == before
        assert _lot_columns(s) == columns  # the ALTER TABLE for shell_nm, grade was rolled back too
        assert s.done("sweep-1") == {(0, 0)}

        monkeypatch.undo()  # the store is still usable and the same result can now be stored
        s.add_result("sweep-1", 1, 0, 7, {"x": 2.0, "b": "coating"}, _lots_b())
        assert _counts(s) == (before[0] + 1, before[1] + 2, before[2] + 2)


def test_compare_gives_welch_interval_on_known_numbers(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.duckdb") as s:
        single = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))
        _begin(s, "a", design=single, kind="run", replications=4)
        _begin(s, "b", design=_design(), replications=3)
        for r, x in enumerate([1.0, 2.0, 3.0, 4.0]):
            s.add_result("a", 0, r, 7, {"x": x, "const": 5.0, "label": "L", "once": 1.0 if r == 0 else math.nan,
                                        "only_a": 1.0})
        for r, x in enumerate([2.0, 4.0, 6.0]):
            s.add_result("b", 1, r, 7, {"x": x, "const": 5.0, "label": "M", "once": 3.0, "inf": math.inf})
        s.add_result("b", 0, 0, 7, {"x": 100.0})

        cmp = s.compare("a", "b", point_b=1)
        assert list(cmp.columns) == ["mean_a", "mean_b", "delta", "ci95_half", "n_a", "n_b", "method"]
        assert cmp.attrs["method"] == "welch" and set(cmp["method"]) == {"welch"}  # 4 vs 3 replications: no pairs
        assert list(cmp.index) == ["x", "const", "once"]  # numeric and in both; text KPIs are left out
        # by hand: var_a = 5/3, var_b = 4; se^2 = 5/12 + 4/3 = 1.75;
        # dof = 1.75^2 / ((5/12)^2/3 + (4/3)^2/2) = 3.2347188; t(0.975, 3.2347188) = 3.0557127
        x = cmp.loc["x"]
        assert (x.mean_a, x.mean_b, x.delta, x.n_a, x.n_b) == (2.5, 4.0, 1.5, 4, 3)
        assert x.ci95_half == pytest.approx(3.0557127 * math.sqrt(1.75), rel=1e-7)
        assert cmp.loc["const", "ci95_half"] == 0.0  # no spread on either side
        once = cmp.loc["once"]
        assert (once.n_a, once.n_b, once.delta) == (1, 3, 2.0) and math.isnan(once.ci95_half)

        picked = s.compare("a", "b", keys=["once", "x"], point_b=1)
        assert list(picked.index) == ["once", "x"]
        assert s.compare("a", "b", keys=["x"]).loc["x", "delta"] == 97.5  # point 0 of b by default
        with pytest.raises(StoreError, match="only_a"):
            s.compare("a", "b", keys=["only_a"], point_b=1)
        with pytest.raises(StoreError, match="no stored results at point 1"):
            s.compare("b", "a", point_a=0, point_b=1)


def test_sql_is_read_only_and_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    with pytest.raises(StoreError, match="no such file"):
        RunStore(path, read_only=True)
    assert not path.exists()
    with RunStore(path) as s:
        _begin(s)
        s.add_result("sweep-1", 0, 0, 7, {"x": 1.0})
        for query in ("DELETE FROM kpis", "DROP TABLE runs", "SELECT 1; DELETE FROM kpis", "COMMIT"):
            with pytest.raises(StoreError, match=r"read-only|one statement"):
                s.sql(query)
        with pytest.raises(StoreError, match="query failed"):
            s.sql("SELECT no_such_column FROM runs")
        assert s.sql("SELECT count(*) AS n FROM kpis")["n"].item() == 1
    with RunStore(path, read_only=True) as s:
        with pytest.raises(StoreError, match="read-only"):
            s.add_result("sweep-1", 0, 1, 7, {"x": 1.0})
        with pytest.raises(StoreError, match="read-only"):
            s.finish_run("sweep-1", "complete")
        assert s.done("sweep-1") == {(0, 0)}
    s.close()  # closing twice is fine
    with pytest.raises(StoreError, match="closed"):
        s.runs()


def _child(code: str) -> str:
    return textwrap.dedent(f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np, pandas as pd
        from twin.store import RunStore
    """) + textwrap.dedent(code)


def test_results_survive_sigkill_after_add_result(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    code = _child(f"""
        s = RunStore({str(path)!r})
        s.begin_run("r", "run", "n", "text", "f" * 64, "v", 7, 2, pd.DataFrame(index=pd.RangeIndex(1)))
        lots = pd.DataFrame({{"lot_id": [f"L{{i}}" for i in range(5000)], "mass_kg": np.arange(5000.0)}})
        s.add_result("r", 0, 0, 7, {{"x": 1.0, "b": "fbcvd"}}, lots)
        s.add_result("r", 0, 1, 7, {{"x": 2.0, "b": "coating"}}, lots.assign(extra=1.5))
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    with RunStore(path) as s:
        assert s.done("r") == {(0, 0), (0, 1)}
        assert s.kpis("r")["x"].tolist() == [1.0, 2.0]
        assert s.kpis("r")["b"].tolist() == ["fbcvd", "coating"]
        lots = s.lots("r")
        assert len(lots) == 10000 and lots["mass_kg"].sum() == 2 * sum(range(5000))
        assert lots["extra"].isna().sum() == 5000 and (lots["extra"] == 1.5).sum() == 5000
        assert s.runs()["status"].item() == "running"  # the kill left it unfinished, as it should


def test_store_locked_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    code = _child(f"""
        s = RunStore({str(path)!r})
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        for read_only in (False, True):
            with pytest.raises(StoreError, match="in use by another twin process") as err:
                RunStore(path, read_only=read_only)
            assert str(path) in str(err.value) and f"PID {proc.pid}" in str(err.value)
            assert re.search(rf"locked by another process \(PID {proc.pid}\b", str(err.value))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with RunStore(path) as s:  # free again once the other process is gone
        assert s.runs().empty


def test_a_batch_is_stored_whole_and_reads_back_like_single_results(tmp_path: Path) -> None:
    with RunStore(tmp_path / "a.duckdb") as a, RunStore(tmp_path / "b.duckdb") as b:
        _begin(a)
        _begin(b)
        items = [(0, 0, 7, {"x": 1.0, "b": "fbcvd"}, _lots_a(), 0.1), (1, 1, 7, {"x": 2.0}, _lots_b(), 0.2),
                 (1, 0, 7, {"x": 3.0}, None, 0.3)]
        a.add_results("sweep-1", items)
        for it in items:
            b.add_result("sweep-1", *it)
        assert a.done("sweep-1") == b.done("sweep-1") == {(0, 0), (1, 1), (1, 0)}
        pd.testing.assert_frame_equal(a.kpis("sweep-1"), b.kpis("sweep-1"))
        pd.testing.assert_frame_equal(a.lots("sweep-1"), b.lots("sweep-1"))
        pd.testing.assert_frame_equal(a.lots("sweep-1", 1, 1), b.lots("sweep-1", 1, 1))
        # one bad item (already stored) and the whole batch is refused: nothing of it appears
        counts = _counts(a)
        with pytest.raises(StoreError, match="already stored"):
            a.add_results("sweep-1", [(0, 1, 7, {"x": 9.0}, _lots_b(), 0.1), (1, 1, 7, {"x": 9.0}, None, 0.1)])
        assert _counts(a) == counts and (0, 1) not in a.done("sweep-1")
        with pytest.raises(StoreError, match="twice in the batch"):
            a.add_results("sweep-1", [(0, 1, 7, {"x": 9.0}, None, 0.1), (0, 1, 7, {"x": 9.0}, None, 0.1)])
        assert _counts(a) == counts
