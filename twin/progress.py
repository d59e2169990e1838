"""Progress bars for long jobs (replications, sweep points, optimizer evaluations, simulated hours).

On :mod:`tqdm`: a text bar on a terminal's stderr, a widget in Jupyter (with ipywidgets, the
``jupyter`` extra; a text bar there without it). Shown only where
someone watches: stderr is a terminal or the code runs in a Jupyter kernel; never when
``TWIN_NO_PROGRESS=1`` (or ``quiet()`` is active, what ``--quiet`` sets). For logs of batch jobs,
``TWIN_PROGRESS=plain`` writes one plain line every 10 % instead (``label [####......] 4/10 0.52/s
ETA 00:00:11``), terminal or not.

Two ambient hooks let a caller that does not create the work still show it:

* :func:`counting` - every :class:`Progress` advanced inside the block also advances the given
  outer bar (``twin optimize`` counts its evaluations across the experiments the optimizer runs,
  each of which runs without a bar of its own);
* :func:`simulated_hours` - :func:`twin.engine.run_counted` reports the simulated clock to it at
  most once per simulated day (a single-replication run shows hours simulated out of the horizon).
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

__all__ = ["Progress", "counting", "enabled", "quiet", "sim_hook", "simulated_hours"]

#: Simulated hours between two progress reports of the event loop (at most one per simulated day).
SIM_TICK_H = 24.0

_QUIET: ContextVar[bool] = ContextVar("twin_progress_quiet", default=False)
_OUTER: ContextVar[tuple[Progress, ...]] = ContextVar("twin_progress_outer", default=())
_SIM_HOOK: ContextVar[Callable[[float], None] | None] = ContextVar("twin_progress_sim_hook", default=None)


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _plain() -> bool:
    return os.environ.get("TWIN_PROGRESS", "").strip().lower() == "plain"


def enabled(requested: bool = True, stream: TextIO | None = None) -> bool:
    """Whether a bar should be drawn: asked for, not silenced (``TWIN_NO_PROGRESS``, :func:`quiet`),
    and someone watches (``stream``, default stderr, is a terminal, or this is a Jupyter kernel)."""
    if not requested or _QUIET.get() or os.environ.get("TWIN_NO_PROGRESS", "").strip() not in ("", "0"):
        return False
    if _plain():
        return True
    s = stream if stream is not None else sys.stderr
    try:
        tty = bool(s.isatty())
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_jupyter()


@contextmanager
def quiet(active: bool = True) -> Iterator[None]:
    """No bar inside the block (``--quiet``)."""
    token = _QUIET.set(active or _QUIET.get())
    try:
        yield
    finally:
        _QUIET.reset(token)


class Progress:
    """A bar of ``total`` steps (``None``: a counter without an end) with rate and ETA.

    ``advance(n)`` counts finished work (``done``, whether drawn or not); ``to(x)`` moves a continuous
    bar (simulated hours) to ``x`` (``position``). Drawing goes to
    stderr through :mod:`tqdm.auto` when :func:`enabled` says so; the ambient :func:`counting`
    bars are advanced too.
    """

    def __init__(self, total: float | None, label: str = "", stream: TextIO | None = None, enabled: bool = True,
                 unit: str = "it", check: bool = True) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.position = 0.0
        self._outer = _OUTER.get()
        show = total != 0 and (_enabled_for(enabled, stream) if check else enabled)
        self._bar: Any = None
        self._plain: TextIO | None = None
        self._decile = -1
        self._t0 = time.perf_counter()
        if show and _plain():  # plain lines for logs (a bar without an end has no tenths: nothing)
            self._plain = (stream if stream is not None else sys.stderr) if total else None
        elif show:
            tqdm, size = _bar_class()
            self._bar = tqdm(total=total, desc=label, file=stream if stream is not None else sys.stderr, unit=unit,
                             mininterval=0.5, leave=True, **size)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._plain is not None:
            self._line(self.done)
        for outer in self._outer:
            outer.advance(n)

    def _line(self, value: float) -> None:
        """A plain progress line (``TWIN_PROGRESS=plain``), at each new tenth and at the end."""
        assert self._plain is not None and self.total
        decile = int(10 * value / self.total)
        if decile == self._decile and value < self.total:
            return
        self._decile = decile
        elapsed = time.perf_counter() - self._t0
        rate = value / elapsed if elapsed > 0 else 0.0
        left = (self.total - value) / rate if rate > 0 else math.nan
        eta = time.strftime("%H:%M:%S", time.gmtime(left)) if math.isfinite(left) else "--:--:--"
        filled = int(30 * min(value / self.total, 1.0))
        self._plain.write(f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {value:g}/{self.total:g} "
                          f"{rate:.2f}/s ETA {eta}\n")
        self._plain.flush()

    def to(self, value: float) -> None:
        """Move to ``value`` (e.g. the simulated clock); never backwards."""
        if value > self.position:
            old, self.position = self.position, value
            if self._bar is not None:  # whole steps on a bar of whole hours: 24/336, not 24.0/336.0
                self._bar.update(round(value) - round(old) if isinstance(self.total, int) else value - old)
            elif self._plain is not None:
                self._line(value)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bar_class() -> tuple[Any, dict[str, Any]]:
    """tqdm's notebook widget in Jupyter when ipywidgets is installed (``pip install '.[jupyter]'``), else
    its text bar (in Jupyter too: no warning about a missing widget library), sized to the terminal."""
    if _in_jupyter() and importlib.util.find_spec("ipywidgets") is not None:  # tqdm.notebook draws with it
        from tqdm.notebook import tqdm as widget  # type: ignore[import-untyped]

        return widget, {}
    from tqdm.std import tqdm as text  # type: ignore[import-untyped]

    return text, {"ncols": shutil.get_terminal_size((100, 24)).columns}


def _enabled_for(requested: bool, stream: TextIO | None) -> bool:
    return enabled(requested, stream)


@contextmanager
def counting(outer: Progress) -> Iterator[Progress]:
    """Every :class:`Progress` created inside the block also advances ``outer``."""
    token = _OUTER.set((*_OUTER.get(), outer))
    try:
        yield outer
    finally:
        _OUTER.reset(token)


@contextmanager
def simulated_hours(total_h: float, label: str = "simulating", requested: bool = True) -> Iterator[Progress]:
    """A bar of simulated hours (``0..total_h``) fed by the event loop (:func:`sim_hook`)."""
    bar = Progress(int(total_h) if float(total_h).is_integer() else total_h, label, enabled=requested, unit="h")
    token = _SIM_HOOK.set(bar.to if bar.shown else None)
    try:
        yield bar
    finally:
        _SIM_HOOK.reset(token)
        bar.close()


def sim_hook() -> Callable[[float], None] | None:
    """The callback the event loop reports its clock to (None: no one watches, run flat out)."""
    return _SIM_HOOK.get()
