"""Slack message text to GitHub Markdown, at the edge, before the core sees an answer.

Slack escapes `&`, `<` and `>` and wraps links, mentions and channels in `<...>`; its bold,
italic and strike use single markers. GitHub reads Markdown. Code spans and fences are kept
verbatim (only Slack's HTML entities are decoded there, since the author typed `<` itself).
A Slack mention never becomes a bare `@name`, which could ping an unrelated GitHub account;
it becomes `@login` only when that Slack user linked their GitHub login.

The other way, any text shown in a mrkdwn field goes through `escape_mrkdwn`, the bot's one
escaping function for Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# (display name, linked GitHub login or None) for a Slack user id.
UserResolver = Callable[[str], tuple[str, str | None]]

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_ENTITY = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_SPECIAL = {"here": "here", "channel": "channel", "everyone": "everyone"}


def _unescape(text: str) -> str:
    # Slack escapes only these three; html.unescape would also turn "&copy" into a symbol.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True)
class SlackToMarkdown:
    resolve_user: UserResolver

    def __call__(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for match in _CODE.finditer(text):
            out.append(self._prose(text[pos : match.start()]))
            out.append(_unescape(match.group(0)))
            pos = match.end()
        out.append(self._prose(text[pos:]))
        return "".join(out)

    def _prose(self, text: str) -> str:
        text = _ENTITY.sub(self._entity, text)
        text = _BOLD.sub(r"**\1**", text)
        text = _ITALIC.sub(r"*\1*", text)
        text = _STRIKE.sub(r"~~\1~~", text)
        return _unescape(text)

    def _entity(self, match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            name, login = self.resolve_user(target[1:])
            return f"@{login}" if login else (name or label.lstrip("@"))
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!subteam^"):
            return (label or target).lstrip("@")
        if target.startswith("!"):
            word = target[1:].split("^")[0]
            return _SPECIAL.get(word, label or word)
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if re.match(r"^[a-z][a-z0-9+.\-]*:", target):
            url = _unescape(target)
            if label and label != target:
                return f"[{label}]({url})"
            return url
        # Not a Slack entity (the author's own angle brackets arrive as &lt;...&gt;).
        return match.group(0)


def slack_to_markdown(text: str, resolve_user: UserResolver | None = None) -> str:
    """Convert one Slack message's text; mentions resolve through `resolve_user`."""
    resolver = resolve_user or (lambda uid: (uid, None))
    return SlackToMarkdown(resolver)(text)


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters (`&`, `<`, `>`) so text shows exactly as
    written in mrkdwn, and an author's `<!here>` never pings anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
