"""Reading and checking a plant record folder (CSV, Parquet or Excel), never changing it.

:func:`read_records` returns :class:`Records`: one DataFrame per table with every time also as
hours since the start of the recorded period (``<column>_h``). Every problem names the file, the row
and the column. Strict (the default): any problem is an :class:`~twin.errors.InputError` (the CLI
exits with code 2). Lenient: a bad row is skipped and reported in :attr:`Records.skipped`; a
problem with a whole file (a missing required column) is still an error.

Row numbers: in a CSV or Excel file, the spreadsheet row (the header is row 1, the first record
row 2); in a Parquet file, the record's position counted from 1.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plants.records.schema import FORMAT, MANIFEST, TABLES, UNIT_SUFFIXES, Table, property_unit
from twin.errors import _MISSING, InputError, Problem, suggest

__all__ = ["Records", "read_records"]

_EXTS = (".csv", ".parquet", ".xlsx")
_WORKBOOK = "records.xlsx"
_MAX_REPORTED = 50  # problems listed in one error (the count of the rest is given)


@dataclass(frozen=True)
class Records:
    """A checked record folder: its tables, the recorded period and a content hash."""

    folder: str
    tables: dict[str, pd.DataFrame]
    start: pd.Timestamp  # the period's start (hour 0)
    end_h: float  # the period's length in hours (the end of the record: later is censored)
    sha256: str  # of the files read (names and bytes), for the sources of calibrated values
    files: dict[str, str] = field(default_factory=dict)  # table -> the file (or workbook sheet) it came from
    skipped: list[Problem] = field(default_factory=list)  # rows skipped in lenient mode, with why

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(hours=self.end_h)


def _empty(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=float if c.type == "number" else object) for c in table.columns})


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text ('' for missing); tz-aware times as ISO text, naive ones without a zone."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[str(col)] = s.map(lambda v: "" if pd.isna(v) else v.isoformat())
        else:
            out[str(col)] = s.map(_cell_text)
    return pd.DataFrame(out, index=range(len(frame)))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.isoformat()
    if v is pd.NaT:
        return ""
    return str(v)


def _load(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """One table file as text cells (read only: the file is never written)."""
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
        if path.suffix == ".parquet":
            return _as_text(pd.read_parquet(path))
        return _as_text(pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl"))
    except (OSError, ValueError, ImportError, KeyError) as exc:
        raise InputError.single(str(path) + (f" (sheet {sheet})" if sheet else ""), "",
                                f"cannot be read as a {path.suffix[1:]} table: {str(exc)[:200]}") from None
    except Exception as exc:  # a damaged Parquet or Excel file raises the library's own errors
        raise InputError.single(str(path), "", f"is not a readable {path.suffix[1:]} file: {type(exc).__name__}: "
                                f"{str(exc)[:200]}") from None


def _find(folder: Path) -> tuple[dict[str, tuple[Path, str | None]], list[Problem]]:
    """Which file holds each table; files that are no table are errors (a misspelt name)."""
    found: dict[str, tuple[Path, str | None]] = {}
    problems: list[Problem] = []
    workbook = folder / _WORKBOOK
    sheets: list[str] = []
    if workbook.is_file():
        try:
            import openpyxl

            wb = openpyxl.load_workbook(workbook, read_only=True)
            sheets = list(wb.sheetnames)
            wb.close()
        except Exception as exc:
            raise InputError.single(str(workbook), "", f"is not a readable Excel workbook: {str(exc)[:200]}") from None
        for s in sheets:
            if s in TABLES:
                found[s] = (workbook, s)
            else:
                problems.append(Problem(str(workbook), f"sheet {s}", _MISSING, "unknown table; tables are "
                                        + ", ".join(TABLES), suggest(s, TABLES)))
    for p in sorted(folder.iterdir()):
        if p.name == MANIFEST or p.name == _WORKBOOK or p.name.startswith(".") or p.is_dir():
            continue
        if p.suffix not in _EXTS:
            if p.suffix.lower() in (".json", ".md", ".txt"):
                continue  # notes beside the records
            problems.append(Problem(str(p), "", _MISSING, "is not a record file (.csv, .parquet or .xlsx)"))
            continue
        if p.stem not in TABLES:
            problems.append(Problem(str(p), "", _MISSING, "unknown table; tables are " + ", ".join(TABLES),
                                    suggest(p.stem, TABLES)))
            continue
        if p.stem in found:
            problems.append(Problem(str(p), "", _MISSING, f"table {p.stem} is also in {found[p.stem][0].name}: keep one"))
            continue
        found[p.stem] = (p, None)
    return found, problems


def _hash(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(set(paths)):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _parse_time(text: str) -> datetime | str:
    """A timestamp with a zone, or the reason it is not one."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return "is not an ISO-8601 time (e.g. 2025-01-01T06:00:00+00:00)"
    if t.tzinfo is None or t.utcoffset() is None:
        return "has no time zone (write e.g. 2025-01-01T06:00:00+00:00 or ...Z)"
    return t


