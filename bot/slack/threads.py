"""The Slack threads known to hold a draft's conversation, remembered in this process.

Every threaded message in every channel the bot is in reaches the bot, and most are not
answers. Which thread is a draft's is in the store, so each one costs a read first; once a
thread is known to be a draft's, its next messages go straight to the answer's own
transaction, which reads the draft and where it talks again anyway. A thread the bot has
just given a draft is known from then on (bot.slack.conversation). So the memory can only
be early, never wrong: a thread that stopped being a draft's is found out there, and the
message is left alone as before.
"""

from __future__ import annotations

from bot.recent import Recent

MAX_THREADS = 10_000  # the most recently answered; an older one is read from the store again


class DraftThreads(Recent[tuple[str, str, str], bool]):
    """A bounded set of (team, channel, thread_ts), safe to use from any listener thread."""

    def __init__(self, size: int = MAX_THREADS) -> None:
        super().__init__(size)

    def remember(self, team: str, channel: str, thread_ts: str) -> None:
        self.put((team, channel, thread_ts), True)
