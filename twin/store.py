"""Run store: every run, replication and sweep point kept in one embedded DuckDB file.

Each experiment is a *run* (scenario text and hash, code version, seed) made of design *points*
(the settings varied) times *replications*; every (point, replication) result keeps its seed,
its summary KPIs and its lot table. Results are written one transaction each, so an interrupted
sweep keeps what it finished and a resume recomputes only what :meth:`RunStore.done` lacks;
the primary keys make sure nothing is stored twice. Everything is queryable with SQL
(:meth:`RunStore.sql`) and comes back as pandas frames.

Runs are found by id or a unique prefix (:meth:`RunStore.resolve`), carry tags and a note, and are
deleted with every row of theirs in one transaction. :meth:`RunStore.compare` pairs replications
that share random streams (same seed, same replication numbers) and names what makes two runs
unlike (horizon, warm-up, parameter set). A store of an older schema gains the new columns when
opened for writing and reads as before when opened read-only.

Domain-free on purpose: it knows runs, points, KPIs and lots, not what a plant is.
"""

from __future__ import annotations

import errno
import json
import math
import numbers
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from twin.stats import DiffMethod, paired_difference, welch_difference

__all__ = ["KINDS", "SCHEMA_VERSION", "STATUSES", "RunKind", "RunStatus", "RunStore", "StoreError"]

SCHEMA_VERSION = 2  # 2: runs.parameter_set, parameter_set_sha256, tags, note (added to a version-1 store on open)


class RunKind(StrEnum):
    """What made a stored run."""

    RUN = "run"
    SWEEP = "sweep"
    SENSITIVITY = "sensitivity"
    OPTIMIZATION = "optimization"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


KINDS = frozenset(RunKind)
STATUSES = frozenset({RunStatus.COMPLETE, RunStatus.INTERRUPTED, RunStatus.FAILED})

