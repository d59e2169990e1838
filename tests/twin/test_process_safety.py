"""A sweep's processes: pool workers never outlive their parent (SIGKILL included), and SIGTERM stops a
sweep like Ctrl-C (recorded interrupted, resumable, nothing finished lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
TWIN = [sys.executable, "-m", "plants.app.cli"]
SWEEP = ["--param", "settings.fbcvd.bed_temperature_c=440,450,460,470", "--replications", "2", "--workers", "2"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)"),
]


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a process from /proc, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) on
    return fields[0], int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> dict[int, int]:
    """Child pid -> start time, by scanning /proc for processes whose parent is ``pid``."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] == pid:
                out[int(entry.name)] = st[2]
    return out


def _alive(pid: int, start: int) -> bool:
    """The very process (same start time: not a reused pid) still runs (a zombie is dead)."""
    st = _stat(pid)
    return st is not None and st[2] == start and st[0] not in ("Z", "X", "x")


def _start(cmd: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "TWIN_PROGRESS": "plain"}  # progress lines on the stderr pipe, to know when to signal
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_pool_workers_die_with_a_sigkilled_parent(tmp_path: Path) -> None:
    cmd = TWIN + ["sweep", str(SMOKE), *SWEEP, "--set", "horizon_h=400", "--store", str(tmp_path / "s.duckdb")]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: dict[int, int] = {}
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            parent_cmd = _cmdline(proc.pid)  # read each time: right after the fork it is still pytest's
            # pool workers are forks of the parent (same command line); anything else it runs is not one
            workers = {p: s for p, s in _children(proc.pid).items() if _cmdline(p) == parent_cmd}
            if len(workers) >= 2:
                break
            time.sleep(0.01)
        assert len(workers) >= 2, f"no pool workers seen (sweep exit code {proc.poll()})"
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: nobody tells the workers
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(pid, start) for pid, start in workers.items()):
            time.sleep(0.05)
        survivors = [pid for pid, start in workers.items() if _alive(pid, start)]
        assert not survivors, f"pool workers {survivors} outlived their SIGKILLed parent {proc.pid}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid, start in workers.items():  # leave nothing behind when the assertion failed
            if _alive(pid, start):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_interrupts_a_sweep_like_ctrl_c_and_it_resumes(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    cmd = TWIN + ["sweep", str(SMOKE), *SWEEP, "--set", "horizon_h=1500", "--store", str(store)]
    proc = _start(cmd)
    workers: dict[int, int] = {}
    try:
        assert proc.stderr is not None
        seen = ""
        deadline = time.time() + 120
        while time.time() < deadline:  # wait until some, not all, of the 8 results are stored
            line = proc.stderr.readline()
            seen += line
            if not line:
                break
            if "/8 " in line and not line.split("]")[1].strip().startswith(("0/", "8/")):
                break
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)  # what `kill PID`, docker stop and most supervisors send
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a process holding its output pipes open is still running
            pytest.fail(f"the sweep did not end within 60 s of SIGTERM (exit code {proc.poll()}; workers "
                        f"{[pid for pid, start in workers.items() if _alive(pid, start)]} alive)\n{seen}")
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(pid, start) for pid, start in workers.items()):
            time.sleep(0.05)
        assert not [pid for pid, start in workers.items() if _alive(pid, start)]  # the parent stopped its workers
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid, start in workers.items():  # leave nothing behind when the test failed
            if _alive(pid, start):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130, seen + err
    assert "Traceback" not in err and "--resume" in err, err
    assert "INTERRUPTED" in out
    from twin.store import RunStore

    with RunStore(store, read_only=True) as s:
        runs = s.runs()
        run_id = str(runs["run_id"].iloc[0])
        kept = s.done(run_id)
    assert len(runs) == 1 and runs["status"].iloc[0] == "interrupted"
    assert 0 < len(kept) < 8
    done = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"complete: run {run_id} " in done.stdout
    computed = int(done.stdout.split(" tasks computed now")[0].rsplit("(", 1)[1])
    assert computed == 8 - len(kept) and computed < 8
    with RunStore(store, read_only=True) as s:
        runs = s.runs()
        assert list(runs["run_id"]) == [run_id] and runs["status"].iloc[0] == "complete"
        assert len(s.done(run_id)) == 8
