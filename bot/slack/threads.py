"""The Slack threads known to hold a draft's conversation, remembered in this process.

Every threaded message in every channel the bot is in reaches the bot, and most are not
answers. Which thread is a draft's is in the store, so each one costs a read first; once a
thread is known to be a draft's, its next messages go straight to the answer's own
transaction, which reads the draft and where it talks again anyway. So the memory can only
be early, never wrong: a thread that stopped being a draft's is found out there, and the
message is left alone as before.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

MAX_THREADS = 10_000  # the most recently answered; an older one is read from the store again


class DraftThreads:
    """A bounded set of (team, channel, thread_ts), safe to use from any listener thread."""

    def __init__(self, size: int = MAX_THREADS) -> None:
        self._size = size
        self._known: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._lock = Lock()

    def remember(self, team: str, channel: str, thread_ts: str) -> None:
        with self._lock:
            self._known[(team, channel, thread_ts)] = None
            self._known.move_to_end((team, channel, thread_ts))
            while len(self._known) > self._size:
                self._known.popitem(last=False)

    def __contains__(self, key: tuple[str, str, str]) -> bool:
        with self._lock:
            return key in self._known
