"""Run many independent tasks serially, on a local process pool or on a Dask cluster.

A task is one (point, replication) of an experiment; its outcome depends only on the task (the
scenario of its point and the replication number, whose random streams are spawned from the
scenario seed), never on which worker ran it or in which order, so serial, pool and Dask runs
give the same results bit for bit. Tasks are sent in chunks so per-task overhead stays small
against simulation time; outcomes come back chunk by chunk and are handed to ``on_outcome`` in the
parent process (which stores them) as they arrive. Ctrl-C cancels what has not started and
returns what finished: nothing that finished is lost.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

__all__ = ["Backend", "BackendKind", "Progress", "chunked", "execute"]


class BackendKind(StrEnum):
    SERIAL = "serial"  # in this process, one task after the other
    POOL = "pool"  # a local process pool
    DASK = "dask"  # a Dask cluster (a scheduler address, or a LocalCluster)


@dataclass(frozen=True)
class Backend:
    """Where tasks run: ``serial``, ``pool`` (local processes) or ``dask`` (a scheduler address, or
    a LocalCluster of ``workers`` processes when ``address`` is None)."""

    kind: BackendKind = BackendKind.POOL
    workers: int = 0  # 0: all cores
    address: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", BackendKind(self.kind))
        except ValueError:
            raise ValueError(f"backend must be serial, pool or dask, not {self.kind!r}") from None

    @property
    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


def chunked(items: Sequence[Any], workers: int, per_worker: int = 4, max_size: int = 64) -> list[list[Any]]:
    """Split ``items`` into about ``workers x per_worker`` chunks (at most ``max_size`` each), in order."""
    if not items:
        return []
    size = max(1, min(max_size, math.ceil(len(items) / (workers * per_worker))))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class Progress:
    """A one-line progress bar with rate and ETA on a terminal; plain lines (every 10 %) otherwise."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._last_decile = -1

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if now - self._last >= 0.2 or self.done >= self.total:
                self._last = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        else:
            decile = int(10 * self.done / self.total)
            if decile != self._last_decile or self.done >= self.total:
                self._last_decile = decile
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.nan
        eta = time.strftime("%H:%M:%S", time.gmtime(left)) if math.isfinite(left) else "--:--:--"
        width = 30
        filled = int(width * self.done / self.total)
        return (f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:.2f}/s ETA {eta}")

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def deferred_sigint() -> Iterator[None]:
    """Hold Ctrl-C while a block runs (storing a chunk): the interrupt is raised right after it, so a
    database write is never cut in the middle (DuckDB would turn it into a 'query interrupted' error)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if got:
        raise KeyboardInterrupt


def execute(work: Callable[[list[Any]], list[Any]], chunks: Iterable[list[Any]], backend: Backend,
            on_outcomes: Callable[[list[Any]], None], progress: Progress | None = None) -> bool:
    """Run ``work(chunk) -> outcomes`` for every chunk; call ``on_outcomes(outcomes)`` in the parent
    as each chunk finishes (one call per chunk, so the caller can store a chunk in one transaction).
    Returns True when everything ran, False when interrupted (Ctrl-C); other exceptions from a task
    propagate after pending work is cancelled."""
    chunks = list(chunks)

    def take(outcomes: list[Any]) -> None:
        with deferred_sigint():
            on_outcomes(outcomes)
        if progress is not None:
            progress.advance(len(outcomes))

    try:
        if backend.kind is BackendKind.SERIAL or not chunks:
            for chunk in chunks:
                take(work(chunk))
            return True
        if backend.kind is BackendKind.POOL:
            return _pool(work, chunks, backend.n_workers, take)
        return _dask(work, chunks, backend, take)
    except KeyboardInterrupt:
        return False
    finally:
        if progress is not None:
            progress.close()


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which decides what to stop and what to keep."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(work: Callable[[list[Any]], list[Any]], chunks: list[list[Any]], workers: int,
          take: Callable[[list[Any]], None]) -> bool:
    ex = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), initializer=_ignore_sigint)
    pending: set[Future[list[Any]]] = set()
    try:
        pending = {ex.submit(work, c) for c in chunks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                take(f.result())
        ex.shutdown(wait=True)
        return True
    except BaseException:
        # Stop everything, running chunks included, by killing the workers (Python 3.11 has no
        # public way to): the pool then fails every pending future itself. We do not cancel them
        # first -- 3.11's pool would then try to fail a cancelled future and print an error. Its
        # feeder thread may be blocked writing to a worker that is gone: the process must not
        # wait for it at exit.
        queue = getattr(ex, "_call_queue", None)
        if queue is not None:
            queue.cancel_join_thread()
        for p in list((getattr(ex, "_processes", None) or {}).values()):
            p.kill()
        ex.shutdown(wait=False)
        raise


def _dask(work: Callable[[list[Any]], list[Any]], chunks: list[list[Any]], backend: Backend,
          take: Callable[[list[Any]], None]) -> bool:
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if backend.address is None:
        # Workers forked from this process start with the twin already imported (spawned ones
        # spend the first seconds importing it); no statistical profiler on pure-Python tasks.
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        with dask.config.set({"distributed.worker.multiprocessing-method": method,
                              "distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=backend.n_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        try:
            client = Client(backend.address, timeout="20s")
        except OSError as exc:
            raise ConnectionError(f"cannot reach the Dask scheduler at {backend.address}: {exc}") from None
    futures = []
    try:
        futures = [client.submit(work, c, pure=False) for c in chunks]
        for f in as_completed(futures):
            take(f.result())
        return True
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
