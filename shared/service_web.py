"""What every service's internal routes use: the command context from the gateway's headers,
the If-Match header and JSON answers. One definition for all services."""

from __future__ import annotations

from typing import Annotated, Protocol
from uuid import UUID

from fastapi import Depends, Header, Response

from shared.commands import CommandContext
from shared.observability.context import correlation_id


# Dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, a thread
# hand-off per request that cost more than the request's own work.
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


ContextDep = Annotated[CommandContext, Depends(command_context)]
IfMatch = Annotated[str | None, Header()]


class JsonModel(Protocol):
    def model_dump_json(self) -> str: ...


def json_response(model: JsonModel, status: int, headers: dict[str, str]) -> Response:
    return Response(
        model.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )
