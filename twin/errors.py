"""User-facing input errors: which file, which dotted field, what value, what is allowed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["InputError", "Problem", "from_validation_error", "suggest"]


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    value: Any
    message: str
    suggestion: str = ""

    def render(self) -> str:
        where = f"{_cut(self.file)}: {_cut(self.path)}" if self.path else _cut(self.file)
        text = f"{where}: {_cut(self.message, 300)}"
        if self.value is not _MISSING:
            text += f" (got {_cut(_safe_repr(self.value))})"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return text


_MISSING: Any = object()


def _cut(text: str, limit: int = 120) -> str:
    """Long values are cut in messages (a 5000-digit number, a 300-character name)."""
    return text if len(text) <= limit else f"{text[:limit - 30]}... ({len(text):,} characters)"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except ValueError:  # e.g. an int beyond Python's digit limit for str()
        return f"<{type(value).__name__} too large to print>"


@dataclass
class InputError(Exception):
    """Bad user input. The CLI prints it and exits with code 2; no traceback."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    @classmethod
    def single(cls, file: str, path: str, message: str, value: Any = _MISSING, suggestion: str = "") -> InputError:
        return cls([Problem(file, path, value, message, suggestion)])


def suggest(word: str, options: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = info.annotation
        # unwrap Optional[...] and dict[str, Model]
        for arg in getattr(current, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_ALLOWED = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
}


def from_validation_error(
    exc: ValidationError,
    model: type[BaseModel],
    file_of: Mapping[str, str] | str,
    prefix: str = "",
) -> InputError:
    """Turn a pydantic error into problems naming file, dotted path, value and what is allowed.

    ``file_of`` maps a dotted-path prefix to the file it came from (longest prefix wins), or is
    one file name for everything.
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        full = f"{prefix}.{path}" if prefix and path else (prefix or path)
        if isinstance(file_of, str):
            file = file_of
        else:
            keys = [k for k in file_of if full == k or full.startswith(k + ".") or k == ""]
            file = file_of[max(keys, key=len)] if keys else next(iter(file_of.values()))
        etype = err["type"]
        ctx = err.get("ctx") or {}
        value = err.get("input", _MISSING)
        suggestion = ""
        if etype == "extra_forbidden":
            names = _fields_at(model, loc[:-1])
            message = "unknown key"
            if names:
                message += "; allowed: " + ", ".join(names)
            suggestion = suggest(str(loc[-1]), names)
            value = _MISSING
        elif etype == "missing":
            message = "required field is missing"
            value = _MISSING
        elif etype in _ALLOWED:
            message = _ALLOWED[etype].format(**ctx)
        elif etype in ("literal_error", "enum"):
            message = f"must be one of {ctx.get('expected', '')}"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
        if isinstance(value, (dict, list)) and etype not in ("sourced_entry", "unit_mismatch"):
            value = _MISSING if len(repr(value)) > 80 else value
        problems.append(Problem(file, full, value, message, suggestion))
    return InputError(problems)
