"""Starting a run from a plant state (``twin run SCENARIO --from-state STATE.json``) instead of an
empty, idle plant, and the forecast figures of such a run.

The state file is a snapshot as ``twin snapshot`` writes it (:mod:`plants.calibration.snapshot`,
``format: sic-twin-plant-state``, version 1). Simulated hour 0 is the snapshot's moment. What is
restored (each line's ``build`` does its part, see :mod:`plants.wiring`):

* tanks and stock: the silane tank and the Li supply at their last reading (``tanks``; a tank named
  after the supply, ``silane`` or ``lithium``), open supply orders (``open_orders``: arriving at
  ``due`` when given, else after a lead time drawn on condition that it exceeds the order's age),
  the scaffold lot in stock (its remaining kg);
* lots waiting: CVD lots in the CVD->coating buffer, powder lots in quarantine (the lab decides when
  their hands-on time and turnaround have run since they were made) and released in the warehouse
  (their remaining kg), mix batches in the slurry tank, electrode rolls in the electrode buffer, each
  with its recorded properties (a CVD or powder lot gets a row of known outputs in its line's lazy
  physics table, so what is made from it uses them);
* machines: down (the remaining repair: ``remaining_h`` when given, else drawn from the repair
  distribution on condition that it exceeds the time down so far; planned maintenance: its duration
  less the time so far), FBCVD reactors and coaters in a batch (the batch goes on from its phase and
  finishes when its remaining phases have run; its physics from its recorded inputs), an FBCVD reactor
  blocked by a full buffer (its finished lot waits for room), idle, starved. A machine's operating
  hours since its last planned maintenance (``operating_h_since_maintenance``) are kept.

Not restored (listed in :attr:`PlantState.skipped` when present): mix batches being mixed, rolls on
the casting or prelithiation line and prelithiated rolls resting; a machine of the scenario that the
state does not name starts idle.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from plants.lines import LotKind, LotStatus
from plants.lots import Lot, Lots
from twin.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "LotState", "MachineState", "OrderState", "ParentState", "PlantState", "as_lot_state",
           "down_first", "forecast_kpis", "load_state", "lot_forecast", "residual_repair_h", "restore_lot"]

FORMAT = "sic-twin-plant-state"
_WHERE = ("in process", "buffer", "quarantine", "stock")
_STATES = ("working", "idle", "starved", "blocked", "down")
_TANK_ALIASES = {"silane": ("silane", "silane tank", "sih4"), "lithium": ("lithium", "li supply", "li", "li foil")}


@dataclass(frozen=True)
class MachineState:
    equipment: str
    line: str
    state: str  # working, idle, starved, blocked, down
    reason: str  # the working phase, 'failure in <phase>', 'planned maintenance', what it waits for
    for_h: float  # time in this state so far
    remaining_h: float | None = None  # down: the repair (or maintenance) time left, when known
    operating_h_since_maintenance: float | None = None


@dataclass(frozen=True)
class ParentState:
    lot_id: str
    kind: str
    mass_kg: float  # drawn into the child
    properties: dict[str, float]


@dataclass(frozen=True)
class LotState:
    lot_id: str
    kind: str
    equipment: str
    where: str  # in process, buffer, quarantine, stock
    progress_h: float  # since its start
    mass_kg: float
    remaining_kg: float
    properties: dict[str, float]
    since_end_h: float | None = None  # since it was finished (None: not finished)
    parents: tuple[ParentState, ...] = ()


@dataclass(frozen=True)
class OrderState:
    supply: str
    age_h: float  # since it was ordered
    mass_kg: float
    due_in_h: float | None = None  # when it arrives, when known


@dataclass
class PlantState:
    """A validated plant state; lines take their part when they are built."""

    file: str
    at: str
    at_h: float
    machines: dict[str, MachineState]
    lots: tuple[LotState, ...]
    tanks: dict[str, float]  # supply (silane, lithium) -> level kg
    orders: tuple[OrderState, ...]
    #: lots and machines the state names that the model could not take up, with why
    skipped: list[str] = field(default_factory=list)

    def lots_of(self, kind: str, where: str | tuple[str, ...]) -> list[LotState]:
        places = (where,) if isinstance(where, str) else where
        return [lot for lot in self.lots if lot.kind == kind and lot.where in places]

    def running_on(self, kind: str, machine: str) -> LotState | None:
        """The lot of ``kind`` a machine was working on (the least advanced, if the state names several)."""
        running = [x for x in self.lots_of(kind, "in process") if x.equipment == machine]
        return min(running, key=lambda x: x.progress_h) if running else None

    def restored_ids(self, where: tuple[str, ...] = _WHERE) -> list[str]:
        return [lot.lot_id for lot in self.lots if lot.where in where]

    def __getstate__(self) -> dict[str, Any]:  # pickled to pool workers without what a run noted
        return {**self.__dict__, "skipped": []}


# ----------------------------------------------------------------------------- reading
def _prop_name(column: str) -> str:
    """A record column back to the twin's property name (``ice_1`` -> ``ice``)."""
    return column[:-2] if column.endswith("_1") else column


