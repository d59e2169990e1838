"""Run store administration and comparisons: id prefixes, tags, notes, deletion in one transaction,
reading a version-1 store, paired intervals on shared streams, and refusals of unlike runs."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from twin.stats import t_quantile
from twin.store import SCHEMA_VERSION, RunStore, StoreError

SINGLE = pd.DataFrame(index=pd.RangeIndex(1, name="point_id"))


def _run(s: RunStore, run_id: str, xs: list[float], seed: int = 7, horizon: float = 100.0, warmup: float = 0.0,
         pset: tuple[str | None, str | None] = ("ref@1", "abc"), lots: bool = False) -> None:
    s.begin_run(run_id, "run", "smoke", "name: smoke\n", "sha", "v", seed, len(xs), SINGLE,
                parameter_set=pset[0], parameter_set_sha256=pset[1])
    for r, x in enumerate(xs):
        s.add_result(run_id, 0, r, seed, {"x": x, "horizon_h": horizon, "warmup_h": warmup, "label": "L"},
                     pd.DataFrame({"lot_id": [f"P{r}", f"Q{r}"], "kg": [1.0, 2.0]}) if lots else None)
    s.finish_run(run_id, "complete")


@pytest.mark.unit
def test_paired_interval_on_shared_streams_equals_the_hand_computation(tmp_path):
    a, b = [10.0, 12.0, 11.0], [10.5, 12.9, 11.4]  # b - a = 0.5, 0.9, 0.4: the runs' noise cancels
    with RunStore(tmp_path / "s.duckdb") as s:
        _run(s, "a-1", a)
        _run(s, "b-1", b)
        _run(s, "c-1", b, seed=8)  # another seed: independent samples
        paired = s.compare("a-1", "b-1", ["x"])
        welch = s.compare("a-1", "b-1", ["x"], method="welch")
        other = s.compare("a-1", "c-1", ["x"])
        assert s.shares_streams("a-1", "b-1") and not s.shares_streams("a-1", "c-1")
        with pytest.raises(StoreError, match="seeds differ"):
            s.compare("a-1", "c-1", ["x"], method="paired")
        with pytest.raises(StoreError, match="auto, paired or welch"):
            s.compare("a-1", "b-1", method="bayes")
    d = np.array(b) - np.array(a)
    by_hand = t_quantile(2) * float(np.std(d, ddof=1)) / math.sqrt(3)  # t(0.975, 2) x sd of differences / sqrt(n)
    assert paired.attrs["method"] == "paired" and paired.loc["x", "method"] == "paired"
    assert paired.loc["x", "ci95_half"] == pytest.approx(by_hand, rel=1e-12)
    assert paired.loc["x", "delta"] == pytest.approx(d.mean(), rel=1e-12)
    assert welch.loc["x", "method"] == "welch" and paired.loc["x", "ci95_half"] < welch.loc["x", "ci95_half"] / 3
    assert other.attrs["method"] == "welch" and "seeds differ" in other.attrs["method_reason"]
    assert other.loc["x", "ci95_half"] == pytest.approx(welch.loc["x", "ci95_half"], rel=1e-12)
    assert paired.attrs["warnings"] == []


@pytest.mark.unit
def test_runs_that_differ_in_horizon_warmup_or_parameter_set_are_named(tmp_path):
    with RunStore(tmp_path / "s.duckdb") as s:
        _run(s, "base", [1.0, 2.0])
        _run(s, "long", [1.0, 2.0], horizon=200.0)
        _run(s, "warm", [1.0, 2.0], warmup=24.0)
        _run(s, "other-set", [1.0, 2.0], pset=("plant-b@1", "def"))
        _run(s, "edited-set", [1.0, 2.0], pset=("ref@1", "fff"))
        _run(s, "unknown-set", [1.0, 2.0], pset=(None, None))
        assert s.differences("base", "long") == ["horizon differs: 100 h vs 200 h"]
        assert s.differences("base", "warm") == ["warm-up differs: 0 h vs 24 h"]
        assert s.differences("base", "other-set") == ["parameter set differs: ref@1 vs plant-b@1"]
        assert "content differs" in s.differences("base", "edited-set")[0]
        assert s.differences("base", "unknown-set") == []  # nothing recorded: nothing to say
        assert s.compare("base", "long").attrs["warnings"] == ["horizon differs: 100 h vs 200 h"]


@pytest.mark.unit
def test_run_id_prefixes_tags_notes_and_listing(tmp_path):
    with RunStore(tmp_path / "s.duckdb") as s:
        _run(s, "run-aaa-1", [1.0])
        _run(s, "run-aab-2", [2.0])
        assert s.resolve("run-aaa") == "run-aaa-1" and s.resolve("run-aab-2") == "run-aab-2"
        with pytest.raises(StoreError, match=r"ambiguous.*run-aaa-1, run-aab-2"):
            s.resolve("run-aa")
        with pytest.raises(StoreError, match="no run 'zzz'"):
            s.resolve("zzz")
        assert s.tag("run-aaa-1", ["hot", "trial", "hot"]) == ["hot", "trial"]
        assert s.tag("run-aaa-1", ["trial"], remove=True) == ["hot"]
        with pytest.raises(StoreError, match="tags must be"):
            s.tag("run-aaa-1", [" padded"])
        s.note("run-aab-2", "480 degC, new scaffold lot")
        listed = s.runs()
        assert listed.set_index("run_id").loc["run-aaa-1", "tags"] == ["hot"]
        assert listed.set_index("run_id").loc["run-aab-2", "note"] == "480 degC, new scaffold lot"
        assert list(s.runs(tag="hot")["run_id"]) == ["run-aaa-1"] and s.runs(tag="nope").empty
        assert s.run_info("run-aab-2")["parameter_set"] == "ref@1"
        s.note("run-aab-2", "")
        assert s.run_info("run-aab-2")["note"] is None
        values = s.run_values(["horizon_h", "warmup_h", "missing"])
        assert values.loc["run-aaa-1", "horizon_h"] == 100.0 and math.isnan(values.loc["run-aaa-1", "missing"])


@pytest.mark.unit
def test_delete_removes_every_row_of_the_runs_or_none(tmp_path):
    with RunStore(tmp_path / "s.duckdb") as s:
        _run(s, "keep", [1.0, 2.0], lots=True)
        _run(s, "gone", [3.0, 4.0], lots=True)
        _run(s, "gone-too", [5.0], lots=True)
        with pytest.raises(StoreError, match="no run 'nope'"):
            s.delete(["gone", "nope"])  # one unknown id: nothing is deleted
        assert len(s.runs()) == 3 and len(s.lots("gone")) == 4
        counts = s.delete(["gone", "gone-too"])
        assert counts == {"runs": 2, "points": 2, "results": 3, "kpis": 12, "lots": 6}
        assert list(s.runs()["run_id"]) == ["keep"]
        left = s.sql("SELECT (SELECT count(*) FROM kpis) AS k, (SELECT count(*) FROM lots) AS l, "
                     "(SELECT count(*) FROM results) AS r, (SELECT count(*) FROM points) AS p")
        assert left.iloc[0].tolist() == [8, 4, 2, 1]  # only the kept run's rows
    with RunStore(tmp_path / "s.duckdb", read_only=True) as s, pytest.raises(StoreError, match="read-only"):
        s.delete(["keep"])


_V1_RUNS = """
CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, created TIMESTAMP NOT NULL,
    finished TIMESTAMP, status VARCHAR NOT NULL, code_version VARCHAR NOT NULL, seed BIGINT NOT NULL,
    scenario_sha256 VARCHAR NOT NULL, scenario_text VARCHAR NOT NULL, replications BIGINT NOT NULL);
