"""Bulk supply of a consumable (a gas tank, a stock of Li foil or reagent) refilled by deliveries.

A :class:`BulkSupply` is a SimPy container. A draw is a request that waits while the stock is
short (the consumer is starved) and counts as drawn only once it is filled. A delivery is ordered
when the level falls to the reorder point and arrives after a lognormal lead time.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy
from simpy.resources.container import ContainerGet

from twin.params import BulkSupplyParams  # re-exported: it lives with the other parameter models
from twin.resources import LeanContainer

__all__ = ["BulkSupply", "BulkSupplyParams"]


class BulkSupply:
    def __init__(
        self,
        env: simpy.Environment,
        capacity_kg: float,
        initial_level_kg: float,
        reorder_point_kg: float,
        delivery_kg: float,
        lead_time_median_h: float,
        lead_time_sigma: float,
        rng: np.random.Generator,
    ) -> None:
        self.env = env
        self.rng = rng
        self.initial_level_kg = initial_level_kg
        self.reorder_point_kg = reorder_point_kg
        self.delivery_kg = delivery_kg
        self.lead_time_median_h = lead_time_median_h
        self.lead_time_sigma = lead_time_sigma
        self.container = LeanContainer(env, capacity=capacity_kg, init=initial_level_kg)
        self.on_order = False
        self.delivered_kg = 0.0
        self.drawn_kg = 0.0
        self.returned_kg = 0.0
        self.deliveries: list[tuple[float, float]] = []
        self.orders: list[tuple[float, float, float]] = []  # (ordered, received, kg) of each delivery received
        #: (time, level kg) after every change: the tank's level as a historian would log it
        self.levels: list[tuple[float, float]] = [(env.now, float(initial_level_kg))]
        self._count_cb = self._count  # one bound method for all draws

    @classmethod
    def from_params(cls, env: simpy.Environment, p: BulkSupplyParams, rng: np.random.Generator) -> BulkSupply:
        return cls(env, p.capacity_kg, p.initial_level_kg, p.reorder_point_kg, p.delivery_kg,
                   p.lead_time_median_h, p.lead_time_sigma, rng)

    @property
    def level_kg(self) -> float:
        return float(self.container.level)

    def draw(self, kg: float) -> simpy.events.Event:
        """Request ``kg``; it counts as drawn only once the request is filled."""
        ev = self.container.get(kg)
        ev.callbacks.append(self._count_cb)
        if not self.on_order and self.container.level <= self.reorder_point_kg:  # _check(), inlined
            self._check()
        return ev

    def _count(self, ev: simpy.events.Event) -> None:
        # only ever a callback of the ContainerGet events draw() makes (Event.callbacks takes any Event)
        self.drawn_kg += cast(ContainerGet, ev).amount
        self.levels.append((self.env._now, self.container._level))

    def give_back(self, kg: float) -> None:
        if kg > 0:
            self.returned_kg += kg
            self.container.put(kg)
            self.levels.append((self.env.now, float(self.container.level)))

    def _check(self) -> None:
        if not self.on_order and self.container.level <= self.reorder_point_kg:
            self.on_order = True
            self.env.process(self._deliver())

    def _deliver(self) -> Generator[simpy.events.Event, Any, None]:
        ordered = self.env.now
        lead = self.lead_time_median_h * float(np.exp(self.rng.normal(0.0, self.lead_time_sigma)))
        yield from self._receive(ordered, lead, self.delivery_kg)

    def _receive(self, ordered: float, wait_h: float, kg: float) -> Generator[simpy.events.Event, Any, None]:
        yield self.env.timeout(wait_h)
        received = self.env.now  # the truck arrives; unloading may wait for room in the tank
        yield self.container.put(kg)
        self.delivered_kg += kg
        self.deliveries.append((self.env.now, kg))
        self.orders.append((ordered, received, kg))
        self.levels.append((self.env.now, float(self.container.level)))
        self.on_order = False
        self._check()

    # ------------------------------------------------------------------ starting from a plant state
    def restore_level(self, kg: float) -> None:
        """Start at ``kg`` (a plant state's reading) instead of the initial level; call before the run."""
        level = min(max(float(kg), 0.0), float(self.container.capacity))
        self.container._level = level
        self.initial_level_kg = level
        self.levels[0] = (self.env.now, level)

    def residual_lead_time_h(self, age_h: float, rng: np.random.Generator, tries: int = 1000) -> float:
        """Time left of an order placed ``age_h`` ago that has not arrived: a lead time drawn from the
        lognormal conditional on exceeding ``age_h`` (by rejection), less ``age_h``."""
        for _ in range(tries):
            lead = self.lead_time_median_h * float(np.exp(rng.normal(0.0, self.lead_time_sigma)))
            if lead > age_h:
                return lead - age_h
        return 0.0  # overdue far beyond the distribution: expected any moment

    def restore_order(self, ordered_h: float, due_in_h: float, kg: float) -> None:
        """An open order (placed at ``ordered_h``, negative: before the run) that arrives in ``due_in_h``;
        no new order is placed until it is received."""
        self.on_order = True
        self.env.process(self._receive(ordered_h, max(float(due_in_h), 0.0), float(kg)))

    def balance(self) -> dict[str, float]:
        """The supply's own accounting: initial + delivered = drawn - returned + level."""
        return {"drawn_kg": self.drawn_kg, "returned_kg": self.returned_kg, "delivered_kg": self.delivered_kg,
                "level_kg": self.level_kg, "initial_kg": self.initial_level_kg, "deliveries": float(len(self.deliveries))}
