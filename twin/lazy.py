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
        self._index = {name: j for j, name in enumerate(self._names)}
        self._rows: list[tuple[float, ...]] = []
        self._evaluate = evaluate
        self._upstream = tuple(upstream)
        self._done = 0
        # Evaluated rows live in arrays grown by doubling: appends are amortised O(1).
        self._in = np.empty((0, len(self._names)))
        self._out: dict[str, NDArray[np.float64]] = {}
        # The evaluated outputs again as lists of Python floats, for :meth:`get` (one list index
        # instead of a numpy scalar read and a float() per call; the values are the same)
        self._values: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, *values: float) -> int:
        """Add a row (values in the order of ``inputs``); returns its index."""
        if len(values) != len(self._names):
            raise ValueError(f"expected {len(self._names)} values ({', '.join(self._names)}), got {len(values)}")
        self._rows.append(values)
        return len(self._rows) - 1

    def preset(self, inputs: Sequence[float], outputs: Mapping[str, float]) -> int:
        """Add a row whose outputs are already known (a lot made before the run began, restored from
        a plant state): it is stored as evaluated and never passed to the evaluator. ``outputs`` may
        name only columns the evaluator produces (any it leaves out are NaN in this row). Only while
        no row is pending, i.e. before the simulation appends any; returns the row's index."""
        if len(inputs) != len(self._names):
            raise ValueError(f"expected {len(self._names)} inputs ({', '.join(self._names)}), got {len(inputs)}")
        n = len(self._rows)
        if self._done != n:
            raise RuntimeError("preset rows go before any pending row")
        self._rows.append(tuple(float(v) for v in inputs))
        self._grow(n + 1)
        self._in[n] = self._rows[n]
        for name in outputs:
            if name not in self._out:
                self._out[name] = np.full(len(self._in), np.nan)
                self._values[name] = [float("nan")] * n
        for name, col in self._out.items():
            col[n] = float(outputs.get(name, float("nan")))
            self._values[name].append(float(col[n]))
        self._done = n + 1
        return n

    def _grow(self, need: int) -> None:
        cap = len(self._in)
        if need <= cap:
            return
        new = max(need, 2 * cap, 64)
        grown = np.empty((new, len(self._names)))
        grown[:cap] = self._in
        self._in = grown
        for name, col in self._out.items():
            g = np.empty(new)
            g[:cap] = col
            self._out[name] = g

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
        self._grow(n)
        self._in[self._done : n] = block
        for name, values in out.items():
            if name not in self._out:
                self._out[name] = np.full(len(self._in), np.nan)
            self._out[name][self._done : n] = values
        for name, col in self._out.items():
            known = self._values.get(name)
            if known is None:
                self._values[name] = col[:n].tolist()
            else:
                known.extend(col[self._done : n].tolist())
        self._done = n

    def get(self, row: int, column: str) -> float:
        if row >= self._done:
            self.flush()
        return self._values[column][row]

    def take(self, column: str, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Values of an input or output column at ``rows`` (evaluates what is pending)."""
        self.flush()
        j = self._index.get(column)
        return self._in[rows, j] if j is not None else self._out[column][rows]

    def inputs(self) -> dict[str, NDArray[np.float64]]:
        self.flush()
        return {name: self._in[: self._done, j].copy() for j, name in enumerate(self._names)}

    def outputs(self) -> dict[str, NDArray[np.float64]]:
        """All outputs for all rows (evaluates what is pending)."""
        self.flush()
        return {name: col[: self._done].copy() for name, col in self._out.items()}
