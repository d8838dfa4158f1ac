"""What every registry route uses: the runtime and command context as dependencies, answers."""

from __future__ import annotations

import base64
from typing import Annotated
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


def json_response(model: BaseModel, status: int, headers: dict[str, str]) -> Response:
    return Response(
        model.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )


IfMatch = Annotated[str | None, Header()]


def own_version(events: list[Envelope], stream: str) -> int:
    """The version the command left `stream` at (a step may append to two streams)."""
    return max(e.stream_version for e in events if e.stream_id == stream)


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
