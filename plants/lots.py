"""Lot records and genealogy: scaffold -> CVD lot -> powder lot -> mix batch -> electrode roll -> prelithiated roll."""

from __future__ import annotations

import pandas as pd

__all__ = ["Lot", "Lots"]

PREFIX = {"scaffold": "S", "fbcvd": "C", "coating": "P", "mixing": "M", "casting": "E", "prelith": "L"}


class Lot:
    __slots__ = ("id", "line", "unit", "start_h", "end_h", "mass_kg", "parents", "props", "row", "status", "reason")

    def __init__(self, id: str, line: str, unit: str, start_h: float, mass_kg: float,
                 parents: list[tuple[str, float]], props: dict[str, float]) -> None:
        self.id = id
        self.line = line
        self.unit = unit
        self.start_h = start_h
        self.end_h = float("nan")
        self.mass_kg = mass_kg
        self.parents = parents
        self.props = props
        self.row = -1  # row in the line's LazyTable
        self.status = "charged"
        self.reason = ""


class Lots:
    """Every lot made in a run, in creation order; lot events go to the event log."""

    def __init__(self) -> None:
        self.all: list[Lot] = []
        self._count = {k: 0 for k in PREFIX}
        self.events: list[tuple[float, str, str, str]] = []

    def new(self, line: str, unit: str, t: float, mass_kg: float,
            parents: list[tuple[str, float]] | None = None, props: dict[str, float] | None = None) -> Lot:
        self._count[line] += 1
        lot = Lot(f"{PREFIX[line]}{self._count[line]:06d}", line, unit, t, mass_kg, parents or [], props or {})
        self.all.append(lot)
        return lot

    def finish(self, lot: Lot, status: str, t: float, reason: str = "") -> None:
        lot.status = status
        lot.reason = reason
        self.events.append((t, lot.id, status, reason))

    def of(self, line: str) -> list[Lot]:
        return [lot for lot in self.all if lot.line == line]

    def genealogy(self) -> pd.DataFrame:
        rows = [(lot.id, parent, kg) for lot in self.all for parent, kg in lot.parents]
        return pd.DataFrame(rows, columns=["lot_id", "parent_id", "mass_kg"])

    @staticmethod
    def frame(lots: list[Lot]) -> pd.DataFrame:
        df = pd.DataFrame({
            "lot_id": [x.id for x in lots],
            "line": [x.line for x in lots],
            "unit": [x.unit for x in lots],
            "start_h": [x.start_h for x in lots],
            "end_h": [x.end_h for x in lots],
            "mass_kg": [x.mass_kg for x in lots],
            "status": [x.status for x in lots],
            "reason": [x.reason for x in lots],
            "parents": ["+".join(p for p, _ in x.parents) for x in lots],
            "row": [x.row for x in lots],
        })
        if any(x.props for x in lots):
            props = pd.DataFrame.from_records([x.props for x in lots])
            df = pd.concat([df, props[sorted(props.columns)].astype(float)], axis=1)
        return df
