"""SIGKILL at random points of a real ``vaultlink sync`` process, many times over.

A seeded synthetic vault (``benchmarks/make_vault.py``) is synced once uninterrupted: that is the
reference. Then, in chains on fresh copies: start ``vaultlink sync COPY`` in its own process, SIGKILL it
after a random (seeded) delay, and check that

- every file is either its bytes from before that run or its bytes in the reference (never partial),
  and no folder appeared that the reference does not have;
- the stale lock the dead process left does not stop the next run;

and at the end of each chain one uninterrupted sync converges to exactly the reference, leaves no lock,
and leaves no temp file: neither its own nor those the killed runs left (it removes them while it holds
the lock).

The processes are forked from one preloaded Python (a "zygote") that runs ``vaultlink.cli`` exactly as
``python -m vaultlink sync COPY`` would, minus the ~0.5 s of imports, so that the kills are spent on
reading and writing the vault. A fifth of the kills land at a random time while the run reads and plans;
the rest at a random time after its first temp file is made (the child says so through a pipe), within
the time the writes still pending in that copy take, cache included. The delay is the injected fault, not
a wait: no assertion depends on timing, only on the bytes found afterwards.

Environment (defaults keep CI at ~25 s on 2 cores):
    VAULTLINK_KILLS=20        kills to survive
    VAULTLINK_KILL_NOTES=80   notes in the generated vault
    VAULTLINK_KILL_SEED=7     seed for the vault and the delays
    VAULTLINK_KILL_CHAIN=5    kills per copy before the converging sync
A long run (see docs/reliability.md):
    VAULTLINK_KILLS=200 VAULTLINK_KILL_NOTES=2000 python3 -m pytest tests/test_kill.py -s
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from faultkit import folders, snapshot, temp_files

from vaultlink.lock import LOCK_NAME, STATE_DIR

pytestmark = [
    pytest.mark.skipif(not (hasattr(os, "fork") and Path("/proc/self/stat").exists()), reason="Linux only"),
    pytest.mark.slow,  # kill runs: the full suite runs them, the quick loop does not
]

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("VAULTLINK_KILLS", "20"))
NOTES = int(os.environ.get("VAULTLINK_KILL_NOTES", "80"))
SEED = int(os.environ.get("VAULTLINK_KILL_SEED", "7"))
CHAIN = int(os.environ.get("VAULTLINK_KILL_CHAIN", "5"))
READING_SHARE = 0.2  # the share of kills aimed at the reading phase, before any write

# The zygote reads one JSON request per line on stdin and answers one line on its own channel:
#   {"op": "run", "args": [...], "log": path} -> the child's pid (the child runs the CLI, output to log)
#   {"op": "writing", "pid": pid}             -> 1 once the child makes its first temp file, 0 if it ended first
#   {"op": "reap", "pid": pid}                 -> the child's raw wait status
# A child is only reaped when asked, so its pid cannot be reused before the test is done killing it.
# "writing" relies on the writer making its temp files with tempfile.mkstemp (docs/safety.md: temp file in
# the note's folder, fsync, os.replace); the child tells of its first call through a pipe, that is all.
ZYGOTE = r"""
import json, os, sys, tempfile, traceback
from vaultlink.cli import cli

def child(args, log, tell):
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    real_mkstemp = tempfile.mkstemp
    def mkstemp(*a, **k):
        # Notes are written from several threads: list.pop hands the pipe to exactly one.
        try:
            fd = tell.pop()
        except IndexError:
            fd = None
        if fd is not None:
            os.write(fd, b"w")
            os.close(fd)
        return real_mkstemp(*a, **k)
    tempfile.mkstemp = mkstemp
    code = 0
    try:
        cli.main(args=args, prog_name="vaultlink")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

channel = os.fdopen(os.dup(1), "w", buffering=1)
signals = {}
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "run":
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            child(request["args"], request["log"], [w])
        os.close(w)
        signals[pid] = r
        channel.write(f"{pid}\n")
    elif request["op"] == "writing":
        channel.write(f"{len(os.read(signals[request['pid']], 1))}\n")
    else:
        _, status = os.waitpid(request["pid"], 0)
        os.close(signals.pop(request["pid"]))
        channel.write(f"{status}\n")
