"""Terminal tables that fit the terminal (on :mod:`rich`).

A table is a frame of ready-formatted text cells. It is drawn at the width of the terminal
(``shutil.get_terminal_size()``, so ``COLUMNS`` is respected). Columns are in order of importance
(``keep`` ones first): the least important are narrowed first, their cells wrapping; when even
wrapped the columns cannot all fit, the least important ones (never a ``keep`` column) are left
out and a line under the table names them. On a terminal it is
drawn with rich's box characters and a bold header; otherwise (a pipe, a file, a test) as plain
ASCII text without escape codes, at the same width.
"""

from __future__ import annotations

import io
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

import pandas as pd

__all__ = ["MIN_COLUMN", "emit", "is_tty", "render", "terminal_width", "wrap_lines"]

MIN_COLUMN = 8  # a column narrower than this (or than its longest header word) is unreadable: leave it out
_GAP = 3  # padding between columns (one space either side) and the divider


def terminal_width(stream: TextIO | None = None, default: int = 100) -> int:
    """Columns of the terminal (``COLUMNS`` first); ``default`` when there is none."""
    width = shutil.get_terminal_size((default, 24)).columns
    return max(20, int(width))


def is_tty(stream: TextIO | None = None) -> bool:
    s = stream if stream is not None else sys.stdout
    try:
        return bool(s.isatty())
    except (AttributeError, ValueError):
        return False


def _min_width(header: str, cells: Sequence[str], whole: bool) -> int:
    """The narrowest a column may get: its longest cell when cells are kept whole (numbers, ids),
    else its longest word (at most 16, at least :data:`MIN_COLUMN`); and its header's longest word
    (at most 20: a longer one is folded)."""
    head = min(max((len(w) for w in header.split()), default=0), 20)
    longest_cell = max((len(c) for c in cells), default=0)
    if whole:
        return max(longest_cell, head)
    words = max((len(w) for c in cells for w in c.split()), default=0)
    return max(min(longest_cell, MIN_COLUMN), min(words, 16), head)


def render(frame: pd.DataFrame, *, keep: Sequence[str] = (), no_wrap: Sequence[str] = (), right: Sequence[str] = (),
           title: str | None = None, width: int | None = None, tty: bool | None = None) -> str:
    """``frame`` (text cells; its columns, in order of importance) as a table ``width`` wide.

    ``keep``: columns never left out (put them first); ``no_wrap``: columns never wrapped (ids);
    ``right``: right-aligned columns (numbers). Returns the text, without a trailing newline.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = width if width is not None else terminal_width()
    tty = is_tty() if tty is None else tty
    cols = [str(c) for c in frame.columns]
    cells = {str(c): ["" if v is None else str(v) for v in frame[c].tolist()] for c in frame.columns}
    needed = {c: _min_width(c, cells[c], c in no_wrap or c in right) for c in cols}
    natural = {c: max(len(c), max((len(v) for v in cells[c]), default=0)) for c in cols}
    shown: list[str] = []
    used = -_GAP
    for c in sorted(cols, key=lambda c: (c not in keep, cols.index(c))):
        if c in keep or used + _GAP + needed[c] <= width:
            shown.append(c)
            used += _GAP + needed[c]
    shown.sort(key=cols.index)
    hidden = [c for c in cols if c not in shown]
    widths = {c: natural[c] for c in shown}
    excess = sum(widths.values()) + _GAP * (len(shown) - 1) - width
    for c in sorted(shown, key=lambda c: (c in keep, cols.index(c)), reverse=True):  # the least important give first
        if excess <= 0:
            break
        give = min(excess, widths[c] - needed[c])
        if give > 0:  # its cells wrap
            widths[c] -= give
            excess -= give
    table = Table(box=box.SIMPLE_HEAD if tty else box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True),
                  show_edge=False, pad_edge=False, header_style="bold" if tty else "", title=title,
                  title_justify="left", title_style="bold" if tty else "")
    for c in shown:
        table.add_column(Text(c), justify="right" if c in right else "left", no_wrap=c in no_wrap,
                         overflow="fold", width=max(1, min(widths[c], width)))
    for i in range(len(frame)):
        table.add_row(*(Text(cells[c][i]) for c in shown))
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=tty, no_color=not tty, color_system="standard" if tty else None,
                      highlight=False, emoji=False, markup=False, legacy_windows=False)
    console.print(table)
    text = buf.getvalue().rstrip("\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if hidden:
        text += "\n" + "\n".join(_hidden_note(hidden, width))
    return text


def _hidden_note(hidden: list[str], width: int, max_lines: int = 3) -> list[str]:
    """``(N more columns not shown at W characters: a, b, ...)`` in at most ``max_lines`` lines."""
    for k in range(len(hidden), 0, -1):
        rest = "" if k == len(hidden) else f", ... ({len(hidden) - k} more)"
        lines = wrap_lines(f"({len(hidden)} more column(s) not shown at {width} characters: "
                           f"{', '.join(hidden[:k])}{rest})", width)
        if len(lines) <= max_lines:
            return lines
    return wrap_lines(f"({len(hidden)} more column(s) not shown at {width} characters)", width)


def wrap_lines(text: str, width: int | None = None, indent: str = "") -> list[str]:
    """``text`` wrapped to ``width`` (the terminal's by default); long words are broken."""
    width = width if width is not None else terminal_width()
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=True, break_on_hyphens=False) or [""]


def emit(text: str, stream: TextIO | None = None) -> None:
    """Print ``text`` (a rendered table) to ``stream`` (default stdout)."""
    print(text, file=stream if stream is not None else sys.stdout)
