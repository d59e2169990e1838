"""What a line's ``build`` step sees when the plant is wired: the replication's shared services
(environment, logs, lot records, random streams) and the connection points upstream lines published.

The plant (:func:`plants.plant.simulate`) builds the lines in the registry's order
(:data:`plants.lines.LINES`), each through ``plants.<line>.line.build(wiring)``. A line takes what it
consumes from ``ports`` (by name) and publishes what it produces there; a line that draws from a
bulk supply registers it in ``supplies`` so its balance reaches the records. Ports of this plant:

* ``cvd_buffer`` (FBCVD -> coating): a store of finished CVD lots; ``cvd_table``: their lazy physics table.
* ``powder_store`` (coating -> casting): the powder warehouse (:class:`plants.buffers.PowderStore`);
  ``powder_props``: a released lot's (capacity mAh/g, ICE, particle size um, Si mass fraction, kg);
  ``powder_quality``: its properties named in :data:`plants.performance.POWDER_QUALITY`, in that order.
* ``electrode_buffer`` (casting -> prelithiation): a store of good electrode rolls.

With ``state`` set (``twin run --from-state``), each line's ``build`` also restores its part of the
plant state (:mod:`plants.state`): tank and stock levels, lots in its buffers, machines down or in a
batch; without it the line is built exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import simpy

from plants.lots import Lot, Lots
from twin.monitor import LevelLog
from twin.states import StateLog
from twin.streams import Streams

__all__ = ["Built", "Wiring"]


@dataclass
class Wiring:
    env: simpy.Environment
    loaded: Any  # plants.scenario.LoadedScenario
    log: StateLog
    levels: LevelLog
    lots: Lots
    streams: Streams
    horizon_h: float
    ports: dict[str, Any] = field(default_factory=dict)
    supplies: dict[str, Any] = field(default_factory=dict)  # name -> object with balance() -> dict
    #: the plant state to start from (:class:`plants.state.PlantState`), or None: an empty, idle plant
    state: Any = None


@dataclass(frozen=True)
class Built:
    """What a built line hands back for the records: how to make the lot table of a kind whose
    properties live in a lazy physics table, and which parent kinds its lots draw whole (their mass
    in the genealogy is the parent's final mass, known only after its physics is evaluated)."""

    frames: dict[str, Callable[[list[Lot]], pd.DataFrame]] = field(default_factory=dict)
    whole_parents: tuple[str, ...] = ()
    handle: Any = None  # the line object(s), for tests and notebooks
