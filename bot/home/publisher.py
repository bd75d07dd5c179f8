"""Publishing each person's Home, and keeping it up to date.

`HomePublisher.publish(user)` builds the Home from the store (that person's rows only) and
publishes it with views.publish, unless it would show exactly what was last published (the
view's hash is kept in SQLite). `refresh_all` republishes the Home of everyone who opened
it whose drafts or gates changed, whoever changed them (a Slack answer, a GitHub webhook,
the sweep, the command line, another process). The process edge runs it every few seconds
(bot/runtime/loops.py): at most one publish per person per interval, which keeps clear of
views.publish's rate limit.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import StoreError
from bot.home.data import HomeData, load_home
from bot.home.view import home_view
from bot.log import get_logger, redact
from bot.slack.poster import SlackPoster, slack_error
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Store
from flows.questions import Flow
from flows.template import Template

log = get_logger()

REFRESH_SECONDS = 3.0  # the loop's period: the most a Home lags a change, and its debounce
NOTICE_SECONDS = 60.0  # a note about the person's last click stays this long


class HomePublisher:
    """Builds and publishes Homes; safe to call from any listener thread."""

    def __init__(
        self,
        *,
        store: Store,
        flow: Flow,
        template: Template,
        client: WebClient,
        command: str,
        default_repository: str | None = None,
        min_interval: float = REFRESH_SECONDS,
        draft_templates: DraftTemplates | None = None,
    ) -> None:
        self.store = store
        self.flow = flow
        self.template = template
        self.draft_templates = draft_templates  # each issue's gates by its own template
        self.client = client
        self.poster = SlackPoster(client)
        self.command = command
        self.default_repository = default_repository
        self.min_interval = min_interval
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._notices: dict[str, tuple[str, float]] = {}
        self._last: dict[str, float] = {}  # user -> monotonic time of the last publish
        self._unlinked: set[tuple[str, str]] = set()  # threads Slack gave no permalink for
        # user -> the fingerprint of their rows when their Home was last built: a refresh
        # rebuilds only the Homes whose rows changed since.
        self._built: dict[str, str] = {}

    def opened(self, user: str) -> None:
        """The person opened their Home tab: remember them, and show it as it is now."""
        with self.store.session() as s:
            s.home.opened(user)
        self.publish(user)

    def notify(self, user: str, notice: str) -> None:
        """Show `notice` at the top of the person's Home (a result of their click)."""
        with self._guard:
            self._notices[user] = (notice, time.monotonic() + NOTICE_SECONDS)
        self.publish(user)

    def publish(self, user: str) -> bool:
        """Publish the person's Home if it changed; True if Slack took a new one."""
        with self._lock(user):
            try:
                return self._publish(user)
            except StoreError as exc:
                log.warning("home.publish_failed", user=user, reason=str(exc)[:300])
                self._built.pop(user, None)  # build it again next round
                return False

    def refresh_all(self) -> int:
        """Republish every opened Home whose rows changed (or whose note ran out), unless it
        was published this interval; one query tells which."""
        with self.store.session(readonly=True) as s:
            prints = s.home.fingerprints()
        now = time.monotonic()
        published = 0
        for user, fingerprint in prints.items():
            if now - self._last.get(user, 0.0) < self.min_interval:
                continue
            if self._built.get(user) == fingerprint and not self._has_notice(user):
                continue
            self._built[user] = fingerprint
            published += self.publish(user)
        return published

    def _has_notice(self, user: str) -> bool:
        with self._guard:
            return user in self._notices

    def _lock(self, user: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(user, threading.Lock())

    def _notice(self, user: str) -> str:
        with self._guard:
            found = self._notices.get(user)
            if found is None:
                return ""
            if found[1] < time.monotonic():
                del self._notices[user]
                return ""
            return found[0]

    def _publish(self, user: str) -> bool:
        data = self._with_permalinks(
            load_home(self.store, self.flow, user, self.default_repository)
        )
        own = (
            self.draft_templates.issue_templates()
            if self.draft_templates is not None
            else self.template
        )
        view = home_view(data, own, command=self.command, notice=self._notice(user))
        digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
        with self.store.session(readonly=True) as s:
            record = s.home.get(user)
        if record is not None and record.view_hash == digest:
            return False
        started = time.perf_counter()
        try:
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("home.publish_failed", user=user, reason=slack_error(exc))
            self._built.pop(user, None)
            return False
        except Exception as exc:  # noqa: BLE001 - network faults: logged, tried again later
            reason = redact(f"{type(exc).__name__}: {exc}")[:300]
            log.warning("home.publish_failed", user=user, reason=reason)
            self._built.pop(user, None)
            return False
        self._last[user] = time.monotonic()
        with self.store.session() as s:
            s.home.published(user, digest)
        log.info(
            "home.published",
            user=user,
            blocks=len(view["blocks"]),
            drafts=len(data.drafts),
            issues=len(data.open_issues),
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return True

    def _with_permalinks(self, data: HomeData) -> HomeData:
        """Ask Slack once for each thread's permalink, and keep it."""
        items = []
        for item in data.drafts:
            location = item.location
            thread = (location.channel, location.thread_ts) if location else None
            if item.permalink or thread is None or thread in self._unlinked:
                items.append(item)
                continue
            assert location is not None
            try:
                link = self.poster.permalink(location.channel, location.thread_ts)
            except Exception:  # noqa: BLE001 - Slack unreachable: a Home without the link
                link = None
            if not link:
                self._unlinked.add(thread)  # asked once per process, not every refresh
            else:
                with self.store.session() as s:
                    s.home.save_permalink(item.draft.id, location.channel, location.thread_ts, link)
            items.append(replace(item, permalink=link))
        return replace(data, drafts=tuple(items))
