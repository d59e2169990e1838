"""`twin schema`: the JSON Schema accepts every shipped scenario and rejects what loading rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.component


def test_schema_validates_shipped_scenarios_and_rejects_typos(tmp_path):
    from jsonschema import Draft202012Validator

    from plants.app.cli import main

    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    validator = Draft202012Validator(json.loads(out.read_text()))
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert not errors, f"{path.name}: {errors[0].message}"
    smoke = yaml.safe_load((ROOT / "scenarios" / "smoke.yaml").read_text())
    smoke["settings"]["fbcvd"]["bed_temprature_c"] = 460  # a typo: unknown keys are errors
    assert list(validator.iter_errors(smoke))
    smoke = yaml.safe_load((ROOT / "scenarios" / "smoke.yaml").read_text())
    smoke["settings"]["prelith"]["route"] = "lithium_rain"  # not one of the routes
    assert any("lithium_rain" in e.message for e in validator.iter_errors(smoke))
    smoke = yaml.safe_load((ROOT / "scenarios" / "smoke.yaml").read_text())
    smoke["horizon_h"] = -5  # out of range
    assert list(validator.iter_errors(smoke))
