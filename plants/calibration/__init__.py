"""Calibration of the parameter set from plant records (``twin calibrate``) and back-testing it
against them (``twin backtest``)."""

from plants.calibration.estimate import Calibrated, Calibration, calibrate_records
from plants.calibration.run import CalibrationRun, calibrate

__all__ = ["Calibrated", "Calibration", "CalibrationRun", "calibrate", "calibrate_records"]
