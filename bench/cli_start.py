"""Figure 5: how long the command line takes to start, against `python -c pass` as the floor.

Each command runs as CI runs it, a fresh subprocess (`python -m bot ...`, which is what the
`milestone-bot` console script calls), on a small database and a rendered issue body made
here. Reported per command: wall time and CPU time (user + system, from the child's rusage,
less moved by whatever else runs on the machine), each the median of `repeat` runs after
one unmeasured run to warm the file cache and the bytecode. Also `python -m bench.cli_start`
on its own.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.processes import ROOT, clean_environment
from bench.stats import median

ISSUE_BODY = """## Acceptance Criteria

- [ ] Replays of the reconciler's journal match the venue's fills.
- [x] Protective exits remain unblocked.
"""


@dataclass(frozen=True)
class Start:
    label: str
    wall: float  # seconds, median
    cpu: float  # seconds of user + system CPU, median
    exit_codes: tuple[int, ...]


def _commands(workdir: Path) -> list[tuple[str, list[str]]]:
    issue = workdir / "issue.md"
    issue.write_text(ISSUE_BODY, encoding="utf-8")
    db = workdir / "milestones.db"
    python = sys.executable
    bot = [python, "-m", "bot", "--db", str(db)]
    return [
        ("`python -c pass` (the floor)", [python, "-c", "pass"]),
        ("`milestone-bot --help`", [*bot, "--help"]),
        ("`milestone-bot gates FILE`", [*bot, "gates", str(issue)]),
        ("`milestone-bot drafts`", [*bot, "drafts"]),
    ]


def _make_database(db: Path) -> None:
    # A fresh, migrated, empty database: `drafts` refuses a missing one.
    code = "import sys; from bot.storage.store import Store; Store(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, cwd=ROOT)


def _once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def measure(repeat: int = 9) -> list[Start]:
    """Each command `repeat` times (after one warm-up), in turns so drift hits all alike."""
    with tempfile.TemporaryDirectory(prefix="milestone-bench-cli-") as tmp:
        workdir = Path(tmp)
        _make_database(workdir / "milestones.db")
        env = {**clean_environment(), "PYTHONPATH": str(ROOT)}
        commands = _commands(workdir)
        samples: dict[str, list[tuple[float, float, int]]] = {label: [] for label, _ in commands}
        for round_ in range(repeat + 1):
            for label, argv in commands:
                measured = _once(argv, workdir, env)
                if round_:
                    samples[label].append(measured)
    return [
        Start(
            label,
            median([s[0] for s in runs]),
            median([s[1] for s in runs]),
            tuple(sorted({s[2] for s in runs})),
        )
        for label, runs in samples.items()
    ]


def main() -> int:
    for start in measure():
        print(
            f"{start.label:32} wall {start.wall * 1000:6.0f} ms   CPU {start.cpu * 1000:6.0f} ms"
            f"   exit {'/'.join(map(str, start.exit_codes))}"
        )
    print(f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
