"""`milestone-bot remind [--dry-run] [--now ISO]`: one reminder sweep, then exit.

For cron, a Procfile `clock:` or `worker:` process, or a platform scheduler, when the
sweep should not run inside `serve` (REMINDER_SWEEP_MINUTES=0 there). `--now` runs the
sweep as if it were that moment; `--dry-run` asks GitHub nothing, writes nothing, sends
nothing, and prints who would get what.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def moment(text: str) -> datetime:
    """An ISO 8601 moment with its offset, e.g. 2026-12-01T10:05:00+00:00 (for --now)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO time such as 2026-12-01T10:05:00+00:00"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; add one, such as +00:00")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print who would get what; send nothing"
    )
    parser.add_argument(
        "--now",
        type=moment,
        metavar="ISO",
        help="run as if it were this moment, e.g. 2026-12-01T10:05:00+00:00",
    )


def run_remind(args: argparse.Namespace) -> int:
    from bot.app import build_core, build_slack_client, build_sweeper
    from bot.log import configure_logging
    from bot.runtime.serve import settings_from
    from bot.storage.database import utc_now

    configure_logging()
    settings = settings_from(args)
    if not args.dry_run:
        settings.require("slack_bot_token")
    core = build_core(settings)
    slack = build_slack_client(settings) if settings.slack_bot_token is not None else None
    report = build_sweeper(core, slack).sweep(args.now or utc_now(), dry_run=args.dry_run)
    for line in report.lines(core.template):
        print(line, file=sys.stdout)
    return 0
