"""Lot records and genealogy: scaffold -> CVD lot -> powder lot -> mix batch -> electrode roll -> prelithiated roll."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

import numpy as np
import pandas as pd

from plants.lines import PREFIX, LotStatus

__all__ = ["Lot", "Lots", "with_columns"]

# Enum members bound once as module globals: attribute access on an Enum class costs about four
# times a global lookup, and these are read for every lot inside the event loop.
_CHARGED = LotStatus.CHARGED



def _objects(values: Sequence[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _parent_ids(parents: tuple[tuple[str, float], ...]) -> str:
    return parents[0][0] if len(parents) == 1 else "+".join([p for p, _ in parents])


class Lot:
    __slots__ = ("end_h", "id", "line", "mass_kg", "parents", "props", "reason", "row", "start_h", "status", "unit")

    def __init__(self, id: str, line: str, unit: str, start_h: float, mass_kg: float,
                 parents: tuple[tuple[str, float], ...], props: dict[str, float]) -> None:
        self.id = id
        self.line = line
        self.unit = unit
        self.start_h = start_h
        self.end_h = float("nan")
        self.mass_kg = mass_kg
        self.parents = parents
        self.props = props
        self.row = -1  # row in the line's LazyTable
        self.status = _CHARGED
        self.reason = ""


class Lots:
    """Every lot made in a run, in creation order; lot events go to the event log."""

    def __init__(self) -> None:
        self.all: list[Lot] = []
        self._count = {k: 0 for k in PREFIX}
        self.events: list[tuple[float, str, str, str]] = []

    def new(self, line: str, unit: str, t: float, mass_kg: float,
            parents: Sequence[tuple[str, float]] | None = None, props: dict[str, float] | None = None) -> Lot:
        count = self._count
        n = count[line] = count[line] + 1
        # parents kept as a tuple of (id, kg) tuples: all atomic, so the garbage collector stops
        # tracking it (a list would be re-scanned in every collection of the run's ~10^5 records)
        lot = Lot(f"{PREFIX[line]}{n:06d}", line, unit, t, mass_kg, tuple(parents) if parents else (), props or {})
        self.all.append(lot)
        return lot

    def adopt(self, lot: Lot) -> Lot:
        """Take in a lot made before the run began (restored from a plant state) under its own id; lots
        made later are numbered after the highest restored number of their prefix."""
        self.all.append(lot)
        self.reserve(lot.line, lot.id)
        return lot

    def reserve(self, kind: str, lot_id: str) -> None:
        """Number the lots of ``kind`` made from now on after ``lot_id`` (a lot of a plant state, kept
        or not), so that no new lot takes an id the state uses."""
        prefix = PREFIX.get(kind, "")
        digits = lot_id[len(prefix):] if prefix and lot_id.startswith(prefix) else ""
        if digits.isdigit():
            self._count[kind] = max(self._count[kind], int(digits))

    def finish(self, lot: Lot, status: str, t: float, reason: str = "") -> None:
        lot.status = status
        lot.reason = reason
        self.events.append((t, lot.id, status, reason))

    def of(self, line: str) -> list[Lot]:
        return [lot for lot in self.all if lot.line == line]

    def genealogy(self) -> pd.DataFrame:
        rows = [(lot.id, parent, kg) for lot in self.all for parent, kg in lot.parents]
        if not rows:
            return pd.DataFrame(rows, columns=["lot_id", "parent_id", "mass_kg"])
        ids, parents, kg = zip(*rows, strict=False)
        return pd.DataFrame({"lot_id": _objects(ids), "parent_id": _objects(parents), "mass_kg": np.array(kg)})

    @staticmethod
    def frame(lots: list[Lot]) -> pd.DataFrame:
        if lots:
            # numbers straight into numpy (the dtype pandas would infer: float, or int for rows),
            # strings as object arrays: pandas then skips its per-element type inference
            num, obj = np.array, _objects
        else:
            num = obj = list
        df = pd.DataFrame({
            "lot_id": obj([x.id for x in lots]),
            "line": obj([x.line for x in lots]),
            "unit": obj([x.unit for x in lots]),
            "start_h": num([x.start_h for x in lots]),
            "end_h": num([x.end_h for x in lots]),
            "mass_kg": num([x.mass_kg for x in lots]),
            "status": obj([x.status for x in lots]),
            "reason": obj([x.reason for x in lots]),
            "parents": obj([_parent_ids(x.parents) for x in lots]),
            "row": num([x.row for x in lots]),
        })
        props = [x.props for x in lots]
        if any(props):
            # The values as from_records(props)[sorted columns].astype(float) (a missing key is NaN),
            # without building a frame of objects first.
            keys = sorted(set().union(*props))
            n, nan = len(keys), float("nan")
            get_all = itemgetter(*keys) if n > 1 else lambda p: (p[keys[0]],)
            # a lot with as many props as there are keys has them all: one C call gets its values
            rows = [get_all(p) if len(p) == n else tuple(p.get(k, nan) for k in keys) for p in props]
            values = np.fromiter(chain.from_iterable(rows), dtype=float, count=len(rows) * n).reshape(len(rows), n)
            df = pd.concat([df, pd.DataFrame(values, columns=keys)], axis=1)
        return df


def with_columns(df: pd.DataFrame, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """``df[name] = values`` for each column, in one concat rather than one insert each (a column
    ``df`` already has is replaced in place, as the assignment would)."""
    for name in [name for name in cols if name in df.columns]:
        df[name] = cols.pop(name)
    return pd.concat([df, pd.DataFrame(cols, index=df.index)], axis=1) if cols else df
