"""What every registry route uses: the runtime and command context as dependencies, answers."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Request, Response

from services.registry.runtime import Registry
from shared.errors import FieldProblem, ValidationFailed
from shared.eventstore import Envelope
from shared.service_web import ContextDep, IfMatch, json_response

__all__ = ["ContextDep", "IfMatch", "RegistryDep", "json_response"]


async def registry(request: Request) -> Registry:
    runtime: Registry = request.app.state.registry
    return runtime


RegistryDep = Annotated[Registry, Depends(registry)]


def own_version(events: list[Envelope], stream: str) -> int:
    """The version the command left `stream` at (a step may append to two streams)."""
    return max(e.stream_version for e in events if e.stream_id == stream)


class CaseView(Protocol):
    version: int

    def model_dump_json(self) -> str: ...


async def answer_case(
    runtime: Registry,
    events: list[Envelope],
    status: int,
    location: str,
    stream: str,
    read: Callable[[], Awaitable[CaseView | None]],
) -> Response:
    """A workflow case (a proposal) after a command, once the read model shows it at the
    version this command left it; else a 202 (a later step may already be applied)."""
    headers = {"Location": location}
    if await runtime.caught_up(events[-1].checkpoint):
        view = await read()
        if view is not None and view.version == own_version(events, stream):
            return json_response(view, status, headers)
    return Response(status_code=202, headers=headers)


def proposal_of(events: list[Envelope]) -> str:
    """The proposal a workflow command appended to (its other streams are communities')."""
    return next(str(e.payload["proposal_id"]) for e in events if "proposal_id" in e.payload)


ItemT = TypeVar("ItemT")


def page(
    items: list[ItemT], limit: int, key: Callable[[ItemT], str]
) -> tuple[list[ItemT], str | None]:
    """One page of `items` (read with `limit + 1`, so one more tells there is a next page) and
    the cursor of the next page."""
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(key(items[-1])) if more else None


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        code = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        code = ""
    if not code.replace("-", "").isalnum():
        raise ValidationFailed("bad cursor", errors=[FieldProblem("cursor", "not a cursor")])
    return code