class _Checker:
    """Checks one table's cells; collects problems per row."""

    def __init__(self, table: Table, raw: pd.DataFrame, where: str, first_row: int) -> None:
        self.table, self.raw, self.where, self.first_row = table, raw, where, first_row
        self.bad: dict[int, list[Problem]] = {}  # position -> problems of that row
        self.fatal: list[Problem] = []

    def row_label(self, i: int) -> int:
        return i + self.first_row

    def flag(self, i: int, col: str, value: Any, message: str) -> None:
        self.bad.setdefault(i, []).append(Problem(self.where, f"row {self.row_label(i)}, column {col}", value, message))

    def columns(self, lenient: bool) -> list[str]:
        t, cols = self.table, [str(c) for c in self.raw.columns]
        props = []
        for c in cols:
            if c in t.names:
                continue
            if t.properties and property_unit(c) is not None and c == c.strip() and c.replace("_", "").isalnum():
                props.append(c)
                continue
            hint = (f"; lot property columns end in a unit suffix ({', '.join(sorted(UNIT_SUFFIXES))})"
                    if t.properties else "")
            p = Problem(self.where, f"column {c}", _MISSING,
                        f"unknown column; {t.name} has {', '.join(t.names)}{hint}", suggest(c, t.names))
            (self.fatal if not lenient else self.bad.setdefault(-1, [])).append(p)
        for c in t.columns:
            if c.required and c.name not in cols:
                self.fatal.append(Problem(self.where, f"column {c.name}", _MISSING,
                                          f"required column is missing ({c.description})"))
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        for c in dupes:
            self.fatal.append(Problem(self.where, f"column {c}", _MISSING, "appears more than once"))
        return props

    def convert(self, props: list[str]) -> pd.DataFrame:
        raw, out = self.raw, {}
        for c in self.table.columns:
            if c.name not in raw.columns:  # an optional column the file does not have
                if c.type == "time":
                    out[c.name] = pd.Series(pd.NaT, index=range(len(raw)), dtype="datetime64[ns, UTC]")
                elif c.type == "number":
                    out[c.name] = pd.Series(np.nan, index=range(len(raw)), dtype=float)
                else:
                    out[c.name] = pd.Series([""] * len(raw), index=range(len(raw)), dtype=object)
                continue
            cells = raw[c.name].astype(str)
            if c.type == "time":
                vals: list[Any] = []
                for i, text in enumerate(cells):
                    if not text.strip():
                        if c.required:
                            self.flag(i, c.name, _MISSING, "is empty; a time is required")
                        vals.append(pd.NaT)
                        continue
                    t = _parse_time(text)
                    if isinstance(t, str):
                        self.flag(i, c.name, text, t)
                        vals.append(pd.NaT)
                    else:
                        vals.append(pd.Timestamp(t).tz_convert("UTC"))
                out[c.name] = pd.Series(pd.to_datetime(pd.Series(vals, dtype=object), utc=True), index=range(len(raw)))
            elif c.type == "number":
                out[c.name] = self._numbers(cells, c.name, c.required)
            else:
                for i, text in enumerate(cells):
                    if c.required and not text.strip():
                        self.flag(i, c.name, _MISSING, "is empty; a value is required")
                    elif c.allowed and text not in c.allowed and (text or c.required):
                        self.flag(i, c.name, text, f"must be one of {', '.join(c.allowed)}")
                out[c.name] = cells.reset_index(drop=True)
        for name in props:
            out[name] = self._numbers(raw[name].astype(str), name, False)
        return pd.DataFrame(out, index=range(len(raw)))

    def _numbers(self, cells: pd.Series, name: str, required: bool) -> pd.Series:
        vals = np.full(len(cells), np.nan)
        for i, text in enumerate(cells):
            s = text.strip()
            if not s:
                if required:
                    self.flag(i, name, _MISSING, "is empty; a number is required")
                continue
            try:
                v = float(s)
            except ValueError:
                self.flag(i, name, text, "is not a number")
                continue
            if not math.isfinite(v):
                self.flag(i, name, text, "is not a finite number")
                continue
            vals[i] = v
        return pd.Series(vals, index=range(len(cells)))


