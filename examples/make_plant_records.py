"""Write the shipped example plant records (examples/plant-records/) from examples/example-plant.yaml:
one simulated run of a plant whose parameters differ from the reference set, exported in the plant
record format, with the lab's crystallite-size and SiC measurements given a 2 % measurement error
(seeded) as a real lab would report them.

    python examples/make_plant_records.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
START = "2025-03-03T06:00:00+01:00"  # hour 0 of the simulated run: a Monday morning shift start


def make(out: Path) -> Path:
    from plants.plant import simulate
    from plants.records.export import record_frames, write_records
    from plants.scenario import load_scenario

    loaded = load_scenario(HERE / "example-plant.yaml")
    rep = simulate(loaded, 0)
    frames = record_frames(rep.lots, rep.states, rep.lot_events, rep.genealogy, rep.levels, rep.horizon_h, loaded, START,
                           rep.deliveries)
    lots = frames["lots"]
    rng = np.random.default_rng(loaded.scenario.seed)
    cvd = (lots["kind"] == "fbcvd").to_numpy()
    for col in ("crystallite_nm", "sic_fraction_1"):
        lots.loc[cvd, col] = lots.loc[cvd, col] * (1.0 + 0.02 * rng.standard_normal(int(cvd.sum())))
    meta = {"plant": "example plant (synthetic: examples/example-plant.yaml, examples/make_plant_records.py)",
            "seed": loaded.scenario.seed, "note": "crystallite_nm and sic_fraction_1 carry a 2 % lab error"}
    return write_records(frames, out, START, rep.horizon_h, meta)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "plant-records"
    print(f"wrote {make(target)}")
