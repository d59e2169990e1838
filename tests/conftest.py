"""Every test carries exactly one tier marker: unit, component or integration."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis profiles. The default, "ci", draws the same examples on every run (derandomize): the
# suite gates landing, so a rare example must not fail one run and pass the next. The others search:
# `python -m pytest --hypothesis-profile=random` (fresh examples each run, as many as "ci") and
# `python -m pytest --hypothesis-profile=deep -m unit` (5000 examples per property) before a release.
# A property that needs more than the profile's count asks for max(its count, the profile's).
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("random", deadline=None)
settings.register_profile("deep", max_examples=5000, deadline=None)
settings.load_profile("ci")

TIERS = {"unit", "component", "integration"}
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    bad = []
    for item in items:
        tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
        if len(tiers) != 1:
            bad.append(f"{item.nodeid}: tiers {sorted(tiers) or 'none'}")
    if bad:
        raise pytest.UsageError("each test needs exactly one tier marker:\n" + "\n".join(bad))


@pytest.fixture(scope="session", autouse=True)
def _private_run_store(tmp_path_factory):
    """Runs made by tests go to a throwaway store, never to the checkout's output/runs.duckdb."""
    import os

    old = os.environ.get("TWIN_STORE")
    os.environ["TWIN_STORE"] = str(tmp_path_factory.mktemp("store") / "runs.duckdb")
    yield
    if old is None:
        os.environ.pop("TWIN_STORE", None)
    else:
        os.environ["TWIN_STORE"] = old


@pytest.fixture(scope="session")
def params():
    from plants.parameters import load_parameter_set

    p, _ = load_parameter_set("reference-2025")
    return p


@pytest.fixture(scope="session")
def smoke():
    from plants.app.api import load

    return load(ROOT / "scenarios" / "smoke.yaml")
