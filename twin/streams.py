"""Named random streams: one seed per replication, one independent generator per name.

A stream's generator depends only on (scenario seed, replication, stream name), so two scenarios
that use the same names draw the same numbers for the same purpose: common random numbers.
Never the global RNG.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams"]


class Streams:
    def __init__(self, seed: int, replication: int = 0) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be >= 0")
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            key = (self.replication, zlib.crc32(name.encode("utf-8")))
            gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))
            self._cache[name] = gen
        return gen