def _number(v: Any, file: str, path: str, minimum: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InputError.single(file, path, "must be a finite number", value=v)
    if minimum is not None and v < minimum:
        raise InputError.single(file, path, f"must be >= {minimum:g}", value=v)
    return float(v)


def _text(v: Any, file: str, path: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(v, str):
        raise InputError.single(file, path, "must be text", value=v)
    if choices is not None and v not in choices:
        from twin.errors import suggest

        raise InputError.single(file, path, f"must be one of {', '.join(choices)}", value=v, suggestion=suggest(v, choices))
    return v


def _hours_since(text: Any, at: Any, file: str, path: str) -> float:
    import pandas as pd

    t = _text(text, file, path)
    try:
        ts = pd.Timestamp(t)
    except ValueError:
        raise InputError.single(file, path, "is not an ISO-8601 time", value=t) from None
    if ts.tzinfo is None:
        raise InputError.single(file, path, "has no time zone", value=t)
    return float((at - ts).total_seconds() / 3600.0)


def _list(raw: dict[str, Any], key: str, file: str, required: bool = True) -> list[Any]:
    if key not in raw:
        if required:
            raise InputError.single(file, key, "is missing (a plant state has format, version, at, at_h, machines, "
                                    "lots, tanks and open_orders)")
        return []
    v = raw[key]
    if not isinstance(v, list):
        raise InputError.single(file, key, "must be a list", value=v)
    for i, item in enumerate(v):
        if not isinstance(item, dict):
            raise InputError.single(file, f"{key}[{i}]", "must be a mapping", value=item)
    return v


def _need(item: dict[str, Any], key: str, file: str, path: str) -> Any:
    if key not in item:
        raise InputError.single(file, f"{path}.{key}", "is missing")
    return item[key]


def _props(v: Any, file: str, path: str) -> dict[str, float]:
    if not isinstance(v, dict):
        raise InputError.single(file, path, "must be a mapping of property names to numbers", value=v)
    out = {}
    for k, x in v.items():
        if x is None:
            continue
        out[_prop_name(str(k))] = _number(x, file, f"{path}.{k}")
    return out


def load_state(path: str | os.PathLike[str]) -> PlantState:
    """Read and check a plant state file; every problem is an :class:`InputError` naming the file and
    the field (``lots[3].remaining_kg``)."""
    import pandas as pd

    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.single(file, "", f"cannot be read ({exc.strerror or exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(file, f"line {exc.lineno}", f"is not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise InputError.single(file, "", "must be a JSON object (a plant state written by twin snapshot)")
    if raw.get("format") != FORMAT:
        raise InputError.single(file, "format", f"must be {FORMAT!r} (a plant state written by twin snapshot)",
                                value=raw.get("format"))
    if raw.get("version") != 1:
        raise InputError.single(file, "version", "must be 1", value=raw.get("version"))
    if "at" not in raw:
        raise InputError.single(file, "at", "is missing (the moment of the state, ISO-8601 with a zone)")
    at_text = _text(raw["at"], file, "at")
    try:
        at = pd.Timestamp(at_text)
    except ValueError:
        raise InputError.single(file, "at", "is not an ISO-8601 time", value=at_text) from None
    if at.tzinfo is None:
        raise InputError.single(file, "at", "has no time zone", value=at_text)
    at_h = _number(raw.get("at_h", 0.0), file, "at_h", 0.0)

    machines: dict[str, MachineState] = {}
    for i, m in enumerate(_list(raw, "machines", file)):
        p = f"machines[{i}]"
        name = _text(_need(m, "equipment", file, p), file, f"{p}.equipment")
        if name in machines:
            raise InputError.single(file, f"{p}.equipment", "names a machine listed twice", value=name)
        rem = m.get("remaining_h")
        since = m.get("operating_h_since_maintenance")
        machines[name] = MachineState(
            name, _text(_need(m, "line", file, p), file, f"{p}.line"),
            _text(_need(m, "state", file, p), file, f"{p}.state", _STATES), _text(m.get("reason", ""), file, f"{p}.reason"),
            _number(_need(m, "for_h", file, p), file, f"{p}.for_h", 0.0),
            None if rem is None else _number(rem, file, f"{p}.remaining_h", 0.0),
            None if since is None else _number(since, file, f"{p}.operating_h_since_maintenance", 0.0))

    lots: list[LotState] = []
    seen: set[str] = set()
    kinds = tuple(k.value for k in LotKind)
    for i, lot in enumerate(_list(raw, "lots", file)):
        p = f"lots[{i}]"
        lot_id = _text(_need(lot, "lot_id", file, p), file, f"{p}.lot_id")
        if lot_id in seen:
            raise InputError.single(file, f"{p}.lot_id", "names a lot listed twice", value=lot_id)
        seen.add(lot_id)
        parents = []
        for j, par in enumerate(lot.get("parents") or []):
            q = f"{p}.parents[{j}]"
            if not isinstance(par, dict):
                raise InputError.single(file, q, "must be a mapping", value=par)
            parents.append(ParentState(_text(_need(par, "lot_id", file, q), file, f"{q}.lot_id"),
                                       _text(par.get("kind", ""), file, f"{q}.kind"),
                                       _number(_need(par, "mass_kg", file, q), file, f"{q}.mass_kg", 0.0),
                                       _props(par.get("properties", {}), file, f"{q}.properties")))
        since_end = lot.get("since_end_h")
        lots.append(LotState(
            lot_id, _text(_need(lot, "kind", file, p), file, f"{p}.kind", kinds),
            _text(lot.get("equipment", ""), file, f"{p}.equipment"),
            _text(_need(lot, "where", file, p), file, f"{p}.where", _WHERE),
            _number(_need(lot, "progress_h", file, p), file, f"{p}.progress_h", 0.0),
            _number(_need(lot, "mass_kg", file, p), file, f"{p}.mass_kg", 0.0),
            _number(_need(lot, "remaining_kg", file, p), file, f"{p}.remaining_kg", 0.0),
            _props(lot.get("properties", {}), file, f"{p}.properties"),
            None if since_end is None else _number(since_end, file, f"{p}.since_end_h", 0.0), tuple(parents)))

    tanks: dict[str, float] = {}
    for i, t in enumerate(_list(raw, "tanks", file)):
        p = f"tanks[{i}]"
        name = _text(_need(t, "tank", file, p), file, f"{p}.tank")
        level = _number(_need(t, "level", file, p), file, f"{p}.level", 0.0)
        supply = next((s for s, names in _TANK_ALIASES.items() if name.strip().lower() in names), None)
        if supply is not None:
            unit = str(t.get("unit", "kg"))
            if unit != "kg":
                raise InputError.single(file, f"{p}.unit", "must be kg for a supply tank", value=unit)
            tanks[supply] = level

    orders = []
    for i, o in enumerate(_list(raw, "open_orders", file)):
        p = f"open_orders[{i}]"
        supply = _text(_need(o, "supply", file, p), file, f"{p}.supply", tuple(_TANK_ALIASES))
        age = _hours_since(_need(o, "ordered", file, p), at, file, f"{p}.ordered")
        if age < -1e-9:
            raise InputError.single(file, f"{p}.ordered", "lies after the state's time (at)", value=o["ordered"])
        due = None if o.get("due") is None else -_hours_since(o["due"], at, file, f"{p}.due")
        orders.append(OrderState(supply, max(age, 0.0), _number(_need(o, "mass_kg", file, p), file, f"{p}.mass_kg", 0.0),
                                 due))
    return PlantState(file, at_text, at_h, machines, tuple(lots), tanks, tuple(orders))


# ----------------------------------------------------------------------------- restoring
_STATUS = {"in process": LotStatus.IN_PROCESS, "buffer": LotStatus.BUFFERED, "quarantine": LotStatus.QUARANTINE,
           "stock": LotStatus.RELEASED}


def restore_lot(lots: Lots, s: LotState, mass_kg: float | None = None, props: dict[str, float] | None = None,
                status: str | None = None, parents: bool = False) -> Lot:
    """A lot of the state as a lot of this run, under its own id, started ``progress_h`` before hour 0
    (finished ``since_end_h`` before it). ``parents``: link it to its parents as the state lists them
    (only when they are restored too: the genealogy of a run links lots of that run)."""
    lot = Lot(s.lot_id, s.kind, s.equipment or "restored", -s.progress_h, s.mass_kg if mass_kg is None else mass_kg,
              tuple((p.lot_id, p.mass_kg) for p in s.parents) if parents else (),
              dict(s.properties) if props is None else props)
    if s.since_end_h is not None:
        lot.end_h = -s.since_end_h
    lot.status = status or _STATUS[s.where]
    return lots.adopt(lot)


def as_lot_state(p: ParentState, where: str = "buffer") -> LotState:
    """A parent the state lists under a lot in process (e.g. a CVD lot inside a coater batch) as a lot."""
    return LotState(p.lot_id, p.kind, "", where, 0.0, p.mass_kg, 0.0, p.properties)


def restore_supply(state: PlantState, name: str, supply: Any, rng: np.random.Generator) -> None:
    """A bulk supply's level and open orders from the plant state (an order without a due time
    arrives after a lead time drawn to be longer than its age)."""
    if name in state.tanks:
        supply.restore_level(state.tanks[name])
    for o in state.orders:
        if o.supply == name:
            due = o.due_in_h if o.due_in_h is not None else supply.residual_lead_time_h(o.age_h, rng)
            supply.restore_order(-o.age_h, due, o.mass_kg)


def residual_repair_h(for_h: float, median_h: float, sigma: float, rng: np.random.Generator, tries: int = 1000) -> float:
    """The repair time left of a machine down ``for_h`` so far: a lognormal repair time drawn on
    condition that it exceeds ``for_h`` (by rejection), less ``for_h``."""
    if sigma <= 0:
        return max(median_h - for_h, 0.0)
    for _ in range(tries):
        d = median_h * float(np.exp(rng.normal(0.0, sigma)))
        if d > for_h:
            return d - for_h
    return 0.0


def down_time_h(ms: MachineState, eq: Any, rng: np.random.Generator) -> float:
    """How long a machine the state shows down stays down (repair or planned maintenance)."""
    if ms.remaining_h is not None:
        return ms.remaining_h
    if ms.reason == "planned maintenance":
        return max(float(eq.maintenance_h) - ms.for_h, 0.0)
    return residual_repair_h(ms.for_h, float(eq.repair_median_h), float(eq.repair_sigma), rng)


def stays_down(m: Any, ms: MachineState, hours: float) -> Generator[Any, Any, None]:
    """The machine ``m`` down at hour 0 for ``hours`` (then its maintenance count restarts if it was
    planned maintenance)."""
    from twin.states import State

    m.set(State.DOWN, ms.reason or "failure")
    if hours > 0:
        yield m.env.timeout(hours)
    if ms.reason == "planned maintenance":
        m.since_maintenance_h = 0.0
    else:
        m.failures += 1


def down_first(state: PlantState, machines: list[Any], eq: Any, rng: np.random.Generator
               ) -> dict[str, Callable[[Generator[Any, Any, None]], Generator[Any, Any, None]]]:
    """For the machines the state shows down: a wrapper that keeps the machine down for the rest of its
    repair (or maintenance) before its ordinary process runs. Also keeps every machine's operating
    hours since maintenance."""
    keep_maintenance_count(machines, state)
    out = {}
    for m in machines:
        ms = state.machines.get(m.name)
        if ms is not None and ms.state == "down":
            out[m.name] = _then(m, ms, down_time_h(ms, eq, rng))
    return out


def _then(m: Any, ms: MachineState, hours: float) -> Callable[[Generator[Any, Any, None]], Generator[Any, Any, None]]:
    def wrap(proc: Generator[Any, Any, None]) -> Generator[Any, Any, None]:
        yield from stays_down(m, ms, hours)
        yield from proc

    return wrap


def phase_left(phases: list[tuple[str, float]], ms: MachineState, lot: LotState | None) -> tuple[int, float]:
    """Where a machine in a batch stands: the index of its current phase in ``phases`` (name, hours)
    and the hours of it left. Working: the phase is its reason; down with ``failure in <phase>``: that
    phase, with the time in it estimated from the lot's progress less the time down; waiting for an
    operator: charge early in the batch, else discharge."""
    names = [p for p, _ in phases]
    reason = ms.reason.removeprefix("failure in ")
    if ms.state == "working" and reason in names:
        k = names.index(reason)
        return k, max(phases[k][1] - ms.for_h, 0.0)
    if ms.state == "down" and reason in names and lot is not None:
        k = names.index(reason)
        before = sum(h for _, h in phases[:k])
        done = min(max(lot.progress_h - ms.for_h - before, 0.0), phases[k][1])
        return k, phases[k][1] - done
    if lot is not None and lot.progress_h < sum(h for _, h in phases) / 2:
        return 0, phases[0][1]
    return len(phases) - 1, phases[-1][1]


def keep_maintenance_count(machines: list[Any], state: PlantState) -> None:
    for m in machines:
        ms = state.machines.get(m.name)
        if ms is not None and ms.operating_h_since_maintenance is not None:
            m.since_maintenance_h = ms.operating_h_since_maintenance


# ----------------------------------------------------------------------------- forecast figures
_SUPPLY_STARVED = {"silane": "silane tank empty", "lithium": "Li supply empty"}


def forecast_kpis(rep: Any, state: PlantState) -> dict[str, float]:
    """The forecast figures of one replication started from ``state`` (``forecast.*`` keys, see the
    README): when each supply first ran dry (a draw had to wait), output per stage over the horizon
    and when it first came, when the lots in quarantine had their lab decision and when the lots
    waiting in buffers were taken on."""
    import pandas as pd

    from plants.lines import STAGES

    nan = float("nan")
    out: dict[str, float] = {}
    st = rep.states
    for supply, reason in _SUPPLY_STARVED.items():
        hit = st.loc[(st["state"].astype(str) == "starved") & (st["reason"] == reason), "time_h"]
        out[f"forecast.{supply}.dry_h"] = float(hit.min()) if len(hit) else nan
        out[f"forecast.{supply}.dry_share"] = 1.0 if len(hit) else 0.0
        out[f"forecast.{supply}.level_start_kg"] = float(rep.supplies[supply]["initial_kg"])
    lots = rep.lots
    new = lots[~lots["lot_id"].isin(state.restored_ids(("buffer", "quarantine", "stock")))]  # finished before hour 0
    done = (new["end_h"] >= 0) & (new["end_h"] <= rep.horizon_h) & ~new["status"].astype(str).isin(
        [LotStatus.SCRAPPED.value, LotStatus.REJECTED.value])
    for stage in STAGES:
        made = new[done & (new["line"].astype(str) == stage.lot_kind.value)]
        out[f"forecast.{stage.key}.output_lots"] = float(len(made))
        out[f"forecast.{stage.key}.output_kg"] = float(made["mass_kg"].sum())
        out[f"forecast.{stage.key}.first_output_h"] = float(made["end_h"].min()) if len(made) else nan
    q = state.restored_ids(("quarantine",))
    ev = rep.lot_events
    decided = ev[ev["lot_id"].isin(q) & ev["status"].astype(str).isin([LotStatus.RELEASED.value, LotStatus.REJECTED.value])]
    out["forecast.quarantine.lots"] = float(len(q))
    out["forecast.quarantine.released"] = float((decided["status"].astype(str) == LotStatus.RELEASED.value).sum())
    out["forecast.quarantine.decided_h"] = (float(decided["time_h"].max()) if len(q) and decided["lot_id"].nunique() == len(q)
                                            else nan)
    # a lot waiting in a buffer is taken on when the last of it has been drawn (it is no longer
    # buffered or in the tank): the start of the last lot made from it
    waiting = state.restored_ids(("buffer",))
    status = pd.Series(lots["status"].astype(str).to_numpy(), index=lots["lot_id"].to_numpy())
    still = status.reindex(waiting).isin([LotStatus.BUFFERED.value, LotStatus.IN_TANK.value])
    g = rep.genealogy
    taken = g[g["parent_id"].isin(waiting)]
    start = pd.Series(lots["start_h"].to_numpy(), index=lots["lot_id"].to_numpy())
    last = start.reindex(taken["lot_id"].to_numpy()).groupby(taken["parent_id"].to_numpy()).max()
    out["forecast.buffer.lots"] = float(len(waiting))
    out["forecast.buffer.taken_h"] = (max(float(last.max()), 0.0) if len(waiting) and not still.any()
                                      and len(last) == len(waiting) else nan)
    return out


def lot_forecast(reps: list[Any], state: PlantState) -> pd.DataFrame:
    """Per lot of the state in quarantine: over replications, the share released and the mean time of
    its lab decision (with the 95 % half-width)."""
    import pandas as pd

    from twin.stats import ci_half

    rows = []
    for lot in state.lots:
        if lot.where != "quarantine":
            continue
        times, released = [], []
        for rep in reps:
            ev = rep.lot_events
            e = ev[(ev["lot_id"] == lot.lot_id) & ev["status"].astype(str).isin(["released", "rejected"])]
            if len(e):
                times.append(float(e["time_h"].iloc[0]))
                released.append(str(e["status"].iloc[0]) == "released")
        rows.append({"lot_id": lot.lot_id, "kind": lot.kind, "decided_share": len(times) / len(reps) if reps else 0.0,
                     "released_share": sum(released) / len(reps) if reps else 0.0,
                     "decision_h": float(np.mean(times)) if times else float("nan"),
                     "decision_h.ci95_half": ci_half(times) if len(times) > 1 else float("nan")})
    return pd.DataFrame(rows, columns=["lot_id", "kind", "decided_share", "released_share", "decision_h",
                                       "decision_h.ci95_half"])

