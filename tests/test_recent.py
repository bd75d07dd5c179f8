"""The bounded memory of recent keys (bot/recent.py) that the thread memory, the parsed
drafts and the failure reporter share."""

from __future__ import annotations

from bot.recent import Recent


def test_the_least_recently_used_key_is_forgotten_first() -> None:
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # read: now the most recent
    recent.put("c", 3)
    assert "b" not in recent
    assert (recent.get("a"), recent.get("c")) == (1, 3)


def test_add_keeps_only_a_new_key_and_says_whether_it_was() -> None:
    recent: Recent[str, bool] = Recent(2)
    assert recent.add("ev1", True) is True
    assert recent.add("ev1", True) is False
    assert recent.add("ev2", True) and recent.add("ev3", True)
    assert "ev1" not in recent  # past the size, the oldest goes
    assert recent.add("ev1", True) is True
