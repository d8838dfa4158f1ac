"""A service's public contract: its route table and its event catalogue.

Each service exports one (`services/<name>/contract.py`, named in services/topology.py); the
gateway builds its public routes, OpenAPI and AsyncAPI from these and from nothing else of the
service. A route says what the gateway must know to serve it generically: the method and path,
the models (for validation and the OpenAPI document), whether it is a command or a read, and
how the district that may issue or read it is found in the request.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from shared.community_code import require_valid_code
from shared.eventstore.catalog import EventCatalog
from shared.http_inputs import AREA_PATTERN, require_area


@dataclass(frozen=True)
class PathCode:
    """The district is the first 12 digits of a path parameter, once `check` accepts it
    (`check` returns the value or raises the ValidationFailed the client gets)."""

    param: str
    check: Callable[[str], str]
    pattern: str  # the shape `check` may accept: the hot path's regex for the parameter


@dataclass(frozen=True)
class BodyField:
    """The district is a field of the request body (a registration names its division)."""

    name: str


@dataclass(frozen=True)
class PrefixQuery:
    """A list's district is its prefix query parameter, defaulting to the client's own."""

    param: str = "division_prefix"


# The community a route acts on or reads, by its code in the path (every service's).
COMMUNITY = PathCode("code", require_valid_code, r"[0-9]{17}")
# A report's district, town or city, by its division prefix in the path.
AREA = PathCode("area", require_area, AREA_PATTERN)
District = PathCode | BodyField | PrefixQuery
# The gateway's own parameters of every endpoint: no path or query parameter may take them.
RESERVED = frozenset({"body", "gw", "who", "idempotency_key", "if_match", "purpose"})


# A QueryParam's default when the parameter is required (no default in the signature).
REQUIRED: Any = inspect.Parameter.empty


@dataclass(frozen=True)
class QueryParam:
    """A query parameter the gateway validates and passes through (None is not sent)."""

    name: str
    annotation: Any  # as a FastAPI endpoint would declare it, e.g. Annotated[int, Query(...)]
    default: Any = None


@dataclass(frozen=True)
class Route:
    name: str  # the operation's name (the base of its operationId)
    method: str
    path: str  # public, under /v1: "/communities/{code}"
    kind: Literal["command", "read"]
    district: District | None  # None: any authenticated client may read it
    response_model: Any
    summary: str
    tags: tuple[str, ...]
    request_model: type[BaseModel] | None = None
    internal_path: str | None = None  # the service's own path; the public one if None
    status_code: int | None = None
    responses: Mapping[int | str, dict[str, Any]] = field(default_factory=dict)
    query: tuple[QueryParam, ...] = ()
    # A path parameter's annotation where it is more than `str` (e.g. Annotated[str, Path(...)]).
    path_types: Mapping[str, Any] = field(default_factory=dict)
    if_match: bool = False  # a command on an existing resource: the client may send If-Match
    # Answered beneath the framework when it can be (shared/hot_routes.py): without a query
    # string, within the client's scope; anything else is the app's to answer.
    hot: bool = False
    # A read of personal data: the client states its purpose (X-Purpose, shared/purpose.py),
    # and the read is audited with it whatever its outcome, before it is answered.
    purpose: bool = False

    def __post_init__(self) -> None:
        if self.kind == "command" and self.district is None:
            raise ValueError(f"{self.name}: a command needs the district that may issue it")
        if clash := RESERVED & {*self.path_params, *(q.name for q in self.query)}:
            raise ValueError(f"{self.name}: {sorted(clash)} are the gateway's parameter names")
        if self.hot and not (self.kind == "read" and isinstance(self.district, PathCode)):
            raise ValueError(f"{self.name}: only a read of one path-coded resource can be hot")
        if self.purpose and (self.kind != "read" or self.hot or self.district is None):
            raise ValueError(f"{self.name}: a purpose is stated for a district-scoped read")

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def service_path(self) -> str:
        return self.internal_path or self.path


@dataclass(frozen=True)
class ServiceContract:
    service: str  # its name in services/topology.py
    routes: tuple[Route, ...]
    events: Callable[[], EventCatalog]  # the catalogue its topic carries (AsyncAPI)
    # JSON Schema of its path parameters by name, for the OpenAPI documents (shared/openapi.py)
    path_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
