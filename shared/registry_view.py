"""A service's own view of a registry community, kept from the registry's topic (staffing,
funding): which community an event concerns, and what a followed event changes of the view.

Each service keeps only the fields its rules use (`followed`: event type → the fields it sets),
so an event that changes nothing it uses appends nothing; the view itself is the service's own
model (it validates what this returns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.cloudevents import IncomingEvent

# Besides the service's own `followed`: every view follows a community's life.
LIFE = ("CommunityActivated", "CommunityConverted")


def observed_code(event: IncomingEvent) -> str:
    """The community a registry event concerns (its code; the subject for the few without)."""
    return str(event.data.get("code") or event.subject)


def followed_types(followed: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    return (*followed, *LIFE)


def view_after(
    event_type: str, data: Mapping[str, Any], previous: Mapping[str, Any] | None,
    followed: Mapping[str, Sequence[str]], missing: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The view's fields after the event; None when the event says nothing the view follows,
    or concerns a community not seen registered. `missing`: a field's value when an event
    lacks it (one recorded before the registry added the field)."""

    def value(name: str) -> Any:
        return data.get(name, (missing or {}).get(name))

    if event_type == "CommunityRegistered":
        return {"code": data.get("code"), **{k: value(k) for k in followed[event_type]}}
    if previous is None:
        return None
    if event_type in followed:
        changes = {k: value(k) for k in followed[event_type]}
    elif event_type == "CommunityActivated":
        changes = {"status": "active"}
    elif event_type == "CommunityConverted":
        changes = {"status": "ended", "successor": data.get("successor_code")}
    else:
        return None
    return {**previous, **changes}
