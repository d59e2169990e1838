"""SimPy's Resource, Container and Store with a shorter path for requests that need no waiting.

The plant makes ~10^5 resource requests per simulated year (an operator for every charge,
discharge and roll change; a slot in every buffer; a draw from every supply), and SimPy's
generic request path is most of their cost: three chained constructors, a property read and a
loop over the waiting queue, for a request that is usually granted on the spot.
These subclasses build the same request events directly and, when no earlier request is
waiting, call ``_do_put``/``_do_get`` once instead of looping.

They are drop-in: the same event classes (``Request``, ``Release``, ``ContainerPut``, ...),
the same queues, the same ``_do_put``/``_do_get`` hooks (a subclass overriding them still works,
see :class:`twin.monitor.MonitoredStore`), and the same events scheduled in the same order with
the same callbacks, so a run is event for event the one SimPy's own classes give (a property
test drives both with random programs and compares the traces and the event counts). The
callbacks that re-examine the other side's queue when an event is processed are wrapped in a
check that the queue is not empty: SimPy's loop over an empty queue does nothing either.

Relies on SimPy 4.1 internals (``Environment._queue/_eid/_now/_active_proc``, ``Event._value/_ok``,
``PENDING``); the pin in ``pyproject.toml`` keeps them, and the equivalence test fails if they move.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from heapq import heappush
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import NORMAL
from simpy.events import PENDING, Event
from simpy.resources.container import ContainerGet, ContainerPut
from simpy.resources.resource import Release, Request
from simpy.resources.store import StoreGet, StorePut

__all__ = ["LeanContainer", "LeanResource", "LeanStore"]

_new = object.__new__


def _event(cls: type[Event], resource: Any, callback: Any) -> Any:
    """An untriggered request event of ``cls`` for ``resource``, as its constructor would leave it
    before it touches the queues."""
    env = resource._env
    ev: Any = _new(cls)  # attributes set here belong to the subclasses (Request.resource, ...)
    ev.env = env
    ev.callbacks = [callback]
    ev._value = PENDING
    ev.resource = resource
    ev.proc = env._active_proc
    return ev


def _schedule_ok(env: simpy.Environment, ev: Event, value: Any = None) -> None:
    """``ev.succeed(value)`` without the checks: ``ev`` is known to be pending."""
    ev._ok = True
    ev._value = value
    heappush(env._queue, (env._now, NORMAL, next(env._eid), ev))  # what Environment.schedule does


class _Lean:
    """The queue handling shared by the three: SimPy's ``_trigger_put(None)`` after appending a
    new put examines the queue from its head; with nothing waiting, the head is the new event."""

    # Provided by the SimPy resource class it is mixed into (declared for the type checker only:
    # defining them here would shadow SimPy's in the MRO).
    put_queue: MutableSequence[Any]
    get_queue: MutableSequence[Any]

    if TYPE_CHECKING:
        def _do_put(self, event: Any) -> Any: ...
        def _do_get(self, event: Any) -> Any: ...
        def _trigger_put(self, get_event: Any) -> None: ...
        def _trigger_get(self, put_event: Any) -> None: ...

    def _enqueue_put(self, ev: Any) -> None:
        queue = self.put_queue
        if queue:
            queue.append(ev)
            self._trigger_put(None)
        else:
            self._do_put(ev)
            if ev._value is PENDING:
                queue.append(ev)

    def _enqueue_get(self, ev: Any) -> None:
        queue = self.get_queue
        if queue:
            queue.append(ev)
            self._trigger_get(None)
        else:
            self._do_get(ev)
            if ev._value is PENDING:
                queue.append(ev)

    # The callbacks a processed put (get) event runs: re-examine the waiting gets (puts).
    def _after_put(self, ev: Event) -> None:
        if self.get_queue:
            self._trigger_get(ev)

    def _after_get(self, ev: Event) -> None:
        if self.put_queue:
            self._trigger_put(ev)


class LeanResource(_Lean, simpy.Resource):
    """:class:`simpy.Resource` (``request()``, ``release(req)``, ``with res.request() as req``)."""

    def __init__(self, env: simpy.Environment, capacity: int = 1) -> None:
        super().__init__(env, capacity)
        self._after_put_cb, self._after_get_cb = self._after_put, self._after_get

    def request(self) -> Request:
        req = _event(Request, self, self._after_put_cb)
        queue = self.put_queue
        if queue:
            queue.append(req)
            self._trigger_put(None)
        elif len(self.users) < self._capacity:  # Resource._do_put, inlined
            self.users.append(req)
            req.usage_since = self._env._now
            _schedule_ok(self._env, req)
        else:
            queue.append(req)
        return req

    def release(self, request: Request) -> Release:
        # A release is always granted at once, so the get queue is always empty (as in SimPy)
        rel = _event(Release, self, self._after_get_cb)
        rel.request = request
        try:
            self.users.remove(request)
        except ValueError:
            pass
        _schedule_ok(self._env, rel)
        return rel


class LeanContainer(_Lean, simpy.Container):
    """:class:`simpy.Container` (``put(amount)``, ``get(amount)``, ``level``)."""

    # The ``type: ignore[override]`` on put/get here and in LeanStore: SimPy's typing declares
    # ``BaseResource.put()``/``get()`` without arguments, so every real signature clashes with it
    # (SimPy's own Container and Store silence the same error in the same way).

    def __init__(self, env: simpy.Environment, capacity: float = float("inf"), init: float = 0) -> None:
        super().__init__(env, capacity, init)
        self._after_put_cb, self._after_get_cb = self._after_put, self._after_get

    def put(self, amount: float) -> ContainerPut:  # type: ignore[override]
        if amount <= 0:
            raise ValueError(f"amount(={amount}) must be > 0.")
        ev = _event(ContainerPut, self, self._after_put_cb)
        ev.amount = amount
        if not self.put_queue and self._capacity - self._level >= amount:  # Container._do_put, inlined
            self._level += amount
            _schedule_ok(self._env, ev)
        else:
            self._enqueue_put(ev)
        return ev

    def get(self, amount: float) -> ContainerGet:  # type: ignore[override]
        if amount <= 0:
            raise ValueError(f"amount(={amount}) must be > 0.")
        ev = _event(ContainerGet, self, self._after_get_cb)
        ev.amount = amount
        if not self.get_queue and self._level >= amount:  # Container._do_get, inlined
            self._level -= amount
            _schedule_ok(self._env, ev)
        else:
            self._enqueue_get(ev)
        return ev


class LeanStore(_Lean, simpy.Store):
    """:class:`simpy.Store` (``put(item)``, ``get()``, ``items``); subclasses may override
    ``_do_put``/``_do_get`` as with SimPy's."""

    def __init__(self, env: simpy.Environment, capacity: float = float("inf")) -> None:
        super().__init__(env, capacity)
        self._after_put_cb, self._after_get_cb = self._after_put, self._after_get

    def put(self, item: Any) -> StorePut:  # type: ignore[override]
        ev = _event(StorePut, self, self._after_put_cb)
        ev.item = item
        self._enqueue_put(ev)
        return ev

    def get(self) -> StoreGet:
        ev = _event(StoreGet, self, self._after_get_cb)
        self._enqueue_get(ev)
        return ev
