"""Where a result came from: scenario hashes, run ids, the code version and the run store's place."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

__all__ = ["DISTRIBUTION", "code_version", "default_store_path", "run_id", "sha256_text"]

DISTRIBUTION = "sic-twin"  # the installed distribution whose version is recorded


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_id(prefix: str) -> str:
    """``<prefix>-<local time>-<pid>``: unique per process and second, sortable by time."""
    return f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"


def default_store_path() -> Path:
    return Path(os.environ.get("TWIN_STORE", Path("output") / "runs.duckdb"))


def code_version() -> str:
    """Package version plus the git commit (and "+dirty" when the tree has changes), if in a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version(DISTRIBUTION)
    except PackageNotFoundError:
        v = "0+unknown"
    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                               text=True, timeout=5, check=True).stdout.strip()
        return f"{v}+g{sha}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return v
