"""The one report page builder: a self-contained HTML page (images embedded, nothing fetched) and
its Markdown twin, from paragraphs, tables and matplotlib figures, written all or nothing.

It knows no plant: an application composes its sections and hands them here.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from twin.atomic import atomic_folder

__all__ = ["Page", "fmt", "md_table", "png_base64"]

_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 1em}"
          "table{border-collapse:collapse;font-size:12px;display:block;overflow-x:auto;max-width:100%}"
          "td,th{padding:2px 6px;border-bottom:1px solid #ddd}img{max-width:100%}")
# A self-check a browser runs on load: how many images decoded and how many tables there are.
_SELF_CHECK = ("<script>window.addEventListener('load',function(){var i=Array.prototype.slice.call(document.images);"
               "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.complete&&x.naturalWidth>0})"
               ".length+'/'+i.length);document.body.setAttribute('data-tables',document.querySelectorAll('table').length);"
               "});</script>")


def fmt(v: Any, digits: int = 4) -> str:
    """A cell as a report shows it: text as is, n/a for missing, ``digits`` significant figures."""
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool) or isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:,.{digits}g}"
    return str(v)


def md_table(df: pd.DataFrame, digits: int = 6) -> str:
    """A frame as a Markdown table (``|`` in cells escaped); ``_none_`` for an empty frame."""
    if df.empty:
        return "_none_\n"

    def cell(v: Any) -> str:
        return fmt(v, digits).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def png_base64(fig: Any, dpi: int = 100) -> str:
    """A matplotlib figure as base64 PNG (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _inline_md(text: str) -> str:
    """The little Markdown a paragraph may hold (**bold**, `code`) as HTML, the rest escaped."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


@dataclass
class Page:
    """A report page. Paragraphs are written in Markdown (bold and code only) and shown as HTML."""

    title: str
    _html: list[str] = field(default_factory=list)
    _md: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._html.append(f"<h1>{html.escape(self.title)}</h1>")
        self._md.append(f"# {self.title}\n")

    def heading(self, text: str) -> Page:
        self._html.append(f"<h2>{html.escape(text)}</h2>")
        self._md.append(f"\n## {text}\n")
        return self

    def paragraph(self, text: str) -> Page:
        self._html.append(f"<p>{_inline_md(text)}</p>")
        self._md.append(f"\n{text}\n")
        return self

    def table(self, title: str, df: pd.DataFrame, digits: int = 6, note: str = "") -> Page:
        self.heading(title)
        if note:
            self.paragraph(note)
        if df.empty:
            self._html.append("<p><em>none</em></p>")
            self._md.append("\n_none_\n")
            return self
        shown = df.map(lambda v: fmt(v, digits))
        self._html.append(shown.to_html(index=False, border=0, escape=True))
        self._md.append("\n" + md_table(df, digits))
        return self

    def figure(self, caption: str, fig: Any) -> Page:
        b64 = png_base64(fig)
        self._html.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{b64}">'
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        self._md.append(f"\n### {caption}\n\n![{caption}](data:image/png;base64,{b64})\n")
        return self

    def html(self) -> str:
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
                f"<style>{_STYLE}</style>{_SELF_CHECK}</head><body>\n" + "\n".join(self._html) + "\n</body></html>\n")

    def markdown(self) -> str:
        return "".join(self._md) + "\n"

    def write_into(self, folder: Path, extra: dict[str, str] | None = None) -> None:
        """Write report.html and report.md (and ``extra`` files: name -> text) into ``folder`` as they are."""
        for name, text in (extra or {}).items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / "report.md").write_text(self.markdown(), encoding="utf-8")
        (folder / "report.html").write_text(self.html(), encoding="utf-8")

    def write(self, folder: str | os.PathLike[str], extra: dict[str, str] | None = None) -> Path:
        """Write report.html and report.md (and ``extra`` files) into ``folder``, all or nothing."""
        with atomic_folder(folder) as tmp:
            self.write_into(tmp, extra)
        return Path(folder) / "report.html"