def _manifest(folder: Path) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    p = folder / MANIFEST
    if not p.is_file():
        return None, None
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError.single(str(p), "", f"is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(m, dict):
        raise InputError.single(str(p), "", "must be a JSON object {format, version, period_start, period_end}")
    if m.get("format", FORMAT) != FORMAT:
        raise InputError.single(str(p), "format", f"is not {FORMAT}", value=m.get("format"))
    out = []
    for key in ("period_start", "period_end"):
        v = m.get(key)
        if v is None:
            out.append(None)
            continue
        t = _parse_time(str(v))
        if isinstance(t, str):
            raise InputError.single(str(p), key, t, value=v)
        out.append(pd.Timestamp(t).tz_convert("UTC"))
    if out[0] is not None and out[1] is not None and out[1] < out[0]:
        raise InputError.single(str(p), "period_end", "is before period_start (a negative duration)", value=m["period_end"])
    return out[0], out[1]


def read_records(folder: str | Path, lenient: bool = False) -> Records:
    """Read and check the record folder ``folder``; see the module's docstring."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError.single(str(root), "", "is not a folder of plant records")
    found, problems = _find(root)
    if problems and not lenient:
        raise InputError(problems)
    skipped: list[Problem] = list(problems)
    if not found:
        raise InputError.single(str(root), "", "holds no record table (" + ", ".join(f"{t}.csv" for t in TABLES) + ")")
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    fatal: list[Problem] = []
    checkers: dict[str, _Checker] = {}
    for name, table in TABLES.items():
        if name not in found:
            frames[name] = _empty(table)
            continue
        path, sheet = found[name]
        where = f"{path}" + (f" (sheet {sheet})" if sheet else "")
        files[name] = where
        raw = _load(path, sheet)
        ck = _Checker(table, raw, where, 1 if path.suffix == ".parquet" else 2)
        props = ck.columns(lenient)
        if ck.fatal:
            fatal.extend(ck.fatal)
            continue
        frames[name] = ck.convert(props)
        checkers[name] = ck
    if fatal:
        raise InputError(fatal[:_MAX_REPORTED])

    start, end = _manifest(root)
    times = [frames[n][c.name].dropna() for n, t in TABLES.items() for c in t.columns
             if c.type == "time" and n in checkers]
    every = pd.concat(times) if times else pd.Series(dtype="datetime64[ns, UTC]")
    if start is None:
        start = every.min() if len(every) else pd.Timestamp("1970-01-01", tz="UTC")
    if end is None:
        end = every.max() if len(every) else start
    for name, ck in checkers.items():
        _check_rows(name, frames[name], ck, start, end)
    _check_links(frames, checkers)
    bad = [(name, i, p) for name, ck in checkers.items() for i, ps in ck.bad.items() for p in ps]
    if bad and not lenient:
        msgs = [p for _, _, p in bad]
        extra = len(msgs) - _MAX_REPORTED
        if extra > 0:
            msgs = msgs[:_MAX_REPORTED] + [Problem(str(root), "", _MISSING, f"... and {extra} more problems")]
        raise InputError(msgs)
    for name, ck in checkers.items():
        drop = sorted(i for i in ck.bad if i >= 0)
        skipped.extend(p for i in sorted(ck.bad) for p in ck.bad[i])
        if drop:
            frames[name] = frames[name].drop(index=drop).reset_index(drop=True)
    if lenient and any(ck.bad for ck in checkers.values()):  # links to lots skipped above are orphans now
        skipped.extend(_drop_orphans(frames, checkers))
    for name, table in TABLES.items():
        f = frames[name]
        for c in table.columns:
            if c.type == "time" and c.name in f.columns:
                f[f"{c.name}_h"] = (f[c.name] - start).dt.total_seconds() / 3600.0 if len(f) else pd.Series(dtype=float)
    paths = [p for p, _ in found.values()] + ([root / MANIFEST] if (root / MANIFEST).is_file() else [])
    return Records(str(root), frames, start, float((end - start).total_seconds() / 3600.0), _hash(paths), files, skipped)


def _check_rows(name: str, f: pd.DataFrame, ck: _Checker, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Negative durations, times outside the period, overlapping states of one machine, duplicate ids."""
    if name in ("equipment_states", "lots"):
        neg = (f["end"] < f["start"]).fillna(False).to_numpy()
        for i in np.flatnonzero(neg):
            ck.flag(int(i), "end", str(ck.raw["end"].iloc[i]),
                    f"is before start ({ck.raw['start'].iloc[i]}): a negative duration")
    if name == "equipment_states" and len(f):
        ok = f["start"].notna() & f["end"].notna() & ~(f["end"] < f["start"])
        g = f[ok].assign(_pos=np.flatnonzero(ok.to_numpy())).sort_values(["equipment", "start", "end"], kind="stable")
        same = g["equipment"].to_numpy()[1:] == g["equipment"].to_numpy()[:-1]
        prev_end = g["end"].to_numpy()[:-1]
        overlap = same & (g["start"].to_numpy()[1:] < prev_end)
        pos = g["_pos"].to_numpy()
        for k in np.flatnonzero(overlap):
            i, j = int(pos[k + 1]), int(pos[k])
            ck.flag(i, "start", str(ck.raw["start"].iloc[i]),
                    f"overlaps the state of {f['equipment'].iloc[i]} in row {ck.row_label(j)} "
                    f"(which ends {ck.raw['end'].iloc[j]}): a machine is in one state at a time")
    if name == "lots" and len(f):
        dup = f["lot_id"].duplicated(keep="first").to_numpy() & (f["lot_id"] != "").to_numpy()
        first = {v: k for k, v in reversed(list(enumerate(f["lot_id"])))}
        for i in np.flatnonzero(dup):
            lot = f["lot_id"].iloc[i]
            ck.flag(int(i), "lot_id", lot, f"repeats the lot id of row {ck.row_label(first[lot])}")
    for c in TABLES[name].columns:
        if c.type != "time" or c.name not in f.columns:
            continue
        late = (f[c.name] > end).fillna(False).to_numpy() | (f[c.name] < start).fillna(False).to_numpy()
        for i in np.flatnonzero(late):
            ck.flag(int(i), c.name, str(ck.raw[c.name].iloc[i]),
                    f"is outside the recorded period {start.isoformat()} to {end.isoformat()} (manifest.json)")


_LINKS = {"genealogy": ("child_lot", "parent_lot"), "qc_results": ("lot_id",), "settings": ("lot_id",)}


def _check_links(frames: dict[str, pd.DataFrame], checkers: dict[str, _Checker]) -> None:
    """Genealogy, QC results and settings must name lots of the lots table (no orphan links)."""
    ids = set(frames["lots"]["lot_id"])
    for name, cols in _LINKS.items():
        if name not in checkers:
            continue
        f, ck = frames[name], checkers[name]
        for col in cols:
            miss = ~f[col].isin(ids).to_numpy() & (f[col] != "").to_numpy()
            for i in np.flatnonzero(miss):
                ck.flag(int(i), col, f[col].iloc[i], "is an orphan link: no lot of that id in the lots table")


def _drop_orphans(frames: dict[str, pd.DataFrame], checkers: dict[str, _Checker]) -> list[Problem]:
    """Lenient mode, after bad rows were skipped: drop the links to lots that were skipped."""
    ids = set(frames["lots"]["lot_id"])
    out = []
    for name, cols in _LINKS.items():
        if name not in checkers:
            continue
        f = frames[name]
        miss = np.zeros(len(f), dtype=bool)
        for col in cols:
            miss |= ~f[col].isin(ids).to_numpy()
        if miss.any():
            out.append(Problem(checkers[name].where, "", _MISSING, f"{int(miss.sum())} row(s) skipped: they link to "
                               "lots that were skipped"))
            frames[name] = f[~miss].reset_index(drop=True)
    return out
