"""What every registry route uses: the runtime and command context as dependencies, answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, Request, Response

from services.registry.runtime import Registry
from shared.eventstore import Envelope
from shared.paging import decode_cursor, page
from shared.service_web import ContextDep, IfMatch, json_response

__all__ = ["ContextDep", "IfMatch", "RegistryDep", "decode_cursor", "json_response", "page"]


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
