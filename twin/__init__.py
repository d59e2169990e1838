"""A plant-free digital-twin framework on SimPy: DES building blocks (lean resources, machines with
failures, shift calendars, bulk supplies, monitored buffers, lazy physics tables), named random
streams, sourced parameters and input errors, BatPaC-shaped costing arithmetic, statistics, the
experiment runner and its backends, the run store, a report page builder, plots and CLI pieces.

It reaches a plant only through :class:`twin.protocol.Plant` (load a scenario, replicate it,
describe its KPIs) and imports no plant. The Si/C plant and its application are the ``plants``
package (``import plants``).
"""

__all__: list[str] = []
