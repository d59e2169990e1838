"""Run many independent tasks serially, on a local process pool or on a Dask cluster.

A task is one (point, replication) of an experiment; its outcome depends only on the task (the
scenario of its point and the replication number, whose random streams are spawned from the
scenario seed), never on which worker ran it or in which order, so serial, pool and Dask runs
give the same results bit for bit. Tasks are sent in chunks so per-task overhead stays small
against simulation time; outcomes come back chunk by chunk and are handed to ``on_outcome`` in the
parent process (which stores them) as they arrive. Ctrl-C -- or SIGTERM, which ``execute`` treats
the same way -- cancels what has not started and returns what finished: nothing that finished is
lost. Pool workers never outlive the parent, even one killed with SIGKILL (see ``_ignore_sigint``).
"""

from __future__ import annotations

import ctypes
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
from types import FrameType
from typing import Any

from twin.progress import Progress  # the bar execute() advances (tqdm; re-exported here)

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


@contextmanager
def deferred_sigint(signals: Sequence[int] = (signal.SIGINT,)) -> Iterator[None]:
    """Hold Ctrl-C (and the other ``signals``) while a block runs (storing a chunk): the interrupt is
    raised right after it, so a database write is never cut in the middle (DuckDB would turn it into
    a 'query interrupted' error)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {sig: signal.signal(sig, lambda signum, frame: got.append(signum)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    if got:
        raise KeyboardInterrupt


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM during :func:`execute`: stop like Ctrl-C (the run is kept, marked interrupted, resumable)."""
    raise KeyboardInterrupt


_sigterm_before: list[Any] = []  # the SIGTERM handler execute() replaced, while it runs (innermost last)
_at_fork_registered = False


def _child_sigterm_default() -> None:
    """In a process forked while execute() runs (a pool or Dask worker), SIGTERM is what it was
    before execute(), not the parent's 'raise KeyboardInterrupt'."""
    try:
        if signal.getsignal(signal.SIGTERM) is _sigterm_as_interrupt:
            before = _sigterm_before[0] if _sigterm_before else signal.SIG_DFL
            signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)
    except ValueError:  # not the main thread of the main interpreter: leave it
        pass
    _sigterm_before.clear()


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While the block runs, SIGTERM raises KeyboardInterrupt (main thread only); the previous
    handler is restored after."""
    global _at_fork_registered
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _at_fork_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_child_sigterm_default)
        _at_fork_registered = True
    old = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    _sigterm_before.append(old)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old if old is not None else signal.SIG_DFL)
        _sigterm_before.pop()


def execute(work: Callable[[list[Any]], list[Any]], chunks: Iterable[list[Any]], backend: Backend,
            on_outcomes: Callable[[list[Any]], None], progress: Progress | None = None) -> bool:
    """Run ``work(chunk) -> outcomes`` for every chunk; call ``on_outcomes(outcomes)`` in the parent
    as each chunk finishes (one call per chunk, so the caller can store a chunk in one transaction).
    Returns True when everything ran, False when interrupted (Ctrl-C, or SIGTERM: while this runs in
    the main thread, SIGTERM raises KeyboardInterrupt); other exceptions from a task propagate after
    pending work is cancelled."""
    chunks = list(chunks)

    def take(outcomes: list[Any]) -> None:
        with deferred_sigint((signal.SIGINT, signal.SIGTERM)):
            on_outcomes(outcomes)
        if progress is not None:
            progress.advance(len(outcomes))

    try:
        with _sigterm_interrupts():
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


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _ignore_sigint(parent: int | None = None) -> None:
    """Pool worker initializer. Workers leave Ctrl-C and SIGTERM to the parent, which decides what
    to stop and what to keep (and kills them itself), and they end when the parent dies, however it
    dies (SIGKILL included): on Linux the kernel sends them SIGKILL (parent-death signal), elsewhere a
    watchdog thread ends the worker once its parent process is gone. ``parent``: the parent's pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if parent is None:
        parent = os.getppid()
    if not (sys.platform.startswith("linux") and _set_parent_death_signal(signal.SIGKILL)):
        threading.Thread(target=_watch_parent, args=(parent,), name="twin-parent-watchdog", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed: nobody would send it
        os._exit(1)


def _set_parent_death_signal(sig: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, sig)``: the kernel sends ``sig`` to this process when its parent
    ends. True when set."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, interval_s: float = 0.5) -> None:
    """End this process (at once, no cleanup: the parent owns the results) when its parent is gone."""
    while os.getppid() == parent:
        time.sleep(interval_s)
    os._exit(1)


def _pool(work: Callable[[list[Any]], list[Any]], chunks: list[list[Any]], workers: int,
          take: Callable[[list[Any]], None]) -> bool:
    ex = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), initializer=_ignore_sigint,
                             initargs=(os.getpid(),))
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
