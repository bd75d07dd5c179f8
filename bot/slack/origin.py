"""Who a Slack delivery came from, and the callables the conversation is handed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.drafts import Provenance

Respond = Callable[..., Any]
# Files a draft that the engine says is complete; says the outcome in the draft's thread.
Filer = Callable[[str, "Origin"], None]


@dataclass(frozen=True)
class Origin:
    """Who sent a delivery, from where, and its id for logs and deduplication."""

    team: str
    user: str
    channel: str
    correlation_id: str
    source: str = "slack"

    @property
    def provenance(self) -> Provenance:
        """What the journal records of this delivery beside each change it makes."""
        return {"actor": self.user, "source": self.source, "correlation_id": self.correlation_id}
