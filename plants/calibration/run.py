"""``twin calibrate`` from Python: records in, a calibrated parameter set and its report out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from plants.calibration.estimate import Calibration, calibrate_records
from plants.calibration.paramset import write_parameter_set
from plants.calibration.report import write_calibration_report
from plants.records import read_records
from plants.scenario import LoadedScenario

__all__ = ["CalibrationRun", "calibrate"]


@dataclass(frozen=True)
class CalibrationRun:
    calibration: Calibration
    parameter_file: Path
    written: list[str]
    report: Path | None


def calibrate(loaded: LoadedScenario, data: str | os.PathLike[str], out: str | os.PathLike[str],
              report_dir: str | os.PathLike[str] | None = None, lenient: bool = False) -> CalibrationRun:
    """Estimate what the records in ``data`` support, write the calibrated parameter set to ``out``
    (the scenario's parameter set file with those values flagged C) and the report to ``report_dir``."""
    rec = read_records(data, lenient=lenient)
    cal = calibrate_records(rec, loaded)
    path, written = write_parameter_set(loaded.parameter_tree, cal, out)
    report = write_calibration_report(cal, report_dir, str(path)) if report_dir is not None else None
    return CalibrationRun(cal, path, written, report)
