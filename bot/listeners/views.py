"""Modal submissions: the reason a gate doesn't apply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot.listeners.binding import bound
from bot.log import get_logger
from bot.reminders.blocks import REASON_ACTION, REASON_BLOCK, VIEW_NOT_APPLICABLE, parse_value
from bot.reminders.controls import settle_gate
from flows.draft import GateState, GateStatus

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()


def register(app: App, services: Services) -> None:
    app.view(VIEW_NOT_APPLICABLE)(bound(not_applicable_submitted, services))


def typed_reason(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    reason = str(((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("value") or "")
    return " ".join(reason.split())


def not_applicable_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], *, services: Services
) -> None:
    """The Not applicable modal: tick the gate with its reason, then rewrite the digest."""
    reason = typed_reason(view)
    if not reason:
        ack(
            response_action="errors",
            errors={REASON_BLOCK: "Say in a few words why it doesn't apply."},
        )
        return
    ack()
    try:
        metadata = parse_value(view.get("private_metadata") or "")
    except (ValueError, TypeError):
        log.warning("view.rejected", reason="unreadable private_metadata")
        return
    state = GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)
    result = settle_gate(services.reminders, services.github, body["user"]["id"], metadata, state)
    services.reminders.refresh_message(
        str(metadata.get("c", "")),
        str(metadata.get("m", "")),
        str(metadata.get("k", "")),
        result.message,
    )
