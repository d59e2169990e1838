"""Terminal tables that fit the width, progress bars only where someone watches, and Excel
workbooks written all or nothing."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import simpy

from twin import progress
from twin.engine import run_counted
from twin.errors import InputError
from twin.export import write_xlsx
from twin.tables import render, terminal_width


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _wide() -> pd.DataFrame:
    return pd.DataFrame({
        "run_id": ["run-3702a0441694-20261130T080510-28840", "run-8d753eb29468-20261130T080515-28881"],
        "hours": ["8,760", "120"], "--set lines": ["horizon_h=120 settings.fbcvd.bed_temperature_c=480 replications=3", ""],
        **{f"Some long KPI label number {i} (USD/kg)": [f"{1000 * i:,.2f} ± 12.5", "n/a"] for i in range(12)},
        "note": ["a long free-text note about [bold]what[/bold] was tried and why it matters", ""]})


@pytest.mark.unit
@pytest.mark.parametrize("tty", [False, True])
def test_a_table_fits_a_narrow_terminal_and_names_what_it_left_out(monkeypatch, tty):
    monkeypatch.setenv("COLUMNS", "80")
    assert terminal_width() == 80
    text = render(_wide(), keep=["run_id", "hours", "--set lines"], no_wrap=["run_id"], right=["hours"], tty=tty)
    plain = text if not tty else __import__("re").sub(r"\x1b\[[0-9;]*m", "", text)
    lines = plain.split("\n")
    assert max(len(line) for line in lines) <= 80
    assert "run-3702a0441694-20261130T080510-28840" in plain  # ids are never folded
    assert "8,760" in plain and "settings.fbcvd" in plain.replace("\n", "")  # kept columns are there, wrapped
    assert "more column(s) not shown at 80 characters" in plain
    assert ("\x1b[" in text) is tty  # escape codes only on a terminal
    assert "[bold]" not in plain or "note" in plain  # cell text is never read as markup


@pytest.mark.unit
def test_a_wide_terminal_shows_everything_plain():
    text = render(_wide(), keep=["run_id"], no_wrap=["run_id"], width=2000, tty=False)
    assert "not shown" not in text and "[bold]what[/bold]" in text
    assert text.split("\n")[1].startswith("---")


@pytest.mark.unit
def test_progress_is_drawn_only_where_someone_watches(monkeypatch):
    monkeypatch.delenv("TWIN_NO_PROGRESS", raising=False)
    assert progress.enabled(True, _Tty()) and not progress.enabled(True, io.StringIO())
    assert not progress.enabled(False, _Tty())
    monkeypatch.setenv("TWIN_NO_PROGRESS", "1")
    assert not progress.enabled(True, _Tty())
    monkeypatch.setenv("TWIN_NO_PROGRESS", "0")
    with progress.quiet():
        assert not progress.enabled(True, _Tty())
    assert progress.enabled(True, _Tty())
    out = _Tty()
    bar = progress.Progress(4, "sweep", stream=out)
    bar.advance(3)
    bar.advance(1)
    bar.close()
    assert bar.done == 4 and "sweep" in out.getvalue() and "4/4" in out.getvalue()
    silent = io.StringIO()
    progress.Progress(4, "sweep", stream=silent).advance(4)
    assert silent.getvalue() == ""


@pytest.mark.unit
def test_an_outer_bar_counts_the_work_of_inner_ones(monkeypatch):
    monkeypatch.setenv("TWIN_NO_PROGRESS", "1")
    outer = progress.Progress(None, "optimize")
    with progress.counting(outer):
        for _ in range(3):
            inner = progress.Progress(5, "experiment", enabled=False)
            inner.advance(2)
            inner.advance(3)
    progress.Progress(5, "after").advance(5)  # outside the block: not counted
    assert outer.done == 15


def _ticker(env: simpy.Environment, every: float):
    while True:
        yield env.timeout(every)


@pytest.mark.component
def test_the_event_loop_reports_its_clock_once_a_simulated_day_and_runs_the_same(monkeypatch):
    def run(watch: bool) -> tuple[int, float, list[float]]:
        env = simpy.Environment()
        env.process(_ticker(env, 0.7))
        seen: list[float] = []
        if watch:
            token = progress._SIM_HOOK.set(seen.append)
            try:
                n = run_counted(env, 100.0)
            finally:
                progress._SIM_HOOK.reset(token)
        else:
            n = run_counted(env, 100.0)
        return n, env.now, seen

    plain, watched = run(False), run(True)
    assert plain[:2] == watched[:2]  # the same events processed, the same end
    assert watched[2] == [24.0, 48.0, 72.0, 96.0, 100.0] and plain[2] == []
    monkeypatch.setattr("sys.stderr", _Tty())
    monkeypatch.delenv("TWIN_NO_PROGRESS", raising=False)
    with progress.simulated_hours(100.0, "run") as bar:
        env = simpy.Environment()
        env.process(_ticker(env, 0.7))
        run_counted(env, 100.0)
    assert bar.position == 100.0 and progress.sim_hook() is None


@pytest.mark.unit
def test_a_workbook_is_written_whole_and_reads_back(tmp_path, monkeypatch):
    path = tmp_path / "out" / "book.xlsx"
    summary = pd.DataFrame({"KPI": ["cost.powder_usd_per_kg", "plant.bottleneck"], "value": [45.5, "fbcvd"]})
    lots = pd.DataFrame({"lot_id": ["P1", "P2"], "kg": [1.5, 2.0], "tags": [["a", "b"], []],
                         "at": pd.to_datetime(["2026-01-01", "2026-01-02"]).tz_localize("UTC")})
    write_xlsx(path, {"summary": summary, "lots/all": lots})
    back = pd.read_excel(path, sheet_name=None)
    assert list(back) == ["summary", "lots_all"]
    assert back["summary"]["value"].tolist() == [45.5, "fbcvd"] and back["lots_all"]["kg"].tolist() == [1.5, 2.0]
    assert back["lots_all"]["tags"].fillna("").tolist() == ["a, b", ""]

    calls = []
    real = pd.DataFrame.to_excel

    def second_sheet_fails(self, *a, **k):  # the disk fills up half-way through the workbook
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_excel", second_sheet_fails)
    with pytest.raises(InputError, match="No space left"):
        write_xlsx(path, {"summary": summary.iloc[:1], "lots": lots})
    assert pd.read_excel(path, sheet_name=None)["summary"].shape == (2, 2)  # the old workbook is untouched
    assert sorted(p.name for p in path.parent.iterdir()) == ["book.xlsx"]  # and no partial file beside it
    with pytest.raises(InputError, match=r"\.xlsx"):
        write_xlsx(tmp_path / "book.csv", {"summary": summary})


@pytest.mark.unit
def test_plain_progress_lines_for_logs(monkeypatch):
    monkeypatch.setenv("TWIN_PROGRESS", "plain")
    monkeypatch.delenv("TWIN_NO_PROGRESS", raising=False)
    out = io.StringIO()  # not a terminal: plain lines all the same
    bar = progress.Progress(20, "sweep run-1", stream=out)
    for _ in range(20):
        bar.advance()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("sweep run-1 [" + "#" * 30 + "] 20/20 ")
    assert lines[0].startswith("sweep run-1 [#...") and " 1/20 " in lines[0]
    with progress.quiet():
        assert not progress.enabled(True, out)
