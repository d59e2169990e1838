"""Safe YAML with limits: alias bombs, nesting, duplicate keys, encodings, YAML 1.2 numbers."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from twin.errors import InputError
from twin.yamlio import MAX_DEPTH, load_yaml_text, parse_set, read_yaml

pytestmark = pytest.mark.unit


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly_and_small():
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="expands to more than"):
        load_yaml_text(_bomb(), "bomb.yaml")
    took = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert took < 1.0 and peak < 20e6  # refused within a second and a few MB (9^9 values if expanded)
    assert load_yaml_text("a: &a {b: 1}\nc: *a\n", "ok.yaml") == {"a": {"b": 1}, "c": {"b": 1}}  # aliases still work


def test_duplicate_keys_deep_nesting_and_non_utf8_are_errors(tmp_path):
    with pytest.raises(InputError, match=r"line 3.*duplicate key 'b' \(first at line 2\)"):
        load_yaml_text("a:\n  b: 1\n  b: 2\n", "dup.yaml")
    with pytest.raises(InputError, match=f"more than {MAX_DEPTH} levels"):
        load_yaml_text("[" * 1000 + "]" * 1000, "deep.yaml")
    p = tmp_path / "latin1.yaml"
    p.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as e:
        read_yaml(p)
    assert str(p) in str(e.value) and "byte 9" in str(e.value)
    with pytest.raises(InputError, match="is a folder"):
        read_yaml(tmp_path)


def test_numbers_read_as_yaml_1_2_does():
    got = load_yaml_text("a: 2.15e10\nb: 1e-9\nc: 2.5e8\nd: 1_000\ne: e10\nf: 0x10\n", "n.yaml")
    assert got == {"a": 2.15e10, "b": 1e-9, "c": 2.5e8, "d": 1000, "e": "e10", "f": 16}
    assert parse_set("x=1e3") == ("x", 1000.0) and parse_set("x=abc") == ("x", "abc")


def test_an_unhashable_key_is_an_input_error_not_a_crash():
    with pytest.raises(InputError, match=r"f\.yaml: line 1, column 2: is not valid YAML: found unhashable key"):
        load_yaml_text("{[1]: 2}\n", "f.yaml")
