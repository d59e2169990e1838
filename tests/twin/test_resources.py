"""twin.resources: the lean Resource/Container/Store give, event for event, the run SimPy's own give."""

from __future__ import annotations

from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.monitor import LevelLog, MonitoredStore
from twin.resources import LeanContainer, LeanResource, LeanStore

pytestmark = pytest.mark.unit

# A step of a process: (kind, argument)
#   req: request the resource, hold it for `arg` h, release
#   with: the same inside `with res.request() as req`
#   rel_early: request and release at once, without waiting for the grant (SimPy then leaves an
#              ungranted request in the queue; the lean classes must do the same)
#   cput/cget: put/get `arg` units into/from the container
#   sput/sget: put an item into / get one from the store
#   wait: a timeout of `arg` h (small integers: ties are where the order matters)
STEP = st.one_of(
    st.tuples(st.sampled_from(["req", "with"]), st.integers(0, 3)),
    st.tuples(st.just("rel_early"), st.just(0)),
    st.tuples(st.sampled_from(["cput", "cget"]), st.integers(1, 6)),
    st.tuples(st.sampled_from(["sput", "sget"]), st.just(0)),
    st.tuples(st.just("wait"), st.integers(0, 2)),
)
PROGRAM = st.lists(st.lists(STEP, min_size=1, max_size=12), min_size=1, max_size=6)


def _run(program: list[list[tuple[str, int]]], lean: bool, r_cap: int, c_cap: int, c_init: int, s_cap: int,
         horizon: float = 40.0) -> tuple[list[Any], list[Any], dict[str, Any]]:
    env = simpy.Environment()
    res = (LeanResource if lean else simpy.Resource)(env, capacity=r_cap)
    con = (LeanContainer if lean else simpy.Container)(env, capacity=c_cap, init=c_init)
    sto = (LeanStore if lean else simpy.Store)(env, capacity=s_cap)
    trace: list[Any] = []
    serial = iter(range(10**6))

    def proc(pid: int, steps: list[tuple[str, int]]) -> Any:
        for i, (kind, arg) in enumerate(steps):
            value: Any = None
            if kind == "req":
                req = res.request()
                yield req
                yield env.timeout(arg)
                res.release(req)
            elif kind == "with":
                with res.request() as req:
                    yield req
                    yield env.timeout(arg)
            elif kind == "rel_early":
                req = res.request()
                res.release(req)
            elif kind == "cput":
                yield con.put(arg)
            elif kind == "cget":
                yield con.get(arg)
            elif kind == "sput":
                yield sto.put(next(serial))
            elif kind == "sget":
                value = yield sto.get()
            else:
                yield env.timeout(arg)
            trace.append((env.now, pid, i, kind, value))

    for pid, steps in enumerate(program):
        env.process(proc(pid, steps))
    events = []
    while env.peek() < horizon:
        _, prio, _, ev = env._queue[0]
        events.append((env.peek(), prio, type(ev).__name__))
        env.step()
    state = {"users": len(res.users), "res_queue": len(res.queue), "level": con.level,
             "c_puts": len(con.put_queue), "c_gets": len(con.get_queue), "items": list(sto.items),
             "s_puts": len(sto.put_queue), "s_gets": len(sto.get_queue)}
    return trace, events, state


@settings(max_examples=max(300, settings.default.max_examples), deadline=None)
@given(program=PROGRAM, r_cap=st.integers(1, 3), c_cap=st.integers(6, 12), c_init=st.integers(0, 6),
       s_cap=st.integers(1, 3))
def test_lean_resources_replay_simpy_event_for_event(program: list[list[tuple[str, int]]], r_cap: int, c_cap: int,
                                                     c_init: int, s_cap: int) -> None:
    ref = _run(program, False, r_cap, c_cap, c_init, s_cap)
    got = _run(program, True, r_cap, c_cap, c_init, s_cap)
    assert got[1] == ref[1]  # the same events processed in the same order
    assert got[0] == ref[0]  # every step of every process completes at the same time with the same value
    assert got[2] == ref[2]  # and the resources end in the same state


def test_a_contended_resource_hands_over_in_request_order() -> None:
    """A worked case the property test also covers: one slot, three processes arriving together."""
    env = simpy.Environment()
    res = LeanResource(env, capacity=1)
    got: list[tuple[float, str]] = []

    def user(name: str, hold: float) -> Any:
        with res.request() as req:
            yield req
            got.append((env.now, name))
            yield env.timeout(hold)

    for name, hold in (("a", 2.0), ("b", 1.0), ("c", 0.5)):
        env.process(user(name, hold))
    env.run()
    assert got == [(0.0, "a"), (2.0, "b"), (3.0, "c")]
    assert res.count == 0 and not res.queue


def test_bad_amounts_are_refused_as_simpy_does() -> None:
    env = simpy.Environment()
    con = LeanContainer(env, capacity=10, init=5)
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="must be > 0"):
            con.put(bad)
        with pytest.raises(ValueError, match="must be > 0"):
            con.get(bad)


def test_a_monitored_store_keeps_its_hooks_on_the_short_path() -> None:
    env = simpy.Environment()
    log = LevelLog()
    store = MonitoredStore(env, 2, "buf", log)
    assert isinstance(store, LeanStore)

    def run() -> Any:
        yield store.put("x")
        yield env.timeout(3.0)
        item = yield store.get()
        assert item == "x"

    env.process(run())
    env.run()
    assert log.rows == [(0.0, "buf", 0.0, "item"), (0.0, "buf", 1.0, "item"), (3.0, "buf", 0.0, "item")]
    assert log.stays == [("buf", 0.0, 3.0, 1.0)]
