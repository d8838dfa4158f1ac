"""The OpenAPI document a service publishes, made true to what it serves.

FastAPI's generated document says `application/json` with its own validation model for 422,
names operations after the function *and* path, and knows nothing of checks a route makes
itself (a community code's check digit). `publish_openapi` fixes that once for every app:
every error response is an RFC 9457 problem (shared/http.py's `problem`), operation ids are
the endpoint's name in camelCase, path parameters carry the pattern the server enforces, and
an optional parameter is optional rather than nullable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from shared.http import PROBLEM_JSON
from shared.http_inputs import IF_MATCH_PATTERN

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each invalid field and why.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:wuding:problem:validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "correlation_id": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
    },
}
FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "FieldProblem",
    "type": "object",
    "required": ["field", "reason"],
    "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
# Headers whose value parse_if_match checks itself (a weak ETag is a 412, anything else a 422).
HEADER_PARAMETERS: dict[str, dict[str, Any]] = {"if-match": {"pattern": IF_MATCH_PATTERN}}


def operation_id(route: APIRoute) -> str:
    """`register_community` -> `registerCommunity`: stable while the endpoint keeps its name
    (FastAPI's default also spells the path and method, so it changes with them)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is absent or a string, never JSON null: FastAPI's `str | None` says
    `anyOf [string, null]`, and a client (schemathesis did) sends the text "null"."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" not in schema or len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    return {**rest, **branches[0]}


def refine(document: dict[str, Any], path_parameters: Mapping[str, dict[str, Any]]) -> None:
    """Problem schemas on error responses, and `path_parameters` (name -> JSON Schema) on the
    path parameters of that name, in place."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["FieldProblem"] = FIELD_PROBLEM_SCHEMA
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _not_null(parameter["schema"])
                table = {"path": path_parameters, "header": HEADER_PARAMETERS}
                extra = table.get(parameter["in"], {}).get(parameter["name"])
                if extra:
                    parameter["schema"] = {**parameter["schema"], **extra}
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = problem


def publish_openapi(app: FastAPI, path_parameters: Mapping[str, dict[str, Any]]) -> None:
    """Serve the refined document at /openapi.json (and /docs); build it once."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            refine(generate(), path_parameters)  # generate() caches it in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
