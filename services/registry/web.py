"""What every registry route uses: the runtime and command context as dependencies, answers."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, TypeVar
from uuid import UUID

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from services.registry.runtime import Registry
from shared.commands import CommandContext
from shared.errors import FieldProblem, ValidationFailed
from shared.eventstore import Envelope
from shared.observability.context import correlation_id


# Dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, a thread
# hand-off per request that cost more than the request's own work.
async def registry(request: Request) -> Registry:
    runtime: Registry = request.app.state.registry
    return runtime


async def command_context(
    x_actor_id: Annotated[str, Header()] = "anonymous",
    x_actor_kind: Annotated[str, Header()] = "internal",
    x_district: Annotated[str | None, Header()] = None,
    x_command_id: Annotated[UUID | None, Header()] = None,
) -> CommandContext:
    kwargs = {"command_id": x_command_id} if x_command_id else {}
    return CommandContext(
        actor_id=x_actor_id,
        actor_kind=x_actor_kind,
        district=x_district,
        correlation_id=correlation_id.get(),
        **kwargs,
    )


RegistryDep = Annotated[Registry, Depends(registry)]


ContextDep = Annotated[CommandContext, Depends(command_context)]


def json_response(model: BaseModel | CaseView, status: int, headers: dict[str, str]) -> Response:
    return Response(
        model.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )


IfMatch = Annotated[str | None, Header()]


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
