"""Deferred, vectorised evaluation of per-lot functions inside a discrete-event run.

A line appends a row of inputs when a batch starts; nothing is computed then. The first time
any output of a pending row is read, every pending row is evaluated in one vectorised call. A
decision taken days after a batch started (a lab result) thus evaluates hundreds of batches at
once, and the physics stays pure numpy with no per-event cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["LazyTable"]

Columns = Mapping[str, NDArray[np.float64]]


class LazyTable:
    def __init__(
        self,
        inputs: Sequence[str],
        evaluate: Callable[[Columns], Columns],
        upstream: Sequence[LazyTable] = (),
    ) -> None:
        self._names = tuple(inputs)
        self._rows: list[tuple[float, ...]] = []
        self._evaluate = evaluate
        self._upstream = tuple(upstream)
        self._done = 0
        self._chunks: list[dict[str, NDArray[np.float64]]] = []
        self._starts: list[int] = []
        self._flat: dict[str, NDArray[np.float64]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, *values: float) -> int:
        """Add a row (values in the order of ``inputs``); returns its index."""
        if len(values) != len(self._names):
            raise ValueError(f"expected {len(self._names)} values ({', '.join(self._names)}), got {len(values)}")
        self._rows.append(values)
        return len(self._rows) - 1

    def flush(self) -> None:
        """Evaluate every pending row."""
        n = len(self._rows)
        if self._done == n:
            return
        for table in self._upstream:
            table.flush()
        block = np.array(self._rows[self._done : n], dtype=float)
        columns = {name: block[:, j] for j, name in enumerate(self._names)}
        out = dict(self._evaluate(columns))
        for name, values in out.items():
            if np.shape(values) != (n - self._done,):
                raise ValueError(f"output {name!r} has shape {np.shape(values)}, expected ({n - self._done},)")
        self._starts.append(self._done)
        self._chunks.append(out)
        self._done = n
        self._flat = None

    def get(self, row: int, column: str) -> float:
        if row >= self._done:
            self.flush()
        i = int(np.searchsorted(self._starts, row, side="right")) - 1
        return float(self._chunks[i][column][row - self._starts[i]])

    def inputs(self) -> dict[str, NDArray[np.float64]]:
        block = np.array(self._rows, dtype=float).reshape(len(self._rows), len(self._names))
        return {name: block[:, j] for j, name in enumerate(self._names)}

    def outputs(self) -> dict[str, NDArray[np.float64]]:
        """All outputs for all rows (evaluates what is pending)."""
        self.flush()
        if self._flat is None:
            names = self._chunks[0].keys() if self._chunks else ()
            self._flat = {name: np.concatenate([c[name] for c in self._chunks]) for name in names}
        return self._flat
