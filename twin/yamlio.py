"""Safe YAML reading and dotted-path edits of plain trees (``--set a.b.c=VALUE``)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from twin.errors import InputError, suggest

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "apply_set", "load_yaml_text", "parse_set", "read_yaml"]


MAX_BYTES = 2_000_000  # a scenario or parameter set is a few kB; anything this large is a mistake
MAX_NODES = 200_000  # nodes of the tree with every alias expanded (an alias bomb grows exponentially)
MAX_DEPTH = 60  # nesting levels


# libyaml's parser when PyYAML was built with it (6x faster on a parameter set: 0.03 s, not 0.19 s);
# the constructor and the resolver are the same Python classes either way.
_SafeBase: Any = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class _Loader(_SafeBase):
    """The safe loader, refusing duplicate keys (the last one would silently win), reading numbers
    as YAML 1.2 does: ``2.15e10`` and ``1e-9`` are floats (YAML 1.1 wants a dot and a signed
    exponent and would read them as text)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                dup = key in seen
            except TypeError:  # an unhashable key ({[1]: 2}): the base class reports it
                continue
            if dup:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _expanded_size(node: yaml.Node, depth: int = 0, memo: dict[int, int] | None = None) -> int:
    """Nodes of the tree as a consumer sees it (aliases expanded), stopping at the limits."""
    memo = {} if memo is None else memo
    if depth > MAX_DEPTH:
        raise _TooLarge(f"is nested more than {MAX_DEPTH} levels deep")
    if id(node) in memo:
        return memo[id(node)]
    n = 1
    if isinstance(node, yaml.MappingNode):
        n += sum(_expanded_size(k, depth + 1, memo) + _expanded_size(v, depth + 1, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        n += sum(_expanded_size(v, depth + 1, memo) for v in node.value)
    if n > MAX_NODES:
        raise _TooLarge(f"expands to more than {MAX_NODES:,} values (anchors and aliases nested into a bomb?)")
    memo[id(node)] = n
    return n


class _TooLarge(Exception):
    pass


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text with the safe loader and the limits: duplicate keys, too deep nesting and
    alias expansion beyond :data:`MAX_NODES` are :class:`InputError` naming ``file`` and the line."""
    if len(text) > MAX_BYTES:
        raise InputError.single(file, "", f"is larger than {MAX_BYTES:,} characters", value=f"{len(text):,} characters")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except _TooLarge as exc:
        raise InputError.single(file, "", str(exc)) from None
    except ValueError as exc:  # a scalar no constructor can make, e.g. an integer of 5000 digits
        raise InputError.single(file, "", f"holds a value that cannot be read: {exc}") from None
    except RecursionError:
        raise InputError.single(file, "", f"is nested more than {MAX_DEPTH} levels deep") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(file, where, f"is not valid YAML: {problem}") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping (UTF-8) with the safe loader and the limits; errors name the file and the line."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError.single(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise InputError.single(str(path), "", "is a folder, not a file") from None
    except OSError as exc:
        raise InputError.single(str(path), "", f"cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise InputError.single(str(path), "", f"is larger than {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single(str(path), f"byte {exc.start}", "is not UTF-8 text") from None
    data = load_yaml_text(text, str(path))
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
        value = load_yaml_text(raw, "--set") if raw.strip() else None
    except InputError:
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
