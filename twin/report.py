"""The one report page builder: a self-contained HTML page (images embedded, nothing fetched) and
its Markdown twin, from paragraphs, tables and matplotlib figures, written all or nothing.

The HTML embeds its images as data URIs; the Markdown references the same images as PNG files
written beside it (``report-NN-<caption>.png``), since Markdown viewers do not show data URIs: each
figure is rendered once and its PNG bytes serve both. A table of contents links every section. It
knows no plant: an application composes its sections and hands them here.

A figure may be handed over as a callable that makes it (``page.figure(caption, lambda: plot(run))``):
it is then made and rendered when the page is first written or read, with the garbage collector
paused, and on Linux with an idle core such figures are split between this process and one forked
child (matplotlib's drawing holds the GIL, so threads do not help; a fork shares the run's frames
without copying them). A child that fails, or does not answer in time, only costs the time: this
process then renders its figures itself. ``TWIN_REPORT_WORKERS=1`` renders everything in this
process, ``=2`` always uses the child.
"""

from __future__ import annotations

import base64
import gc
import html
import io
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from twin.atomic import atomic_folder

__all__ = ["Page", "close_figure", "collector_paused", "fmt", "md_table", "plus_minus", "png_base64", "png_bytes",
           "render_figures", "report_workers", "slug"]

_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 1em}"
          "table{border-collapse:collapse;font-size:12px;display:block;overflow-x:auto;max-width:100%}"
          "td,th{padding:2px 6px;border-bottom:1px solid #ddd;vertical-align:top;overflow-wrap:anywhere;max-width:32em}"
          "td{text-align:right}td:first-child{text-align:left}img{max-width:100%}"
          "nav ul{columns:2;font-size:13px}figure{margin:1em 0}figcaption{font-size:13px;color:#444}")
# A self-check a browser runs on load: how many images decoded and how many tables there are.
_SELF_CHECK = ("<script>window.addEventListener('load',function(){var i=Array.prototype.slice.call(document.images);"
               "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.complete&&x.naturalWidth>0})"
               ".length+'/'+i.length);document.body.setAttribute('data-tables',document.querySelectorAll('table').length);"
               "});</script>")
FIGURE_PREFIX = "report-"  # the Markdown's image files: report-NN-<caption>.png
DPI = 72


def fmt(v: Any, digits: int = 4) -> str:
    """A cell as a report shows it: text as is, n/a for missing, a number with ``digits``
    significant figures in plain notation (thousands separators, no exponent between 1e-4 and 1e15)."""
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool) or isinstance(v, int):
        return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10000 else str(v)
    if isinstance(v, float):
        if v == 0.0:
            return "0"
        mag = math.floor(math.log10(abs(v)))
        if mag < -4 or mag >= 15:
            return f"{v:.{max(digits - 1, 0)}e}"
        decimals = max(digits - 1 - mag, 0)
        text = f"{v:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(v)


def plus_minus(mean: Any, half: Any, digits: int = 4) -> str:
    """``mean ± half``: the mean to ``digits`` significant figures, the half-width to the same decimals
    (or one significant figure when it is smaller than the mean's last decimal)."""
    text = fmt(mean, digits)
    ok = [isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (mean, half)]
    if all(ok) and "e" not in text:
        decimals = len(text.split(".")[1]) if "." in text else 0
        text += f" ± {half:,.{decimals}f}" if half >= 0.5 * 10 ** -decimals else f" ± {fmt(float(half), 1)}"
    return text


def slug(text: str) -> str:
    """A heading as an anchor (GitHub's rule: lower case, spaces to -, other punctuation dropped)."""
    s = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return re.sub(r" ", "-", s)


def md_table(df: pd.DataFrame, digits: int = 6) -> str:
    """A frame as a Markdown table (``|`` in cells escaped); ``_none_`` for an empty frame."""
    if df.empty:
        return "_none_\n"

    def cell(v: Any) -> str:
        return fmt(v, digits).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def close_figure(fig: Any) -> None:
    """Release a figure: pyplot's figures are closed (pyplot is imported only if it made this one)."""
    if getattr(getattr(fig, "canvas", None), "manager", None) is not None:
        import matplotlib.pyplot as plt

        plt.close(fig)


