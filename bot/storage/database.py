"""The SQLite file: opening it, its pragmas, WAL, the schema check and migrations.

Placeholder while the store is split; filled in below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_PATH = Path("data/milestones.db")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