CREATE TABLE points (run_id VARCHAR NOT NULL, point_id BIGINT NOT NULL, settings VARCHAR NOT NULL,
    PRIMARY KEY (run_id, point_id));
CREATE TABLE results (run_id VARCHAR NOT NULL, point_id BIGINT NOT NULL, replication BIGINT NOT NULL, seed BIGINT NOT NULL,
    wall_s DOUBLE, stored_at TIMESTAMP NOT NULL, n_lots BIGINT NOT NULL, lot_columns VARCHAR,
    PRIMARY KEY (run_id, point_id, replication));
CREATE TABLE kpis (run_id VARCHAR NOT NULL, point_id BIGINT NOT NULL, replication BIGINT NOT NULL, key VARCHAR NOT NULL,
    value DOUBLE, text VARCHAR, PRIMARY KEY (run_id, point_id, replication, key));
CREATE TABLE lots (run_id VARCHAR NOT NULL, point_id BIGINT NOT NULL, replication BIGINT NOT NULL, lot_index BIGINT NOT NULL);
INSERT INTO store_meta VALUES ('schema_version', '1');
INSERT INTO runs VALUES ('old-1', 'run', 'smoke', TIMESTAMP '2026-01-01 00:00:00', NULL, 'complete', 'v0', 7, 'sha',
    'name: smoke', 1);
INSERT INTO points VALUES ('old-1', 0, '{}');
INSERT INTO results VALUES ('old-1', 0, 0, 7, 1.0, TIMESTAMP '2026-01-01 00:00:00', 0, NULL);
INSERT INTO kpis VALUES ('old-1', 0, 0, 'x', 1.5, NULL);
"""


@pytest.mark.unit
def test_a_version_1_store_stays_readable_and_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(_V1_RUNS)
    con.close()
    with RunStore(path, read_only=True) as s:  # read-only: nothing can be added, the new columns read as empty
        row = s.runs().iloc[0]
        assert row["run_id"] == "old-1" and row["tags"] == [] and row["parameter_set"] is None
        assert s.compare("old-1", "old-1").loc["x", "delta"] == 0.0
    with RunStore(path) as s:  # opened for writing: the columns are added, the version raised
        s.tag("old-1", ["legacy"])
        assert s.runs(tag="legacy")["run_id"].tolist() == ["old-1"]
        assert s.sql("SELECT value FROM store_meta WHERE key = 'schema_version'").iloc[0, 0] == str(SCHEMA_VERSION)
        _run(s, "new-1", [2.0])
        assert s.kpis("old-1")["x"].tolist() == [1.5]