def png_bytes(fig: Any, dpi: int = DPI, tight: bool = False) -> bytes:
    """A matplotlib figure as PNG (the figure is released). ``tight``: crop to what is drawn (a
    second layout pass; :mod:`twin.plots` figures have fixed margins and do not need it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    close_figure(fig)
    return buf.getvalue()


def _render(make: Callable[[], Any], tight: bool) -> bytes:
    return png_bytes(make(), tight=tight)


def report_workers() -> int:
    """Processes that render a page's deferred figures: ``TWIN_REPORT_WORKERS`` if set, else 2 on
    Linux with two or more usable cores of which one looks idle (the 1-minute load average, this
    process included, below the cores less one half; fork shares the run's frames), else 1. On a
    machine without an idle core a second process would only share this one's."""
    env = os.environ.get("TWIN_REPORT_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    if not sys.platform.startswith("linux"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return 2 if cores >= 2 and load < cores - 0.5 else 1


def _take(counter: Any) -> int:
    """The next job's index from a counter the parent and its child share."""
    with counter.get_lock():
        i = int(counter.value)
        counter.value = i + 1
    return i


def _child(jobs: list[tuple[str, Callable[[], Any], bool]], counter: Any, conn: Any) -> None:
    """A forked child's work: take jobs off the shared counter until none are left, render them and
    send (name, PNG) pairs back; a failure sends what was done (the parent renders the rest)."""
    out: list[tuple[str, bytes]] = []
    try:
        while (i := _take(counter)) < len(jobs):
            name, make, tight = jobs[i]
            out.append((name, _render(make, tight)))
    except BaseException:  # the parent redoes what is missing: nothing is lost
        pass
    try:
        conn.send(out)
        conn.close()
    except BaseException:  # the parent is gone or stopped listening
        pass


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (back as it was after it). Drawing makes
    tens of thousands of short-lived matplotlib objects; after a plant-year run the collector's
    passes over them (and the run's records) took a quarter of the report's time. The figures'
    cycles are freed by the next pass after the block."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def render_figures(jobs: list[tuple[str, Callable[[], Any], bool]], workers: int | None = None) -> dict[str, bytes]:
    """PNG bytes of each (name, make, tight) job, made and rendered in this process or, with
    ``workers`` >= 2 (default :func:`report_workers`) and three or more jobs, shared with one forked
    child: this process renders the first (paying matplotlib's import and first-use costs once, for
    both), then each takes the next job off a shared counter until none are left. A child that fails,
    dies or takes more than twice this process's time (at least 10 s) is stopped and what it did not
    send is rendered here: the result is the same either way. The garbage collector is paused
    meanwhile (see :func:`collector_paused`)."""
    with collector_paused():
        return _render_figures(jobs, report_workers() if workers is None else workers)


def _render_figures(jobs: list[tuple[str, Callable[[], Any], bool]], workers: int) -> dict[str, bytes]:
    if workers < 2 or len(jobs) < 3:
        return {name: _render(make, tight) for name, make, tight in jobs}
    import multiprocessing

    if multiprocessing.current_process().daemon:  # a pool's worker may not have children of its own
        return {name: _render(make, tight) for name, make, tight in jobs}
    # the first figure here, before the fork: matplotlib's import, fonts and caches are then paid
    # once and shared, and a loaded machine (no idle core) loses little against rendering serially
    first = {jobs[0][0]: _render(jobs[0][1], jobs[0][2])}
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return first | {name: _render(make, tight) for name, make, tight in jobs[1:]}
    counter = ctx.Value("i", 1)
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(jobs, counter, send), daemon=True)
    try:
        with warnings.catch_warnings():  # Python >= 3.12 warns on fork with threads; the child only draws
            warnings.simplefilter("ignore", DeprecationWarning)
            child.start()
    except (OSError, ValueError, AssertionError):  # the fork failed: render them all in this process
        recv.close()
        return first | {name: _render(make, tight) for name, make, tight in jobs[1:]}
    finally:
        send.close()
    t0 = time.perf_counter()
    out: dict[str, bytes] = first
    try:
        while (i := _take(counter)) < len(jobs):
            name, make, tight = jobs[i]
            out[name] = _render(make, tight)
        try:
            if recv.poll(max(10.0, 2.0 * (time.perf_counter() - t0))):
                out.update(recv.recv())
        except (EOFError, OSError):
            pass
    finally:
        recv.close()
        if child.is_alive():
            child.terminate()
        child.join(5.0)
    for name, make, tight in jobs:
        if name not in out:
            out[name] = _render(make, tight)
    return {name: out[name] for name, _, _ in jobs}


def png_base64(fig: Any, dpi: int = DPI, tight: bool = False) -> str:
    """A matplotlib figure as base64 PNG (the figure is released)."""
    return base64.b64encode(png_bytes(fig, dpi, tight)).decode("ascii")


def _inline_md(text: str) -> str:
    """The little Markdown a paragraph may hold (**bold**, `code`) as HTML, the rest escaped."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


@dataclass
class Page:
    """A report page. Paragraphs are written in Markdown (bold and code only) and shown as HTML.
    ``toc``: a table of contents of the sections (``heading``) before the first one."""

    title: str
    toc: bool = True
    _html: list[str] = field(default_factory=list)
    _md: list[str] = field(default_factory=list)
    _sections: list[tuple[str, str, int]] = field(default_factory=list)  # text, anchor, level
    _first_section: int | None = None
    _images: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG
    _pending: list[tuple[str, Callable[[], Any], bool]] = field(default_factory=list)  # figures still to make
    _slots: list[tuple[int, str, str]] = field(default_factory=list)  # (index in _html, file name, caption)

    def __post_init__(self) -> None:
        self._html.append(f"<h1>{html.escape(self.title)}</h1>")
        self._md.append(f"# {self.title}\n")

    def heading(self, text: str, level: int = 2) -> Page:
        anchor = slug(text)
        taken = {a for _, a, _ in self._sections}
        base, n = anchor, 1
        while anchor in taken:
            anchor, n = f"{base}-{n}", n + 1
        if self._first_section is None:
            self._first_section = len(self._html)
        self._sections.append((text, anchor, level))
        self._html.append(f'<h{level} id="{anchor}">{html.escape(text)}</h{level}>')
        self._md.append(f"\n{'#' * level} {text}\n")
        return self

    def paragraph(self, text: str) -> Page:
        self._html.append(f"<p>{_inline_md(text)}</p>")
        self._md.append(f"\n{text}\n")
        return self

    def table(self, title: str, df: pd.DataFrame, digits: int = 4, note: str = "",
              formats: Mapping[str, Callable[[Any], str]] | None = None, level: int = 2) -> Page:
        """A titled table; cells formatted by ``formats[column]`` or :func:`fmt` with ``digits``
        significant figures. An empty frame is left out (with its title), not shown as an empty section."""
        if df.empty:
            return self
        self.heading(title, level)
        if note:
            self.paragraph(note)
        formats = formats or {}
        shown = pd.DataFrame({c: [formats[c](v) if c in formats else fmt(v, digits) for v in df[c]]
                              for c in df.columns}, columns=df.columns)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
        body = "".join("<tr>" + "".join(f"<td>{_inline_md(str(v))}</td>" for v in row) + "</tr>"
                       for row in shown.itertuples(index=False))
        self._html.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        self._md.append("\n" + md_table(shown, digits))
        return self

    def figure(self, caption: str, fig: Any, tight: bool = False) -> Page:
        """A figure (PNG), its caption below. ``fig``: a matplotlib figure (rendered now), or a callable
        of no arguments that makes one (made and rendered when the page is written, possibly in a
        forked process beside other figures: see the module). ``tight``: crop to what is drawn (for
        figures without margins of their own; costs a second layout pass)."""
        name = f"{FIGURE_PREFIX}{len(self._slots) + 1:02d}-{slug(caption)[:40].strip('-') or 'figure'}.png"
        if callable(fig) and not hasattr(fig, "savefig"):
            self._pending.append((name, fig, tight))
        else:
            self._images[name] = png_bytes(fig, tight=tight)
        self._slots.append((len(self._html), name, caption))
        self._html.append("")  # filled in by html(), once the PNG is there
        self._md.append(f"\n**{caption}**\n\n![{caption}]({name})\n")
        return self

    def render(self, workers: int | None = None) -> Page:
        """Make and render the figures handed over as callables (see :func:`render_figures`)."""
        if self._pending:
            jobs, self._pending = self._pending, []
            self._images.update(render_figures(jobs, workers))
        return self

    def _toc(self, markdown: bool) -> str:
        shown = [(t, a, lv) for t, a, lv in self._sections if lv <= 2]
        if not self.toc or len(shown) < 2:
            return ""
        if markdown:
            return "\n**Contents**\n\n" + "".join(f"- [{t}](#{a})\n" for t, a, _ in shown)
        return "<nav><b>Contents</b><ul>" + "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>'
                                                     for t, a, _ in shown) + "</ul></nav>"

    def _with_toc(self, parts: list[str], markdown: bool) -> list[str]:
        toc = self._toc(markdown)
        if not toc or self._first_section is None:
            return parts
        return [*parts[: self._first_section], toc, *parts[self._first_section:]]

    def html(self) -> str:
        self.render()
        parts = list(self._html)
        for i, name, caption in self._slots:
            b64 = base64.b64encode(self._images[name]).decode("ascii")
            parts[i] = (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{b64}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{_STYLE}</style>{_SELF_CHECK}</head><body>\n" + "\n".join(self._with_toc(parts, False))
                + "\n</body></html>\n")

    def markdown(self) -> str:
        return "".join(self._with_toc(self._md, True)) + "\n"

    @property
    def images(self) -> dict[str, bytes]:
        """The figures as PNG files the Markdown references (file name -> bytes)."""
        self.render()
        return {name: self._images[name] for _, name, _ in self._slots}

    def write_into(self, folder: Path, extra: dict[str, str] | None = None) -> None:
        """Write report.html, report.md and its images (and ``extra`` files: name -> text) into ``folder`` as they are."""
        self.render()
        for name, text in (extra or {}).items():
            (folder / name).write_text(text, encoding="utf-8")
        for name, png in self._images.items():
            (folder / name).write_bytes(png)
        (folder / "report.md").write_text(self.markdown(), encoding="utf-8")
        (folder / "report.html").write_text(self.html(), encoding="utf-8")

    def write(self, folder: str | os.PathLike[str], extra: dict[str, str] | None = None) -> Path:
        """Write report.html, report.md and its images (and ``extra`` files) into ``folder``, all or
        nothing; images of an earlier report there that this one does not have are removed."""
        self.render()  # before the folder is touched
        with atomic_folder(folder) as tmp:
            self.write_into(tmp, extra)
        for old in Path(folder).glob(f"{FIGURE_PREFIX}*.png"):
            if old.name not in self._images:
                old.unlink(missing_ok=True)
        return Path(folder) / "report.html"