"""


class Zygote:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its session holds every process a run starts, orphans included
        )

    def stray_processes(self) -> list[int]:
        """Processes of this zygote's session other than itself, when no run is under way: what killed
        runs left behind (e.g. parse workers, see test_faults.py)."""
        return [pid for pid in session_members(self.proc.pid) if pid != self.proc.pid]

    def end_strays(self) -> int:
        strays = self.stray_processes()
        for pid in strays:
            if pid in session_members(self.proc.pid):  # still ours
                os.kill(pid, signal.SIGKILL)
        return len(strays)

    def _ask(self, request: dict[str, object]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, f"the zygote died (exit {self.proc.poll()})"
        return int(answer)

    def start(self, args: list[str], log: Path) -> int:
        return self._ask({"op": "run", "args": args, "log": str(log)})

    def writing(self, pid: int) -> bool:
        """Block until the child starts writing (True) or ends without writing (False)."""
        return self._ask({"op": "writing", "pid": pid}) == 1

    def reap(self, pid: int) -> int:
        return self._ask({"op": "reap", "pid": pid})

    def run(self, args: list[str], log: Path) -> tuple[int, float, float]:
        """Run to the end; (exit code, seconds before the first write, seconds from it to the end)."""
        started = time.perf_counter()
        pid = self.start(args, log)
        self.writing(pid)
        writing = time.perf_counter()
        status = self.reap(pid)
        ended = time.perf_counter()
        assert os.WIFEXITED(status), f"{args} ended by signal {os.WTERMSIG(status)}"
        return os.WEXITSTATUS(status), writing - started, ended - writing

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def session_members(sid: int) -> list[int]:
    """Processes whose session id is ``sid`` (Linux /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path("/proc", entry, "stat").read_text()
            except OSError:
                continue
            fields = stat_line.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # state, ppid, pgrp, session
                members.append(int(entry))
    return members


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vault", ROOT / "benchmarks" / "make_vault.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Tally:
    kills: int = 0
    mid_write: int = 0  # the vault had changed when the kill landed (else it landed while reading)
    left_temp: int = 0  # the kill left a new temp file behind
    strays: int = 0  # processes a killed run left running (ended by the test)
    finished_first: int = 0  # the run ended before its kill
    chains: int = 0
    runs: int = 0
    seconds: list[float] = field(default_factory=list)


def pending(state: dict[str, bytes], reference: dict[str, bytes]) -> int:
    return sum(state.get(rel) != reference.get(rel) for rel in set(state) | set(reference))


def assert_old_or_new(
    before: dict[str, bytes], after: dict[str, bytes], reference: dict[str, bytes], context: str
) -> None:
    for rel in set(before) | set(after) | set(reference):
        now = after.get(rel)
        assert now == before.get(rel) or now == reference.get(rel), (
            f"{context}: {rel} is neither its old nor its new bytes "
            f"({'absent' if now is None else f'{len(now)} bytes'})"
        )


def test_sigkill_at_random_points_never_leaves_a_partial_note_and_the_next_sync_converges(tmp_path: Path) -> None:
    generator = load_generator()
    original = tmp_path / "original" / "vault"
    generator.Generator(NOTES, SEED).write(original)
    (original / ".vaultlink.toml").write_text("stub_min_citers = 1\n")  # a stub for every missing note: more to kill
    logs = tmp_path / "logs"
    logs.mkdir()
    rng = random.Random(SEED)
    zygote = Zygote()
    try:
        reference_root = tmp_path / "reference" / "vault"
        shutil.copytree(original, reference_root)
        code, reading, writing = zygote.run(["sync", str(reference_root)], logs / "reference.log")
        assert code == 0, (logs / "reference.log").read_text()
        reference, reference_folders = snapshot(reference_root), folders(reference_root)
        assert temp_files(reference_root) == []
        total = pending(snapshot(original), reference)
        assert total > NOTES  # every note gets a block, and there are stubs to create

        tally = Tally()
        while tally.kills < KILLS and tally.runs < 4 * KILLS:
            tally.chains += 1
            vault = tmp_path / f"chain{tally.chains}" / "vault"
            shutil.copytree(original, vault)
            finished = False
            for _ in range(CHAIN):
                if tally.kills >= KILLS:
                    break
                before, folders_before, temps_before = snapshot(vault), folders(vault), set(temp_files(vault))
                left = pending(before, reference)
                log = logs / f"run{tally.runs}.log"
                pid = zygote.start(["sync", str(vault)], log)
                if rng.random() < READING_SHARE:  # while it reads, plans, holds the lock
                    delay = rng.uniform(0, reading)
                    context = f"chain {tally.chains}, run {tally.runs + 1}, kill {delay:.3f} s after the start"
                else:  # while it writes notes, then its cache; the writes pending shrink along a chain
                    zygote.writing(pid)
                    delay = rng.uniform(0, writing * max(left / total, 0.2))
                    context = f"chain {tally.chains}, run {tally.runs + 1}, kill {delay:.3f} s into the writes"
                time.sleep(delay)  # the injected fault's timing, not a wait for anything
                os.kill(pid, signal.SIGKILL)  # our own child, not yet reaped
                status = zygote.reap(pid)
                tally.runs += 1
                tally.strays += zygote.end_strays()
                after = snapshot(vault)
                assert_old_or_new(before, after, reference, context)
                assert folders(vault) <= folders_before | reference_folders, context
                if os.WIFSIGNALED(status):
                    tally.kills += 1
                    tally.mid_write += after != before
                    tally.left_temp += bool(set(temp_files(vault)) - temps_before)
                else:
                    assert os.WEXITSTATUS(status) == 0, log.read_text()
                    tally.finished_first += 1
                    finished = True
                    break
            if not finished:  # one uninterrupted run must converge
                log = logs / f"chain{tally.chains}.log"
                code, _, _ = zygote.run(["sync", str(vault)], log)
                assert code == 0, log.read_text()
            assert temp_files(vault) == [], f"chain {tally.chains}: temp files left after a finished run"
            converged = snapshot(vault)
            assert sorted(converged) == sorted(reference), f"chain {tally.chains}: files differ"
            assert [rel for rel in reference if converged[rel] != reference[rel]] == []
            assert folders(vault) == reference_folders
            assert not (vault / STATE_DIR / LOCK_NAME).exists()
            shutil.rmtree(vault.parent)
        assert tally.kills == KILLS, f"only {tally.kills} of {tally.runs} runs were killed before they ended"
    finally:
        zygote.close()
    print(
        f"\nkill test: {NOTES} notes (+{len(reference) - NOTES} stubs), {tally.kills} kills survived in "
        f"{tally.chains} chains, {tally.mid_write} mid-write, {tally.left_temp} left a temp file, "
        f"{tally.strays} stray processes ended, "
        f"{tally.finished_first} runs ended before their kill; first uninterrupted sync: {reading:.2f} s "
        f"reading, {writing:.2f} s writing"
    )


def test_zygote_runs_the_cli_like_python_m_vaultlink(tmp_path: Path) -> None:
    """The forked runs are the real CLI: same output and exit code as ``python -m vaultlink``."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "A.md").write_text("Links [[B]] and [[Ghost]].\n")
    (vault / "B.md").write_text("# B\n")
    zygote = Zygote()
    try:
        code, _, _ = zygote.run(["sync", "--check", str(vault)], tmp_path / "z.log")
    finally:
        zygote.close()
    direct = subprocess.run(
        [sys.executable, "-m", "vaultlink", "sync", "--check", str(vault)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert (code, (tmp_path / "z.log").read_text()) == (direct.returncode, direct.stdout + direct.stderr)
    assert code == 1
