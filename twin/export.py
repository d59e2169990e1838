"""Excel export: frames as the sheets of one ``.xlsx`` workbook, written all or nothing.

The workbook is written (pandas on openpyxl) to a temporary file beside the destination and
renamed over it only when every sheet was written, so a failure or a kill never leaves a partial
workbook (an existing file of that name stays as it was).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from twin.atomic import atomic_folder
from twin.errors import InputError

__all__ = ["EXCEL_MAX_ROWS", "sheet_name", "write_xlsx"]

EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, header included
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A valid worksheet name: at most 31 characters, none of ``[]:*?/\\``."""
    clean = _BAD_SHEET.sub("_", name).strip("'") or "sheet"
    return clean[:31]


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns Excel can hold: time zones dropped from timestamps, lists and dicts as text."""
    out = frame.copy(deep=False)
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            out[c] = col.dt.tz_localize(None)
        elif col.dtype == object and col.map(lambda v: isinstance(v, (list, tuple, dict, set))).any():
            out[c] = col.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, set))
                             else (str(v) if isinstance(v, dict) else v))
    return out


def write_xlsx(path: str | os.PathLike[str], sheets: Mapping[str, pd.DataFrame], index: bool = False) -> Path:
    """Write ``sheets`` (name -> frame, in order) as one workbook at ``path`` (must end in .xlsx).

    A frame longer than a worksheet holds, a path that is a folder or cannot be written is an
    :class:`~twin.errors.InputError` naming it; nothing is written then.
    """
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise InputError.single(str(p), "", "must be an .xlsx file name (e.g. results.xlsx)")
    if p.is_dir():
        raise InputError.single(str(p), "", "is a folder: give a file name ending in .xlsx")
    if not sheets:
        raise InputError.single(str(p), "", "nothing to write (no sheets)")
    names: dict[str, str] = {}
    for name, frame in sheets.items():
        clean = sheet_name(name)
        if clean.lower() in (n.lower() for n in names.values()):
            raise ValueError(f"two sheets would be named {clean!r}")
        names[name] = clean
        if len(frame) + 1 > EXCEL_MAX_ROWS:
            raise InputError.single(str(p), f"sheet {clean}", f"has {len(frame):,} rows, more than a worksheet holds "
                                    f"({EXCEL_MAX_ROWS - 1:,}); export fewer rows or read the parquet/store instead")
    with atomic_folder(p.parent) as tmp:
        target = tmp / p.name
        with pd.ExcelWriter(target, engine="openpyxl") as xl:
            for name, frame in sheets.items():
                _excel_ready(frame).to_excel(xl, sheet_name=names[name], index=index)
        os.chmod(target, 0o644)
    return p