# key columns of the lots table; a lot frame may not bring its own columns of these names
# (except point_id/replication equal to the result's own, which are dropped as redundant)
_LOT_KEYS = ("run_id", "point_id", "replication", "lot_index")
_SQL_TYPE = {"float": "DOUBLE", "int": "DOUBLE", "bool": "BOOLEAN", "str": "VARCHAR"}
_ACCEPTS = {"DOUBLE": {"float", "int"}, "BOOLEAN": {"bool"}, "VARCHAR": {"str"}}
_KIND_OF_TYPE = {"DOUBLE": "float", "BOOLEAN": "bool", "VARCHAR": "str"}
_FRAME = "_twin_store_frame"  # name under which a DataFrame is registered for one INSERT

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,          -- UTC
    finished TIMESTAMP,                  -- UTC; NULL while running
    status VARCHAR NOT NULL,             -- running | complete | interrupted | failed
    code_version VARCHAR NOT NULL,
    seed BIGINT NOT NULL,
    scenario_sha256 VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    replications BIGINT NOT NULL,
    parameter_set VARCHAR,               -- name@version of the parameter set (schema 2)
    parameter_set_sha256 VARCHAR,        -- sha256 of its content (schema 2)
    tags VARCHAR,                        -- JSON list of tags (schema 2)
    note VARCHAR                         -- a free-text note (schema 2)
);
CREATE TABLE IF NOT EXISTS points (
    run_id VARCHAR NOT NULL,
    point_id BIGINT NOT NULL,
    settings VARCHAR NOT NULL,           -- JSON object {setting path: value}
    PRIMARY KEY (run_id, point_id)
);
CREATE TABLE IF NOT EXISTS results (
    run_id VARCHAR NOT NULL,
    point_id BIGINT NOT NULL,
    replication BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    wall_s DOUBLE,
    stored_at TIMESTAMP NOT NULL,        -- UTC
    n_lots BIGINT NOT NULL,
    lot_columns VARCHAR,                 -- JSON [[column, kind], ...] of the lot frame; NULL if none given
    PRIMARY KEY (run_id, point_id, replication)
);
CREATE TABLE IF NOT EXISTS kpis (
    run_id VARCHAR NOT NULL,
    point_id BIGINT NOT NULL,
    replication BIGINT NOT NULL,
    key VARCHAR NOT NULL,
    value DOUBLE,                        -- numeric KPIs (NaN stored as NULL)
    text VARCHAR,                        -- text KPIs (e.g. the bottleneck line)
    PRIMARY KEY (run_id, point_id, replication, key)
);
CREATE TABLE IF NOT EXISTS lots (
    run_id VARCHAR NOT NULL,
    point_id BIGINT NOT NULL,
    replication BIGINT NOT NULL,
    lot_index BIGINT NOT NULL            -- row position in the frame given to add_result
);
"""
_TABLES = ("store_meta", "runs", "points", "results", "kpis", "lots")
# columns added to ``runs`` after schema 1: added on open (ALTER ... IF NOT EXISTS), read as NULL from an
# older store opened read-only
_RUN_EXTRA = {"parameter_set": "VARCHAR", "parameter_set_sha256": "VARCHAR", "tags": "VARCHAR", "note": "VARCHAR"}
_RUN_COLUMNS = ("run_id", "kind", "name", "created", "finished", "status", "code_version", "seed", "scenario_sha256",
                "scenario_text", "replications", *_RUN_EXTRA)


class StoreError(Exception):
    """A run-store problem: names the store file and what went wrong."""


# Every connection: no extension is ever loaded or installed behind our back. DuckDB would otherwise
# fetch one from the network for, e.g., an SQLite file given as a store or an https:// path in sql().
_CONFIG: Mapping[str, bool] = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}

_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def _cause(exc: duckdb.Error, read_only: bool, opening: bool = True) -> str | None:
    """What a DuckDB error says about the store file, in plain words (None: nothing we recognise).
    Locks and permissions are about the store only while ``opening`` it (a query may read other files)."""
    text = str(exc)
    low = text.lower()
    detail = text.removeprefix("IO Error: ").strip()
    if "not a valid duckdb database file" in low:
        return "not a DuckDB database (the file exists but holds something else; give a .duckdb file the twin wrote)"
    if "sqlite" in low and "extension" in low:
        return "not a DuckDB database (it looks like an SQLite database; the twin's store is a DuckDB file)"
    if "corrupt" in low or "checksum" in low or "could not read enough bytes" in low or "truncated" in low:
        return f"the file is corrupt or truncated ({detail}); restore it from a copy or use another store"
    if ("version number" in low and "database" in low) or "newer version of duckdb" in low:
        return f"written by another DuckDB version this one cannot read ({detail})"
    if not opening:
        pass
    elif "could not set lock" in low or "conflicting lock" in low or \
            (isinstance(exc, duckdb.IOException) and re.search(r"\block", low)):
        m = _LOCK_PID.search(text)
        who = f" (PID {m['pid']}, {m['program']})" if m else ""
        return f"locked by another process{who}"
    elif "read-only file system" in low or "permission denied" in low or "access is denied" in low:
        where = "read it" if read_only else "write there"
        return (f"cannot {where}: the location is read-only or not accessible to this user ({detail}); "
                "give a store in a writable folder")
    if "extension" in low and ("not found" in low or "autoload" in low or "install" in low):
        return (f"needs a DuckDB extension, and the twin never loads or installs extensions (no network access) "
                f"({detail})")
    return None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _point_count(con: duckdb.DuckDBPyConnection, run_id: str) -> Any:
    row = con.execute("SELECT count(*) FROM points WHERE run_id = ?", [run_id]).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row[0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RunStore:
    """An embedded DuckDB file of runs, their design points and every result.

    One process at a time may open a store for writing (DuckDB locks the file); several may
    open it ``read_only`` when nobody writes. Every write is one committed transaction.
    """

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._run_cols: set[str] = set(_RUN_COLUMNS)
        if read_only and not self.path.exists():
            raise StoreError(f"run store {self.path}: no such file (nothing has been stored there yet)")
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = " (the location is read-only or not writable by this user)" \
                    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS else ""
                raise StoreError(f"run store {self.path}: cannot create its folder{why}: {exc}") from exc
        if self.path.is_dir():
            raise StoreError(f"run store {self.path} is a folder, not a DuckDB file; give a file path such as "
                             f"{self.path / 'runs.duckdb'}")
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only, config=dict(_CONFIG))
        except duckdb.ConnectionException as exc:
            raise StoreError(f"run store {self.path} is already open in this process in another mode "
                             f"(a RunStore with read_only={not read_only}, or a DuckDB connection with other "
                             f"settings); close that first ({exc})") from exc
        except duckdb.Error as exc:
            raise StoreError(self._cannot_open(exc)) from exc
        try:
            self._init_schema()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def _init_schema(self) -> None:
        con = self._connection()
        try:
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main'").fetchall()}
            if self.read_only:
                missing = [t for t in _TABLES if t not in tables]
                if missing:
                    raise StoreError(f"run store {self.path}: not a run store (tables {', '.join(missing)} missing)")
            else:
                with self._transaction(con):
                    con.execute(_SCHEMA)
                    con.execute("INSERT INTO store_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                                [str(SCHEMA_VERSION)])
                    row = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
                    if row is not None and int(row[0]) < SCHEMA_VERSION:  # an older store: add what is new
                        for col, sql_type in _RUN_EXTRA.items():
                            con.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS {col} {sql_type}")
                        con.execute("UPDATE store_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
            self._run_cols = {r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND table_name = 'runs'").fetchall()}
            row = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
        except duckdb.Error as exc:
            cause = _cause(exc, self.read_only)
            raise StoreError(f"run store {self.path}: {cause}" if cause is not None else
                             f"run store {self.path}: cannot read or create its tables: {exc}") from exc
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"run store {self.path}: written by a newer twin (schema {version}, "
                             f"this code reads up to {SCHEMA_VERSION})")

    def close(self) -> None:
        """Close the file (DuckDB checkpoints its WAL into it). Safe to call twice."""
        with self._lock:
            if self._con is not None:
                con, self._con = self._con, None
                con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r}, read_only={self.read_only})"

    # -- plumbing --------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError(f"run store {self.path} is closed")
        return self._con

    def _error(self, message: str) -> StoreError:
        return StoreError(f"run store {self.path}: {message}")

    def _cannot_open(self, exc: duckdb.Error) -> str:
        """Why DuckDB would not open the file, in words naming the store and the cause."""
        text = str(exc)
        cause = _cause(exc, self.read_only)
        if cause is None:
            return f"run store {self.path}: cannot open it: {text}"
        if cause.startswith("locked"):
            return (f"run store {self.path} is {cause}: it is in use by another twin process (or another "
                    "program); wait for it to finish or use another store")
        return f"run store {self.path}: {cause}"

    @contextmanager
    def _op(self, what: str, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Serialize calls (threads may share a store) and turn DuckDB errors into StoreError."""
        with self._lock:
            con = self._connection()
            if write and self.read_only:
                raise self._error(f"{what}: the store is open read-only")
            try:
                yield con
            except duckdb.Error as exc:
                cause = _cause(exc, self.read_only, opening=False)
                raise self._error(f"{what} failed: {cause or exc}") from exc

    @staticmethod
    @contextmanager
    def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """All or nothing: commit at the end, roll back on any exception (Ctrl-C included)."""
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # a failed COMMIT has already ended the transaction
            raise

    def _insert_frame(self, con: duckdb.DuckDBPyConnection, sql: str, frame: pd.DataFrame,
                      params: Sequence[Any] = ()) -> None:
        con.register(_FRAME, frame)
        try:
            con.execute(sql, list(params))
        finally:
            con.unregister(_FRAME)

    def _run_row(self, con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[Any, ...]:
        row = con.execute("SELECT replications FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            known = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY created DESC LIMIT 5").fetchall()]
            hint = f"; latest runs: {', '.join(known)}" if known else "; the store has no runs yet"
            raise self._error(f"no run {run_id!r}{hint}")
        return row

    # -- writing ---------------------------------------------------------------------------

    def begin_run(self, run_id: str, kind: str, name: str, scenario_text: str, scenario_sha256: str,
                  code_version: str, seed: int, replications: int, design: pd.DataFrame,
                  parameter_set: str | None = None, parameter_set_sha256: str | None = None) -> bool:
        """Create a run and its design points in one transaction; True when created.

        ``parameter_set`` (a name) and ``parameter_set_sha256`` (of its content) identify the
        parameters the run used, so comparisons can tell runs of different parameter sets apart.

        An existing ``run_id`` is a resume: nothing changes and False is returned, unless the
        stored scenario hash, design, replications, seed or kind differ (resuming a different
        experiment would mix its results into this one), which is a StoreError.
        """
        if kind not in KINDS:
            raise self._error(f"run {run_id!r}: kind {kind!r} must be one of {sorted(KINDS)}")
        if not isinstance(replications, numbers.Integral) or replications < 1:
            raise self._error(f"run {run_id!r}: replications must be a positive integer (got {replications!r})")
        if not isinstance(seed, numbers.Integral):
            raise self._error(f"run {run_id!r}: seed must be an integer (got {seed!r})")
        records = self._design_records(run_id, design)
        with self._op(f"begin run {run_id!r}", write=True) as con, self._transaction(con):
            row = con.execute("SELECT scenario_sha256, replications, seed, kind FROM runs WHERE run_id = ?",
                              [run_id]).fetchone()
            if row is not None:
                stored = [json.loads(s) for (s,) in con.execute(
                    "SELECT settings FROM points WHERE run_id = ? ORDER BY point_id", [run_id]).fetchall()]
                diffs = [what for what, same in (
                    (f"scenario sha256 {row[0][:12]}… vs {scenario_sha256[:12]}…", row[0] == scenario_sha256),
                    (f"replications {row[1]} vs {replications}", row[1] == int(replications)),
                    (f"seed {row[2]} vs {seed}", row[2] == int(seed)),
                    (f"kind {row[3]!r} vs {kind!r}", row[3] == kind),
                    (f"design ({len(stored)} vs {len(records)} points)", stored == records)) if not same]
                if diffs:
                    raise self._error(f"run {run_id!r} exists with a different experiment (stored vs given: "
                                      f"{'; '.join(diffs)}); resuming it would mix results - use a new run id")
                return False
            con.execute("INSERT INTO runs (run_id, kind, name, created, finished, status, code_version, seed, "
                        "scenario_sha256, scenario_text, replications, parameter_set, parameter_set_sha256, tags, note) "
                        "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, '[]', NULL)",
                        [run_id, str(kind), name, _now(), str(RunStatus.RUNNING), code_version, int(seed), scenario_sha256,
                         scenario_text, int(replications), parameter_set, parameter_set_sha256])
            points = pd.DataFrame({"point_id": np.arange(len(records), dtype=np.int64),
                                   "settings": [json.dumps(r, allow_nan=False) for r in records]})
            self._insert_frame(con, f"INSERT INTO points SELECT ?, point_id, settings FROM {_FRAME}", points, [run_id])
        return True

    def _design_records(self, run_id: str, design: pd.DataFrame) -> list[dict[str, float | str | None]]:
        """The design as one {path: value} dict per point (floats or str; NaN as None)."""
        where = f"run {run_id!r}: design"
        if not isinstance(design, pd.DataFrame):
            raise self._error(f"{where} must be a DataFrame (got {type(design).__name__})")
        n = len(design)
        if n < 1:
            raise self._error(f"{where} has no points (a single run is one point with no columns)")
        if [i for i in design.index if not isinstance(i, numbers.Integral)] or list(design.index) != list(range(n)):
            raise self._error(f"{where} index must be the point ids 0..{n - 1} in order")
        cols = list(design.columns)
        if [c for c in cols if not isinstance(c, str)] or len(set(cols)) != len(cols):
            raise self._error(f"{where} columns must be distinct setting paths (str); got {cols}")

        def value(col: str, v: Any) -> float | str | None:
            if isinstance(v, str):
                return v
            if v is None:
                return None
            if isinstance(v, numbers.Real):
                f = float(v)
                if math.isnan(f):
                    return None
                if math.isinf(f):
                    raise self._error(f"{where}: {col} = {f} is not a usable setting")
                return f
            raise self._error(f"{where}: {col} = {v!r} ({type(v).__name__}); settings must be numbers or text")

        rows = design.itertuples(index=False, name=None) if cols else [()] * n  # no columns: itertuples yields nothing
        return [{c: value(c, v) for c, v in zip(cols, row, strict=True)} for row in rows]

    def add_result(self, run_id: str, point_id: int, replication: int, seed: int, kpis: Mapping[str, float | str],
                   lots: pd.DataFrame | None = None, wall_s: float = math.nan) -> None:
        """Store one (point, replication): its result row, KPIs and lots, all in one transaction.

        Storing the same (run, point, replication) twice is a StoreError; any failure leaves
        nothing of this result behind. Returns once the transaction is committed (durable).
        """
        keys, values, texts = self._kpi_columns(run_id, kpis)
        point_id, replication = int(point_id), int(replication)
        frame, spec = (None, []) if lots is None else self._lot_frame(run_id, point_id, replication, lots)
        what = f"add result (point {point_id}, replication {replication}) to run {run_id!r}"
        with self._op(what, write=True) as con, self._transaction(con):
            (reps,) = self._run_row(con, run_id)
            if con.execute("SELECT 1 FROM points WHERE run_id = ? AND point_id = ?", [run_id, point_id]).fetchone() is None:
                n = _point_count(con, run_id)
                raise self._error(f"{what}: the run has points 0..{n - 1}")
            if not 0 <= replication < reps:
                raise self._error(f"{what}: the run has replications 0..{reps - 1}")
            if con.execute("SELECT 1 FROM results WHERE run_id = ? AND point_id = ? AND replication = ?",
                           [run_id, point_id, replication]).fetchone() is not None:
                raise self._error(f"{what}: already stored (a result is stored once; resume skips done())")
            columns = None
            if frame is not None:
                spec = self._prepare_lot_columns(con, what, frame, spec)
                columns = json.dumps(spec)
            con.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, point_id, replication, int(seed), float(wall_s), _now(),
                         0 if frame is None else len(frame), columns])
            if keys:
                kf = pd.DataFrame({"key": keys, "value": values, "text": pd.Series(texts, dtype=object)})
                self._insert_frame(con, "INSERT INTO kpis SELECT ?, ?, ?, key, CAST(value AS DOUBLE), "
                                        f"CAST(text AS VARCHAR) FROM {_FRAME}", kf, [run_id, point_id, replication])
            if frame is not None:
                self._insert_lots(con, run_id, point_id, replication, frame)

    def add_results(self, run_id: str, items: Sequence[tuple[int, int, int, Mapping[str, float | str],
                                                           pd.DataFrame | None, float]]) -> None:
        """Store several results ``(point_id, replication, seed, kpis, lots, wall_s)`` in ONE transaction.

        All or none: the batch is what a worker sent back together (a chunk), so the store still
        never shows half of a result, and one commit serves the whole chunk (the write cost per
        result falls several-fold). The same checks as :meth:`add_result` apply to every item.
        """
        if not items:
            return
        prepared = []
        for point_id, replication, seed, kpis, lots, wall_s in items:
            keys, values, texts = self._kpi_columns(run_id, kpis)
            pid, rep = int(point_id), int(replication)
            frame, spec = (None, []) if lots is None else self._lot_frame(run_id, pid, rep, lots)
            prepared.append((pid, rep, int(seed), keys, values, texts, frame, spec, float(wall_s)))
        pairs = [(p[0], p[1]) for p in prepared]
        what = f"add {len(prepared)} results to run {run_id!r}"
        if len(set(pairs)) != len(pairs):
            raise self._error(f"{what}: a (point, replication) appears twice in the batch")
        with self._op(what, write=True) as con, self._transaction(con):
            (reps,) = self._run_row(con, run_id)
            n_points = _point_count(con, run_id)
            for pid, rep in pairs:
                if not 0 <= pid < n_points:
                    raise self._error(f"{what}: point {pid}: the run has points 0..{n_points - 1}")
                if not 0 <= rep < reps:
                    raise self._error(f"{what}: replication {rep}: the run has replications 0..{reps - 1}")
            stored = {(int(a), int(b)) for a, b in con.execute(
                "SELECT point_id, replication FROM results WHERE run_id = ?", [run_id]).fetchall()}
            again = sorted(set(pairs) & stored)
            if again:
                raise self._error(f"{what}: (point, replication) {again[0]} already stored (a result is stored once; "
                                  "resume skips done())")
            spec_all: dict[str, str] = {}
            frames = []
            for pid, rep, _, _, _, _, frame, spec, _ in prepared:
                if frame is None:
                    continue
                for name, kind in spec:
                    if spec_all.setdefault(name, kind) != kind and not frame[name].isna().all():
                        raise self._error(f"{what}: lot column {name!r} holds {kind} values in point {pid} replication "
                                          f"{rep} but {spec_all[name]} values in another result")
                frames.append(frame.assign(point_id=pid, replication=rep))
            columns: dict[tuple[int, int], str | None] = {}
            if frames:
                merged = pd.concat(frames, ignore_index=True, sort=False)
                final = dict(self._prepare_lot_columns(con, what, merged, list(spec_all.items())))
                for pid, rep, _, _, _, _, frame, spec, _ in prepared:
                    if frame is not None:
                        columns[(pid, rep)] = json.dumps([(n, final[n]) for n, _ in spec])
                self._insert_frame(con, f"INSERT INTO lots BY NAME SELECT ? AS run_id, * FROM {_FRAME}", merged, [run_id])
            now = _now()
            res = pd.DataFrame({
                "point_id": [p[0] for p in prepared], "replication": [p[1] for p in prepared],
                "seed": [p[2] for p in prepared], "wall_s": [p[8] for p in prepared],
                "n_lots": [0 if p[6] is None else len(p[6]) for p in prepared],
                "lot_columns": pd.Series([columns.get((p[0], p[1])) for p in prepared], dtype=object)})
            self._insert_frame(con, "INSERT INTO results SELECT ?, point_id, replication, seed, wall_s, ?, n_lots, "
                                    f"CAST(lot_columns AS VARCHAR) FROM {_FRAME}", res, [run_id, now])
            kf = [pd.DataFrame({"point_id": p[0], "replication": p[1], "key": p[3], "value": p[4],
                                "text": pd.Series(p[5], dtype=object)}) for p in prepared if p[3]]
            if kf:
                self._insert_frame(con, "INSERT INTO kpis SELECT ?, point_id, replication, key, CAST(value AS DOUBLE), "
                                        f"CAST(text AS VARCHAR) FROM {_FRAME}", pd.concat(kf, ignore_index=True), [run_id])

    def _kpi_columns(self, run_id: str, kpis: Mapping[str, float | str]) -> tuple[list[str], np.ndarray, list[str | None]]:
        keys: list[str] = []
        values: list[float] = []
        texts: list[str | None] = []
        for k, v in kpis.items():
            if not isinstance(k, str):
                raise self._error(f"run {run_id!r}: KPI names must be str (got {k!r})")
            keys.append(k)
            if isinstance(v, str):
                values.append(math.nan)
                texts.append(v)
            elif v is None or isinstance(v, (numbers.Real, np.bool_)):  # bool and numpy numbers included
                values.append(math.nan if v is None else float(v))
                texts.append(None)
            else:
                raise self._error(f"run {run_id!r}: KPI {k!r} = {v!r} ({type(v).__name__}) is neither a number nor text")
        return keys, np.asarray(values, dtype=np.float64), texts

    def _lot_frame(self, run_id: str, point_id: int, replication: int,
                   lots: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """A shallow copy ready for DuckDB (key columns dropped, odd dtypes converted) and [(column, kind)]."""
        where = f"run {run_id!r} point {point_id} replication {replication}: lot frame"
        if not isinstance(lots, pd.DataFrame):
            raise self._error(f"{where} must be a DataFrame (got {type(lots).__name__})")
        cols = list(lots.columns)
        bad = [c for c in cols if not isinstance(c, str) or not c.strip()]
        if bad:
            raise self._error(f"{where}: column names must be non-empty str (got {bad[:5]})")
        lower = [c.lower() for c in cols]
        if len(set(lower)) != len(lower):
            dup = sorted({c for c in cols if lower.count(c.lower()) > 1})
            raise self._error(f"{where}: duplicate column names (SQL names ignore case): {dup}")
        frame = lots.copy(deep=False)
        own = {"point_id": point_id, "replication": replication}
        for c in cols:
            key = c.lower()
            if key not in _LOT_KEYS:
                continue
            if key in own and bool((lots[c] == own[key]).all()):
                frame = frame.drop(columns=[c])  # redundant copy of the result's own key
                continue
            raise self._error(f"{where}: column {c!r} is reserved for the store's keys {list(_LOT_KEYS)}")
        spec: list[tuple[str, str]] = []
        for c, dt in frame.dtypes.items():
            # plain numpy number/bool columns are decided by their dtype alone (most lot columns:
            # no per-column Series access, which is what a write costs in Python)
            fast = _FAST_KIND.get(dt.kind) if isinstance(dt, np.dtype) else None
            if fast is not None:
                spec.append((c, fast))
                continue
            kind, converted = _lot_kind(frame[c])
            if kind is None:
                raise self._error(f"{where}: column {c!r} has dtype {frame[c].dtype} "
                                  f"({pd.api.types.infer_dtype(frame[c], skipna=True)}); "
                                  "lot columns must be numbers, booleans or text")
            if converted is not None:
                frame[c] = converted
            spec.append((c, kind))
        frame["lot_index"] = np.arange(len(frame), dtype=np.int64)
        return frame, spec

    def _prepare_lot_columns(self, con: duckdb.DuckDBPyConnection, what: str, frame: pd.DataFrame,
                             spec: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Check the frame's columns against the lots table, add the new ones; the final [(column, kind)]."""
        existing = {n.lower(): (n, t) for n, t in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = 'lots'").fetchall()}
        final: list[tuple[str, str]] = []
        for name, kind in spec:
            empty = bool(frame[name].isna().all())
            if name.lower() in existing:
                _stored, sql_type = existing[name.lower()]
                if not empty and kind not in _ACCEPTS.get(sql_type, set()):
                    raise self._error(f"{what}: lot column {name!r} holds {kind} values but is stored as {sql_type}")
                final.append((name, kind if not empty else _KIND_OF_TYPE.get(sql_type, kind)))
            else:
                con.execute(f"ALTER TABLE lots ADD COLUMN {_quote(name)} {_SQL_TYPE[kind]}")
                final.append((name, kind))
        return final

    def _insert_lots(self, con: duckdb.DuckDBPyConnection, run_id: str, point_id: int, replication: int,
                     frame: pd.DataFrame) -> None:
        if len(frame):
            self._insert_frame(con, f"INSERT INTO lots BY NAME SELECT ? AS run_id, ? AS point_id, ? AS replication, * "
                                    f"FROM {_FRAME}", frame, [run_id, point_id, replication])

    def finish_run(self, run_id: str, status: str) -> None:
        """Record how the run ended (complete, interrupted or failed) and when."""
        if status not in STATUSES:
            raise self._error(f"run {run_id!r}: status {status!r} must be one of {sorted(STATUSES)}")
        with self._op(f"finish run {run_id!r}", write=True) as con:
            self._run_row(con, run_id)
            con.execute("UPDATE runs SET status = ?, finished = ? WHERE run_id = ?", [str(status), _now(), run_id])

    # -- reading ---------------------------------------------------------------------------

    _RUNS_SQL = """
        WITH p AS (SELECT run_id, count(*) AS n FROM points GROUP BY run_id),
             s AS (SELECT run_id, count(*) AS n FROM results GROUP BY run_id)
        SELECT r.run_id, r.kind, r.name, r.created, r.finished, r.status, r.code_version, r.seed,
               r.scenario_sha256, coalesce(p.n, 0) AS points, r.replications, coalesce(s.n, 0) AS results_stored,
               {newer}{extra}
        FROM runs r LEFT JOIN p USING (run_id) LEFT JOIN s USING (run_id)
        {where} ORDER BY r.created, r.run_id
    """

    def _runs_sql(self, extra: str = "", where: str = "") -> str:
        newer = ", ".join(f"r.{c}" if c in self._run_cols else f"CAST(NULL AS VARCHAR) AS {c}" for c in _RUN_EXTRA)
        return self._RUNS_SQL.format(newer=newer, extra=extra, where=where)

    @staticmethod
    def _tags_column(df: pd.DataFrame) -> pd.DataFrame:
        df["tags"] = [list(json.loads(t)) if isinstance(t, str) and t else [] for t in df["tags"]]
        return df

    def runs(self, tag: str | None = None) -> pd.DataFrame:
        """One row per run, oldest first, with how many of its results are stored, its parameter set,
        tags (a list) and note; with ``tag``, only the runs carrying it."""
        with self._op("list runs") as con:
            df = self._tags_column(con.execute(self._runs_sql()).df())
        if tag is not None:
            df = df[[tag in t for t in df["tags"]]].reset_index(drop=True)
        return df

    def run_info(self, run_id: str) -> dict[str, Any]:
        """The run's row of :meth:`runs` plus its scenario text."""
        with self._op(f"read run {run_id!r}") as con:
            self._run_row(con, run_id)
            cur = con.execute(self._runs_sql(extra=", r.scenario_text", where="WHERE r.run_id = ?"), [run_id])
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        assert row is not None
        info = dict(zip(names, row, strict=True))
        info["tags"] = list(json.loads(info["tags"])) if info.get("tags") else []
        return info

    def resolve(self, run_id: str) -> str:
        """The full id of a run given its id or a unique prefix of it. An unknown id, or a prefix
        several runs share (the candidates are listed), is a StoreError."""
        if not isinstance(run_id, str) or not run_id:
            raise self._error(f"a run id must be non-empty text (got {run_id!r})")
        with self._op(f"find run {run_id!r}") as con:
            if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None:
                return run_id
            hits = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY created, run_id",
                                              [run_id]).fetchall()]
            if len(hits) == 1:
                return str(hits[0])
            if len(hits) > 1:
                shown = ", ".join(hits[:10]) + (f", ... ({len(hits)} in all)" if len(hits) > 10 else "")
                raise self._error(f"run id prefix {run_id!r} is ambiguous: it matches {shown}; give more of the id")
            self._run_row(con, run_id)  # raises: no such run, with the latest ones as a hint
        raise AssertionError("unreachable")

    def tag(self, run_id: str, tags: Sequence[str], remove: bool = False) -> list[str]:
        """Add (or with ``remove`` take away) tags of a run; returns its tags afterwards."""
        bad = [t for t in tags if not isinstance(t, str) or not t.strip() or t != t.strip()]
        if bad:
            raise self._error(f"tags must be non-empty text without surrounding spaces (got {bad[:3]!r})")
        with self._op(f"tag run {run_id!r}", write=True) as con, self._transaction(con):
            self._run_row(con, run_id)
            row = con.execute("SELECT tags FROM runs WHERE run_id = ?", [run_id]).fetchone()
            now = list(json.loads(row[0])) if row and row[0] else []
            if remove:
                now = [t for t in now if t not in tags]
            else:
                now += [t for t in dict.fromkeys(tags) if t not in now]
            con.execute("UPDATE runs SET tags = ? WHERE run_id = ?", [json.dumps(now), run_id])
        return now

    def note(self, run_id: str, text: str | None) -> None:
        """Set (or with None / empty text clear) the run's note."""
        if text is not None and not isinstance(text, str):
            raise self._error(f"a note is text (got {type(text).__name__})")
        with self._op(f"note on run {run_id!r}", write=True) as con, self._transaction(con):
            self._run_row(con, run_id)
            con.execute("UPDATE runs SET note = ? WHERE run_id = ?", [text or None, run_id])

    def delete(self, run_ids: Sequence[str]) -> dict[str, int]:
        """Delete runs with every row of theirs (points, results, KPIs, lots) in ONE transaction:
        all of them or, on any error (an unknown id included), none. Returns rows deleted per table."""
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            raise self._error("delete: give at least one run id")
        counts = dict.fromkeys(("runs", "points", "results", "kpis", "lots"), 0)
        with self._op(f"delete runs {', '.join(ids)}", write=True) as con, self._transaction(con):
            for rid in ids:
                self._run_row(con, rid)
            for table in ("lots", "kpis", "results", "points", "runs"):
                for rid in ids:
                    row = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [rid]).fetchone()
                    counts[table] += int(row[0]) if row else 0
                    con.execute(f"DELETE FROM {table} WHERE run_id = ?", [rid])
        return counts

    def run_values(self, keys: Sequence[str], run_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Per run (index run_id), the first stored numeric value of each KPI in ``keys`` (e.g. the
        horizon, the same in every result of a run); NaN where a run has none."""
        keys = list(keys)
        with self._op("read run values") as con:
            if not keys:
                return pd.DataFrame(index=pd.Index([], name="run_id"))
            sql = ("SELECT run_id, key, arg_min(value, point_id * 1000000 + replication) AS value FROM kpis "
                   f"WHERE key IN ({', '.join('?' * len(keys))}) AND value IS NOT NULL")
            params: list[Any] = list(keys)
            if run_ids is not None:
                if not run_ids:
                    return pd.DataFrame(columns=keys, index=pd.Index([], name="run_id"), dtype=np.float64)
                sql += f" AND run_id IN ({', '.join('?' * len(run_ids))})"
                params += list(run_ids)
            long = con.execute(sql + " GROUP BY run_id, key", params).df()
        wide = long.pivot(index="run_id", columns="key", values="value") if len(long) else \
            pd.DataFrame(index=pd.Index([], name="run_id"))
        wide.columns.name = None
        return wide.reindex(columns=keys).astype(np.float64)

    def design(self, run_id: str) -> pd.DataFrame:
        """The design as given to :meth:`begin_run` (index point_id; numbers as float, NaN as given)."""
        with self._op(f"read design of run {run_id!r}") as con:
            self._run_row(con, run_id)
            rows = con.execute("SELECT point_id, settings FROM points WHERE run_id = ? ORDER BY point_id",
                               [run_id]).fetchall()
        index = pd.Index([r[0] for r in rows], dtype=np.int64, name="point_id")
        records = [json.loads(r[1]) for r in rows]
        cols = list(records[0]) if records else []
        if not cols:
            return pd.DataFrame(index=index)
        return pd.DataFrame.from_records(records, columns=cols).set_axis(index)

    def done(self, run_id: str) -> set[tuple[int, int]]:
        """The (point_id, replication) pairs already stored for the run."""
        with self._op(f"read results of run {run_id!r}") as con:
            self._run_row(con, run_id)
            return {(int(p), int(r)) for p, r in con.execute(
                "SELECT point_id, replication FROM results WHERE run_id = ?", [run_id]).fetchall()}

    def _kpis_long(self, con: duckdb.DuckDBPyConnection, run_id: str, point_id: int | None = None) -> pd.DataFrame:
        sql = "SELECT point_id, replication, key, value, text FROM kpis WHERE run_id = ?"
        params: list[Any] = [run_id]
        if point_id is not None:
            sql += " AND point_id = ?"
            params.append(int(point_id))
        long = con.execute(sql, params).df()  # insertion order: KPI keys stay in the order given
        return long.sort_values(["point_id", "replication"], kind="stable").reset_index(drop=True)

    def kpis(self, run_id: str, wide: bool = True) -> pd.DataFrame:
        """KPIs of every stored result.

        ``wide``: index (point_id, replication), one column per KPI (float, or object for text
        KPIs), in the order given. Long: columns point_id, replication, key, value, text.
        """
        with self._op(f"read KPIs of run {run_id!r}") as con:
            self._run_row(con, run_id)
            long = self._kpis_long(con, run_id)
            if not wide:
                return long
            stored = con.execute("SELECT point_id, replication FROM results WHERE run_id = ? "
                                 "ORDER BY point_id, replication", [run_id]).fetchall()
        index = pd.MultiIndex.from_tuples(stored, names=["point_id", "replication"]) if stored else \
            pd.MultiIndex.from_arrays([np.array([], np.int64)] * 2, names=["point_id", "replication"])
        order = list(pd.unique(long["key"]))
        text_keys = set(long.loc[long["text"].notna(), "key"])
        parts = []
        for keyset, column in ((lambda k: ~k.isin(text_keys), "value"), (lambda k: k.isin(text_keys), "text")):
            part = long[keyset(long["key"])]
            if len(part):
                parts.append(part.pivot(index=["point_id", "replication"], columns="key", values=column))
        wide_df = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
        wide_df = wide_df.reindex(index=index, columns=order)
        for k in order:
            if k not in text_keys:
                wide_df[k] = wide_df[k].astype(np.float64)
        wide_df.columns.name = None
        return wide_df

    def lots(self, run_id: str, point_id: int | None = None, replication: int | None = None) -> pd.DataFrame:
        """Lot rows of the run (or of one point / replication), in the order they were given.

        Columns: point_id, replication, then the lot columns the selected results had (a column
        another line added later is not shown for a result without it). Integer columns come
        back as integers when no value is missing.
        """
        where = "run_id = ?"
        params: list[str | int] = [run_id]
        if point_id is not None:
            where, params = where + " AND point_id = ?", [*params, int(point_id)]
        if replication is not None:
            where, params = where + " AND replication = ?", [*params, int(replication)]
        with self._op(f"read lots of run {run_id!r}") as con:
            self._run_row(con, run_id)
            specs = con.execute(f"SELECT lot_columns FROM results WHERE {where} AND lot_columns IS NOT NULL "
                                "ORDER BY point_id, replication", params).fetchall()
            kinds: dict[str, set[str]] = {}
            for (text,) in specs:
                for name, kind in json.loads(text):
                    kinds.setdefault(name, set()).add(kind)
            select = ", ".join(["point_id", "replication", "lot_index", *(_quote(c) for c in kinds)])
            # no ORDER BY: sorting the wide rows in DuckDB costs more than checking (and rarely fixing) it here
            df = con.execute(f"SELECT {select} FROM lots WHERE {where}", params).df()
        order = np.lexsort((df["lot_index"].to_numpy(), df["replication"].to_numpy(), df["point_id"].to_numpy()))
        if (np.diff(order) != 1).any():
            df = df.take(order)
        df = df.drop(columns=["lot_index"]).reset_index(drop=True)
        for name, ks in kinds.items():
            col = df[name]
            if ks == {"int"} and len(col) and not col.isna().any():
                df[name] = col.astype(np.int64)
            elif ks == {"bool"} and not col.isna().any():
                df[name] = col.astype(bool)
        return df

    def compare(self, run_a: str, run_b: str, keys: Sequence[str] | None = None, point_a: int = 0,
                point_b: int = 0, method: str = "auto") -> pd.DataFrame:
        """Per numeric KPI of both: means, delta (b - a) and its 95 % half-width.

        ``method``: ``auto`` (default) pairs replication i of a with replication i of b when the two
        share random streams (same seed, same replication numbers: :meth:`shares_streams`) and uses
        :func:`twin.stats.paired_difference`, else Welch (independent samples); ``paired`` or ``welch``
        forces one (``paired`` without shared streams is a StoreError). Means and counts are over the
        finite values of each side; a paired interval drops the pairs with a missing side.
        ``ci95_half`` is NaN when there are fewer than two values (pairs). Index: KPI key; columns
        mean_a, mean_b, delta, ci95_half, n_a, n_b, method. ``attrs``: ``method`` and ``warnings``
        (:meth:`differences`: horizon, warm-up or parameter set not the same).
        """
        if method not in ("auto", "paired", "welch"):
            raise self._error(f"compare: method must be auto, paired or welch (got {method!r})")
        with self._op(f"compare runs {run_a!r} and {run_b!r}") as con:
            side_a = self._numeric_samples(con, run_a, point_a)
            side_b = self._numeric_samples(con, run_b, point_b)
            shared, why = self._shares_streams(con, run_a, run_b, point_a, point_b)
            warns = self._differences(con, run_a, run_b, point_a, point_b)
        if method == "paired" and not shared:
            raise self._error(f"compare {run_a!r} and {run_b!r}: a paired comparison needs shared random streams, but {why}")
        paired = shared if method == "auto" else method == "paired"
        common = [k for k in side_a if k in side_b]
        if keys is not None:
            missing = [k for k in keys if k not in side_a or k not in side_b]
            if missing:
                raise self._error(f"compare {run_a!r} and {run_b!r}: no numeric KPI {missing} in both "
                                  f"(e.g. {common[:5]})")
            common = list(keys)
        rows = []
        used = DiffMethod.PAIRED if paired else DiffMethod.WELCH
        for k in common:
            a, b = side_a[k], side_b[k]
            fa, fb = a[np.isfinite(a.to_numpy())], b[np.isfinite(b.to_numpy())]
            mean_a = float(fa.mean()) if len(fa) else math.nan
            mean_b = float(fb.mean()) if len(fb) else math.nan
            if paired:
                both = pd.concat([a, b], axis=1, join="inner")
                half = paired_difference(both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()).ci95_half
            else:
                half = welch_difference(fa.to_numpy(), fb.to_numpy()).ci95_half
            rows.append((mean_a, mean_b, mean_b - mean_a, half, len(fa), len(fb), str(used)))
        out = pd.DataFrame(rows, index=pd.Index(common, name="key", dtype=object),
                           columns=["mean_a", "mean_b", "delta", "ci95_half", "n_a", "n_b", "method"])
        out = out.astype({"mean_a": np.float64, "mean_b": np.float64, "delta": np.float64,
                          "ci95_half": np.float64, "n_a": np.int64, "n_b": np.int64, "method": object})
        out.attrs["method"] = str(used)
        out.attrs["method_reason"] = why
        out.attrs["warnings"] = warns
        return out

    def _shares_streams(self, con: duckdb.DuckDBPyConnection, run_a: str, run_b: str, point_a: int,
                        point_b: int) -> tuple[bool, str]:
        """Whether replication i of both sides drew the same random streams (same seed, same
        replication numbers), and why (or why not) in words."""
        def reps(run_id: str, point_id: int) -> dict[int, int]:
            return {int(r): int(sd) for r, sd in con.execute(
                "SELECT replication, seed FROM results WHERE run_id = ? AND point_id = ?", [run_id, int(point_id)]).fetchall()}

        ra, rb = reps(run_a, point_a), reps(run_b, point_b)
        seeds_a, seeds_b = sorted(set(ra.values())), sorted(set(rb.values()))
        if set(ra) != set(rb):
            return False, f"the replications differ ({len(ra)} vs {len(rb)} stored): their numbers do not pair up"
        if ra != rb:
            return False, f"the seeds differ ({', '.join(map(str, seeds_a))} vs {', '.join(map(str, seeds_b))})"
        return True, (f"same seed ({', '.join(map(str, seeds_a))}) and replications 0..{len(ra) - 1}: "
                      "common random numbers")

    def shares_streams(self, run_a: str, run_b: str, point_a: int = 0, point_b: int = 0) -> bool:
        """True when replication i of (run_a, point_a) and of (run_b, point_b) drew the same random
        streams: the same seed and the same replication numbers (a sweep's points always do)."""
        with self._op(f"compare runs {run_a!r} and {run_b!r}") as con:
            self._run_row(con, run_a)
            self._run_row(con, run_b)
            return self._shares_streams(con, run_a, run_b, point_a, point_b)[0]

    def differences(self, run_a: str, run_b: str, point_a: int = 0, point_b: int = 0) -> list[str]:
        """What makes two runs (points) unfit to compare, in words: a different horizon, warm-up
        (the ``horizon_h`` / ``warmup_h`` KPIs) or parameter set (name or content sha256). Empty when
        they agree (or a side does not record it)."""
        with self._op(f"compare runs {run_a!r} and {run_b!r}") as con:
            self._run_row(con, run_a)
            self._run_row(con, run_b)
            return self._differences(con, run_a, run_b, point_a, point_b)

    def _differences(self, con: duckdb.DuckDBPyConnection, run_a: str, run_b: str, point_a: int,
                     point_b: int) -> list[str]:
        out: list[str] = []
        for key, what in (("horizon_h", "horizon"), ("warmup_h", "warm-up")):
            vals = []
            for rid, pid in ((run_a, point_a), (run_b, point_b)):
                row = con.execute("SELECT min(value), max(value) FROM kpis WHERE run_id = ? AND point_id = ? AND key = ?",
                                  [rid, int(pid), key]).fetchone()
                vals.append(row if row is not None else (None, None))
            (lo_a, hi_a), (lo_b, hi_b) = vals
            if None not in (lo_a, lo_b) and (lo_a, hi_a) != (lo_b, hi_b):
                out.append(f"{what} differs: {lo_a:g} h vs {lo_b:g} h")
        if "parameter_set_sha256" in self._run_cols:
            rows = {rid: con.execute("SELECT parameter_set, parameter_set_sha256 FROM runs WHERE run_id = ?",
                                     [rid]).fetchone() for rid in (run_a, run_b)}
            (name_a, sha_a), (name_b, sha_b) = rows[run_a] or (None, None), rows[run_b] or (None, None)
            if name_a and name_b and name_a != name_b:
                out.append(f"parameter set differs: {name_a} vs {name_b}")
            elif sha_a and sha_b and sha_a != sha_b:
                out.append(f"parameter set content differs (sha256 {sha_a[:12]}… vs {sha_b[:12]}…)"
                           + (f" although both are {name_a}" if name_a else ""))
        return out

    def _numeric_samples(self, con: duckdb.DuckDBPyConnection, run_id: str, point_id: int) -> dict[str, pd.Series]:
        """Each numeric KPI of one point over its replications (index replication, NaN kept; key order kept)."""
        self._run_row(con, run_id)
        long = self._kpis_long(con, run_id, point_id)
        if not len(long):
            raise self._error(f"run {run_id!r} has no stored results at point {point_id}")
        out: dict[str, pd.Series] = {}
        for key, g in long.groupby("key", sort=False):
            if g["text"].notna().any():
                continue
            v = g["value"].to_numpy(dtype=np.float64)
            out[str(key)] = pd.Series(v, index=g["replication"].to_numpy(dtype=np.int64), dtype=np.float64)
        return out

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run one read-only query (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE, EXPLAIN) on the store."""
        with self._op("query") as con:
            try:
                statements = duckdb.extract_statements(query)
            except duckdb.Error as exc:
                raise self._error(f"query does not parse: {exc}") from exc
            if len(statements) != 1:
                raise self._error(f"sql() takes exactly one statement (got {len(statements)})")
            kind = statements[0].type
            if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
                raise self._error(f"sql() is read-only; a {kind.name} statement is not allowed "
                                  "(write through the RunStore methods)")
            con.execute("BEGIN TRANSACTION")  # and roll back whatever happens: nothing a query does is kept
            try:
                return con.execute(query, list(params) if params is not None else None).df()
            finally:
                con.execute("ROLLBACK")


_FAST_KIND = {"f": "float", "i": "int", "u": "int", "b": "bool"}


def _lot_kind(col: pd.Series) -> tuple[str | None, Any]:
    """The stored kind of a lot column (float, int, bool, str or None if unsupported) and, when
    DuckDB needs it in another form, the converted values."""
    dt = col.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "bool", None
    if pd.api.types.is_integer_dtype(dt):
        return "int", None
    if pd.api.types.is_float_dtype(dt):
        return "float", None
    if isinstance(dt, pd.CategoricalDtype):
        inner, _ = _lot_kind(pd.Series(dt.categories))
        if inner == "str" or len(dt.categories) == 0:
            return "str", col.astype(object).where(col.notna(), None)
        return None, None
    if pd.api.types.is_string_dtype(dt) and dt != np.dtype(object):
        return "str", None
    if dt == np.dtype(object):
        inferred = pd.api.types.infer_dtype(col, skipna=True)
        if inferred in ("string", "empty"):
            return "str", None
        if inferred == "boolean":
            return "bool", None
        if inferred in ("integer", "floating", "mixed-integer-float"):
            return "float", pd.to_numeric(col, errors="coerce").astype(np.float64)
    return None, None
