"""Hostile path parameters on every route (issue 8 §1, §3): whatever a path holds, the answer
is a 4xx problem, never a 500, at the gateway and at the registry.

Found after the hardening branches merged: a NUL in a community code (`/communities/%00`)
reached PostgreSQL as a bind parameter, which text cannot hold, and came back 500.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import Platform

PROBLEM = "application/problem+json"
HOSTILE = (
    "%00",  # NUL: PostgreSQL text cannot hold it
    "3302110040011000%00",
    "%EF%BC%93" * 17,  # full-width digits, which str.isdigit() accepts
    "%D9%A3" * 17,  # Arabic-Indic digits
    "9" * 5000,
    "%0A",
    "%20",
    "%F0%9F%98%80",
)


def parameterised_routes(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in openapi["paths"].items()
        if "{" in path
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


async def answers(platform: Platform, base: str, headers: dict[str, str]) -> list[str]:
    """Each route with each hostile value in every path parameter; the answers that are not a
    4xx problem."""
    async with platform.http.get(f"{base}/openapi.json") as r:
        openapi = await r.json()
    wrong = []
    routes = parameterised_routes(openapi)
    assert routes, "no parameterised route found"
    for method, path in routes:
        for value in HOSTILE:
            url = base + re.sub(r"\{[^}]+\}", value, path)
            body = {} if method in ("POST", "PUT", "PATCH") else None
            async with platform.http.request(method, url, headers=headers, json=body) as r:
                kind = r.headers.get("Content-Type", "")
                if not (400 <= r.status < 500 and kind.startswith(PROBLEM)):
                    wrong.append(f"{method} {path} <- {value[:20]}: {r.status} {kind}")
    return wrong


async def test_hostile_path_parameters_are_4xx_problems_at_the_gateway(
    platform: Platform,
) -> None:
    headers = {**platform.auth("zhenhai"), "Idempotency-Key": "hostile-paths", "If-Match": '"1"'}
    assert await answers(platform, platform.gateway, headers) == []


async def test_hostile_path_parameters_are_4xx_problems_at_the_registry(
    platform: Platform,
) -> None:
    headers = {"If-Match": '"1"'}
    assert await answers(platform, platform.registry, headers) == []
