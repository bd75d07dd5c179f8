"""`milestone-bot remind` as a real process: --dry-run, a process killed in the middle of a
send, and two processes sweeping at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import ROOT, clean_environment, wait_until
from tests.emulators.slack_api import ALICE, BOB
from tests.reminders.harness import GITHUB_TOKEN, REPO, World

DUE = "2026-12-02T18:05:00+00:00"  # Wednesday, 10:05 in Los Angeles: Alice's first digest


def environment(world: World) -> dict[str, str]:
    return {
        **clean_environment(),
        "SLACK_BOT_TOKEN": world.client.token or "",
        "SLACK_API_URL": world.slack.url,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": world.gh.url,
        "DATABASE_PATH": str(world.db),
        "PYTHONPATH": str(ROOT),
    }


def remind(world: World, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "remind", *args],
        cwd=world.db.parent,
        env=environment(world),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finished(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


def dm_posts(world: World, user: str = ALICE) -> int:
    return sum(1 for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == user)


def test_dry_run_prints_who_would_get_what_and_sends_nothing(world: World) -> None:
    """--dry-run --now names the digests due then and when the next ones are, touching nothing."""
    filed = world.file()
    world.file(author=BOB)
    world.slack.reset()
    world.gh.reset_counters()
    out = finished(remind(world, "--dry-run", "--now", DUE))
    assert "(dry run: nothing sent)" in out
    assert (
        f"digest to {ALICE} [America/Los_Angeles]: would send: {REPO}#{filed.number} (15 left)"
        in out
    )
    assert f"next digest to {BOB} at 2026-12-03 10:00 Europe/Berlin" in out
    assert world.slack.calls("chat.postMessage") == [] and world.gh.requests == []
    with world.store.session() as s:
        assert s.tracked.issues() == [] and s.digests.get(f"{ALICE}:2026-12-02") is None


def test_a_sweep_killed_in_the_middle_of_a_send_sends_no_second_digest(world: World) -> None:
    """kill -9 while Slack holds the digest's post; the restarted sweep does not post again."""
    world.file()
    world.slack.slow("chat.postMessage", 30)
    first = remind(world, "--now", DUE)
    wait_until(lambda: dm_posts(world) == 1, timeout=30, what="the digest's post reaching Slack")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=15)
    out = finished(remind(world, "--now", "2026-12-02T18:06:00+00:00"))
    assert f"digest to {ALICE}" in out and "taken" in out
    finished(remind(world, "--now", "2026-12-02T19:30:00+00:00"))
    assert dm_posts(world) == 1


def test_two_processes_sweeping_at_once_send_one_digest(world: World) -> None:
    """Two `remind` processes started together claim the window once between them."""
    world.file()
    processes = [remind(world, "--now", DUE) for _ in range(2)]
    outputs = [finished(p) for p in processes]
    assert dm_posts(world) == 1
    assert sum(o.count(": sent:") for o in outputs) == 1


def test_remind_needs_a_slack_token_unless_it_is_a_dry_run(world: World, tmp_path: Path) -> None:
    """Without SLACK_BOT_TOKEN a real sweep is refused in one line naming the variable."""
    env = {**environment(world), "SLACK_BOT_TOKEN": ""}
    env.pop("SLACK_BOT_TOKEN")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "remind", "--now", DUE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in done.stderr.strip().splitlines()[-1]
