"""Stores between the lines that more than one line acts on."""

from __future__ import annotations

import simpy

from plants.lines import LotStatus
from plants.lots import Lot
from twin.monitor import FifoInventory, LevelLog
from twin.resources import LeanContainer

__all__ = ["PowderStore"]

_CONSUMED = LotStatus.CONSUMED  # bound once: read for every lot in the event loop


class PowderStore:
    """Released powder waiting for the mixers: a FIFO inventory by mass, plus warehouse slots.

    A coater must hold a slot before it discharges a powder lot (it is blocked when the warehouse
    is full); the slot is freed when the lab rejects the lot or the mixers have used all of it.
    """

    def __init__(self, env: simpy.Environment, slots: int, log: LevelLog) -> None:
        self.inventory = FifoInventory(env, float("inf"), "powder store", log, on_empty=self._used_up)
        self.slots = LeanContainer(env, capacity=slots, init=0)

    def _used_up(self, lot: Lot) -> None:
        lot.status = _CONSUMED
        self.slots.get(1)

    def release(self, lot: Lot, kg: float) -> None:
        self.inventory.put(lot, kg)

    def reject(self) -> None:
        self.slots.get(1)
