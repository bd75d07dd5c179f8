"""What the figures were measured on: they move with the machine, so the table says which."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def load_average() -> str:
    """The 1-minute load average: other work on the machine moves the figures too."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def describe() -> list[str]:
    """The lines printed above the table."""
    return [
        f"Machine: {cpu_model()}, {cores()} cores available, "
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"slack-bolt {package_version('slack-bolt')}, slack-sdk {package_version('slack-sdk')}, "
        f"gunicorn {package_version('gunicorn')}, flask {package_version('flask')}",
    ]
