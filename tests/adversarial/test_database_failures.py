"""The database locked by another process, or read-only: the author is told, nothing is half
written, and the next answer works once it clears.

Two realistic ways the store refuses a write while the bot runs:
* locked: another process (an operator's `sqlite3` shell, a backup tool) holds
  `BEGIN EXCLUSIVE` for longer than the bot's busy timeout (5 s);
* read-only: the file cannot be written by anyone. Tests run as root, which ignores file
  modes, so the file is made immutable with `chattr +i` (what a read-only remount or a
  botched restore looks like to SQLite: it opens the file read-only and every write fails
  with SQLITE_READONLY); as another user `chmod 0444` does the same. See
  tests/adversarial/support.py.
Each unit of work is one transaction, so a refused one leaves no trace: the row counts of
the file (read with a read-only connection, which WAL allows during the lock) do not move,
and `milestone-bot replay` finds the journal and the drafts row in agreement afterwards.
"""

from __future__ import annotations

from tests.adversarial.support import (
    StoreView,
    database_path,
    lock_held_by_another_process,
    log_events,
    read_only_file,
    replay_agrees,
)
from tests.e2e.harness import Author, BotProcess, message_text, wait_until
from tests.emulators.slack_api import Message, SlackEmulator
from tests.emulators.slack_requests import SlackRequests


def _told(slack: SlackEmulator, author: Author, words: str) -> list[Message]:
    """Messages only the author sees, in the thread or the channel, containing `words`."""
    seen = slack.messages(author.channel, author.thread_ts, viewer=author.user)
    seen += slack.messages(author.channel, viewer=author.user)
    return [m for m in seen if m.ephemeral_to == author.user and words in message_text(m)]


def _buttons(author: Author) -> tuple[Message, str]:
    """The question with buttons, and the action id of its "M3" button."""
    for message in reversed(author.bot_replies()):
        for block in message.blocks or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("text", {}).get("text") == "M3":
                    return message, element["action_id"]
    raise AssertionError("no M3 button in the thread")


def test_a_database_locked_by_another_process_is_told_and_recovers(
    alice: Author,
    bot: BotProcess,
    requests: SlackRequests,
    slack: SlackEmulator,
    store_view: StoreView,
) -> None:
    """An answer sent while another process holds the lock is refused in one line, and sent
    again once the lock is gone it is recorded."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    db = database_path(bot)
    replies = len(alice.bot_replies())

    with lock_held_by_another_process(db):
        before = store_view.counts()
        sent = requests.message_event(
            "m2", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
        )
        assert sent.status == 200  # acked at once: Slack does not wait on the database
        (notice,) = wait_until(
            lambda: _told(slack, alice, "couldn't save that answer"),
            timeout=30,
            what="the note that the answer was not saved",
        )
        assert store_view.counts() == before
        assert store_view.draft(draft.id) == draft
        assert len(alice.bot_replies()) == replies + 1  # the note, no question

    assert "\n" not in notice.text
    assert "in a minute" in notice.text
    (failure,) = log_events(bot, "answer.store_failed")
    assert "busy" in failure["reason"]
    assert failure["correlation_id"] == sent.request.payload["event_id"]
    assert replay_agrees(db, draft.id)
    alice.say("m2", expect="Question 3 of 16")
    assert store_view.draft(draft.id).target_milestone == "M2"
    assert replay_agrees(db, draft.id)


def test_a_read_only_database_file_is_told_and_recovers(
    alice: Author,
    bot: BotProcess,
    requests: SlackRequests,
    slack: SlackEmulator,
    store_view: StoreView,
) -> None:
    """A typed answer, a click and a new draft on a read-only file are each refused in one
    line, nothing is written, and all three work once the file is writable again."""
    alice.start("new Bound retries")
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    db = database_path(bot)
    question, button = _buttons(alice)

    with read_only_file(db):
        before = store_view.counts()
        requests.message_event(
            "m3", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
        )
        wait_until(lambda: _told(slack, alice, "couldn't save that answer"), what="answer note")
        alice.click(button, message=question)  # a click is an answer too
        wait_until(
            lambda: len(_told(slack, alice, "couldn't save that answer")) == 2, what="click note"
        )
        alice.command("new Another draft")
        wait_until(lambda: _told(slack, alice, "couldn't start a draft"), what="command note")
        assert store_view.counts() == before
        assert store_view.draft(draft.id) == draft

    failures = log_events(bot, "answer.store_failed") + log_events(bot, "command.store_failed")
    assert len(failures) == 3
    # A write to the WAL fails as an I/O error, a write to the main file as read-only.
    assert all(("readonly" in f["reason"]) or ("I/O error" in f["reason"]) for f in failures)
    assert replay_agrees(db, draft.id)

    seen = len(alice.bot_replies())
    alice.click(button, message=question)
    alice.await_replies(seen, "Question 2 of 15")
    alice.say("No order is re-sent more than 3 times", expect="Question 3 of 15")
    alice.command("new Another draft")
    wait_until(lambda: len(store_view.drafts()) == 2, what="the second draft")
    assert replay_agrees(db, draft.id)
