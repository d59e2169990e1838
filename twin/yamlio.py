"""Safe YAML reading and dotted-path edits of plain trees (``--set a.b.c=VALUE``)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError, suggest

__all__ = ["apply_set", "parse_set", "read_yaml"]


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(str(path), "", "file not found") from None
    except OSError as exc:
        raise InputError.single(str(path), "", f"cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(str(path), where, f"is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise InputError.single(str(path), "", "must be a YAML mapping of keys to values", value=type(data).__name__)
    return data


def parse_set(item: str) -> tuple[str, Any]:
    """``a.b=VALUE`` -> (``a.b``, VALUE parsed as a YAML scalar: 3 -> int, 0.1 -> float, x -> str)."""
    if "=" not in item:
        raise InputError.single("--set", item, "expected dotted.path=VALUE")
    path, _, raw = item.partition("=")
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise InputError.single("--set", item, "expected dotted.path=VALUE with a non-empty path")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return path, value


def apply_set(tree: dict[str, Any], path: str, value: Any, known: Iterable[str] | None = None) -> dict[str, Any]:
    """Return a copy of ``tree`` with ``value`` at the dotted ``path`` (missing mappings created)."""
    out = copy.deepcopy(tree)
    node = out
    parts = path.split(".")
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise InputError.single(
                "--set", ".".join(parts[: i + 1]), "is a value, not a section; cannot set a key below it"
            )
        node = child
    if known is not None and parts[0] not in set(known):
        raise InputError.single("--set", path, "unknown top-level key", suggestion=suggest(parts[0], known))
    node[parts[-1]] = value
    return out
