"""The servers under test as child processes: started, health-checked, measured, stopped.

Each runs in its own process group (so stopping it stops gunicorn's worker too) with its
output in a log file beside its database. Only processes started here are ever signalled.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
_OWN_PREFIXES = ("SLACK_", "GITHUB_", "REMINDER_", "DRAFT_")
_OWN_NAMES = ("DATABASE_PATH", "TEMPLATE_PATH", "PORT", "LISTENER_THREADS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environment() -> dict[str, str]:
    """This process's environment without any bot setting of the developer's."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_OWN_PREFIXES) and k not in _OWN_NAMES
    }


def vm_hwm_kib(pid: int) -> int | None:
    """The process's peak resident set size (VmHWM) in KiB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def thread_cpu_seconds(pid: int) -> float:
    """CPU time of the process's live threads, from the scheduler's nanosecond counts
    (`/proc/PID/task/*/schedstat`); 0 if it is gone.

    For spans of a few tenths of a second, where `cpu_seconds`' clock ticks (10 ms) are
    several percent of the reading. Time spent by threads that have since exited is not in
    it: read it around work that the same threads do, as a server's pools.
    """
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # the thread ended between the listing and the read
    return total / 1e9


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(t) for t in text)
    except OSError:
        pass
    return found


class ServerProcess:
    """`argv` serving HTTP on 127.0.0.1:`port`, ready once GET /healthz answers 200."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        workdir: Path,
        env: Mapping[str, str],
        profile: Path | None = None,
        root: Path = ROOT,
    ) -> None:
        self.name = name
        self.argv = argv
        self.workdir = workdir
        self.env = dict(env)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # Where py-spy writes this server's sampled stacks (collapsed, one line a stack).
        self.profile = profile
        self.root = root  # the source tree it runs (`python -m bench.paired` runs two)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> ServerProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "PORT": str(self.port), "PYTHONPATH": str(self.root)}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self._profiled(self.argv) if self.profile else self.argv,
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._healthy():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer /healthz:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def _profiled(self, argv: list[str]) -> list[str]:
        # Non-blocking sampling of every thread of the master and its worker. py-spy leaves
        # threads asleep in a system call out, but one waiting for the GIL or a lock may
        # count; BENCH_PYSPY=--gil keeps only the thread holding the GIL (Python's CPU).
        assert self.profile is not None
        self.profile.parent.mkdir(parents=True, exist_ok=True)
        spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--nonblocking"]
        spy += os.environ.get("BENCH_PYSPY", "").split()  # e.g. --gil: GIL holders only
        return [
            *spy,
            "--subprocesses",
            "-r",
            "500",
            "-f",
            "raw",
            "-o",
            str(self.profile),
            "--",
            *argv,
        ]

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
            )
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # py-spy writes its samples on Ctrl-C; gunicorn takes SIGINT as a quick shutdown.
        os.killpg(self.proc.pid, signal.SIGINT if self.profile else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def master_pid(self) -> int:
        assert self.proc is not None
        if self.profile:  # the process started is py-spy; gunicorn's master is its child
            return next(iter(children(self.proc.pid)), self.proc.pid)
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children(self.master_pid())

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and its workers."""
        return sum(cpu_seconds(pid) for pid in [self.master_pid(), *self.worker_pids()])

    def thread_cpu_seconds(self) -> float:
        """The same, to the nanosecond, from their live threads (`thread_cpu_seconds`)."""
        return sum(thread_cpu_seconds(pid) for pid in [self.master_pid(), *self.worker_pids()])

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
